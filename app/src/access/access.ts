/**
 * Who may be in a private room or a DM (protocol roomKind: `p--…` and `dm--…`): the room's access
 * list, kept beside its other keys. The list is the authority: a join, a `history`, a `members`, a
 * `room` request and every `send` (inside the history store's append step) check it.
 *
 * Changes publish on the bus in the same atomic step (bus/envelope.ts):
 * - `u <member>`: the member's room list changed (invited, removed, a new DM) — its connections get a fresh `rooms`;
 * - `x <room> <member>`: the member was removed — every server takes its connections out of the room at once.
 * The member's room list (Accounts.rooms) is updated in the same step.
 *
 * Pending invites (`offer`) are not membership: they live with the invitee (lc:uinv:<id>, at most
 * `max` — the oldest dropped — each lapsing at its `expires`) and, as an index the owner reads, with
 * the room (lc:{room}:acli). Accepting is `take` (the invite goes) then `invite` or `openDm`.
 *
 * Access lists expire with their room (ROOM_TTL_SEC after the last activity); `isMember` renews them.
 */
import type { Member, RoomKind } from '../protocol/messages.js';

export interface RoomAcl {
  room: string;
  kind: Exclude<RoomKind, 'public'>;
  /** Private: the title the owner gave it. DM: empty (each side shows the other's name). */
  title: string;
  /** The owner's member id (private rooms; a DM has none). */
  owner?: string;
  /** Ascending member id; the owner included. */
  members: Member[];
}

/** A pending invite as its invitee sees it. */
export interface PendingInvite {
  room: string;
  kind: RoomAcl['kind'];
  /** Private: the room's title; DM: empty (the page shows `from`). */
  title: string;
  /** Who invited (a DM's opener). */
  from: Member;
  /** When it was made (ms since epoch; strictly increasing within one account's invites). */
  at: number;
  /** When it lapses (ms since epoch). */
  expires: number;
}

/** Bounds of an account's pending invites: at most `max` (the oldest dropped), each for `ttlMs`. */
export interface InviteLimits {
  max: number;
  ttlMs: number;
}

/** An invite to make: to `room` (`kind`, `title`), from `from`. */
export type InviteOffer = Pick<PendingInvite, 'room' | 'kind' | 'title' | 'from'>;

export interface Access {
  /** Makes a private room owned by `owner` (its first member). Throws when the room exists (or the name is not `p--…`). */
  create(room: string, title: string, owner: Member): Promise<RoomAcl>;
  /** The DM of exactly `a` and `b`, made on first use (idempotent); `u` for both when made. Throws for a name that is not `dm--…`. */
  openDm(room: string, a: Member, b: Member): Promise<RoomAcl>;
  get(room: string): Promise<RoomAcl | null>;
  /** Is `memberId` on the room's list? Renews the list's TTL. False for a room that does not exist. */
  isMember(room: string, memberId: string): Promise<boolean>;
  /**
   * Adds the member (private rooms; at most `maxMembers`); null when the room does not exist. Publishes `u` when added.
   * Returns the list as it is after the step: unchanged when full, already on, or a DM.
   */
  invite(room: string, member: Member, maxMembers: number): Promise<RoomAcl | null>;
  /**
   * Takes the member off (private rooms); publishes `x` then `u` when it was on. Null when the room does not exist.
   * The owner is never taken off (nor anyone from a DM): the list comes back unchanged and nothing is published.
   */
  remove(room: string, memberId: string): Promise<RoomAcl | null>;
  /**
   * Takes the member off a private room of its own accord; publishes `x` then `u`. The owner may part only
   * when it is the last member: the room's access list (and its pending invites) then goes. False when it
   * did not part (not a member, a DM, the owner with others left); null when the room does not exist.
   */
  part(room: string, memberId: string): Promise<boolean | null>;
  /**
   * Records a pending invite for `invitee` (one per room: a repeat renews it), dropping the invitee's
   * lapsed invites and its oldest beyond `limits.max`. Publishes `u` for the invitee. Not membership.
   */
  offer(invitee: Member, invite: InviteOffer, limits: InviteLimits): Promise<void>;
  /** The account's live pending invites, newest first (at most the `max` it was offered with). */
  pending(memberId: string): Promise<PendingInvite[]>;
  /** The members with a live pending invite to the room, ascending id. */
  invited(room: string): Promise<Member[]>;
  /**
   * Removes the member's invite to the room (accepted, declined or cancelled) from both sides and
   * returns it (null when there was no live one). Publishes `u` for the member when it had one.
   */
  take(room: string, memberId: string): Promise<PendingInvite | null>;
}
