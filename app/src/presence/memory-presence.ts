/**
 * In-process presence with the Redis implementation's semantics. Several instances (one per
 * simulated server) may share one MemoryPresenceState, which is how the contract suite checks
 * multi-server behaviour without Redis.
 */
import type { Publish } from '../bus/bus.js';
import { presenceEntry } from '../bus/envelope.js';
import { presenceFrame } from '../protocol/encode.js';
import type { Member } from '../protocol/messages.js';
import type { Presence } from './presence.js';

interface RoomPresence {
  /** entry `memberId|appId` -> expiry (ms) */
  entries: Map<string, number>;
  /** memberId -> number of entries */
  counts: Map<string, number>;
  members: Map<string, Member>;
}

export class MemoryPresenceState {
  readonly rooms = new Map<string, RoomPresence>();
}

export class MemoryPresence implements Presence {
  constructor(
    private readonly publish: Publish,
    private readonly appId: string,
    private readonly ttlMs: number,
    private readonly state: MemoryPresenceState = new MemoryPresenceState(),
    private readonly now: () => number = Date.now,
  ) {}

  private room(name: string): RoomPresence {
    let r = this.state.rooms.get(name);
    if (!r) {
      r = { entries: new Map(), counts: new Map(), members: new Map() };
      this.state.rooms.set(name, r);
    }
    return r;
  }

  async join(room: string, members: Member[]): Promise<void> {
    const r = this.room(room);
    const expiry = this.now() + this.ttlMs;
    for (const m of members) {
      const entry = `${m.id}|${this.appId}`;
      const isNew = !r.entries.has(entry);
      r.entries.set(entry, expiry);
      if (!isNew) continue;
      const c = (r.counts.get(m.id) ?? 0) + 1;
      r.counts.set(m.id, c);
      if (c === 1) {
        r.members.set(m.id, { id: m.id, name: m.name });
        this.announce(room, r, 'join', m);
      }
    }
  }

  private remove(room: string, r: RoomPresence, entry: string): void {
    if (!r.entries.delete(entry)) return;
    const memberId = entry.slice(0, entry.lastIndexOf('|'));
    const c = (r.counts.get(memberId) ?? 1) - 1;
    if (c > 0) {
      r.counts.set(memberId, c);
      return;
    }
    r.counts.delete(memberId);
    const m = r.members.get(memberId);
    r.members.delete(memberId);
    if (m) this.announce(room, r, 'leave', m);
  }

  private announce(room: string, r: RoomPresence, event: 'join' | 'leave', member: Member): void {
    const count = r.members.size;
    this.publish(presenceEntry('p', room, count, presenceFrame({ type: 'presence', room, event, member, count })));
  }

  async leave(room: string, memberIds: string[]): Promise<void> {
    const r = this.room(room);
    for (const id of memberIds) this.remove(room, r, `${id}|${this.appId}`);
  }

  async expireSoon(room: string, memberIds: string[], ms: number): Promise<void> {
    const r = this.room(room);
    for (const id of memberIds) {
      const entry = `${id}|${this.appId}`;
      if (r.entries.has(entry)) r.entries.set(entry, this.now() + ms);
    }
  }

  async members(room: string): Promise<Member[]> {
    return [...this.room(room).members.values()];
  }

  async sweep(): Promise<void> {
    const now = this.now();
    for (const [name, r] of this.state.rooms) {
      for (const [entry, expiry] of r.entries) if (expiry <= now) this.remove(name, r, entry);
      if (r.entries.size === 0) this.state.rooms.delete(name);
    }
  }
}
