/**
 * Redis history. Keys per room (the room in braces keeps a room's keys in one slot; store/redis-keys.ts):
 *   lc:{room}:seq    INCR counter, the last id given (messages and updates share it)
 *   lc:{room}:epoch  the history epoch: a unique id (newEpoch), made by the first append (or a member's join) of a room
 *                    without one, renewed with the room's keys; a log lost with it starts again under a new one
 *   lc:{room}:hist   sorted set, score = id, member = the message entry in its current state (bus/envelope.ts)
 *   lc:{room}:hbytes bytes of the entries in hist
 *   lc:{room}:upd    sorted set, score = id, member = an update entry (an edit, a deletion, a reaction)
 *   lc:{room}:ubytes bytes of the entries in upd
 *   lc:{room}:cid:<memberId>:<cid>  "id:ts", the dedup record (TTL); keyed by member, so one member
 *                    cannot replay another's cid
 * APPEND_SCRIPT is the one round trip per send, CHANGE_SCRIPT per edit, deletion or reaction
 * (history/redis-scripts.ts); a change rewrites the message's entry in hist (its current state, what
 * `history` and a plain `join` give) and adds its own entry to upd (what a resume replays). APPEND_SCRIPT: (for a private room or DM) the access check, dedup, next
 * id, store, trim to the newest N within the byte budget, publish — atomically, so ids are contiguous,
 * the channel carries them in id order, and a member removed before the step cannot get a message in.
 * The access list's keys lc:{room}:acl and lc:{room}:aclm (access/redis-access.ts) are declared on every
 * append and read only when restricted (a restricted append renews them with the room's keys).
 * `lastIds` is one MGET of several rooms' seq keys (different slots: fine on the standalone Redis
 * this cluster uses).
 * Every key expires: the room's after ROOM_TTL_SEC without a send, the dedup records after DEDUP_TTL_SEC.
 */
import { CHANNEL } from '../bus/bus.js';
import { messageEntryTemplate, storedEntry, updateEntryTemplate } from '../bus/envelope.js';
import { LIMITS } from '../protocol/messages.js';
import { EntryRefusedError, ForbiddenError } from '../store/errors.js';
import type { RedisConnections } from '../store/redis-connections.js';
import { roomKeys as keys } from '../store/redis-keys.js';
import { isMessageInput, newEpoch, type AppendInput, type AppendResult, type ChangeInput, type EntryInput, type History, type JoinResume, type PageQuery, type ResumeResult, type StoredEntry } from './history.js';
import { APPEND_SCRIPT, CHANGE_SCRIPT, RESUME_SCRIPT } from './redis-scripts.js';

export interface RedisHistorySettings {
  max: number;
  maxBytes: number;
  dedupTtlSec: number;
  roomTtlSec: number;
}

/** [entry, score, entry, score, …] -> StoredEntry[] (a damaged entry is skipped). */
function pairs(flat: string[]): StoredEntry[] {
  const out: StoredEntry[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const m = storedEntry(flat[i]);
    if (m) out.push(m);
  }
  return out;
}

/** A script's status as the answer or the refusal it stands for (the codes of redis-scripts.ts). */
function result(input: EntryInput, id: number, ts: number, status: number): AppendResult {
  switch (status) {
    case 0: return { id, ts, duplicate: false };
    case 1: return { id, ts, duplicate: true };
    case 2: throw new ForbiddenError(`${input.from.id} is not on the access list of ${input.room}`);
    case 3: throw new EntryRefusedError('no_target');
    case 4: throw new EntryRefusedError('not_allowed');
    case 5: throw new EntryRefusedError('reactions_full');
    case 6: return { id, ts, duplicate: false, noop: true };
    default: throw new Error(`history script answered status ${status}`);
  }
}

export class RedisHistory implements History {
  constructor(private readonly redis: RedisConnections, private readonly settings: RedisHistorySettings) {}

  /**
   * Stores the entry; with REDIS_WAIT_REPLICAS, resolves (and so acks) only once replicas have it. A
   * repeated cid writes nothing, and a WAIT covers only this connection's writes, so its dedup record
   * is renewed first (one write) — the WAIT then covers the first copy too, whichever server stored it.
   */
  append(input: EntryInput): Promise<AppendResult> {
    return this.redis.replicated(async () => {
      const out = await (isMessageInput(input) ? this.appendMessage(input) : this.change(input));
      if (out.duplicate && this.redis.waitsForReplicas) {
        await this.redis.command(['EXPIRE', keys(input.room).cid(input.from.id, input.cid), String(this.settings.dedupTtlSec)]);
      }
      return out;
    });
  }

