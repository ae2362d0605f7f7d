/**
 * In-process presence with the Redis implementation's semantics, for the embedded node (a single
 * process) and tests. Several instances (one per simulated server) may share one MemoryPresenceState,
 * which is how the contract suite checks multi-server behaviour without Redis. Publishes through the
 * memory bus inside the same synchronous step as the change.
 */
import type { Publish } from '../bus/bus.js';
import { countEntry, presenceEntry } from '../bus/envelope.js';
import { presenceFrame } from '../protocol/encode.js';
import type { Member } from '../protocol/messages.js';
import { newOwnerId, type MembersPage, type Presence, type PresenceSnapshot, type RoomModeSettings } from './presence.js';

interface RoomPresence {
  /** Member ids in ascending order (binary-searched; a memmove per change is cheap at these sizes). */
  ids: string[];
  members: Map<string, Member>;
  /** memberId -> number of owners holding an entry */
  holders: Map<string, number>;
  large: boolean;
}

export class MemoryPresenceState {
  readonly rooms = new Map<string, RoomPresence>();
  /** owner -> rooms -> member ids it holds */
  readonly owned = new Map<string, Map<string, Set<string>>>();
  /** owner -> last heartbeat (ms) */
  readonly beats = new Map<string, number>();
}

/** Index of the first id >= `id`. */
function lowerBound(ids: string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class MemoryPresence implements Presence {
  private owner: string;

  constructor(
    private readonly publish: Publish,
    private readonly appId: string,
    private readonly ttlMs: number,
    private readonly mode: RoomModeSettings,
    private readonly state: MemoryPresenceState = new MemoryPresenceState(),
    private readonly now: () => number = Date.now,
  ) {
    this.owner = newOwnerId(appId);
  }

  private room(name: string): RoomPresence {
    let r = this.state.rooms.get(name);
    if (!r) {
      r = { ids: [], members: new Map(), holders: new Map(), large: false };
      this.state.rooms.set(name, r);
    }
    return r;
  }

  private held(owner: string, room: string): Set<string> {
    let rooms = this.state.owned.get(owner);
    if (!rooms) {
      rooms = new Map();
      this.state.owned.set(owner, rooms);
    }
    let ids = rooms.get(room);
    if (!ids) {
      ids = new Set();
      rooms.set(room, ids);
    }
    return ids;
  }

  async join(room: string, members: Member[]): Promise<void> {
    const r = this.room(room);
    const held = this.held(this.owner, room);
    for (const m of members) {
      if (held.has(m.id)) continue;
      held.add(m.id);
      const n = (r.holders.get(m.id) ?? 0) + 1;
      r.holders.set(m.id, n);
      if (n > 1) continue;
      const member = { id: m.id, name: m.name };
      r.members.set(m.id, member);
      r.ids.splice(lowerBound(r.ids, m.id), 0, m.id);
      this.announce(room, r, 'join', member);
    }
  }

  async leave(room: string, memberIds: string[]): Promise<void> {
    const held = this.state.owned.get(this.owner)?.get(room);
    if (!held) return;
    for (const id of memberIds) if (held.delete(id)) this.release(room, id);
    if (held.size === 0) this.state.owned.get(this.owner)?.delete(room);
  }

  renew(): string {
    const old = this.owner;
    this.owner = newOwnerId(this.appId);
    return old;
  }

  /** One owner's entry for the member is gone: the member leaves when it was the last. */
  private release(room: string, id: string): void {
    const r = this.room(room);
    const n = (r.holders.get(id) ?? 1) - 1;
    if (n > 0) {
      r.holders.set(id, n);
      return;
    }
    r.holders.delete(id);
    const member = r.members.get(id);
    r.members.delete(id);
    const i = lowerBound(r.ids, id);
    if (r.ids[i] === id) r.ids.splice(i, 1);
    if (member) this.announce(room, r, 'leave', member);
    if (r.ids.length === 0) this.state.rooms.delete(room);
  }

  /** What a change publishes, by the room's mode (presence.ts). */
  private announce(room: string, r: RoomPresence, event: 'join' | 'leave', member: Member): void {
    const count = r.ids.length;
    if (!r.large && count > this.mode.largeRoomThreshold) {
      r.large = true;
    } else if (r.large && count <= this.mode.smallAgainAt) {
      r.large = false;
      const members = r.ids.map((id) => r.members.get(id)!);
      this.publish(presenceEntry('s', room, count, presenceFrame({ type: 'presence', room, event: 'sync', count, members })));
      return;
    }
    if (r.large) this.publish(countEntry(room, count));
    else this.publish(presenceEntry('p', room, count, presenceFrame({ type: 'presence', room, event, member, count })));
  }

  async snapshot(room: string, limit: number): Promise<PresenceSnapshot> {
    const r = this.state.rooms.get(room);
    if (!r) return { count: 0, large: false, members: [] };
    return { count: r.ids.length, large: r.large, members: r.ids.slice(0, limit).map((id) => r.members.get(id)!) };
  }

  async page(room: string, after: string | undefined, limit: number): Promise<MembersPage> {
    const r = this.state.rooms.get(room);
    if (!r) return { members: [] };
    let start = after === undefined ? 0 : lowerBound(r.ids, after);
    if (after !== undefined && r.ids[start] === after) start++;
    const ids = r.ids.slice(start, start + limit);
    const members = ids.map((id) => r.members.get(id)!);
    return start + limit < r.ids.length ? { members, next: ids[ids.length - 1] } : { members };
  }

  async heartbeat(): Promise<boolean> {
    const now = this.now();
    const last = this.state.beats.get(this.owner);
    this.state.beats.set(this.owner, now);
    return last === undefined || last < now - this.ttlMs;
  }

  async sweep(): Promise<void> {
    const deadBefore = this.now() - this.ttlMs;
    for (const [owner, beat] of this.state.beats) {
      if (beat >= deadBefore) continue;
      for (const [room, ids] of this.state.owned.get(owner) ?? []) {
        for (const id of ids) this.release(room, id);
      }
      this.state.owned.delete(owner);
      this.state.beats.delete(owner);
    }
  }

  async retire(ms: number, owner = this.owner): Promise<void> {
    if (this.state.beats.has(owner)) this.state.beats.set(owner, this.now() - this.ttlMs + ms - 1);
  }
}
