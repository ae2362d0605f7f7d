/**
 * The Server-Sent Events fallback (shared/PROTOCOL.md "When WebSocket is blocked"):
 *   GET  /sse           opens a stream (sse-stream.ts): a client like a WebSocket connection, counted by
 *                       the same limits (capacity, hello timeout, rates, reply budget, slow consumer)
 *   POST /sse/<stream>  one JSON request for that stream, answered 202 once the stream queued it; the
 *                       answer goes out on the stream
 * A stream token is `<instance>.<128 random bits>`: the instance names the server holding it, so a POST
 * that reaches another server (round-robin, no stickiness) is relayed to it (relay/relay.ts). A stream
 * exists while its GET is open; after that its POSTs get 404 (the client opens a new stream and resumes).
 * One timer writes the streams' heartbeats, a slice at a time (sliced-sweep.ts).
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { CloseCodeValue } from '../protocol/close-codes.js';
import { SSE_PATH } from '../protocol/stream.js';
import type { StreamRelay } from '../relay/relay.js';
import { connectionId, type ClientConnection, type ConnectionDeps } from './client-connection.js';
import { originAllowed } from './handshake.js';
import { SlicedSweep } from './sliced-sweep.js';
import { SseStream } from './sse-stream.js';

/** Why a new client is not taken now (HTTP status, metric reason, text), or null when it is. */
export interface Refusal { status: number; reason: string; message: string }

/** What the server around the endpoint does for every client, whatever its transport. */
export interface StreamHost {
  refusal(): Refusal | null;
  /** The client's address (TRUSTED_PROXIES). */
  address(req: http.IncomingMessage): string;
  /** A client opened (the hello sweep starts counting) / closed (the chat layer lets it go). */
  opened(conn: ClientConnection): void;
  closed(conn: ClientConnection): void;
}

const TOKEN = /^([0-9a-f]{16})\.[A-Za-z0-9_-]{22}$/;

type Body = { ok: true; text: string } | { ok: false; status: number; drained: boolean };

/**
 * Past the limit a body is still read (and dropped) up to this many bytes, so the 413 reaches a client
 * that is still writing: closing on unread bytes makes the kernel send a reset, which can destroy the
 * answer before the client reads it (nginx's lingering close, for the common case).
 */
const DRAIN_MAX = 1024 * 1024;

/** Reads a request body of at most `limit` bytes (413 past it; the rest is drained up to DRAIN_MAX). */
function readBody(req: http.IncomingMessage, limit: number): Promise<Body> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > DRAIN_MAX) return Promise.resolve({ ok: false, status: 413, drained: false });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DRAIN_MAX) {
        req.removeAllListeners('data');
        req.resume();
        resolve({ ok: false, status: 413, drained: false });
      } else if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? { ok: false, status: 413, drained: true } : { ok: true, text: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', () => resolve({ ok: false, status: 400, drained: false }));
  });
}

function ignore(): void {}

