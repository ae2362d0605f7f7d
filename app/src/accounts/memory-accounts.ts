/**
 * In-process accounts with the Redis implementation's semantics (redis-accounts.ts), TTLs included,
 * for the embedded node (a single process) and tests. Several instances (one per simulated server)
 * share one MemoryAccountsState; so do MemoryAccess (an account's room list) and MemorySessions (an
 * account's session index). Publishes through the memory bus inside the same synchronous step.
 */
import type { Publish } from '../bus/bus.js';
import { readEntry } from '../bus/envelope.js';
import { roomKind, type Member } from '../protocol/messages.js';
import { MENTIONS_KEPT, type AccountRecord, type Accounts, type AttemptCount } from './accounts.js';

/** A value that is gone at `expires` (ms), like a Redis key with a TTL. */
export interface Expiring {
  expires: number;
}

/** The live entry under `key`; an expired one is deleted and reads as absent. */
export function live<T extends Expiring>(map: Map<string, T>, key: string, now: number): T | undefined {
  const e = map.get(key);
  if (!e) return undefined;
  if (e.expires <= now) {
    map.delete(key);
    return undefined;
  }
  return e;
}

/** The shared state, one field per Redis key family (redis-accounts.ts). */
export class MemoryAccountsState {
  /** lc:acct:<usernameKey> */
  readonly accounts = new Map<string, { rec: AccountRecord } & Expiring>();
  /** lc:uid:<id> -> username key */
  readonly ids = new Map<string, { key: string } & Expiring>();
  /** lc:urooms:<id>: room -> added ms (strictly increasing within one list) */
  readonly rooms = new Map<string, { list: Map<string, number> } & Expiring>();
  /** lc:reads:<id>: room -> last id read */
  readonly reads = new Map<string, { marks: Map<string, number> } & Expiring>();
  /** lc:ment:<id>: room -> ids of the messages that named the account (newest last) */
  readonly mentions = new Map<string, { rooms: Map<string, number[]> } & Expiring>();
  /** lc:fail:<key> */
  readonly fails = new Map<string, { count: number } & Expiring>();
  /** lc:usess:<id>: session digest -> created ms (written by MemorySessions) */
  readonly sessions = new Map<string, { digests: Map<string, number> } & Expiring>();

  /** Adds (or moves to the front) `room` in the account's list, as the Redis scripts do; renews the list. */
  addToList(id: string, room: string, now: number, ttlMs: number): Map<string, number> {
    let e = live(this.rooms, id, now);
    if (!e) {
      e = { list: new Map(), expires: 0 };
      this.rooms.set(id, e);
    }
    let top = -Infinity;
    for (const s of e.list.values()) if (s > top) top = s;
    e.list.delete(room);
    e.list.set(room, top >= now ? top + 1 : now);
    e.expires = now + ttlMs;
    return e.list;
  }

  /** Takes `room` off the account's list (renewing it when it exists). */
  dropFromList(id: string, room: string, now: number, ttlMs: number): void {
    // A room off the list keeps no read marker.
    live(this.reads, id, now)?.marks.delete(room);
    const e = live(this.rooms, id, now);
    if (!e) return;
    e.list.delete(room);
    if (e.list.size === 0) this.rooms.delete(id);
    else e.expires = now + ttlMs;
  }
}

export interface MemoryAccountsSettings {
  accountTtlMs: number;
  maxRooms: number;
}

export class MemoryAccounts implements Accounts {
  constructor(
    private readonly publish: Publish,
    private readonly settings: MemoryAccountsSettings,
    private readonly state: MemoryAccountsState = new MemoryAccountsState(),
    private readonly now: () => number = Date.now,
  ) {}

  private get ttl(): number {
    return this.settings.accountTtlMs;
  }

  async create(key: string, rec: AccountRecord): Promise<boolean> {
    const now = this.now();
    if (live(this.state.accounts, key, now)) return false;
    const { id, username, hash, created } = rec;
    this.state.accounts.set(key, { rec: { id, username, hash, created }, expires: now + this.ttl });
    this.state.ids.set(id, { key, expires: now + this.ttl });
    return true;
  }

