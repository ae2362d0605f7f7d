/**
 * The fast path for the frames `--mix` adds (lib/mix.ts): an `update` (an edit, deletion or reaction,
 * an entry of the room's log like a message) is recognised by its prefix and its room, id, `cid`, kind
 * and — for an edit — the send time embedded in the new text are read from the frame bytes, without
 * decoding it to a string or JSON.parse; a `typing` frame is recognised by its prefix only.
 *
 * Keys are found by their quoted names inside the frame's own bytes: every string value of an
 * update (room, member name, via, cid, text, emoji) is a JSON string, where a quote is always
 * escaped, so `"cid":"` or `"delete":true` cannot match inside one. As for `message` frames
 * (wire.ts scanMessage), `room` and the entry's `id` are relied on to come before `from`.
 */
import { readDecimal, readInt } from './wire.js';

/** Bytes every livechat `update` frame starts with. */
export const UPDATE_PREFIX = Buffer.from('{"type":"update",');
/** Bytes every livechat `typing` frame starts with. */
export const TYPING_PREFIX = Buffer.from('{"type":"typing",');

/** Kinds of update, as indices of per-kind tallies. */
export const U_EDIT = 0;
export const U_DELETE = 1;
export const U_REACT = 2;

export interface ScannedUpdate {
  /** Entry id, or -1 when the frame is not an update this scanner understands. */
  id: number;
  /** U_EDIT, U_DELETE or U_REACT (-1 when none of them). */
  kind: number;
  roomStart: number;
  roomEnd: number;
  /** Where the `cid` string is in the frame (cidEnd <= cidStart: none); cidOf() reads it. */
  cidStart: number;
  cidEnd: number;
  /** An edit's send time embedded in its text by this tool (performance.now() ms), NaN when none. */
  sentAt: number;
}

const ROOM_KEY = Buffer.from('"room":"');
const ID_KEY = Buffer.from('"id":');
const CID_KEY = Buffer.from('"cid":"');
const EDIT_KEY = Buffer.from('"edit":{"text":"');
const DELETE_KEY = Buffer.from('"delete":true');
const REACTION_KEY = Buffer.from('"reaction":{');

/** Index of `key` in bytes [from, end) of `buf`, or -1 (never looks past `end`). */
function indexIn(buf: Buffer, key: Buffer, from: number, end: number): number {
  if (end - from < key.length) return -1;
  const i = buf.subarray(from, end).indexOf(key);
  return i < 0 ? -1 : from + i;
}

/**
 * Index of `key` in `buf` from `from` if it starts before `end`, else -1. For keys every update has
 * near its start: cheaper than indexIn (no view), and it only reads past `end` when the frame is not an update.
 */
function indexNear(buf: Buffer, key: Buffer, from: number, end: number): number {
  const i = buf.indexOf(key, from);
  return i >= 0 && i + key.length <= end ? i : -1;
}

/** Whether `key` is at `at` in `buf`, within `end`. */
function isAt(buf: Buffer, at: number, end: number, key: Buffer): boolean {
  return at >= 0 && end - at >= key.length && buf.compare(key, 0, key.length, at, at + key.length) === 0;
}

/**
 * Reads an `update` frame in bytes [start, end) of `buf` (which starts with UPDATE_PREFIX) into `out`.
 * The change is looked for right after the cid first (where the servers put it), then anywhere.
 */
export function scanUpdate(buf: Buffer, start: number, end: number, out: ScannedUpdate): ScannedUpdate {
  out.id = -1;
  out.kind = -1;
  out.cidStart = out.cidEnd = 0;
  out.sentAt = NaN;
  const from = start + UPDATE_PREFIX.length;
  const r = indexNear(buf, ROOM_KEY, from, end);
  if (r < 0) return out;
  out.roomStart = r + ROOM_KEY.length;
  const q = buf.indexOf(34, out.roomStart); // the closing quote: room names have no escapes
  out.roomEnd = q >= 0 && q < end ? q : -1;
  const i = indexNear(buf, ID_KEY, from, end);
  if (i < 0 || out.roomEnd < 0) return out;
  const c = indexNear(buf, CID_KEY, i, end);
  let next = -1;
  if (c >= 0) {
    out.cidStart = c + CID_KEY.length;
    const q2 = buf.indexOf(34, out.cidStart);
    if (q2 > 0 && q2 < end) {
      out.cidEnd = q2;
      next = q2 + 2; // past `",`
    }
  }
  let e = isAt(buf, next, end, EDIT_KEY) ? next : -1;
  let kind = e >= 0 ? U_EDIT : isAt(buf, next, end, REACTION_KEY) ? U_REACT : isAt(buf, next, end, DELETE_KEY) ? U_DELETE : -1;
  if (kind < 0) {
    e = indexIn(buf, EDIT_KEY, from, end);
    kind = e >= 0 ? U_EDIT : indexIn(buf, REACTION_KEY, from, end) >= 0 ? U_REACT : indexIn(buf, DELETE_KEY, from, end) >= 0 ? U_DELETE : -1;
  }
  if (kind < 0) return out;
  out.kind = kind;
  if (kind === U_EDIT) out.sentAt = readDecimal(buf, e + EDIT_KEY.length, end);
  out.id = readInt(buf, i + ID_KEY.length, end);
  return out;
}

/** The scanned update's cid ('' when none). */
export function cidOf(buf: Buffer, s: ScannedUpdate): string {
  return s.cidEnd > s.cidStart ? buf.toString('latin1', s.cidStart, s.cidEnd) : '';
}
