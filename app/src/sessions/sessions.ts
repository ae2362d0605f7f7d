/**
 * Sessions: an opaque token from `welcome` that maps to a member {id, name}. `hello` with it on any
 * server gives back the same member. Tokens are random (UUID v4, 122 bits); the store keeps only their
 * SHA-256, so a read of the store (a dump, a replica, a leaked backup) yields no usable token. A new
 * session lives a short first TTL; each use renews it for the full TTL — so a flood of hellos that
 * never come back costs the store little, while a person's session lasts a day after last use.
 */
import { createHash } from 'node:crypto';
import type { Member } from '../protocol/messages.js';

/** Limits every Sessions implementation keeps. */
export interface SessionLimits {
  /** Live sessions per account; one more revokes the oldest. */
  maxPerAccount: number;
  /** A session's absolute lifetime from its creation, in ms. */
  maxAgeMs: number;
}

export const NO_SESSION_LIMITS: SessionLimits = { maxPerAccount: 1_000_000, maxAgeMs: 100 * 365 * 86_400_000 };

export interface StoredSession {
  /** The token's digest (what the store keys it by); `sessions` shows a prefix of it as the id. */
  digest: string;
  /** ms since epoch. */
  created: number;
}

export interface Sessions {
  /**
   * Stores the member under the token, for the first TTL. An account's session (`isAccountId`) is also
   * listed under the account, so it can be listed and revoked; past ACCOUNT_MAX_SESSIONS live sessions
   * the oldest are revoked (published like `revoke`).
   */
  save(token: string, member: Member): Promise<void>;
  /** Gives the session's member another name, keeping its id, creation time and TTL; false when the session is gone. */
  rename(token: string, name: string): Promise<boolean>;
  /**
   * The member for the token, renewing its TTL — never past SESSION_MAX_AGE_SEC after the session was
   * made (a session without a creation time is not renewed); null when unknown, expired or revoked.
   */
  resolve(token: string): Promise<Member | null>;
  /** The account's live sessions, oldest first (expired ones are dropped from the list as it is read). */
  list(memberId: string): Promise<StoredSession[]>;
  /**
   * Deletes the account's sessions — the one whose digest starts with `idPrefix`, or all when absent —
   * and publishes a `k` entry (bus/envelope.ts) for each so every server closes their connections.
   * Returns the digests revoked (none when the prefix matched no session or more than one). With
   * `exceptDigest` (and no prefix), every session but that one (a password change keeps its own).
   */
  revoke(memberId: string, idPrefix?: string, exceptDigest?: string): Promise<string[]>;
}

/** What the store keys a session by: the token's SHA-256, hex. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
