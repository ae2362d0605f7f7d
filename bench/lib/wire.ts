/**
 * Client-side wire adapters for the load tool: how a client of each system frames requests and
 * recognises answers. `livechat` is the protocol of shared/PROTOCOL.md; `socketio` is the same
 * requests as Socket.IO events over raw Engine.IO v4 websocket framing (`42["event",{…}]`), which
 * is what socket.io-client sends on the wire minus its CPU cost.
 *
 * The hot path is `scanMessage`: a delivered chat message is recognised and its id, room and the
 * send timestamp embedded in its text are read straight from the frame bytes, without decoding the
 * frame to a string or JSON.parse. `presence` frames (up to O(members²) of them while a small room
 * fills up) are recognised by their prefix too and only their event and count are read
 * (`scanPresence`). Anything else (welcome, joined, ack, error…) is rare and parsed.
 */
import type { ServerMessage } from '@livechat/protocol';

export type WireKind = 'livechat' | 'socketio';

export interface Wire {
  kind: WireKind;
  /** Subprotocols offered in the handshake. */
  protocols: string[];
  /** Bytes every `message` frame starts with. */
  messagePrefix: Buffer;
  /** Bytes every `presence` frame starts with. */
  presencePrefix: Buffer;
  /** Text of one request frame. */
  encode(req: { type: string } & Record<string, unknown>): string;
  /**
   * Decodes a non-hot frame. Returns the protocol object, or a transport-level control: `reply`
   * frames to send back (Engine.IO ping/pong, namespace connect), or null to ignore.
   */
  decode(text: string): { msg?: ServerMessage; reply?: string; ready?: boolean } | null;
  /** Whether the transport needs its own handshake before `hello` (Engine.IO/namespace). */
  needsConnect: boolean;
}

const livechat: Wire = {
  kind: 'livechat',
  protocols: ['livechat.v1'],
  messagePrefix: Buffer.from('{"type":"message",'),
  presencePrefix: Buffer.from('{"type":"presence",'),
  encode: (req) => JSON.stringify(req),
  decode: (text) => ({ msg: JSON.parse(text) as ServerMessage }),
  needsConnect: false,
};

const socketio: Wire = {
  kind: 'socketio',
  protocols: [],
  messagePrefix: Buffer.from('42["message",'),
  presencePrefix: Buffer.from('42["presence",'), // the comparison server has no presence; kept for symmetry
  encode: ({ type, ...rest }) => `42${JSON.stringify([type, rest])}`,
  decode: (text) => {
    switch (text[0]) {
      case '0': return { reply: '40' }; // Engine.IO open: connect the default namespace
      case '2': return { reply: '3' }; // Engine.IO ping
      case '4': {
        if (text[1] === '0') return { ready: true }; // namespace connected
        if (text[1] === '2') {
          const [type, data] = JSON.parse(text.slice(2)) as [string, Record<string, unknown>];
          return { msg: { ...data, type } as ServerMessage };
        }
        if (text[1] === '4') return { msg: { type: 'error', code: 'bad_request', message: text.slice(2) } };
        return null;
      }
      default: return null;
    }
  },
  needsConnect: true,
};

export function wireFor(kind: WireKind): Wire {
  return kind === 'socketio' ? socketio : livechat;
}

const ID_KEY = Buffer.from('"id":');
const ROOM_KEY = Buffer.from('"room":"');
const TEXT_KEY = Buffer.from('"text":"');

export interface Scanned {
  /** Message id, or -1 when the frame is not a message this scanner understands. */
  id: number;
  /** Offset and end of the room name in the frame. */
  roomStart: number;
  roomEnd: number;
  /** Send time embedded by this tool (performance.now() ms), or NaN when the text has none. */
  sentAt: number;
}

/** Where the last readDigits stopped (a module variable: no allocation on the hot path). */
let digitsEnd = 0;

