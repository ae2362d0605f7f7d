/**
 * The HTTP + WebSocket front of one server: GET /healthz (alive), GET /readyz (store reachable and
 * not draining), GET /metrics, the page in embedded mode, upgrades on /ws only, and the SSE fallback
 * on /sse (sse-endpoint.ts). Owns what every client shares whatever its transport — capacity, the
 * hello timeout, cut-off and the graceful drain on shutdown — and the WebSocket heartbeat (ping every
 * interval, drop who missed the last pong).
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ChatService } from '../chat/chat-service.js';
import type { Config } from '../config.js';
import type { FilesHandler } from '../files/files-http.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { CloseCode } from '../protocol/close-codes.js';
import { SUBPROTOCOL } from '../protocol/messages.js';
import type { StreamRelay } from '../relay/relay.js';
import { connectionId, type ClientConnection } from './client-connection.js';
import { Connection, type ConnectionDeps } from './connection.js';
import { SseEndpoint, type Refusal } from './sse-endpoint.js';
import { ReplyBudget } from './reply-budget.js';
import { SlicedSweep } from './sliced-sweep.js';
import { abortHandshake, clientAddress, originAllowed, subprotocolAcceptable } from './handshake.js';
import { contentSecurityPolicy, serveStatic } from './static-files.js';
import { parseTrustedProxies, TrustedProxies } from './trusted-proxies.js';

export interface ServerDeps {
  config: Config;
  chat: ChatService;
  log: Logger;
  metrics: Metrics;
  /** Whether the store can take writes (for /readyz). */
  storeReady: () => boolean;
  /** Answers /files/… (the embedded node's local file store, files/files-http.ts); absent: 404. */
  files?: FilesHandler;
  /** Hands POSTs for SSE streams held elsewhere to their server. */
  relay: StreamRelay;
}

export class ChatServer {
  readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  /** Clients (WebSocket or SSE) that have not said hello yet, with when they connected. */
  private readonly unidentified = new Map<ClientConnection, number>();
  /** GET /sse and POST /sse/<stream>. */
  readonly sse: SseEndpoint;
  /** What every connection shares (one object, not one per connection). */
  private readonly connectionDeps: ConnectionDeps;
  /** The WebSocket heartbeat: every connection pinged once per PING_INTERVAL_MS, a slice at a time. */
  private readonly heartbeat: SlicedSweep<Connection>;
  private helloSweep: NodeJS.Timeout | null = null;
  /** Whose X-Forwarded-For is believed (TRUSTED_PROXIES). */
  private readonly proxies: TrustedProxies;
  private readonly csp: string;
  draining = false;
  /** Cut off from the store past REDIS_CUTOFF_MS (store/cut-off.ts): not ready, no new clients. */
  private cutOff = false;

