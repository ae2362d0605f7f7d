/**
 * The outbox: messages the person typed, as plain data, and the pure functions that move them along
 * (re-exported by state.ts). An item keeps its cid from the moment it is typed until the server's own
 * `message` with that cid arrives: pending -> sending -> sent (acked) -> gone, back to pending when
 * the connection drops or the server answers `unavailable` / `rate_limited` (retried after a delay),
 * failed for good on `bad_request`. The functions work on any state that holds an outbox for a room
 * (`WithOutbox`; the page's ChatState is one), so this module needs nothing else of the page.
 */
import type { Ack, ChatMessage, ErrorResponse, ReplyQuote, SendRequest } from '@livechat/protocol';
import { State } from './connection.js';

/** A file a message carries: its key from `upload` (sent), and what the page shows until the message arrives. */
export interface OutboxFile { key: string; name: string; mime: string; size: number }

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed';

export interface OutboxItem {
  cid: string;
  room: string;
  text: string;
  /** The message it answers (sent as `replyTo`; the quote is shown until the server's own arrives). */
  replyTo?: ReplyQuote;
  /** Files uploaded for it (sent as `attachments: [{key}]`, again on every retry with the same cid). */
  attachments?: OutboxFile[];
  /** When the person sent it (ms since epoch), shown until the server's timestamp is known. */
  createdAt: number;
  status: OutboxStatus;
  /** Id from the ack, once acked. */
  id?: number;
  /** Not before this time (after `rate_limited` / `unavailable`). */
  retryAt?: number;
  /** Why it failed for good (a `bad_request`). */
  error?: string;
  attempts: number;
}

/** The part of the page's state the outbox works on. */
export interface WithOutbox {
  /** The room shown: its items go out once it is joined on a connected socket. */
  room: string;
  conn: State;
  joined: boolean;
  messages: readonly ChatMessage[];
  outbox: OutboxItem[];
}

/** Drops outbox items whose message is now in `messages` (matched by cid). */
export function settleOutbox(outbox: OutboxItem[], room: string, arrived: readonly ChatMessage[]): OutboxItem[] {
  if (outbox.length === 0 || arrived.length === 0) return outbox;
  const cids = new Set(arrived.map((m) => m.cid));
  const next = outbox.filter((o) => !(o.room === room && cids.has(o.cid)));
  return next.length === outbox.length ? outbox : next;
}

/** `ack`: stored. The item shows as sent until its `message` arrives (or is dropped if it already did). */
export function applyAck<T extends WithOutbox>(state: T, a: Ack): T {
  const arrived = a.room === state.room && state.messages.some((m) => m.id === a.id && m.cid === a.cid);
  let changed = false;
  const outbox: OutboxItem[] = [];
  for (const o of state.outbox) {
    if (o.cid !== a.cid) { outbox.push(o); continue; }
    changed = true;
    if (!arrived) outbox.push({ ...o, status: 'sent', id: a.id, createdAt: a.ts, retryAt: undefined, error: undefined });
  }
  return changed ? { ...state, outbox } : state;
}

/** Errors the same cid may be retried after. */
const RETRYABLE = new Set(['unavailable', 'rate_limited', 'not_joined']);

/** Delay before retrying a cid, when the server does not say: grows with attempts, at most 10 s. */
export function retryDelay(attempts: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && retryAfterMs > 0) return retryAfterMs;
  return Math.min(10_000, 500 * 2 ** Math.max(0, attempts - 1));
}

/** The outbox after an `error` that names one of its cids: retried later, or failed for good. */
export function failSend(outbox: OutboxItem[], e: ErrorResponse, now: number): OutboxItem[] {
  return outbox.map((o): OutboxItem => {
    if (o.cid !== e.cid) return o;
    if (RETRYABLE.has(e.code)) return { ...o, status: 'pending', retryAt: now + retryDelay(o.attempts, e.retryAfterMs) };
    return { ...o, status: 'failed', error: e.message };
  });
}

/** The person sent a message: it waits in the outbox until it can go out. */
export function enqueue<T extends WithOutbox>(
  state: T, item: { cid: string; text: string; now: number; replyTo?: ReplyQuote; attachments?: readonly OutboxFile[] },
): T {
  const o: OutboxItem = { cid: item.cid, room: state.room, text: item.text, createdAt: item.now, status: 'pending', attempts: 0 };
  if (item.replyTo) o.replyTo = item.replyTo;
  if (item.attachments?.length) o.attachments = item.attachments.map((f) => ({ key: f.key, name: f.name, mime: f.mime, size: f.size }));
  return { ...state, outbox: [...state.outbox, o] };
}

/** Outbox items that may be sent now: pending, for the joined room, past their retry time. */
export function dueSends(state: WithOutbox, now: number): OutboxItem[] {
  if (state.conn !== State.Connected || !state.joined) return [];
  return state.outbox.filter((o) => o.room === state.room && o.status === 'pending' && (o.retryAt ?? 0) <= now);
}

/** The earliest future retry time among pending items of the current room, if any waits. */
export function nextRetryAt(state: WithOutbox, now: number): number | undefined {
  let t: number | undefined;
  for (const o of state.outbox) {
    if (o.room === state.room && o.status === 'pending' && o.retryAt !== undefined && o.retryAt > now) {
      t = t === undefined ? o.retryAt : Math.min(t, o.retryAt);
    }
  }
  return t;
}

/** The `send` request of an outbox item: its text, its reply, its files' keys, under its cid. */
export function sendRequestOf(o: OutboxItem): SendRequest {
  const req: SendRequest = { type: 'send', room: o.room, text: o.text, cid: o.cid };
  if (o.replyTo) req.replyTo = o.replyTo.id;
  if (o.attachments?.length) req.attachments = o.attachments.map((f) => ({ key: f.key }));
  return req;
}

export function markSending<T extends WithOutbox>(state: T, cids: readonly string[]): T {
  if (cids.length === 0) return state;
  const set = new Set(cids);
  return {
    ...state,
    outbox: state.outbox.map((o) => (set.has(o.cid) ? { ...o, status: 'sending', attempts: o.attempts + 1 } : o)),
  };
}

/** A failed item the person chose to try again. */
export function retryItem<T extends WithOutbox>(state: T, cid: string): T {
  return { ...state, outbox: state.outbox.map((o) => (o.cid === cid ? { ...o, status: 'pending', retryAt: undefined, error: undefined } : o)) };
}


/** An `error` answering the `send` of `cid` (matched by its rid, or by the cid it carries). */
export function applySendError<T extends WithOutbox>(state: T, e: ErrorResponse, cid: string, now: number): T {
  if (!state.outbox.some((o) => o.cid === cid)) return state;
  return { ...state, outbox: failSend(state.outbox, { ...e, cid }, now) };
}