/** Reads the run of decimal digits at `at` (before `end`) as an integer; sets digitsEnd. */
function readDigits(buf: Buffer, at: number, end: number): number {
  let n = 0;
  let i = at;
  for (; i < end; i++) {
    const c = buf[i];
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  digitsEnd = i;
  return n;
}

/** Reads the integer at `at` (digits only, before `end`); -1 when none. */
export function readInt(buf: Buffer, at: number, end: number): number {
  const n = readDigits(buf, at, end);
  return digitsEnd === at ? -1 : n;
}

/** Reads a decimal `123.456` at `at` (before `end`); NaN when none. */
export function readDecimal(buf: Buffer, at: number, end: number): number {
  let n = readDigits(buf, at, end);
  let i = digitsEnd;
  if (i === at) return NaN;
  if (i < end && buf[i] === 46) {
    let scale = 0.1;
    for (i++; i < end; i++) {
      const c = buf[i];
      if (c < 48 || c > 57) break;
      n += (c - 48) * scale;
      scale /= 10;
    }
  }
  return n;
}

/**
 * Reads a chat message's id, room and embedded send time from the frame in bytes [start, end) of
 * `buf`, which starts with the wire's message prefix (`prefixLen` bytes). Fields are found by their
 * keys (only `room` and `id` preceding `text` is relied on); `out.id` is -1 when they are missing.
 */
export function scanMessage(buf: Buffer, start: number, end: number, prefixLen: number, out: Scanned): Scanned {
  out.id = -1;
  out.sentAt = NaN;
  const from = start + prefixLen;
  const r = buf.indexOf(ROOM_KEY, from);
  if (r < 0 || r >= end) return out;
  out.roomStart = r + ROOM_KEY.length;
  out.roomEnd = buf.indexOf(34, out.roomStart); // closing quote: room names have no escapes
  const i = buf.indexOf(ID_KEY, from);
  if (i < 0 || i >= end || out.roomEnd < 0 || out.roomEnd >= end) return out;
  out.id = readInt(buf, i + ID_KEY.length, end);
  const t = buf.indexOf(TEXT_KEY, i);
  if (t >= 0 && t < end) out.sentAt = readDecimal(buf, t + TEXT_KEY.length, end);
  return out;
}

/** Presence event kinds, as indices of per-event tallies (presence-stats.ts). */
export const EV_JOIN = 0;
export const EV_LEAVE = 1;
export const EV_COUNT = 2;
export const EV_SYNC = 3;
export const EV_OTHER = 4;
export const PRESENCE_EVENTS = ['join', 'leave', 'count', 'sync', 'other'] as const;
export type PresenceEventName = (typeof PRESENCE_EVENTS)[number];

export interface ScannedPresence {
  /** EV_JOIN … EV_OTHER. */
  event: number;
  /** The frame's `count`, or -1 when it has none. */
  count: number;
}

const EVENT_KEY = Buffer.from('"event":"');
const COUNT_KEY = Buffer.from('"count":');

/** Index of `key` in bytes [from, end) of `buf`, or -1 (never looks past `end`). */
function indexIn(buf: Buffer, key: Buffer, from: number, end: number): number {
  if (end - from < key.length) return -1;
  const i = buf.subarray(from, end).indexOf(key);
  return i < 0 ? -1 : from + i;
}

/**
 * Reads a presence frame's event and `count` from bytes [start, end) of `buf`, which starts with the
 * wire's presence prefix (`prefixLen` bytes). Keys are found by their quoted names: member names are
 * JSON strings, where a quote is always escaped, so `"count":` cannot match inside one.
 */
export function scanPresence(buf: Buffer, start: number, end: number, prefixLen: number, out: ScannedPresence): ScannedPresence {
  out.event = EV_OTHER;
  out.count = -1;
  const from = start + prefixLen;
  const e = indexIn(buf, EVENT_KEY, from, end);
  if (e >= 0 && e + EVENT_KEY.length < end) {
    const at = e + EVENT_KEY.length;
    const word = (w: string) => end - at > w.length && buf.toString('latin1', at, at + w.length + 1) === `${w}"`;
    out.event = word('join') ? EV_JOIN : word('leave') ? EV_LEAVE : word('count') ? EV_COUNT : word('sync') ? EV_SYNC : EV_OTHER;
  }
  const c = indexIn(buf, COUNT_KEY, from, end);
  if (c >= 0) out.count = readInt(buf, c + COUNT_KEY.length, end);
  return out;
}

/** The text of a load message: the send time first (read back by scanMessage), padded to `size` bytes. */
export function messageText(sentAt: number, size: number): string {
  const stamp = sentAt.toFixed(3);
  return size > stamp.length + 1 ? `${stamp} ${PAD.slice(0, size - stamp.length - 1)}` : stamp;
}

const PAD = 'x'.repeat(4000);

/** Whether bytes [start, end) of `buf` start with `prefix`. */
export function startsWith(buf: Buffer, start: number, end: number, prefix: Buffer): boolean {
  return end - start >= prefix.length && buf.compare(prefix, 0, prefix.length, start, start + prefix.length) === 0;
}