function answer(res: http.ServerResponse, status: number, text = '', headers: Record<string, string> = {}): void {
  const body = text ? `${text}\n` : '';
  res.writeHead(status, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store', 'Content-Length': String(Buffer.byteLength(body)), ...headers }).end(body);
}

export class SseEndpoint {
  /** This process's id in its stream tokens: random, so a restarted server never takes an old stream's POSTs. */
  readonly instance = randomBytes(8).toString('hex');
  private readonly streams = new Map<string, SseStream>();
  /** Every stream's heartbeat comment once per SSE_HEARTBEAT_MS, a slice at a time. */
  private readonly heartbeat: SlicedSweep<SseStream>;

  constructor(private readonly deps: ConnectionDeps & { relay: StreamRelay }, private readonly host: StreamHost) {
    this.heartbeat = new SlicedSweep(this.streams, deps.config.sseHeartbeatMs, (s) => s.heartbeat());
  }

  get size(): number {
    return this.streams.size;
  }

  /** Takes relayed requests for this server's streams, and starts the one heartbeat timer. */
  async start(): Promise<void> {
    await this.deps.relay.listen(this.instance, (token, body) => {
      const taken = this.deliver(token, body);
      this.deps.metrics.sseRelayed.inc({ taken: taken ? 'yes' : 'no' });
      return taken;
    });
    this.heartbeat.start();
  }

  stop(): void {
    this.heartbeat.stop();
  }

  /** Answers the request if its path is the endpoint's; false when it is not. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, path: string): boolean {
    if (path === SSE_PATH) this.open(req, res);
    else if (path.startsWith(`${SSE_PATH}/`)) void this.post(req, res, path.slice(SSE_PATH.length + 1));
    else return false;
    return true;
  }

  /** Ends every stream with `code` in its close event (drain: 1001, cut-off: 1013). */
  closeAll(code: CloseCodeValue): void {
    for (const s of this.streams.values()) s.closeWith(code);
  }

  private open(req: http.IncomingMessage, res: http.ServerResponse): void {
    const { config, metrics, log } = this.deps;
    if (req.method !== 'GET') return answer(res, 405, 'GET opens a stream', { Allow: 'GET' });
    if (!originAllowed(req, config.allowedOrigins)) {
      metrics.handshakesRefused.inc({ reason: 'origin' });
      return answer(res, 403, 'origin not allowed');
    }
    const refusal = this.host.refusal();
    if (refusal) {
      metrics.handshakesRefused.inc({ reason: refusal.reason });
      return answer(res, refusal.status, refusal.message);
    }
    const token = `${this.instance}.${randomBytes(16).toString('base64url')}`;
    const stream = new SseStream(connectionId(), token, res, this.deps, this.host.address(req));
    this.streams.set(token, stream);
    this.heartbeat.wake();
    metrics.sseStreams.inc();
    metrics.sseStreamsTotal.inc();
    // A write racing the socket's end must not become an unhandled 'error' (writes are guarded; this is the net).
    res.on('error', ignore);
    res.on('close', () => {
      this.streams.delete(token);
      metrics.sseStreams.dec();
      stream.closed();
      this.host.closed(stream);
      if (log.isLevelEnabled('debug')) stream.log.debug('stream closed');
    });
    stream.open();
    this.host.opened(stream);
    if (log.isLevelEnabled('debug')) stream.log.debug('stream opened');
  }

  private async post(req: http.IncomingMessage, res: http.ServerResponse, token: string): Promise<void> {
    const { config, metrics, relay } = this.deps;
    if (req.method !== 'POST') return answer(res, 405, 'POST a request here', { Allow: 'POST' });
    if (!originAllowed(req, config.allowedOrigins)) return answer(res, 403, 'origin not allowed');
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') return answer(res, 415, 'expected Content-Type: application/json');
    const holder = TOKEN.exec(token)?.[1];
    if (!holder) return answer(res, 404, 'no such stream');
    const body = await readBody(req, config.maxPayload);
    if (!body.ok) return answer(res, body.status, body.status === 413 ? 'request too large' : 'bad request', body.drained ? {} : { Connection: 'close' });
    const local = holder === this.instance;
    const outcome = local ? (this.deliver(token, body.text) ? 'accepted' : 'gone') : await relay.forward(holder, token, body.text);
    const status = outcome === 'accepted' ? 202 : outcome === 'gone' ? 404 : 503;
    metrics.ssePosts.inc({ routed: local ? 'no' : 'yes', status: String(status) });
    if (status === 202) return answer(res, 202);
    if (status === 404) return answer(res, 404, 'no such stream');
    answer(res, 503, 'the stream\'s server did not answer: retry', { 'Retry-After': '1' });
  }

  /** Hands a request to a stream held here; false when there is no such stream (any more). */
  private deliver(token: string, body: string): boolean {
    const stream = this.streams.get(token);
    if (!stream || stream.client.closed) return false;
    stream.onRequestText(body);
    return true;
  }
}
