/**
 * One Server-Sent Events client: a ClientConnection (client-connection.ts: parse, order, limits) whose
 * frames go out as `data:` events on a streaming HTTP response, and whose requests arrive as POST
 * bodies (sse-endpoint.ts hands them to `onRequestText`, from this server or relayed from another).
 *
 * SSE has no close codes: a stream the server ends gets a last `close` event (protocol/stream.ts)
 * with the code a WebSocket would have been closed with, then the response ends; one that does not
 * take even that within 2 s (a reader that stopped) is destroyed.
 */
import type { ServerResponse } from 'node:http';
import { PreparedFrame } from '../chat/prepared-frame.js';
import type { Frame } from '../protocol/encode.js';
import { streamClosedFrame, streamFrame } from '../protocol/stream.js';
import { ClientConnection, type ConnectionDeps } from './client-connection.js';
import { corkForTick } from './write-frame.js';

/** The response headers of a stream: no caching, no buffering in nginx (X-Accel-Buffering) or elsewhere. */
export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
  'X-Content-Type-Options': 'nosniff',
} as const;

/** The heartbeat: an SSE comment line, ignored by EventSource, that keeps proxies and the server informed. */
const HEARTBEAT = Buffer.from(':\n\n');

/** One frame as one event (a frame's JSON holds no raw newline: one `data:` line; PreparedFrame.sse is the same, prebuilt). */
const event = (json: string) => `data: ${json}\n\n`;

export class SseStream extends ClientConnection {
  /** Callbacks of big answers written but not flushed yet: run when they flush, or when the stream goes. */
  private unflushed: Set<() => void> | null = null;
  private ended = false;

  constructor(id: string, readonly token: string, readonly res: ServerResponse, deps: ConnectionDeps, ip: string) {
    super(id, deps, ip);
  }

  /** Sends the headers and the first event, which names the stream. */
  open(): void {
    this.res.writeHead(200, SSE_HEADERS);
    this.res.write(event(streamFrame(this.token)));
  }

  /** True once the response ended or its socket went: nothing more is written. */
  get gone(): boolean {
    return this.ended || this.res.destroyed || !this.res.writable;
  }

  protected transmit(frame: PreparedFrame | Frame, written?: () => void): void {
    if (this.gone) {
      written?.();
      return;
    }
    corkForTick(this.res);
    if (frame instanceof PreparedFrame) {
      this.res.write(frame.sse);
      return;
    }
    if (!written) {
      this.res.write(event(frame));
      return;
    }
    // A write's callback does not run when the socket is destroyed first: `closed` runs what is left.
    const pending = (this.unflushed ??= new Set());
    pending.add(written);
    this.res.write(event(frame), () => {
      if (pending.delete(written)) written();
    });
  }

  bufferedAmount(): number {
    return this.res.writableLength;
  }

  /** The heartbeat comment (sse-endpoint.ts writes it to every stream from one timer). */
  heartbeat(): void {
    if (this.gone) return;
    corkForTick(this.res);
    this.res.write(HEARTBEAT);
  }

  /** ClientLink.close: a last `close` event, then the end; destroyed if not flushed within 2 s. */
  close(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.res.destroyed) return;
    this.res.end(event(streamClosedFrame({ code, reason })));
    const timer = setTimeout(() => this.res.destroy(), 2000);
    timer.unref();
    this.res.once('close', () => clearTimeout(timer));
  }

  /** The response is gone (either side): written callbacks still waiting run, so budgets are given back. */
  closed(): void {
    this.ended = true;
    const left = this.unflushed;
    this.unflushed = null;
    if (!left) return;
    for (const f of left) {
      left.delete(f);
      f();
    }
  }
}
