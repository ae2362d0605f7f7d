/**
 * Pending invites and parting (protocol extension, docs/protocol.md "Invites, parting, and who may
 * open a DM"). Types only, importing nothing, so messages.ts can use them.
 */
/** Accepts a pending invite to a private room or DM: `room`, and a fresh `rooms` pushed to the account. */
export interface AcceptRequest { type: 'accept'; room: string }
/** Declines a pending invite: `rooms` (without it). */
export interface DeclineRequest { type: 'decline'; room: string }
/** Leaves a private room for good (off its access list, on every server): `rooms`. */
export interface PartRequest { type: 'part'; room: string }
export type InviteRequests = AcceptRequest | DeclineRequest | PartRequest;

/** A pending invite as `rooms` lists it (newest first). */
export interface InviteSummary {
  room: string;
  kind: 'private' | 'dm';
  /** Private: the room's title; DM: the name of who opened it. */
  title: string;
  /** Who invited. */
  from: { id: string; name: string };
  /** When it was made, and when it lapses (ms since epoch). */
  at: number;
  expires: number;
}