  async find(key: string): Promise<AccountRecord | null> {
    const now = this.now();
    const a = live(this.state.accounts, key, now);
    if (!a) return null;
    a.expires = now + this.ttl;
    const u = live(this.state.ids, a.rec.id, now);
    if (u) u.expires = now + this.ttl;
    return { ...a.rec };
  }

  async byId(id: string): Promise<Member | null> {
    const now = this.now();
    const u = live(this.state.ids, id, now);
    const a = u && live(this.state.accounts, u.key, now);
    return a && a.rec.id === id ? { id, name: a.rec.username } : null;
  }

  async isRegistered(key: string): Promise<boolean> {
    return live(this.state.accounts, key, this.now()) !== undefined;
  }

  async touch(id: string, key: string): Promise<void> {
    const now = this.now();
    const s = this.state;
    for (const e of [live(s.accounts, key, now), live(s.ids, id, now), live(s.rooms, id, now), live(s.reads, id, now), live(s.sessions, id, now)]) {
      if (e) e.expires = now + this.ttl;
    }
  }

  async attempts(key: string): Promise<AttemptCount> {
    const now = this.now();
    const f = live(this.state.fails, key, now);
    return f ? { count: f.count, retryAfterMs: f.expires - now } : { count: 0, retryAfterMs: 0 };
  }

  async failed(key: string, windowMs: number): Promise<AttemptCount> {
    const now = this.now();
    let f = live(this.state.fails, key, now);
    if (f) f.count++;
    else this.state.fails.set(key, (f = { count: 1, expires: now + windowMs }));
    return { count: f.count, retryAfterMs: f.expires - now };
  }

  async forgive(key: string): Promise<void> {
    const f = live(this.state.fails, key, this.now());
    if (f && f.count > 0) f.count--;
  }

  async setHash(key: string, id: string, hash: string): Promise<boolean> {
    const a = live(this.state.accounts, key, this.now());
    if (!a || a.rec.id !== id) return false;
    a.rec = { ...a.rec, hash };
    return true;
  }

  async rooms(id: string): Promise<string[]> {
    const e = live(this.state.rooms, id, this.now());
    if (!e) return [];
    return [...e.list].sort((x, y) => y[1] - x[1]).map(([room]) => room);
  }

  async addRoom(id: string, room: string): Promise<void> {
    const list = this.state.addToList(id, room, this.now(), this.ttl);
    // Only public rooms count toward the cap and only they fall off, oldest first.
    const publicRooms = [...list].filter(([r]) => roomKind(r) === 'public').sort((x, y) => x[1] - y[1]);
    for (let i = 0; i < publicRooms.length - this.settings.maxRooms; i++) {
      list.delete(publicRooms[i][0]);
      live(this.state.reads, id, this.now())?.marks.delete(publicRooms[i][0]);
    }
  }

  async dropRoom(id: string, room: string): Promise<void> {
    this.state.dropFromList(id, room, this.now(), this.ttl);
  }

  async reads(id: string): Promise<Record<string, number>> {
    const e = live(this.state.reads, id, this.now());
    return e ? Object.fromEntries(e.marks) : {};
  }

  async addMention(id: string, room: string, msgId: number): Promise<void> {
    const now = this.now();
    let e = live(this.state.mentions, id, now);
    if (!e) {
      e = { rooms: new Map(), expires: 0 };
      this.state.mentions.set(id, e);
    }
    e.rooms.set(room, [...(e.rooms.get(room) ?? []), msgId].slice(-MENTIONS_KEPT));
    e.expires = now + this.ttl;
  }

  async mentions(id: string): Promise<Record<string, number[]>> {
    const e = live(this.state.mentions, id, this.now());
    return e ? Object.fromEntries(e.rooms) : {};
  }

  async markRead(id: string, room: string, msgId: number): Promise<number> {
    const now = this.now();
    let e = live(this.state.reads, id, now);
    const cur = e?.marks.get(room) ?? 0;
    // Only rooms on the account's list keep a marker, so the markers are bounded by the list.
    if (cur >= msgId || !(await this.rooms(id)).includes(room)) return cur;
    if (!e) {
      e = { marks: new Map(), expires: 0 };
      this.state.reads.set(id, e);
    }
    e.marks.set(room, msgId);
    e.expires = now + this.ttl;
    this.publish(readEntry(id, room, msgId));
    return msgId;
  }
}
