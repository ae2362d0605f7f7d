/**
 * A protocol client over the SSE fallback, for tests and the load tool: GET /sse (parsed as
 * text/event-stream), requests POSTed to /sse/<stream> with fetch. Frames are recorded and waited for
 * as with the WebSocket client (frame-queue.ts); the stream's own events are kept apart: `stream` (the
 * token), the `close` extension (code and reason of a stream the server ended), heartbeat comments.
 */
import http from 'node:http';
import { EventStreamReader, type StreamEvent } from '../../bench/lib/event-stream.js';
import { FrameQueue, type Frame } from './frame-queue.js';

export interface SseConnectOptions {
  headers?: Record<string, string>;
  /** The source address (e.g. 127.0.0.2), so a test can be several clients' addresses. */
  localAddress?: string;
  /** Ms to wait for the `stream` event (default 5000). */
  timeoutMs?: number;
  /** Hears every frame as it arrives (the `stream` event excepted), besides `frames`. */
  onFrame?: (f: Frame) => void;
}

export class SseClient {
  private readonly queue = new FrameQueue();
  readonly frames: Frame[] = this.queue.frames;
  /** The stream's token, from its first event. */
  stream = '';
  /** The server's `close` event, when it ended the stream with one. */
  closeEvent: { code: number; reason: string } | null = null;
  /** When each heartbeat comment arrived (ms since epoch). */
  readonly heartbeats: number[] = [];
  /** The stream response's headers. */
  headers: http.IncomingHttpHeaders = {};
  /** Resolves once the response ended or failed. */
  readonly ended: Promise<void>;
  private readonly reader = new EventStreamReader();
  private res: http.IncomingMessage | null = null;
  private endedResolve: () => void = () => {};

  private constructor(private readonly url: string, private readonly req: http.ClientRequest, private readonly onFrame?: (f: Frame) => void) {
    this.ended = new Promise((resolve) => { this.endedResolve = resolve; });
  }

  /** Opens a stream at `url` (…/sse); resolves once its `stream` event named it. Rejects on a refusal (with its status). */
  static async connect(url: string, opts: SseConnectOptions = {}): Promise<SseClient> {
    const req = http.get(url, { agent: false, headers: { Accept: 'text/event-stream', ...opts.headers }, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    const c = new SseClient(url, req, opts.onFrame);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no stream event in time')), opts.timeoutMs ?? 5000);
      req.once('error', (err) => { clearTimeout(timer); reject(err); });
      req.once('response', (res) => {
        if (res.statusCode !== 200) {
          clearTimeout(timer);
          res.resume();
          reject(new Error(`stream refused: ${res.statusCode}`));
          return;
        }
        c.headers = res.headers;
        c.attach(res, (err) => {
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        });
      });
    });
    return c;
  }

  private attach(res: http.IncomingMessage, named: (err?: Error) => void): void {
    this.res = res;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      for (const e of this.reader.push(chunk)) this.onEvent(e, named);
    });
    const done = () => {
      this.queue.end(this.closeEvent ? String(this.closeEvent.code) : 'stream ended');
      this.endedResolve();
    };
    res.on('end', done);
    res.on('close', done);
    res.on('error', () => {});
    this.req.on('error', done);
  }

  /** One event: comment lines are heartbeats; the `data:` lines are one frame's JSON. */
  private onEvent(event: StreamEvent, named: (err?: Error) => void): void {
    for (let i = 0; i < event.comments; i++) this.heartbeats.push(Date.now());
    if (event.data === null) return;
    const f = JSON.parse(event.data) as Frame & { stream?: string; code?: number; reason?: string };
    if (!this.stream) {
      // The contract: the first event names the stream.
      if ((f.type as string) !== 'stream') return named(new Error(`first event is not the stream's: ${event.data}`));
      this.stream = String(f.stream);
      named();
      return;
    }
    if ((f.type as string) === 'close') this.closeEvent = { code: Number(f.code), reason: String(f.reason) };
    this.queue.push(f);
    this.onFrame?.(f);
  }

  /** Where this stream's requests go: …/sse/<stream> at `base` (another entry point) or where the stream was opened. */
  postUrl(base = this.url): string {
    return `${base.replace(/\/$/, '')}/${this.stream}`;
  }

  /** POSTs one request (an object, or raw text as is); resolves with the HTTP status (202 when accepted). */
  async post(body: unknown, opts: { base?: string; headers?: Record<string, string> } = {}): Promise<number> {
    const res = await fetch(this.postUrl(opts.base), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...opts.headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    await res.arrayBuffer();
    return res.status;
  }

  /** POSTs a request (must be accepted) and waits for the answer of the given type (or an error). */
  async request<T extends Frame = Frame>(obj: Record<string, unknown>, answer: string, timeoutMs = 5000): Promise<T> {
    const status = await this.post(obj);
    if (status !== 202) throw new Error(`POST ${String(obj.type)} answered ${status}`);
    return this.next<T>((f) => f.type === answer || f.type === 'error', timeoutMs);
  }

  async hello(name: string, session?: string): Promise<Frame & { appId: string; session: string; member: { id: string; name: string } }> {
    return this.request({ type: 'hello', name, ...(session ? { session } : {}) }, 'welcome') as never;
  }

  /** Waits for the next frame (after the previous `next`) matching `pred`, skipping others. */
  next<T extends Frame = Frame>(pred: string | ((f: Frame) => boolean), timeoutMs = 5000): Promise<T> {
    return this.queue.next<T>(pred, timeoutMs);
  }

  /** All `message` frames of a room received so far. */
  messages(room: string): Array<Frame & { id: number; cid: string; text: string }> {
    return this.queue.messages(room);
  }

  /** Stops reading the stream (the server's buffers fill: a slow consumer) / reads again. */
  pause(): void { this.res?.pause(); }
  resume(): void { this.res?.resume(); }

  /** Closes the GET (the server sees its client go). */
  close(): void {
    this.req.destroy();
  }
}
