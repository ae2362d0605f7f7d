/**
 * Cluster-wide presence. Each server holds one entry per (room, member) it serves, with an expiry it
 * keeps pushing forward on a heartbeat. A member is listed while any server holds an entry for them,
 * so two tabs list once and a dead server's members vanish when its entries expire. `join` and
 * `leave` events are published on the bus exactly when a member appears in or disappears from a room.
 */
import type { Member } from '../protocol/messages.js';

export interface Presence {
  /** Adds or refreshes this server's entries; publishes `join` for each member not listed before. */
  join(room: string, members: Member[]): Promise<void>;
  /** Removes this server's entries; publishes `leave` for each member no server lists any more. */
  leave(room: string, memberIds: string[]): Promise<void>;
  /** Lets this server's entries expire after `ms` (on shutdown: a reconnect elsewhere makes no flicker). */
  expireSoon(room: string, memberIds: string[], ms: number): Promise<void>;
  /** Everyone listed in the room, each once; the same answer on every server. */
  members(room: string): Promise<Member[]>;
  /** Removes every expired entry of every server, publishing the leaves. Safe to run on all servers. */
  sweep(): Promise<void>;
}
