/**
 * What travels on the bus and sits in history: a one-line header a server can read without parsing
 * JSON, then the finished client frame. The header carries what fan-out needs (room first, for a
 * cheap early exit; a message's id, ts and cid), so no server ever parses or pattern-matches a frame.
 *
 *   m <room> <id> <ts> <cid as a JSON string>\n<message frame>   a chat message (also the history entry)
 *   p <room> <count>\n<presence frame>                          a member joined or left a small room
 *   s <room> <count>\n<presence sync frame>                     the room became small again: the whole list
 *   c <room> <count>                                            a large room's count changed
 *
 * This module is the one place that knows the layout. Stores that build entries in a script get it as
 * a template (`messageEntryTemplate`) and only fill in the holes.
 */
import { asFrame, MESSAGE_TS_JOIN, messageParts, type Frame } from '../protocol/encode.js';
import type { Member } from '../protocol/messages.js';

export type BusEvent =
  | { kind: 'message'; room: string; id: number; ts: number; cid: string; frame: Frame }
  | { kind: 'presence'; room: string; count: number; frame: Frame }
  | { kind: 'sync'; room: string; count: number; frame: Frame }
  | { kind: 'count'; room: string; count: number };

/** A stored message: its id and cid, and the `message` frame exactly as clients receive it. */
export interface StoredMessage {
  id: number;
  cid: string;
  json: Frame;
}

/**
 * A message entry with holes for what the store assigns: entry = t[0] + id + t[1] + ts + t[2] + id + t[3] + ts + t[4].
 * The id and ts appear twice: in the header and in the frame.
 */
export type EntryTemplate = [string, string, string, string, string];

export function messageEntryTemplate(room: string, from: Member, text: string, cid: string, via: string): EntryTemplate {
  const parts = messageParts(room, from, text, cid, via);
  return [`m ${room} `, ' ', ` ${JSON.stringify(cid)}\n${parts.head}`, MESSAGE_TS_JOIN, parts.tail];
}

/** Fills a template's holes (what the Redis script does in Lua). */
export function fillEntry(t: EntryTemplate, id: number, ts: number): string {
  return `${t[0]}${id}${t[1]}${ts}${t[2]}${id}${t[3]}${ts}${t[4]}`;
}

/** `p`/`s` entries: the header for a presence frame with a count. */
export function presenceEntry(kind: 'p' | 's', room: string, count: number, frame: Frame): string {
  return `${kind} ${room} ${count}\n${frame}`;
}

export function countEntry(room: string, count: number): string {
  return `c ${room} ${count}`;
}

/** A decimal integer field (what the stores write); NaN for anything else: empty, signed, hex, exponent. */
function decimal(s: string): number {
  return /^[0-9]{1,15}$/.test(s) ? Number(s) : NaN;
}

/** Reads a bus payload or history entry; null when it is not one of ours (logged by the caller). */
export function decodeEntry(payload: string): BusEvent | null {
  const nl = payload.indexOf('\n');
  const header = nl < 0 ? payload : payload.slice(0, nl);
  const s1 = header.indexOf(' ');
  const s2 = header.indexOf(' ', s1 + 1);
  if (s1 !== 1) return null;
  const room = header.slice(2, s2 < 0 ? undefined : s2);
  switch (header[0]) {
    case 'm': {
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
      return { kind: 'message', room, id, ts, cid, frame: asFrame(payload.slice(nl + 1)) };
    }
    case 'p':
    case 's': {
      const count = decimal(header.slice(s2 + 1));
      if (nl < 0 || s2 < 0 || Number.isNaN(count)) return null;
      return { kind: header[0] === 'p' ? 'presence' : 'sync', room, count, frame: asFrame(payload.slice(nl + 1)) };
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

/** A history entry as a StoredMessage; null when the entry is damaged. */
export function storedMessage(entry: string): StoredMessage | null {
  const e = decodeEntry(entry);
  return e && e.kind === 'message' ? { id: e.id, cid: e.cid, json: e.frame } : null;
}