  private async appendMessage(input: AppendInput): Promise<AppendResult> {
    const k = keys(input.room);
    const template = messageEntryTemplate(input.room, input.from, input.text, input.cid, input.via, input.mentions, input.attachments);
    const [id, ts, status] = await this.redis.script<[number, number, number]>(
      APPEND_SCRIPT,
      [k.seq, k.hist, k.cid(input.from.id, input.cid), k.hbytes, k.acl, k.aclMembers, k.epoch],
      [...template, this.settings.max, this.settings.dedupTtlSec, CHANNEL, this.settings.maxBytes, this.settings.roomTtlSec,
        input.restricted ? '1' : '0', input.from.id, input.replyTo ?? 0, k.prefix, LIMITS.replyQuoteMax, newEpoch()],
    );
    return result(input, Number(id), Number(ts), Number(status));
  }

  private async change(input: ChangeInput): Promise<AppendResult> {
    const k = keys(input.room);
    const change = input.kind === 'react' ? { kind: input.kind, emoji: input.emoji, on: input.on }
      : input.kind === 'edit' ? { kind: input.kind, text: input.text } : { kind: input.kind };
    const template = updateEntryTemplate(input.room, input.target, input.from, input.via, input.cid, change);
    const [id, ts, status] = await this.redis.script<[number, number, number]>(
      CHANGE_SCRIPT,
      [k.seq, k.hist, k.cid(input.from.id, input.cid), k.hbytes, k.acl, k.aclMembers, k.upd, k.ubytes, k.epoch],
      [...template, input.kind, input.target, input.from.id, input.restricted ? '1' : '0',
        input.kind === 'edit' ? input.text : input.kind === 'react' ? input.emoji : '', input.kind === 'react' && input.on ? '1' : '0',
        this.settings.dedupTtlSec, this.settings.roomTtlSec, CHANNEL, k.prefix, this.settings.max, this.settings.maxBytes,
        LIMITS.reactionsMax, LIMITS.replyQuoteMax],
    );
    return result(input, Number(id), Number(ts), Number(status));
  }

  async resume(room: string, after: number | undefined, latest: number, join?: JoinResume): Promise<ResumeResult> {
    const k = keys(room);
    const args: Array<string | number> = [after ?? -1, latest, this.settings.maxBytes];
    if (join) args.push(newEpoch(), this.settings.roomTtlSec, join.epoch ?? '');
    const [last, truncated, flat, epoch, reset] = await this.redis.script<[number, number, string[], string, number]>(
      RESUME_SCRIPT, [k.seq, k.hist, k.upd, k.epoch], args,
    );
    const res: ResumeResult = { last: Number(last), truncated: Number(truncated) === 1, entries: pairs(flat) };
    if (!join) return res;
    return Number(reset) === 1 ? { ...res, epoch: String(epoch), reset: true } : { ...res, epoch: String(epoch) };
  }

  async page(room: string, q: PageQuery): Promise<StoredEntry[]> {
    const { hist } = keys(room);
    const limit = String(q.limit);
    if (q.after !== undefined) {
      return pairs(await this.redis.command<string[]>(
        ['ZRANGEBYSCORE', hist, `(${q.after}`, '+inf', 'WITHSCORES', 'LIMIT', '0', limit]));
    }
    if (q.before !== undefined) {
      const desc = pairs(await this.redis.command<string[]>(
        ['ZREVRANGEBYSCORE', hist, `(${q.before}`, '-inf', 'WITHSCORES', 'LIMIT', '0', limit]));
      return desc.reverse();
    }
    return pairs(await this.redis.command<string[]>(['ZRANGE', hist, `-${limit}`, '-1', 'WITHSCORES']));
  }

  async countAfter(rooms: ReadonlyArray<[string, number]>): Promise<number[]> {
    // Sent together: node-redis pipelines commands issued in the same tick.
    const counts = await Promise.all(rooms.map(([room, after]) =>
      this.redis.command<number>(['ZCOUNT', keys(room).hist, `(${after}`, '+inf'])));
    return counts.map(Number);
  }

  async lastIds(rooms: string[]): Promise<number[]> {
    if (rooms.length === 0) return [];
    const ids = await this.redis.command<Array<string | null>>(['MGET', ...rooms.map((r) => keys(r).seq)]);
    return ids.map((v) => Number(v ?? 0) || 0);
  }
}
