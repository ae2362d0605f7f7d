/**
 * In-process history with the same guarantees as the Redis one, step for step (redis-scripts.ts): the
 * same entries, the same refusals, the same trimming. Only for a single process (the embedded node)
 * and tests; it publishes through the memory bus inside the same synchronous step. A restricted
 * append checks the shared access lists (MemoryAccessState) in that same step.
 */
import { MemoryAccessState } from '../access/memory-access.js';
import type { Publish } from '../bus/bus.js';
import { fillEntry, fillUpdate, messageEntryTemplate, storedEntry, updateEntryTemplate, type StoredEntry } from '../bus/envelope.js';
import { LIMITS } from '../protocol/messages.js';
import { EntryRefusedError, ForbiddenError } from '../store/errors.js';
import {
  isMessageInput, type AppendInput, type AppendResult, type ChangeInput, type EntryInput, type History, type PageQuery,
  newEpoch, type JoinResume, type ResumeResult,
} from './history.js';

/** Entries of one sorted set (hist or upd), ascending by id, with their byte count. */
class EntrySet {
  items: Array<{ id: number; entry: string }> = [];
  bytes = 0;

  add(id: number, entry: string): void {
    this.items.push({ id, entry });
    this.bytes += Buffer.byteLength(entry);
  }

  at(id: number): string | undefined {
    return this.items.find((x) => x.id === id)?.entry;
  }

  shift(): { id: number; entry: string } | undefined {
    const x = this.items.shift();
    if (x) this.bytes -= Buffer.byteLength(x.entry);
    return x;
  }

  /** Rewrites the frame of the entry with this id through `fn`; false when there is none. */
  rewrite(id: number, fn: (frame: Record<string, any>) => void): boolean {
    const i = this.items.findIndex((x) => x.id === id);
    if (i < 0) return false;
    const old = this.items[i].entry;
    const nl = old.indexOf('\n');
    const frame = JSON.parse(old.slice(nl + 1)) as Record<string, any>;
    fn(frame);
    const entry = `${old.slice(0, nl + 1)}${JSON.stringify(frame)}`;
    this.items[i] = { id, entry };
    this.bytes += Buffer.byteLength(entry) - Buffer.byteLength(old);
    return true;
  }
}

interface RoomLog {
  seq: number;
  /** The history epoch (made by the first append or member's join; a lost log starts a new one). */
  epoch?: string;
  hist: EntrySet;
  upd: EntrySet;
  dedup: Map<string, { id: number; ts: number; expires: number }>;
  /** Per kept message: "emoji\nmember" of who reacted with what. */
  rx: Map<number, Set<string>>;
  /** Per kept message: ids of the entries quoting its text (replies, its edits). */
  rel: Map<number, Set<number>>;
}

/** Rooms' histories; several MemoryHistory views (one per simulated server) may share one. */
export class MemoryHistoryState {
  readonly rooms = new Map<string, RoomLog>();
}

/** The first n code points of a string. */
const cut = (s: string, n: number) => [...s].slice(0, n).join('');
const frameOf = (entry: string) => JSON.parse(entry.slice(entry.indexOf('\n') + 1)) as Record<string, any>;

export class MemoryHistory implements History {
  constructor(
    private readonly publish: Publish,
    private readonly settings: { max: number; maxBytes: number; dedupTtlMs: number },
    private readonly state: MemoryHistoryState = new MemoryHistoryState(),
    private readonly access: MemoryAccessState = new MemoryAccessState(),
    private readonly now: () => number = Date.now,
  ) {}

  private room(name: string): RoomLog {
    let r = this.state.rooms.get(name);
    if (!r) {
      r = { seq: 0, hist: new EntrySet(), upd: new EntrySet(), dedup: new Map(), rx: new Map(), rel: new Map() };
      this.state.rooms.set(name, r);
    }
    return r;
  }

