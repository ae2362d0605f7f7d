/**
 * Room history: each room's log of entries with contiguous ids (1, 2, 3, …), bounded to the newest
 * N messages. An entry is a message or (shared/PROTOCOL.md "Message lifecycle") an update of one.
 * `append` is the one atomic step behind every stored room event: dedup by cid, take the next id,
 * store, and publish on the bus — store and publish are one operation, so the channel carries a
 * room's entries in id order and nothing is published that is not stored. When it resolves the
 * entry is stored and published ("ack means stored").
 *
 * `append` takes a typed entry (`EntryInput`); each kind is one atomic step of the store's, which
 * also checks, inside that step, whatever decides whether the entry may be written (a private room's
 * access list today; a message's author for an edit next).
 */
import { randomBytes } from 'node:crypto';
import type { StoredEntry, StoredMessage } from '../bus/envelope.js';
import type { Attachment, Member } from '../protocol/messages.js';

export type { StoredEntry, StoredMessage };

/** A new message. */
export interface AppendInput {
  kind?: 'message';
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
  /** The id of a message of the room this one answers: its author and current text are quoted. */
  replyTo?: number;
  /** Member ids the text names (resolved by the chat layer), carried on the message. */
  mentions?: string[];
  /** Files sent with it, checked and committed (chat/attachments.ts), with URLs signed for now. */
  attachments?: Attachment[];
}

/** What every change of a message carries: who (`from`, via which server), under which cid, in which room. */
interface ChangeBase {
  room: string;
  cid: string;
  from: Member;
  via: string;
  restricted?: boolean;
  /** The message changed. */
  target: number;
}
/** Only the author may edit. */
export interface EditInput extends ChangeBase { kind: 'edit'; text: string }
/** The author, or a private room's owner, may delete. The text goes from storage; a tombstone stays. */
export interface DeleteInput extends ChangeBase { kind: 'delete' }
/** Anyone in the room; one member's second `on` (or an `off` of what it does not have) changes nothing. */
export interface ReactInput extends ChangeBase { kind: 'react'; emoji: string; on: boolean }
export type ChangeInput = EditInput | DeleteInput | ReactInput;

/** Every kind of entry a room's log takes: a message, or an update of one. */
export type EntryInput = AppendInput | ChangeInput;

/** A new message (no `kind`, or `message`), not a change of one. */
export const isMessageInput = (input: EntryInput): input is AppendInput => input.kind === undefined || input.kind === 'message';

export interface AppendResult {
  id: number;
  ts: number;
  /** True when this cid was seen before: the stored id is returned and nothing is published again. */
  duplicate: boolean;
  /**
   * The change changed nothing (a second reaction with the same emoji, removing one that was not
   * there): no entry was made or published; `id` is the room's newest entry id.
   */
  noop?: boolean;
}

export interface ResumeResult {
  /** Ascending by id: with `after`, every kept entry (messages and updates); without, the newest messages. */
  entries: StoredEntry[];
  /** Id of the newest message in the room (0 when none). */
  last: number;
  /** True when `after` was older than the oldest message still kept. */
  truncated: boolean;
  /**
   * (A join's resume only.) The room's history epoch: a unique id made with the room's log (docs/protocol.md,
   * "History epoch"); a new one means the log was lost and its ids start again from 1.
   */
  epoch?: string;
  /**
   * (A join's resume with the client's `epoch` only.) The history the client had is gone (another epoch, or
   * `after` beyond the room's last id): `entries` is the newest `latest` messages, as without `after`.
   */
  reset?: boolean;
}

/**
 * A new history epoch: unique, not secret. Every append offers one (kept only when the room has none),
 * so it is a random per-process prefix and a counter rather than a random draw each time (25 µs a
 * message, measured): 12 random URL-safe characters, then the counter in base 36.
 */
const EPOCH_PREFIX = randomBytes(9).toString('base64url');
let epochCount = 0;
export const newEpoch = (): string => EPOCH_PREFIX + (epochCount++).toString(36);

/** What a join tells its resume: the epoch the client last saw the room in, if it says. */
export interface JoinResume {
  epoch?: string;
}

export interface PageQuery {
  before?: number;
  after?: number;
  limit: number;
}

export interface History {
  /** Stores the entry and publishes it on the bus, atomically; a repeated cid publishes nothing. */
  append(input: EntryInput): Promise<AppendResult>;
  /**
   * For a join: with `after`, every kept entry with id > after; without, the newest `latest` messages.
   * Reads the room's last id in the same atomic step. With `join` (a member's join), the room's epoch too,
   * made when the room has none yet; and when `join.epoch` is given with `after` and the history it
   * names is gone, answers as without `after`, with `reset`.
   */
  resume(room: string, after: number | undefined, latest: number, join?: JoinResume): Promise<ResumeResult>;
  /** A page of messages for `history`: before/after a given id or the newest, ascending, at most `limit`. */
  page(room: string, query: PageQuery): Promise<StoredEntry[]>;
  /** Each room's newest entry id (0 for a room with none), in the order asked, in one round trip. */
  lastIds(rooms: string[]): Promise<number[]>;
  /** Each room's kept messages (not updates) with an id above the given one, in the order asked: unread counts. */
  countAfter(rooms: ReadonlyArray<[room: string, after: number]>): Promise<number[]>;
}
