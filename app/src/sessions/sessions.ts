/**
 * Sessions: an opaque token from `welcome` that maps to a member {id, name}. `hello` with it on any
 * server gives back the same member. Tokens are random (UUID v4, 122 bits) and expire after a TTL
 * that each use renews.
 */
import type { Member } from '../protocol/messages.js';

export interface Sessions {
  /** Stores the member under the token. */
  save(token: string, member: Member): Promise<void>;
  /** The member for the token, renewing its TTL; null when unknown or expired. */
  resolve(token: string): Promise<Member | null>;
}
