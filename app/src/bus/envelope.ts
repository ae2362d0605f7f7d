/**
 * What travels on the bus and sits in history: a one-line header a server can read without parsing
 * JSON, then the finished client frame. The header carries what fan-out needs (room first, for a
 * cheap early exit; a message's id, ts and cid), so no server ever parses or pattern-matches a frame.
 *
 *   m <room> <id> <ts> <cid as a JSON string>\n<message frame>   a chat message (also the history entry)
 *   e <room> <id> <ts> <cid as a JSON string>\n<update frame>    a change to a message (an entry of the room's log like m)
 *   t <room>\n<frame>                                           a frame for a room's members, published only, never stored
 *   y <room> <1|0>\n<member JSON>                               a member typing (1) or stopped (0): published only; each
 *                                                               server keeps the room's typers and writes `typing` frames
 *   p <room> <count>\n<presence frame>                          a member joined or left a small room
 *   s <room> <count>\n<presence sync frame>                     the room became small again: the whole list
 *   c <room> <count>                                            a large room's count changed
 *   x <room> <member id>                                        the member was removed from a private room
 *   k <member id> <session digest>                              the account's session was revoked: close its connections
 *   u <member id>                                               the account's room list changed
 *   r <member id> <room> <id>                                   the account's read marker for the room moved
 *
 * `m` and `e` are the room's log: each has the room's next id, is stored and published in one step, and
 * fan-out delivers them in id order (gap repair included). `t` goes to the room's members as it is.
 *
 * This module is the one place that knows the layout. Stores that build entries in a script get it as
 * a template (`messageEntryTemplate`) and only fill in the holes.
 */
import { asFrame, MESSAGE_TS_JOIN, messageParts, updateParts, type Frame, type UpdateChange } from '../protocol/encode.js';
import type { Attachment, Member } from '../protocol/messages.js';

/** What a stored entry of a room's log is: a message, or an update of one (an edit, a deletion, a reaction). */
export type EntryKind = 'message' | 'update';
const ENTRY_HEADER: Record<string, EntryKind> = { m: 'message', e: 'update' };

/** An entry of a room's log as the bus carries it. */
export interface EntryEvent<K extends EntryKind = EntryKind> { kind: K; room: string; id: number; ts: number; cid: string; frame: Frame }

export type BusEvent =
  | EntryEvent<'message'>
  | EntryEvent<'update'>
  | { kind: 'transient'; room: string; frame: Frame }
  | { kind: 'typing'; room: string; member: Member; typing: boolean }
  | { kind: 'presence'; room: string; count: number; frame: Frame }
  | { kind: 'sync'; room: string; count: number; frame: Frame }
  | { kind: 'count'; room: string; count: number };

/** Entries about one account (`k`, `u`, `r`) and removals from a private room (`x`): no client frame inside. */
export type AccountEvent =
  | { kind: 'removed'; room: string; member: string }
  | { kind: 'revoked'; member: string; session: string }
  | { kind: 'rooms'; member: string }
  | { kind: 'read'; member: string; room: string; id: number };

/** A stored message: its id and cid, and the `message` frame exactly as clients receive it. */
export interface StoredMessage {
  id: number;
  cid: string;
  json: Frame;
}

/** An entry of a room's log: a message or an update, with its frame exactly as clients receive it. */
export interface StoredEntry extends StoredMessage {
  kind: EntryKind;
}

/**
 * A message entry with holes for what the store assigns: entry = t[0] + id + t[1] + ts + t[2] + id + t[3] + ts + t[4].
 * The id and ts appear twice: in the header and in the frame.
 */
export type EntryTemplate = [string, string, string, string, string];

export function messageEntryTemplate(
  room: string, from: Member, text: string, cid: string, via: string, mentions: readonly string[] = [], attachments: readonly Attachment[] = [],
): EntryTemplate {
  const parts = messageParts(room, from, text, cid, via, mentions, attachments);
  return [`m ${room} `, ' ', ` ${JSON.stringify(cid)}\n${parts.head}`, MESSAGE_TS_JOIN, parts.tail];
}

/**
 * An update entry with holes for what the store assigns: entry = t[0] + id + t[1] + ts + t[2] + id + t[3] + ts + t[4] + x + t[5]
 * (x: the edit's editedAt, the reaction's count, or '' for a deletion; protocol/encode.ts UpdateParts).
 */
export type UpdateTemplate = [string, string, string, string, string, string];

export function updateEntryTemplate(room: string, target: number, from: Member, via: string, cid: string, change: UpdateChange): UpdateTemplate {
  const parts = updateParts(room, target, from, via, cid, change);
  return [`e ${room} `, ' ', ` ${JSON.stringify(cid)}\n${parts.head}`, MESSAGE_TS_JOIN, parts.mid, parts.tail];
}

export function fillUpdate(t: UpdateTemplate, id: number, ts: number, x: number | ''): string {
  return `${t[0]}${id}${t[1]}${ts}${t[2]}${id}${t[3]}${ts}${t[4]}${x}${t[5]}`;
}

/** Fills a template's holes (what the Redis script does in Lua). */
export function fillEntry(t: EntryTemplate, id: number, ts: number): string {
  return `${t[0]}${id}${t[1]}${ts}${t[2]}${id}${t[3]}${ts}${t[4]}`;
}

