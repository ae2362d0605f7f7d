/**
 * Room history: the per-room sequence of messages with contiguous ids (1, 2, 3, …), bounded to
 * the newest N. `append` is the one atomic step behind every send: dedup by cid, take the next id,
 * store, and publish on the bus — store and publish are one operation, so the channel carries a
 * room's messages in id order and nothing is published that is not stored. When it resolves the
 * message is stored and published ("ack means stored").
 */
import type { StoredMessage } from '../bus/envelope.js';
import type { Member } from '../protocol/messages.js';

export type { StoredMessage };

export interface AppendInput {
  room: string;
  cid: string;
  from: Member;
  text: string;
  /** APPID of the server accepting it. */
  via: string;
  /**
   * A private room or DM: the store checks, in the same atomic step as the append, that `from` is on
   * the room's access list (access/access.ts), and throws ForbiddenError when not.
   */
  restricted?: boolean;
}

export interface AppendResult {
  id: number;
  ts: number;
  /** True when this cid was seen before: the stored id is returned and nothing is published again. */
  duplicate: boolean;
}

export interface ResumeResult {
  /** Ascending by id. */
  messages: StoredMessage[];
  /** Id of the newest message in the room (0 when none). */
  last: number;
  /** True when `after` was older than the oldest message still kept. */
  truncated: boolean;
}

export interface PageQuery {
  before?: number;
  after?: number;
  limit: number;
}

export interface History {
  /** Stores the message and publishes it on the bus, atomically; a repeated cid publishes nothing. */
  append(input: AppendInput): Promise<AppendResult>;
  /**
   * For a join: with `after`, every kept message with id > after; without, the newest `latest`.
   * Reads the room's last id in the same atomic step.
   */
  resume(room: string, after: number | undefined, latest: number): Promise<ResumeResult>;
  /** A page for `history`: before/after a given id or the newest, ascending, at most `limit`. */
  page(room: string, query: PageQuery): Promise<StoredMessage[]>;
  /** Each room's newest message id (0 for a room with none), in the order asked, in one round trip. */
  lastIds(rooms: string[]): Promise<number[]>;
}
