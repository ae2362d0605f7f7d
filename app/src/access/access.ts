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
}
