/**
 * Accounts: registered usernames with a password hash, the account's room list (public rooms it
 * joined, private rooms and DMs it was let into) and its read markers. The chat layer never sees a
 * password: it hands over the KDF's output (accounts/password.ts) and compares there.
 *
 * An account's member id is `u_<uuid>` (protocol `isAccountId`); guests' ids are bare UUIDs.
 * Usernames are unique by `usernameKey` (protocol/parse.ts): NFKC, invisible characters removed, lower case.
 *
 * Every key expires: an account unused (no sign-in, no session use) for ACCOUNT_TTL_SEC is gone with
 * its room list and read markers.
 */
import type { Member } from '../protocol/messages.js';

export interface AccountRecord {
  /** Member id, `u_<uuid>`. */
  id: string;
  /** As typed at sign-up (after `cleanName`): the member's name. */
  username: string;
  /** The KDF's encoded output (accounts/password.ts), never the password. */
  hash: string;
  /** ms since epoch. */
  created: number;
}

export interface AttemptCount {
  /** Failed attempts in the current window. */
  count: number;
  /** Until the window ends (0 when there is none). */
  retryAfterMs: number;
}

export interface Accounts {
  /** Creates the account unless its username key is taken; false when taken (nothing written). */
  create(key: string, rec: AccountRecord): Promise<boolean>;
  /** The account by username key (renews its TTL); null when unknown. */
  find(key: string): Promise<AccountRecord | null>;
  /** The account's member by id; null when unknown. */
  byId(id: string): Promise<Member | null>;
  /** Is this username key registered? (A guest's name may not be one.) */
  isRegistered(key: string): Promise<boolean>;
  /** Keeps the account and its room list and read markers for another ACCOUNT_TTL_SEC (on sign-in and session use). */
  touch(id: string, key: string): Promise<void>;

  /** Failed sign-in attempts counted under `key` (an account's or an address's) in its window. */
  attempts(key: string): Promise<AttemptCount>;
  /**
   * Counts one failed attempt under `key` (the window starts with the first and lasts `windowMs`) and
   * returns the count with it. Sign-in counts each attempt *before* checking the password, so
   * concurrent guesses cannot all pass the limit; a success is then `forgive`n.
   */
  failed(key: string, windowMs: number): Promise<AttemptCount>;
  /** Takes back one attempt counted ahead (it succeeded). */
  forgive(key: string): Promise<void>;
  /** Replaces the password hash of the account at `key` if it is still the account `id`; false when not. */
  setHash(key: string, id: string, hash: string): Promise<boolean>;

  /** The account's rooms, most recently added first. */
  rooms(id: string): Promise<string[]>;
  /**
   * Adds a public room to the account's list, or moves it to the front when there (the oldest public rooms fall
   * off past ACCOUNT_MAX_ROOMS public rooms; private rooms and DMs neither count nor fall off). Publishes nothing.
   */
  addRoom(id: string, room: string): Promise<void>;
  /** Takes a room off the account's list. Publishes nothing. */
  dropRoom(id: string, room: string): Promise<void>;

  /** Read markers: room -> last id read. */
  reads(id: string): Promise<Record<string, number>>;
  /**
   * Moves the account's marker for `room` up to `msgId` (never down) and, when it moved, publishes an
   * `r` entry (bus/envelope.ts) so the account's connections on every server learn it. Returns the marker.
   */
  markRead(id: string, room: string, msgId: number): Promise<number>;

  /** Message `msgId` of `room` names the account: kept (the newest MENTIONS_KEPT per room) for its unread-mention count. */
  addMention(id: string, room: string, msgId: number): Promise<void>;
  /** The ids of the messages that named the account, per room (the newest MENTIONS_KEPT each). */
  mentions(id: string): Promise<Record<string, number[]>>;
}

/** Mentions kept per account and room: enough for a badge ("20+"), bounded whatever happens. */
export const MENTIONS_KEPT = 20;
