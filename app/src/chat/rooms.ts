/**
 * Who is in which room on this server: the one owner of room membership. Each (room, client) pair is
 * a Subscription with the room's order for that client (the last id written, and the live frames
 * held while its join reads history); each (room, member) counts the member's local connections, so
 * presence leaves only when the last one is gone and the grace period passed.
 *
 * A join is enter → (read presence and history, reply `joined`) → open at `last`, or rollback.
 */
import type { Member } from '../protocol/messages.js';
import type { ChatClient } from './client.js';
import type { PreparedFrame } from './prepared-frame.js';

interface RoomFrame {
  /** Message id, or 0 for frames without one (presence). */
  id: number;
  cid: string | undefined;
  data: PreparedFrame;
}

interface Subscription {
  lastId: number;
  /** Non-null while the join is reading history: live frames wait here. */
  pending: RoomFrame[] | null;
}

interface LocalMember {
  member: Member;
  /** Local connections of this member in the room. */
  connections: number;
  leaveTimer: NodeJS.Timeout | null;
  /** The member is in the store's presence list (this server's entry written). */
  listed: boolean;
  /** The write of that entry, while in flight: a second connection waits for it instead of assuming it. */
  listing: Promise<void> | null;
}

/** Per-room state that fan-out (RoomFeed) keeps: gap repair and the large-room count. */
export interface FeedState {
  /** Highest message id fanned out here; null until the first one is known. */
  lastId: number | null;
  repairing: boolean;
  backlog: Array<{ id: number; cid: string; data: PreparedFrame }>;
  /** The backlog overflowed during a long repair: read history again afterwards. */
  overflowed: boolean;
  /** The subscription came back during a repair: what it lost may be newer than the repair's read. */
  repairAgain: boolean;
  /** The room's history epoch as this server's joins and repairs read it (null: not known yet). */
  epoch: string | null;
  /** A live entry came with an id already passed: the store's last id is being read (its history may have been lost). */
  checking: boolean;
  /** Large room: the newest count from the bus, the last one written, and the pending coalesced write. */
  count: { latest: number; sent: number; sentAt: number; timer: NodeJS.Timeout | null };
}

export class LocalRoom {
  readonly subs = new Map<ChatClient, Subscription>();
  readonly members = new Map<string, LocalMember>();
  readonly feed: FeedState = {
    lastId: null, repairing: false, backlog: [], overflowed: false, repairAgain: false, checking: false, epoch: null, count: { latest: -1, sent: -1, sentAt: 0, timer: null },
  };
  constructor(readonly name: string) {}

  /** Writes a room frame to every local subscriber, each in its own order (no duplicate, no step back). */
  deliver(id: number, cid: string | undefined, data: PreparedFrame): void {
    const frame: RoomFrame = { id, cid, data };
    for (const [client, sub] of this.subs) deliverTo(client, sub, frame);
  }
}

function deliverTo(client: ChatClient, sub: Subscription, f: RoomFrame): void {
  if (sub.pending) {
    sub.pending.push(f);
    return;
  }
  if (f.id > 0) {
    if (f.id <= sub.lastId) return;
    sub.lastId = f.id;
  }
  client.push(f.cid, f.data);
}

/** What `enter` found, for `rollback`. */
export interface Entry {
  /** The member had no local connection in the room: presence must add it. */
  isNewMember: boolean;
  /** The client was already in the room (a re-join): its order to go back to on rollback. */
  previousLastId: number | null;
}

export interface RoomHooks {
  /** The member's last local connection left the room and the grace period passed. */
  onMemberGone(room: string, member: Member): void;
}

export class RoomRegistry {
  private readonly rooms = new Map<string, LocalRoom>();
  private readonly roomsOfClient = new Map<ChatClient, Set<string>>();

  constructor(private readonly graceMs: number, private readonly hooks: RoomHooks) {}

  get(room: string): LocalRoom | undefined {
    return this.rooms.get(room);
  }

  all(): IterableIterator<LocalRoom> {
    return this.rooms.values();
  }

  has(client: ChatClient, room: string): boolean {
    return this.rooms.get(room)?.subs.has(client) ?? false;
  }

