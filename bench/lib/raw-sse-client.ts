/**
 * The load tool's client for the Server-Sent Events transport (shared/PROTOCOL.md, "When WebSocket is
 * blocked"): `GET /sse` is the stream of server frames, one event per frame, the first being
 * `{"type":"stream","stream":"<token>"}`; every request is a `POST /sse/<token>` answered 202, its
 * answer arriving on the stream. Same handlers and methods as RawWsClient, so the load tool drives
 * either with `--transport`.
 *
 * Requests leave one at a time per client (the next POST once the previous one was answered), so
 * they reach the server in the order sent, as a WebSocket's frames would. POSTs share one keep-alive
 * agent per source address; any server may take them (no stickiness). A `close` event (the server's
 * extension carrying the WebSocket close code) or the stream's end closes the client.
 */
import http from 'node:http';
import { EventStreamReader } from './event-stream.js';
import type { RawWsHandlers } from './raw-ws-client.js';

export interface RawSseOptions {
  /** ws:// or http:// URL of the WebSocket endpoint or of the page's origin; the stream is `/sse` on its host. */
  url: string;
  localAddress?: string;
  /** ms to get the stream's first event. */
  handshakeTimeout?: number;
}

const agents = new Map<string, http.Agent>();
const agentFor = (localAddress: string | undefined) => {
  const k = localAddress ?? '';
  let a = agents.get(k);
  if (!a) agents.set(k, (a = new http.Agent({ keepAlive: true, maxSockets: 64, ...(localAddress ? { localAddress } : {}) })));
  return a;
};

/** The http origin (host:port) and the stream path for a ws:// or http:// URL. */
export function sseTarget(url: string): { host: string; port: number } {
  const u = new URL(url);
  if (!/^(ws|http):$/.test(u.protocol)) throw new Error(`--transport sse: only ws:// or http:// URLs, got ${u.protocol}`);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80) };
}

export class RawSseClient {
  private readonly req: http.ClientRequest;
  private res: http.IncomingMessage | null = null;
  private token = '';
  private opened = false;
  private closed = false;
  private closeCode = 1006;
  private readonly reader = new EventStreamReader();
  private readonly outbox: string[] = [];
  private posting = false;
  private timer: NodeJS.Timeout | null;
  private readonly target: { host: string; port: number };

  constructor(private readonly opts: RawSseOptions, private readonly h: RawWsHandlers) {
    this.target = sseTarget(opts.url);
    this.req = http.get({
      ...this.target, path: '/sse', agent: false, headers: { Accept: 'text/event-stream' },
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    });
    this.timer = setTimeout(() => { this.h.onError('handshake_timeout'); this.terminate(); }, opts.handshakeTimeout ?? 20_000);
    this.req.on('error', (err: NodeJS.ErrnoException) => { this.h.onError(err.code ?? err.message); this.finish(); });
    this.req.on('response', (res) => {
      this.res = res;
      if (res.statusCode !== 200) {
        this.h.onError(`http_${res.statusCode}`);
        res.resume();
        this.terminate();
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (s: string) => this.onData(s));
      res.on('end', () => this.finish());
      res.on('close', () => this.finish());
      res.on('error', () => this.finish());
    });
  }

  get bufferedAmount(): number {
    return this.outbox.reduce((n, s) => n + s.length, 0);
  }

  get isOpen(): boolean {
    return this.opened && !this.closed;
  }

  private onData(s: string): void {
    for (const e of this.reader.push(s)) {
      if (e.data === null) continue; // a heartbeat (comment)
      this.onEvent(e.data);
      if (this.closed) return;
    }
  }

  private onEvent(data: string): void {
    if (!this.opened) {
      const first = JSON.parse(data) as { type?: string; stream?: string };
      if (first.type !== 'stream' || typeof first.stream !== 'string') {
        this.h.onError('bad_stream_event');
        this.terminate();
        return;
      }
      this.token = first.stream;
      this.opened = true;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.h.onOpen();
      return;
    }
    if (data.startsWith('{"type":"close"')) {
      const f = JSON.parse(data) as { code?: number };
      this.closeCode = typeof f.code === 'number' ? f.code : 1006;
      this.terminate();
      return;
    }
    const buf = Buffer.from(data);
    this.h.onText(buf, 0, buf.length);
  }

  /** Queues one request; POSTs leave one at a time, in order. */
  send(text: string): void {
    if (!this.isOpen) return;
    this.outbox.push(text);
    if (!this.posting) this.postNext();
  }

  private postNext(): void {
    const body = this.outbox.shift();
    if (body === undefined || this.closed) { this.posting = false; return; }
    this.posting = true;
    const req = http.request({
      ...this.target, method: 'POST', path: `/sse/${this.token}`, agent: agentFor(this.opts.localAddress),
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      res.resume();
      if (res.statusCode !== 202) {
        this.h.onError(`post_${res.statusCode}`);
        // 404: the stream is gone (its server died or dropped it): the client is closed, as a WebSocket would be.
        if (res.statusCode === 404) { this.terminate(); return; }
      }
      res.on('end', () => this.postNext());
    });
    req.on('error', (err: NodeJS.ErrnoException) => { this.h.onError(`post:${err.code ?? err.message}`); this.terminate(); });
    req.end(body);
  }

  /** Ends the stream (there is no closing handshake: the server notices the GET closing). */
  close(_code?: number): void {
    this.terminate();
  }

  terminate(): void {
    this.req.destroy();
    this.res?.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.outbox.length = 0;
    this.h.onClose(this.closeCode, this.opened);
  }
}
