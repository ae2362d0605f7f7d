/**
 * A WebSocket look-alike over Server-Sent Events (shared/PROTOCOL.md, "When WebSocket is blocked"), so
 * that connection.ts and everything above it work unchanged when a network refuses WebSockets: frames
 * come in on an `EventSource` (GET /sse), each event's data one server frame; requests go out as POSTs
 * to /sse/<stream>, one JSON request each, strictly one after another so they reach the server in the
 * order they were sent; one answered 503 (not taken yet) is sent again after its Retry-After, still
 * ahead of the rest. Open once the stream named itself (its first event); closed — once, with a close
 * code — when the server says so (`{"type":"close"}`), the stream errors, or a POST is refused or lost. The EventSource is closed at once then: its own reconnect would open a second stream
 * behind the Connection's back, which reconnects (and resumes) by itself.
 */
import type { SocketLike } from './connection.js';

/** The part of the browser's EventSource this module uses. */
export interface EventSourceLike {
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(): void;
}
export type EventSourceCtor = new (url: string) => EventSourceLike;

/** The part of `fetch` this module uses. */
export type FetchLike = (url: string, init: {
  method: 'POST'; headers: Record<string, string>; body: string; credentials: 'same-origin'; keepalive: false;
}) => Promise<{ status: number; headers?: { get(name: string): string | null } }>;

export interface SseOptions {
  /** The stream's URL, e.g. `/sse` on the page's origin; a POST goes to `${streamUrl}/${token}`. */
  streamUrl: string;
  EventSource: EventSourceCtor;
  fetch: FetchLike;
  /** A POST answered 503 (the stream's server did not confirm in time) is retried this often (default 3). */
  retries503?: number;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;
/** What a WebSocket says when it ends without a close frame: the Connection reconnects. */
export const ABNORMAL = 1006;

/**
 * Close codes for a refused POST. 404: the stream is gone (its server died or dropped it). Others say
 * what a WebSocket would have closed with for the same fault, so the backoff treats them alike.
 */
function closeCodeOfStatus(status: number): number {
  if (status === 413) return 1009;
  if (status === 429 || status === 503) return 1013;
  if (status === 415) return 1003;
  if (status === 400 || status === 403) return 1008;
  return ABNORMAL;
}

export class SseSocket implements SocketLike {
  readyState = CONNECTING;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  private readonly es: EventSourceLike;
  private token: string | null = null;
  /** Requests written but not POSTed yet (the head is in flight while `posting`). */
  private readonly queue: string[] = [];
  private posting = false;
  /** 503s in a row for the request at the head of the queue. */
  private busy = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly o: SseOptions) {
    this.es = new o.EventSource(o.streamUrl);
    this.es.onmessage = (ev) => this.event(ev.data);
    this.es.onerror = () => this.finish(ABNORMAL, 'stream lost');
  }

  /** Queues one request; POSTs go out one at a time, in order. Throws unless open (as a WebSocket does). */
  send(data: string): void {
    if (this.readyState !== OPEN) throw new Error('the stream is not open');
    this.queue.push(data);
    this.pump();
  }

  /** Ends the stream; what is still queued is dropped (the Connection resends what matters on its next socket). */
  close(code = 1000, reason = ''): void {
    this.finish(code, reason);
  }

  private event(data: unknown): void {
    if (this.readyState === CLOSED || typeof data !== 'string') return;
    if (this.token === null) {
      const token = streamToken(data);
      if (token === null) { this.finish(ABNORMAL, 'no stream token'); return; }
      this.token = token;
      this.readyState = OPEN;
      this.onopen?.({});
      return;
    }
    const closing = closeFrame(data);
    if (closing) { this.finish(closing.code, closing.reason); return; }
    this.onmessage?.({ data });
  }

  private pump(): void {
    if (this.posting || this.readyState !== OPEN || this.queue.length === 0) return;
    this.posting = true;
    const body = this.queue[0];
    const url = `${this.o.streamUrl}/${encodeURIComponent(this.token ?? '')}`;
    let sent: ReturnType<FetchLike>;
    try {
      sent = this.o.fetch(url, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body, credentials: 'same-origin', keepalive: false,
      });
    } catch {
      sent = Promise.reject(new Error('fetch threw'));
    }
    sent.then((res) => {
      if (res.status === 503 && this.busy < (this.o.retries503 ?? 3) && this.readyState === OPEN) {
        // Not taken (Redis or the holder stalled): the same request again after Retry-After, still first in line.
        this.busy++;
        this.retryTimer = setTimeout(() => { this.retryTimer = null; this.posting = false; this.pump(); }, retryAfterMs(res.headers));
        return;
      }
      this.posting = false;
      this.busy = 0;
      if (res.status < 200 || res.status >= 300) { this.finish(closeCodeOfStatus(res.status), `POST answered ${res.status}`); return; }
      this.queue.shift();
      this.pump();
    }, () => {
      this.posting = false;
      this.finish(ABNORMAL, 'POST failed');
    });
  }

  /** Closes once: the EventSource first (no reconnect of its own), then the close event. */
  private finish(code: number, reason: string): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.queue.length = 0;
    if (this.retryTimer) { clearTimeout(this.retryTimer); this.retryTimer = null; }
    try { this.es.close(); } catch { /* already closed */ }
    this.es.onmessage = this.es.onerror = null;
    this.onclose?.({ code, reason });
  }
}

/** A 503's Retry-After in ms (seconds in the header), 1 s when absent; at most 10 s. */
function retryAfterMs(headers: { get(name: string): string | null } | undefined): number {
  const secs = Number(headers?.get('Retry-After'));
  return Number.isFinite(secs) && secs > 0 ? Math.min(secs, 10) * 1000 : 1000;
}

/** The token of the stream's first event, `{"type":"stream","stream":"<token>"}`; null if it is not that. */
function streamToken(data: string): string | null {
  const f = parseObject(data);
  return f?.type === 'stream' && typeof f.stream === 'string' && f.stream.length > 0 ? f.stream : null;
}

/** The server's last word before it ends a stream: `{"type":"close","code","reason"}` (an extension of the contract). */
function closeFrame(data: string): { code: number; reason: string } | null {
  if (!data.includes('"close"')) return null; // cheap: most frames are not it
  const f = parseObject(data);
  if (f?.type !== 'close') return null;
  const code = typeof f.code === 'number' && Number.isInteger(f.code) && f.code >= 1000 && f.code <= 4999 ? f.code : ABNORMAL;
  return { code, reason: typeof f.reason === 'string' ? f.reason.slice(0, 123) : '' };
}

function parseObject(data: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(data);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : null;
  } catch {
    return null;
  }
}