  async append(input: EntryInput): Promise<AppendResult> {
    const now = this.now();
    if (input.restricted && !this.access.allows(input.room, input.from.id, now)) {
      throw new ForbiddenError(`${input.from.id} is not on the access list of ${input.room}`);
    }
    const r = this.room(input.room);
    const dedupKey = `${input.from.id}:${input.cid}`;
    const seen = r.dedup.get(dedupKey);
    if (seen && seen.expires > now) return { id: seen.id, ts: seen.ts, duplicate: true };
    const result = isMessageInput(input) ? this.appendMessage(r, input, now) : this.change(r, input, now);
    if (!result.noop) {
      r.dedup.set(dedupKey, { id: result.id, ts: now, expires: now + this.settings.dedupTtlMs });
      if (r.dedup.size > 4 * this.settings.max && r.dedup.size % 1024 === 0) {
        for (const [cid, d] of r.dedup) if (d.expires <= now) r.dedup.delete(cid);
      }
    }
    return result;
  }

  private appendMessage(r: RoomLog, input: AppendInput, now: number): AppendResult {
    let quote: string | null = null;
    if (input.replyTo !== undefined) {
      const target = r.hist.at(input.replyTo);
      const f = target === undefined ? null : frameOf(target);
      if (!f || f.deleted) throw new EntryRefusedError('no_target');
      const files = f.attachments?.length ?? 0;
      quote = JSON.stringify(files > 0 ? { id: f.id, from: f.from, text: cut(f.text, LIMITS.replyQuoteMax), files } : { id: f.id, from: f.from, text: cut(f.text, LIMITS.replyQuoteMax) });
    }
    const id = ++r.seq;
    r.epoch ??= newEpoch();
    let entry = fillEntry(messageEntryTemplate(input.room, input.from, input.text, input.cid, input.via, input.mentions, input.attachments), id, now);
    if (quote !== null) {
      entry = `${entry.slice(0, -1)},"replyTo":${quote}}`;
      this.related(r, input.replyTo!).add(id);
    }
    r.hist.add(id, entry);
    const { max, maxBytes } = this.settings;
    while (r.hist.items.length > 1 && (r.hist.items.length > max || r.hist.bytes > maxBytes)) {
      const old = r.hist.shift()!;
      r.rx.delete(old.id);
      r.rel.delete(old.id);
    }
    this.publish(entry);
    return { id, ts: now, duplicate: false };
  }

  private related(r: RoomLog, id: number): Set<number> {
    let set = r.rel.get(id);
    if (!set) r.rel.set(id, (set = new Set()));
    return set;
  }

  private change(r: RoomLog, input: ChangeInput, now: number): AppendResult {
    const old = r.hist.at(input.target);
    const f = old === undefined ? null : frameOf(old);
    if (!f || f.deleted) throw new EntryRefusedError('no_target');
    const member = input.from.id;
    let x: number | '' = '';
    if (input.kind === 'edit' && f.from.id !== member) throw new EntryRefusedError('not_allowed');
    if (input.kind === 'delete' && f.from.id !== member && !(input.restricted && this.access.ownerOf(input.room, now) === member)) {
      throw new EntryRefusedError('not_allowed');
    }
    if (input.kind === 'react') {
      const changed = this.react(r, input, f);
      if (changed === null) return { id: r.seq, ts: now, duplicate: false, noop: true };
      x = changed;
    }
    const id = ++r.seq;
    const rel = this.related(r, input.target);
    if (input.kind === 'edit') {
      f.text = input.text;
      f.editedAt = now;
      x = now;
      const quote = cut(input.text, LIMITS.replyQuoteMax);
      for (const rid of rel) r.hist.rewrite(rid, (g) => { if (g.replyTo) g.replyTo.text = quote; });
      rel.add(id);
    } else if (input.kind === 'delete') {
      f.text = '';
      f.deleted = true;
      delete f.replyTo;
      delete f.attachments;
      delete f.reactions;
      delete f.editedAt;
      for (const rid of rel) {
        if (!r.hist.rewrite(rid, (g) => { if (g.replyTo) { g.replyTo.text = ''; delete g.replyTo.files; } })) {
          r.upd.rewrite(rid, (g) => { if (g.edit) g.edit.text = ''; });
        }
      }
      r.rel.delete(input.target);
      r.rx.delete(input.target);
    }
    r.hist.rewrite(input.target, (g) => { for (const k of Object.keys(g)) delete g[k]; Object.assign(g, f); });
    const change = input.kind === 'react' ? { kind: input.kind, emoji: input.emoji, on: input.on }
      : input.kind === 'edit' ? { kind: input.kind, text: input.text } : { kind: input.kind };
    const entry = fillUpdate(updateEntryTemplate(input.room, input.target, input.from, input.via, input.cid, change), id, now, x);
    r.upd.add(id, entry);
    const floor = id - this.settings.max;
    while (r.upd.items.length > 0 && (r.upd.items[0].id <= floor || r.upd.bytes > this.settings.maxBytes)) r.upd.shift();
    this.publish(entry);
    return { id, ts: now, duplicate: false };
  }