  constructor(private readonly deps: ServerDeps) {
    const { config } = deps;
    this.connectionDeps = { ...deps, replyBudget: new ReplyBudget(config.replyBudgetBytes, config.replyBudgetAddressBytes) };
    this.proxies = new TrustedProxies(parseTrustedProxies(config.trustedProxies));
    this.csp = contentSecurityPolicy(config.publicOrigin);
    this.heartbeat = new SlicedSweep(this.connections, config.pingIntervalMs, (conn) => this.ping(conn));
    this.sse = new SseEndpoint({ ...this.connectionDeps, relay: deps.relay }, {
      refusal: () => this.refusal(),
      address: (req) => clientAddress(req, this.proxies.trusts),
      opened: (conn) => this.unidentified.set(conn, Date.now()),
      closed: (conn) => this.closed(conn),
    });
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: config.maxPayload,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    this.http = http.createServer((req, res) => this.onRequest(req, res));
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.http.on('clientError', (err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    this.http.maxHeadersCount = 100;
    this.http.headersTimeout = 10_000;
    this.http.requestTimeout = 30_000;
  }

  /** Open clients: WebSocket connections and SSE streams. */
  get connectionCount(): number {
    return this.connections.size + this.sse.size;
  }

  /** Why no new client (of either transport) is taken now, or null. */
  private refusal(): Refusal | null {
    if (this.draining) return { status: 503, reason: 'draining', message: 'server is shutting down' };
    if (this.cutOff) return { status: 503, reason: 'cut-off', message: 'server is cut off from the store' };
    if (this.connectionCount >= this.deps.config.maxConnections) return { status: 503, reason: 'capacity', message: 'server is full' };
    return null;
  }

  /** A client of either transport is gone. */
  private closed(conn: ClientConnection): void {
    this.unidentified.delete(conn);
    this.deps.chat.disconnect(conn.client);
  }

  /** Listens; resolves with the bound port. */
  async listen(): Promise<number> {
    const { config } = this.deps;
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(config.port, config.host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    await this.sse.start();
    this.heartbeat.start();
    // One sweep for all, not a timer per connection: a connection is closed within a tenth of the timeout past it.
    this.helloSweep = setInterval(() => this.closeUnidentified(), Math.max(50, Math.min(1000, config.helloTimeoutMs / 10)));
    this.helloSweep.unref();
    // Host names in TRUSTED_PROXIES are looked up now and every 2 s (HAProxy may start after us).
    void this.proxies.start();
    const addr = this.http.address();
    return typeof addr === 'object' && addr ? addr.port : config.port;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path === '/readyz') {
      const ready = !this.draining && !this.cutOff && this.deps.storeReady();
      res.writeHead(ready ? 200 : 503, { 'Content-Type': 'text/plain' })
        .end(ready ? 'ready\n' : this.draining ? 'draining\n' : this.cutOff ? 'cut off from the store\n' : 'store unavailable\n');
      return;
    }
    if (path === '/metrics') {
      this.deps.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': this.deps.metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    if (this.sse.handle(req, res, path)) return;
    if (path.startsWith('/files/') && this.deps.files) return this.deps.files(req, res);
    if (this.deps.config.staticDir && serveStatic(this.deps.config.staticDir, req, res, this.csp)) return;
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    // A refused or half-done handshake's socket can be reset by the peer: never let that crash us.
    // (A module-level listener: a closure here would keep this request and its headers alive as long as the socket.)
    socket.on('error', destroySocket);
    const { config, metrics, log } = this.deps;
    const refuse = (status: number, reason: string, message: string) => {
      metrics.handshakesRefused.inc({ reason });
      log.debug({ status, reason, ip: req.socket.remoteAddress }, 'handshake refused');
      abortHandshake(socket, status, message);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/ws') return refuse(404, 'path', 'WebSocket endpoint is /ws');
    const refusal = this.refusal();
    // Draining and cut-off are answered first, a full server after the request's own faults.
    if (refusal && refusal.reason !== 'capacity') return refuse(refusal.status, refusal.reason, refusal.message);
    if (!originAllowed(req, config.allowedOrigins)) return refuse(403, 'origin', 'origin not allowed');
    if (!subprotocolAcceptable(req)) return refuse(400, 'subprotocol', `subprotocol must be ${SUBPROTOCOL}`);
    if (refusal) return refuse(refusal.status, refusal.reason, refusal.message);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
  }

  private onConnection(ws: WebSocket, req: http.IncomingMessage): void {
    const { log, metrics } = this.deps;
    const id = connectionId();
    const ip = clientAddress(req, this.proxies.trusts);
    const conn = new Connection(id, ws, this.connectionDeps, ip);
    this.connections.add(conn);
    this.heartbeat.wake();
    this.unidentified.set(conn, Date.now());
    metrics.connections.inc();
    metrics.connectionsTotal.inc();
    if (log.isLevelEnabled('debug')) conn.log.debug('connected');
    ws.on('close', (code) => {
      this.connections.delete(conn);
      metrics.connections.dec();
      this.closed(conn);
      if (log.isLevelEnabled('debug')) conn.log.debug({ code }, 'disconnected');
    });
  }

  /** The protocol: a connection that has not sent hello within the timeout is closed with 1008. */
  private closeUnidentified(): void {
    const deadline = Date.now() - this.deps.config.helloTimeoutMs;
    for (const [conn, since] of this.unidentified) {
      if (conn.client.member) this.unidentified.delete(conn);
      else if (since <= deadline) {
        this.unidentified.delete(conn);
        this.deps.metrics.helloTimeouts.inc();
        conn.log.info('no hello in time, closing');
        conn.closeWith(CloseCode.Policy);
      }
    }
  }

  /** A connection that did not answer its last ping (one interval ago) is dropped; others are pinged again. */
  private ping(conn: Connection): void {
    if (!conn.alive) {
      conn.log.info('missed pong, dropping');
      conn.ws.terminate();
      return;
    }
    conn.alive = false;
    conn.ws.ping();
  }

  /**
   * Cut off from the store (on) or back (off). On: fail /readyz, refuse new clients, and close every
   * client with 1013 so it resumes on a server that can serve it. Returns how many were closed.
   */
  setCutOff(on: boolean): number {
    this.cutOff = on;
    if (!on) return 0;
    const n = this.connectionCount;
    for (const conn of this.connections) conn.closeWith(CloseCode.TryAgainLater);
    this.sse.closeAll(CloseCode.TryAgainLater);
    return n;
  }

  /**
   * Graceful shutdown: refuse new upgrades and fail /readyz, stop listening, close every connection
   * with 1001 so clients reconnect elsewhere, and wait (bounded) for them to go.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    this.heartbeat.stop();
    if (this.helloSweep) clearInterval(this.helloSweep);
    this.sse.stop();
    this.proxies.stop();
    this.http.close();
    for (const conn of this.connections) conn.closeWith(CloseCode.GoingAway);
    this.sse.closeAll(CloseCode.GoingAway);
    const deadline = Date.now() + timeoutMs;
    while (this.connectionCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    this.http.closeAllConnections();
  }
}

function destroySocket(this: Duplex): void {
  this.destroy();
}