  /** How many rooms the client is in. */
  countOf(client: ChatClient): number {
    return this.roomsOfClient.get(client)?.size ?? 0;
  }

  /** Puts the client in the room with live frames held until `open`. */
  enter(name: string, client: ChatClient, member: Member): Entry {
    let room = this.rooms.get(name);
    if (!room) {
      room = new LocalRoom(name);
      this.rooms.set(name, room);
    }
    const previous = room.subs.get(client);
    room.subs.set(client, { lastId: 0, pending: [] });
    if (previous) return { isNewMember: false, previousLastId: previous.lastId };
    let rooms = this.roomsOfClient.get(client);
    if (!rooms) {
      rooms = new Set();
      this.roomsOfClient.set(client, rooms);
    }
    rooms.add(name);
    const local = room.members.get(member.id);
    if (local) {
      local.connections++;
      if (local.leaveTimer) {
        clearTimeout(local.leaveTimer);
        local.leaveTimer = null;
      }
      return { isNewMember: false, previousLastId: null };
    }
    room.members.set(member.id, { member, connections: 1, leaveTimer: null, listed: false, listing: null });
    return { isNewMember: true, previousLastId: null };
  }

  /**
   * Makes sure the member is listed in the store's presence (by `list`), once per local member: a
   * second connection joining while the first one's write is in flight waits for that write, and a
   * failed write is tried again by the next join.
   */
  async ensureListed(name: string, memberId: string, list: () => Promise<void>): Promise<void> {
    const local = this.rooms.get(name)?.members.get(memberId);
    if (!local || local.listed) return;
    local.listing ??= list().then(
      () => { local.listed = true; local.listing = null; },
      (err: unknown) => { local.listing = null; throw err; },
    );
    await local.listing;
  }

  /** Ends a join: messages up to `lastId` went out in `joined`; writes what arrived meanwhile, in order. */
  open(name: string, client: ChatClient, lastId: number): void {
    const sub = this.rooms.get(name)?.subs.get(client);
    if (!sub || !sub.pending) return;
    const pending = sub.pending;
    sub.pending = null;
    sub.lastId = lastId;
    for (const f of pending) deliverTo(client, sub, f);
  }

  /** A join failed: a re-join keeps the membership it had; a first join leaves at once (no grace). */
  rollback(name: string, client: ChatClient, member: Member, entry: Entry): void {
    if (entry.previousLastId !== null) this.open(name, client, entry.previousLastId);
    else this.leave(name, client, member, 0);
  }

  /** Takes the client out of the room; its member leaves presence after the grace period if it was the last local connection. */
  leave(name: string, client: ChatClient, member: Member, graceMs = this.graceMs): void {
    const room = this.rooms.get(name);
    if (!room || !room.subs.delete(client)) return;
    const rooms = this.roomsOfClient.get(client);
    rooms?.delete(name);
    if (rooms?.size === 0) this.roomsOfClient.delete(client);
    const local = room.members.get(member.id);
    if (!local || --local.connections > 0) return;
    const gone = () => {
      if (local.connections > 0) return;
      room.members.delete(member.id);
      if (room.subs.size === 0 && room.members.size === 0) {
        this.rooms.delete(name);
        if (room.feed.count.timer) clearTimeout(room.feed.count.timer);
      }
      this.hooks.onMemberGone(name, member);
    };
    if (graceMs <= 0) gone();
    else {
      local.leaveTimer = setTimeout(gone, graceMs);
      local.leaveTimer.unref();
    }
  }

  /** Takes the client out of every room (it disconnected). */
  leaveAll(client: ChatClient, member: Member, graceMs?: number): void {
    const rooms = this.roomsOfClient.get(client);
    if (!rooms) return;
    for (const name of [...rooms]) this.leave(name, client, member, graceMs);
  }

  /** Every (room, members) this server holds, for presence. */
  *localMembers(): Generator<[string, Member[]]> {
    for (const room of this.rooms.values()) {
      if (room.members.size > 0) yield [room.name, [...room.members.values()].map((m) => m.member)];
    }
  }
}
