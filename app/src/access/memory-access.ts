/**
 * In-process access lists with the Redis implementation's semantics (redis-access.ts), TTLs included,
 * for the embedded node (a single process) and tests. Several instances (one per simulated server)
 * share one MemoryAccessState; MemoryHistory reads it for restricted appends. A change updates the
 * member's room list (MemoryAccountsState) and publishes through the memory bus in the same
 * synchronous step.
 */
import type { Publish } from '../bus/bus.js';
import { removedEntry, roomsEntry } from '../bus/envelope.js';
import { live, type Expiring, type MemoryAccountsState } from '../accounts/memory-accounts.js';
import { roomKind, type Member } from '../protocol/messages.js';
import type { Access, InviteLimits, InviteOffer, PendingInvite, RoomAcl } from './access.js';
import { MemoryInvites, MemoryInvitesState } from './memory-invites.js';

interface AclEntry extends Expiring {
  kind: RoomAcl['kind'];
  title: string;
  owner?: string;
  /** member id -> name */
  members: Map<string, string>;
  /** The room TTL it was written with (a restricted append renews it, like the Redis script). */
  ttlMs: number;
}

export class MemoryAccessState {
  /** lc:{room}:acl + lc:{room}:aclm */
  readonly rooms = new Map<string, AclEntry>();
  /** lc:uinv:<member id> and lc:{room}:acli */
  readonly pending = new MemoryInvitesState();

  /** Is `memberId` on the room's live list? (MemoryHistory's restricted append; renews the list when so.) */
  allows(room: string, memberId: string, now: number): boolean {
    const e = live(this.rooms, room, now);
    if (!e || !e.members.has(memberId)) return false;
    e.expires = now + e.ttlMs;
    return true;
  }

  /** The owner of a private room (none for a DM or a room that is gone). */
  ownerOf(room: string, now: number = Date.now()): string | undefined {
    return live(this.rooms, room, now)?.owner;
  }
}

const byId = (x: [string, string], y: [string, string]) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0);

function view(room: string, e: AclEntry): RoomAcl {
  const acl: RoomAcl = {
    room,
    kind: e.kind,
    title: e.title,
    members: [...e.members].sort(byId).map(([id, name]) => ({ id, name })),
  };
  if (e.owner !== undefined) acl.owner = e.owner;
  return acl;
}

export interface MemoryAccessSettings {
  roomTtlMs: number;
  accountTtlMs: number;
}

export class MemoryAccess implements Access {
  private readonly inv: MemoryInvites;

  constructor(
    private readonly publish: Publish,
    private readonly settings: MemoryAccessSettings,
    private readonly state: MemoryAccessState,
    private readonly accounts: MemoryAccountsState,
    private readonly now: () => number = Date.now,
  ) {
    this.inv = new MemoryInvites(publish, state.pending, now);
  }

  async create(room: string, title: string, owner: Member): Promise<RoomAcl> {
    if (roomKind(room) !== 'private') throw new Error(`not a private room name: ${room}`);
    const now = this.now();
    if (live(this.state.rooms, room, now)) throw new Error(`room exists: ${room}`);
    const e: AclEntry = {
      kind: 'private', title, owner: owner.id, members: new Map([[owner.id, owner.name]]),
      ttlMs: this.settings.roomTtlMs, expires: now + this.settings.roomTtlMs,
    };
    this.state.rooms.set(room, e);
    this.accounts.addToList(owner.id, room, now, this.settings.accountTtlMs);
    this.publish(roomsEntry(owner.id));
    return view(room, e);
  }

  async openDm(room: string, a: Member, b: Member): Promise<RoomAcl> {
    if (roomKind(room) !== 'dm') throw new Error(`not a DM room name: ${room}`);
    const now = this.now();
    let e = live(this.state.rooms, room, now);
    if (!e) {
      e = { kind: 'dm', title: '', members: new Map([[a.id, a.name], [b.id, b.name]]), ttlMs: this.settings.roomTtlMs, expires: 0 };
      this.state.rooms.set(room, e);
      for (const id of new Set([a.id, b.id])) {
        this.accounts.addToList(id, room, now, this.settings.accountTtlMs);
        this.publish(roomsEntry(id));
      }
    }
    e.expires = now + this.settings.roomTtlMs;
    return view(room, e);
  }

  async get(room: string): Promise<RoomAcl | null> {
    const e = live(this.state.rooms, room, this.now());
    return e ? view(room, e) : null;
  }

  async isMember(room: string, memberId: string): Promise<boolean> {
    const now = this.now();
    const e = live(this.state.rooms, room, now);
    if (!e || !e.members.has(memberId)) return false;
    // Only a member's use keeps the room: an outsider probing it does not.
    e.expires = now + this.settings.roomTtlMs;
    return true;
  }

  async invite(room: string, member: Member, maxMembers: number): Promise<RoomAcl | null> {
    const now = this.now();
    const e = live(this.state.rooms, room, now);
    if (!e) return null;
    if (e.kind === 'private' && !e.members.has(member.id) && e.members.size < maxMembers) {
      e.members.set(member.id, member.name);
      e.expires = now + this.settings.roomTtlMs;
      this.accounts.addToList(member.id, room, now, this.settings.accountTtlMs);
      this.publish(roomsEntry(member.id));
    }
    return view(room, e);
  }

  async remove(room: string, memberId: string): Promise<RoomAcl | null> {
    const now = this.now();
    const e = live(this.state.rooms, room, now);
    if (!e) return null;
    if (e.kind === 'private' && memberId !== e.owner && e.members.delete(memberId)) {
      e.expires = now + this.settings.roomTtlMs;
      this.accounts.dropFromList(memberId, room, now, this.settings.accountTtlMs);
      this.publish(removedEntry(room, memberId));
      this.publish(roomsEntry(memberId));
    }
    return view(room, e);
  }

  async part(room: string, memberId: string): Promise<boolean | null> {
    const now = this.now();
    const e = live(this.state.rooms, room, now);
    if (!e) return null;
    if (e.kind !== 'private' || !e.members.has(memberId)) return false;
    if (memberId === e.owner) {
      if (e.members.size > 1) return false;
      this.state.rooms.delete(room);
      this.state.pending.invited.delete(room);
    } else {
      e.members.delete(memberId);
      e.expires = now + this.settings.roomTtlMs;
    }
    this.accounts.dropFromList(memberId, room, now, this.settings.accountTtlMs);
    this.publish(removedEntry(room, memberId));
    this.publish(roomsEntry(memberId));
    return true;
  }

  async offer(invitee: Member, invite: InviteOffer, limits: InviteLimits): Promise<void> {
    this.inv.offer(invitee, invite, limits);
  }

  async pending(memberId: string): Promise<PendingInvite[]> {
    return this.inv.pending(memberId);
  }

  async invited(room: string): Promise<Member[]> {
    return this.inv.invited(room);
  }

  async take(room: string, memberId: string): Promise<PendingInvite | null> {
    return this.inv.take(room, memberId);
  }
}
