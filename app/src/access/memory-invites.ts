/**
 * In-process pending invites with the Redis implementation's semantics (redis-invites.ts): per account
 * (lc:uinv:<id>) and, as the owner's index, per room (lc:{room}:acli), in MemoryAccessState.
 */
import type { Publish } from '../bus/bus.js';
import { roomsEntry } from '../bus/envelope.js';
import { live, type Expiring } from '../accounts/memory-accounts.js';
import type { Member } from '../protocol/messages.js';
import type { InviteLimits, InviteOffer, PendingInvite } from './access.js';

/** Part of MemoryAccessState: one field per Redis key family. */
export class MemoryInvitesState {
  /** lc:uinv:<member id>: room -> pending invite */
  readonly invites = new Map<string, { list: Map<string, PendingInvite> } & Expiring>();
  /** lc:{room}:acli: member id -> pending invitee */
  readonly invited = new Map<string, { list: Map<string, { name: string; expires: number }> } & Expiring>();
}

export class MemoryInvites {
  constructor(private readonly publish: Publish, private readonly state: MemoryInvitesState, private readonly now: () => number) {}

  offer(invitee: Member, invite: InviteOffer, limits: InviteLimits): void {
    const now = this.now();
    const s = this.state;
    let mine = live(s.invites, invitee.id, now);
    if (!mine) {
      mine = { list: new Map(), expires: 0 };
      s.invites.set(invitee.id, mine);
    }
    mine.list.delete(invite.room);
    for (const i of [...mine.list.values()]) if (i.expires <= now) this.drop(i.room, invitee.id, mine.list);
    const top = [...mine.list.values()].reduce((t, i) => Math.max(t, i.at), 0);
    const at = Math.max(now, top + 1);
    mine.list.set(invite.room, { ...invite, at, expires: now + limits.ttlMs });
    const oldest = [...mine.list.values()].sort((x, y) => x.at - y.at);
    for (let i = 0; i < oldest.length - limits.max; i++) this.drop(oldest[i].room, invitee.id, mine.list);
    mine.expires = now + limits.ttlMs;
    let theirs = live(s.invited, invite.room, now);
    if (!theirs) {
      theirs = { list: new Map(), expires: 0 };
      s.invited.set(invite.room, theirs);
    }
    theirs.list.set(invitee.id, { name: invitee.name, expires: now + limits.ttlMs });
    theirs.expires = now + limits.ttlMs;
    this.publish(roomsEntry(invitee.id));
  }

  /** Drops the invite from the account's list and from the room's index. */
  private drop(room: string, memberId: string, list: Map<string, PendingInvite>): void {
    list.delete(room);
    live(this.state.invited, room, this.now())?.list.delete(memberId);
  }

  pending(memberId: string): PendingInvite[] {
    const now = this.now();
    const mine = live(this.state.invites, memberId, now);
    return mine ? [...mine.list.values()].filter((i) => i.expires > now).sort((x, y) => y.at - x.at).map((i) => ({ ...i, from: { ...i.from } })) : [];
  }

  invited(room: string): Member[] {
    const now = this.now();
    const theirs = live(this.state.invited, room, now);
    if (!theirs) return [];
    return [...theirs.list].filter(([, v]) => v.expires > now).map(([id, v]) => ({ id, name: v.name })).sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  }

  take(room: string, memberId: string): PendingInvite | null {
    const now = this.now();
    live(this.state.invited, room, now)?.list.delete(memberId);
    const mine = live(this.state.invites, memberId, now);
    const inv = mine?.list.get(room);
    if (!mine || !inv) return null;
    mine.list.delete(room);
    this.publish(roomsEntry(memberId));
    return inv.expires > now ? { ...inv, from: { ...inv.from } } : null;
  }
}
