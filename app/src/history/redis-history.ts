/**
 * Redis history. Keys per room (the room in braces keeps a room's keys in one slot):
 *   lc:{room}:seq    INCR counter, the last id given
 *   lc:{room}:hist   sorted set, score = id, member = the message entry (bus/envelope.ts: header + frame)
 *   lc:{room}:hbytes bytes of the entries in hist
 *   lc:{room}:cid:<memberId>:<cid>  "id:ts", the dedup record (TTL); keyed by member, so one member
 *                    cannot replay another's cid
 * APPEND_SCRIPT is the one round trip per send: (for a private room or DM) the access check, dedup, next
 * id, store, trim to the newest N within the byte budget, publish — atomically, so ids are contiguous,
 * the channel carries them in id order, and a member removed before the step cannot get a message in.
 * The access list's keys lc:{room}:acl and lc:{room}:aclm (access/redis-access.ts) are declared on every
 * append and read only when restricted (a restricted append renews them with the room's keys).
 * `lastIds` is one MGET of several rooms' seq keys (different slots: fine on the standalone Redis
 * this cluster uses).
 * Every key expires: the room's after ROOM_TTL_SEC without a send, the dedup records after DEDUP_TTL_SEC.
 */
import { CHANNEL } from '../bus/bus.js';
import { messageEntryTemplate, storedEntry } from '../bus/envelope.js';
import { ForbiddenError } from '../store/errors.js';
import type { RedisConnections } from '../store/redis-connections.js';
import { roomKeys as keys } from '../store/redis-keys.js';
import type { AppendResult, EntryInput, History, PageQuery, ResumeResult, StoredEntry } from './history.js';

// KEYS: seq, hist, cid, hbytes, acl, aclm. ARGV: the entry template (5), max, dedupTtlSec, channel, maxBytes,
// roomTtlSec, restricted ('1'/'0'), the sender's member id. -> {id, ts, duplicate (0/1)} or {0, 0, 2}: not on the list.
const APPEND_SCRIPT = `
local restricted = ARGV[11] == '1'
if restricted and (redis.call('EXISTS', KEYS[5]) == 0 or redis.call('HEXISTS', KEYS[6], ARGV[12]) == 0) then
  return {0, 0, 2}
end
local d = redis.call('GET', KEYS[3])
if d then
  local sep = string.find(d, ':', 1, true)
  return {tonumber(string.sub(d, 1, sep - 1)), tonumber(string.sub(d, sep + 1)), 1}
end
local id = redis.call('INCR', KEYS[1])
local t = redis.call('TIME')
local ts = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tss = string.format('%d', ts)
-- The entry template's holes, in order: id, ts, id, ts (bus/envelope.ts messageEntryTemplate).
local msg = ARGV[1] .. id .. ARGV[2] .. tss .. ARGV[3] .. id .. ARGV[4] .. tss .. ARGV[5]
redis.call('ZADD', KEYS[2], id, msg)
local bytes = redis.call('INCRBY', KEYS[4], #msg)
local max, maxBytes = tonumber(ARGV[6]), tonumber(ARGV[9])
local n = redis.call('ZCARD', KEYS[2])
-- Oldest first, never the newest: a room keeps at most max messages and maxBytes of them.
while n > 1 and (n > max or bytes > maxBytes) do
  local old = redis.call('ZPOPMIN', KEYS[2])
  bytes = redis.call('INCRBY', KEYS[4], -#old[1])
  n = n - 1
end
redis.call('SET', KEYS[3], id .. ':' .. tss, 'EX', ARGV[7])
for i = 1, 4 do if i ~= 3 then redis.call('EXPIRE', KEYS[i], ARGV[10]) end end
if restricted then
  redis.call('EXPIRE', KEYS[5], ARGV[10])
  redis.call('EXPIRE', KEYS[6], ARGV[10])
end
redis.call('PUBLISH', ARGV[8], msg)
return {id, ts, 0}
`;

const RESUME_SCRIPT = `
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local after = tonumber(ARGV[1])
if after < 0 then
  local n = tonumber(ARGV[2])
  if n <= 0 then return {last, 0, {}} end
  return {last, 0, redis.call('ZRANGE', KEYS[2], -n, -1, 'WITHSCORES')}
end
local truncated = 0
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if first[2] then
  if tonumber(first[2]) > after + 1 then truncated = 1 end
elseif last > after then
  truncated = 1
end
return {last, truncated, redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. after, '+inf', 'WITHSCORES')}
`;

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

export class RedisHistory implements History {
  constructor(private readonly redis: RedisConnections, private readonly settings: RedisHistorySettings) {}

  async append(input: EntryInput): Promise<AppendResult> {
    const k = keys(input.room);
    const template = messageEntryTemplate(input.room, input.from, input.text, input.cid, input.via);
    const [id, ts, dup] = await this.redis.script<[number, number, number]>(
      APPEND_SCRIPT,
      [k.seq, k.hist, k.cid(input.from.id, input.cid), k.hbytes, k.acl, k.aclMembers],
      [...template, this.settings.max, this.settings.dedupTtlSec, CHANNEL, this.settings.maxBytes, this.settings.roomTtlSec,
        input.restricted ? '1' : '0', input.from.id],
    );
    if (Number(dup) === 2) throw new ForbiddenError(`${input.from.id} is not on the access list of ${input.room}`);
    return { id: Number(id), ts: Number(ts), duplicate: Number(dup) === 1 };
  }

  async resume(room: string, after: number | undefined, latest: number): Promise<ResumeResult> {
    const k = keys(room);
    const [last, truncated, flat] = await this.redis.script<[number, number, string[]]>(
      RESUME_SCRIPT,
      [k.seq, k.hist],
      [after ?? -1, latest],
    );
    return { last: Number(last), truncated: Number(truncated) === 1, entries: pairs(flat) };
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

  async lastIds(rooms: string[]): Promise<number[]> {
    if (rooms.length === 0) return [];
    const ids = await this.redis.command<Array<string | null>>(['MGET', ...rooms.map((r) => keys(r).seq)]);
    return ids.map((v) => Number(v ?? 0) || 0);
  }
}