  /** Applies a reaction to the message's frame; the emoji's count after it, or null when it changed nothing. */
  private react(r: RoomLog, input: ChangeInput & { kind: 'react' }, f: Record<string, any>): number | null {
    const list: Array<{ emoji: string; count: number }> = f.reactions ?? [];
    let at = list.findIndex((x) => x.emoji === input.emoji);
    let who = r.rx.get(input.target);
    const field = `${input.emoji}\n${input.from.id}`;
    let count = 0;
    if (input.on) {
      if (at < 0 && list.length >= LIMITS.reactionsMax) throw new EntryRefusedError('reactions_full');
      if (who?.has(field)) return null;
      if (!who) r.rx.set(input.target, (who = new Set()));
      who.add(field);
      if (at < 0) at = list.push({ emoji: input.emoji, count: 0 }) - 1;
      count = ++list[at].count;
    } else {
      if (!who?.delete(field)) return null;
      if (at >= 0) {
        count = --list[at].count;
        if (count <= 0) { list.splice(at, 1); count = 0; }
      }
    }
    if (list.length > 0) f.reactions = list;
    else delete f.reactions;
    return count;
  }

  async resume(room: string, after: number | undefined, latest: number, join?: JoinResume): Promise<ResumeResult> {
    const r = this.room(room);
    const last = r.seq;
    const decode = (xs: Array<{ entry: string }>) => xs.map((x) => storedEntry(x.entry)!);
    if (join) {
      const epoch = (r.epoch ??= newEpoch());
      const reset = after !== undefined && join.epoch !== undefined && (join.epoch !== epoch || after > last);
      const res = await this.resume(room, reset ? undefined : after, latest);
      return reset ? { ...res, epoch, reset, truncated: true } : { ...res, epoch };
    }
    if (after === undefined) return { entries: latest > 0 ? decode(r.hist.items.slice(-latest)) : [], last, truncated: false };
    const all = [...r.hist.items, ...r.upd.items].filter((x) => x.id > after).sort((a, b) => a.id - b.id);
    let total = all.reduce((n, x) => n + Buffer.byteLength(x.entry), 0);
    let first = 0;
    while (total > this.settings.maxBytes && first < all.length - 1) total -= Buffer.byteLength(all[first++].entry);
    const kept = all.slice(first);
    return { entries: decode(kept), last, truncated: kept.length < last - after };
  }

  async page(room: string, q: PageQuery): Promise<StoredEntry[]> {
    const all = this.room(room).hist.items;
    const pick = q.after !== undefined ? all.filter((m) => m.id > q.after!).slice(0, q.limit)
      : (q.before !== undefined ? all.filter((m) => m.id < q.before!) : all).slice(-q.limit);
    return pick.map((x) => storedEntry(x.entry)!);
  }

  async countAfter(rooms: ReadonlyArray<[string, number]>): Promise<number[]> {
    return rooms.map(([room, after]) => this.state.rooms.get(room)?.hist.items.filter((x) => x.id > after).length ?? 0);
  }

  async lastIds(rooms: string[]): Promise<number[]> {
    return rooms.map((room) => this.state.rooms.get(room)?.seq ?? 0);
  }
}