/** `p`/`s` entries: the header for a presence frame with a count. */
export function presenceEntry(kind: 'p' | 's', room: string, count: number, frame: Frame): string {
  return `${kind} ${room} ${count}\n${frame}`;
}

/** A `t` entry: a frame for the room's members, published only. */
export function transientEntry(room: string, frame: Frame): string {
  return `t ${room}\n${frame}`;
}

/** A `y` entry: the member is typing in the room, or stopped. */
export function typingEntry(room: string, member: Member, typing: boolean): string {
  return `y ${room} ${typing ? 1 : 0}\n${JSON.stringify({ id: member.id, name: member.name })}`;
}

export function countEntry(room: string, count: number): string {
  return `c ${room} ${count}`;
}

export const removedEntry = (room: string, member: string) => `x ${room} ${member}`;
export const revokedEntry = (member: string, digest: string) => `k ${member} ${digest}`;
export const roomsEntry = (member: string) => `u ${member}`;
export const readEntry = (member: string, room: string, id: number) => `r ${member} ${room} ${id}`;

/** A decimal integer field (what the stores write); NaN for anything else: empty, signed, hex, exponent. */
function decimal(s: string): number {
  return /^[0-9]{1,15}$/.test(s) ? Number(s) : NaN;
}

/** Reads an `x`/`k`/`u`/`r` entry: one line of space-separated fields. Null for anything else. */
export function decodeAccountEntry(payload: string): AccountEvent | null {
  if (payload.length < 3 || payload[1] !== ' ' || payload.includes('\n')) return null;
  const f = payload.slice(2).split(' ');
  if (f.some((x) => x === '')) return null;
  switch (payload[0]) {
    case 'x': return f.length === 2 ? { kind: 'removed', room: f[0], member: f[1] } : null;
    case 'k': return f.length === 2 ? { kind: 'revoked', member: f[0], session: f[1] } : null;
    case 'u': return f.length === 1 ? { kind: 'rooms', member: f[0] } : null;
    case 'r': {
      if (f.length !== 3) return null;
      const id = decimal(f[2]);
      return Number.isNaN(id) ? null : { kind: 'read', member: f[0], room: f[1], id };
    }
    default: return null;
  }
}

/** True for the kinds `decodeAccountEntry` reads (checked on the first character, before any decoding). */
export const isAccountEntry = (payload: string): boolean => 'xkur'.includes(payload[0] ?? ' ') && payload[1] === ' ';

/** Reads a bus payload or history entry; null when it is not one of ours (logged by the caller). */
export function decodeEntry(payload: string): BusEvent | null {
  const nl = payload.indexOf('\n');
  const header = nl < 0 ? payload : payload.slice(0, nl);
  const s1 = header.indexOf(' ');
  const s2 = header.indexOf(' ', s1 + 1);
  if (s1 !== 1) return null;
  const room = header.slice(2, s2 < 0 ? undefined : s2);
  switch (header[0]) {
    case 'm':
    case 'e': {
      if (nl < 0 || s2 < 0) return null;
      const s3 = header.indexOf(' ', s2 + 1);
      const s4 = header.indexOf(' ', s3 + 1);
      if (s3 < 0 || s4 < 0) return null;
      const id = decimal(header.slice(s2 + 1, s3));
      const ts = decimal(header.slice(s3 + 1, s4));
      let cid: unknown;
      try {
        cid = JSON.parse(header.slice(s4 + 1));
      } catch {
        return null;
      }
      if (!(id >= 1) || Number.isNaN(ts) || typeof cid !== 'string') return null;
      return { kind: ENTRY_HEADER[header[0]], room, id, ts, cid, frame: asFrame(payload.slice(nl + 1)) };
    }
    case 'p':
    case 's': {
      const count = decimal(header.slice(s2 + 1));
      if (nl < 0 || s2 < 0 || Number.isNaN(count)) return null;
      return { kind: header[0] === 'p' ? 'presence' : 'sync', room, count, frame: asFrame(payload.slice(nl + 1)) };
    }
    case 't':
      if (nl < 0 || s2 >= 0) return null;
      return { kind: 'transient', room, frame: asFrame(payload.slice(nl + 1)) };
    case 'y': {
      const flag = header.slice(s2 + 1);
      if (nl < 0 || s2 < 0 || (flag !== '0' && flag !== '1')) return null;
      let m: unknown;
      try {
        m = JSON.parse(payload.slice(nl + 1));
      } catch {
        return null;
      }
      const { id, name } = (m ?? {}) as Record<string, unknown>;
      if (typeof id !== 'string' || typeof name !== 'string') return null;
      return { kind: 'typing', room, member: { id, name }, typing: flag === '1' };
    }
    case 'c': {
      const count = decimal(header.slice(s2 + 1));
      if (s2 < 0 || Number.isNaN(count)) return null;
      return { kind: 'count', room, count };
    }
    default:
      return null;
  }
}

/** A history entry as a StoredMessage; null when the entry is damaged or not a message. */
export function storedMessage(entry: string): StoredMessage | null {
  const e = decodeEntry(entry);
  return e && e.kind === 'message' ? { id: e.id, cid: e.cid, json: e.frame } : null;
}

/** A history entry (message or update) as a StoredEntry; null when the entry is damaged. */
export function storedEntry(entry: string): StoredEntry | null {
  const e = decodeEntry(entry);
  return e && (e.kind === 'message' || e.kind === 'update') ? { kind: e.kind, id: e.id, cid: e.cid, json: e.frame } : null;
}
