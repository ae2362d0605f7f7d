/**
 * In-process history with the same guarantees as the Redis one. Only for a single process (the
 * embedded node) and tests; it publishes through the memory bus inside the same synchronous step.
 * A restricted append checks the shared access lists (MemoryAccessState) in that same step.
 */
import { MemoryAccessState } from '../access/memory-access.js';
import type { Publish } from '../bus/bus.js';
import { fillEntry, messageEntryTemplate, storedEntry, type StoredEntry } from '../bus/envelope.js';
import { ForbiddenError } from '../store/errors.js';
import type { AppendResult, EntryInput, History, PageQuery, ResumeResult } from './history.js';

interface RoomLog {
  seq: number;
  messages: StoredEntry[];
  /** Bytes of the entries kept (as the Redis store counts them). */
  bytes: number;
  sizes: number[];
  dedup: Map<string, { id: number; ts: number; expires: number }>;
}

/** Rooms' histories; several MemoryHistory views (one per simulated server) may share one. */
export class MemoryHistoryState {
  readonly rooms = new Map<string, RoomLog>();
}

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
      r = { seq: 0, messages: [], bytes: 0, sizes: [], dedup: new Map() };
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
    const id = ++r.seq;
    const entry = fillEntry(messageEntryTemplate(input.room, input.from, input.text, input.cid, input.via), id, now);
    r.messages.push(storedEntry(entry)!);
    const size = Buffer.byteLength(entry);
    r.sizes.push(size);
    r.bytes += size;
    const { max, maxBytes, dedupTtlMs } = this.settings;
    let drop = 0;
    while (r.messages.length - drop > 1 && (r.messages.length - drop > max || r.bytes > maxBytes)) r.bytes -= r.sizes[drop++];
    if (drop > 0) {
      r.messages.splice(0, drop);
      r.sizes.splice(0, drop);
    }
    r.dedup.set(dedupKey, { id, ts: now, expires: now + dedupTtlMs });
    if (r.dedup.size > 4 * max && r.dedup.size % 1024 === 0) this.expireDedup(r, now);
    this.publish(entry);
    return { id, ts: now, duplicate: false };
  }

  private expireDedup(r: RoomLog, now: number): void {
    for (const [cid, d] of r.dedup) if (d.expires <= now) r.dedup.delete(cid);
  }

  async resume(room: string, after: number | undefined, latest: number): Promise<ResumeResult> {
    const r = this.room(room);
    const last = r.seq;
    if (after === undefined) {
      return { entries: latest > 0 ? r.messages.slice(-latest) : [], last, truncated: false };
    }
    const oldest = r.messages[0]?.id;
    return {
      entries: r.messages.filter((m) => m.id > after),
      last,
      truncated: oldest !== undefined ? oldest > after + 1 : last > after,
    };
  }

  async page(room: string, q: PageQuery): Promise<StoredEntry[]> {
    const all = this.room(room).messages;
    if (q.after !== undefined) return all.filter((m) => m.id > q.after!).slice(0, q.limit);
    const older = q.before !== undefined ? all.filter((m) => m.id < q.before!) : all;
    return older.slice(-q.limit);
  }

  async lastIds(rooms: string[]): Promise<number[]> {
    return rooms.map((room) => this.state.rooms.get(room)?.seq ?? 0);
  }
}
