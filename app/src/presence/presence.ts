/**
 * Cluster-wide presence. Each server (an *owner*: its APPID plus a boot id, so a restarted server is a
 * new owner) holds one entry per (room, member) it serves. A member is listed while any owner holds an
 * entry, so two tabs list once; the member's first entry publishes the join, its last the leave.
 *
 * Costs follow what changed: a join or leave touches one room's keys (O(log n)); `count` is O(1); a
 * page of the list is O(page). Liveness is per owner, not per entry: a heartbeat is one write per
 * server, and the sweep visits only the entries of owners that stopped beating.
 *
 * Large rooms (protocol "Large rooms"): the room's mode is kept with its members and changed in the
 * same atomic step as a join or leave, so every server sees the same mode in the same bus order:
 * - small: each join/leave publishes a `p` entry (presence frame with the member and the count);
 * - past `threshold` members the room turns large: joins/leaves publish only the count (`c` entries,
 *   which servers coalesce to at most one frame a second);
 * - at or below `smallAgain` (hysteresis) it turns small: one `s` entry with the whole list.
 */
import { randomBytes } from 'node:crypto';
import type { Member } from '../protocol/messages.js';

/** A server process as a presence owner: its APPID and a boot id (a new one after it was counted gone). */
export function newOwnerId(appId: string): string {
  return `${appId}#${randomBytes(4).toString('hex')}`;
}

export interface PresenceSnapshot {
  /** Members in the room, each once. */
  count: number;
  /** The room is in large mode (counts instead of join/leave events). */
  large: boolean;
  /** The first members in ascending id, at most the limit asked for. */
  members: Member[];
}

export interface MembersPage {
  /** Ascending id, every one after `after`. */
  members: Member[];
  /** The id to pass as `after` for the next page; absent on the last. */
  next?: string;
}

export interface RoomModeSettings {
  /** A room with more members than this is large. */
  largeRoomThreshold: number;
  /** A large room turns small again at this many members or fewer. */
  smallAgainAt: number;
}

export interface Presence {
  /** Adds this owner's entries (idempotent: a member it already holds changes nothing). */
  join(room: string, members: Member[]): Promise<void>;
  /**
   * Removes this owner's entries; a member no owner holds any more leaves. `lastLocal`: this server
   * has no member left in the room, so the owner stops listing the room for the sweep.
   */
  leave(room: string, memberIds: string[], lastLocal?: boolean): Promise<void>;
  /** The count and the first `limit` members, read in one atomic step. */
  snapshot(room: string, limit: number): Promise<PresenceSnapshot>;
  /** A page of the list in ascending member id, after the member id `after`. */
  page(room: string, after: string | undefined, limit: number): Promise<MembersPage>;
  /**
   * Marks this owner alive. Resolves true when the owner had been missing or stale (it is new, or
   * others may have swept its entries): the caller must then re-assert its members with `join`.
   */
  heartbeat(): Promise<boolean>;
  /**
   * Makes this server a new owner (a new boot id) and returns the old one. After it was counted gone,
   * others may be sweeping the old owner's entries: re-asserting under a new owner cannot race that.
   */
  renew(): string;
  /** Removes every entry of owners whose last heartbeat is older than the TTL. Safe on all servers at once. */
  sweep(): Promise<void>;
  /** The owner (this one by default) counts as gone `ms` from now, when any live server's sweep removes its entries. */
  retire(ms: number, owner?: string): Promise<void>;
}
