/**
 * Which transport the page's Connection gets (issue 25): WebSocket first; when its path fails before a
 * `welcome` twice in a row (it could not open, or was cut before the server answered), Server-Sent
 * Events with POSTs (sse-socket.ts). While on SSE, WebSocket is tried again after `retryWebSocketMs`:
 * on the next reconnect after that, and — so that a page that never reconnects gets back too — by a
 * probe socket in the background (a `ping`, answered even before `hello`): when it gets an answer, the
 * SSE socket is handed over (closed) and the Connection reconnects over WebSocket and resumes with
 * `after` as after any drop, so nothing is lost. A mode (URL `?transport=sse|ws`, or the localStorage
 * setting `livechat.transport`) forces one transport for testing.
 *
 * The policy is a SocketCtor: the Connection constructs sockets as before and knows nothing of it.
 * Only a failure of the path counts: a socket that ends without a close frame (1006, 1015), one the
 * Connection gives up on before its welcome (its connect timeout), a constructor that throws. A socket
 * closed with a code of the server's own (1001, 1008, 1013, 4xxx…) reached a server that way.
 */
import type { SocketCtor, SocketLike } from './connection.js';
import { SseSocket, type EventSourceCtor } from './sse-socket.js';

export type Transport = 'websocket' | 'sse';
export type TransportMode = 'auto' | Transport;

/** The setting's key in localStorage; and where the time of the last fallback is remembered. */
export const TRANSPORT_KEY = 'livechat.transport';
export const FELL_BACK_KEY = 'livechat.transport.fellBackAt';

export interface Store { getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem(k: string): void }

export interface TransportOptions {
  mode: TransportMode;
  WebSocket: SocketCtor;
  /** A new SSE socket (sse-socket.ts on the page's origin). */
  sse: () => SocketLike;
  /** Remembers a fallback across page loads (a blocked network stays blocked for a while). */
  storage?: Store | null;
  now?: () => number;
  /** Failures before a welcome, in a row, that switch transport (default 2). */
  failuresToSwitch?: number;
  /** On SSE: how long before WebSocket is tried again (default 5 minutes). */
  retryWebSocketMs?: number;
  /** The probe's open + answer must finish within this (default 10 s). */
  probeTimeoutMs?: number;
}

/** Close codes that say the path failed, not the server: no close frame (1006), TLS (1015). */
const PATH_FAILURES = new Set([1006, 1015]);
const HANDED_OVER = 4001;

/** `?transport=` of the address, else the stored setting, else auto. `ws` is short for websocket. */
export function transportMode(search: string, storage: Store | null): TransportMode {
  const read = (v: string | null): TransportMode | null =>
    v === 'sse' ? 'sse' : v === 'ws' || v === 'websocket' ? 'websocket' : v === 'auto' ? 'auto' : null;
  let stored: string | null = null;
  try { stored = storage?.getItem(TRANSPORT_KEY) ?? null; } catch { /* storage disabled */ }
  return read(new URLSearchParams(search).get('transport')) ?? read(stored) ?? 'auto';
}

/** The page's policy: the browser's WebSocket, SSE on the page's origin (/sse), the mode from the address or the setting. */
export function pageTransport(search: string, storage: Store | null): TransportPolicy {
  return new TransportPolicy({
    mode: transportMode(search, storage),
    storage,
    WebSocket: WebSocket as unknown as SocketCtor,
    sse: () => new SseSocket({
      streamUrl: '/sse', EventSource: EventSource as unknown as EventSourceCtor, fetch: (url, init) => fetch(url, init),
    }),
  });
}

export class TransportPolicy {
  /** The transport of the newest socket (the status says "fallback" while it is SSE). */
  current: Transport;
  /** The constructor to give the Connection. */
  readonly Socket: SocketCtor;
  private failures = 0;
  /** On SSE in auto mode: when it fell back (or a retry of WebSocket last failed). */
  private fellBackAt = 0;
  private retrying = false;
  private live: TrackedSocket | null = null;
  private probeTimer: ReturnType<typeof setTimeout> | null = null;
  private probe: SocketLike | null = null;
  private readonly o: Required<Omit<TransportOptions, 'storage'>> & Pick<TransportOptions, 'storage'>;

  constructor(opts: TransportOptions) {
    this.o = { now: Date.now, failuresToSwitch: 2, retryWebSocketMs: 5 * 60_000, probeTimeoutMs: 10_000, ...opts };
    this.current = this.o.mode === 'sse' ? 'sse' : 'websocket';
    if (this.o.mode === 'auto') {
      const at = Number(this.read(FELL_BACK_KEY));
      if (at > 0 && this.o.now() - at < this.o.retryWebSocketMs) { this.current = 'sse'; this.fellBackAt = at; }
    }
    const policy = this;
    this.Socket = class extends TrackedSocket {
      constructor(url: string, protocols?: string | string[]) { super(policy, url, protocols); }
    };
  }

  /** Whether the status should say "fallback". */
  get fallback(): boolean { return this.current === 'sse'; }

  /** Stops the background probe (the page goes away, or a test ends). */
  stop(): void {
    this.stopProbe();
  }

  /** Picks the transport of a new socket and builds it. Called by TrackedSocket. */
  create(url: string, protocols: string | string[] | undefined): SocketLike {
    if (this.o.mode === 'auto' && this.current === 'sse' && this.o.now() - this.fellBackAt >= this.o.retryWebSocketMs) {
      this.current = 'websocket';
      this.retrying = true;
    }
    if (this.current === 'sse') return this.o.sse();
    try {
      return new this.o.WebSocket(url, protocols);
    } catch (err) {
      this.failed();
      throw err;
    }
  }

  /** A socket got its welcome: this transport works. */
  welcomed(s: TrackedSocket): void {
    this.live = s;
    this.failures = 0;
    if (this.o.mode !== 'auto') return;
    if (s.transport === 'websocket') {
      this.retrying = false;
      this.remove(FELL_BACK_KEY);
    } else {
      this.scheduleProbe();
    }
  }

  /** A socket ended (`welcomed`: it had its welcome; `pathFailed`: no server closed it, see the header). */
  ended(s: TrackedSocket, welcomed: boolean, pathFailed: boolean): void {
    if (this.live === s) { this.live = null; this.stopProbe(); }
    if (!welcomed && pathFailed) this.failed();
  }

  /** The path of the current transport failed before a welcome: maybe switch. */
  private failed(): void {
    if (this.o.mode !== 'auto') return;
    this.failures++;
    if (this.current === 'websocket' && (this.retrying || this.failures >= this.o.failuresToSwitch)) {
      this.switchTo('sse');
      this.fellBackAt = this.o.now();
      this.write(FELL_BACK_KEY, String(this.fellBackAt));
    } else if (this.current === 'sse' && this.failures >= this.o.failuresToSwitch) {
      // SSE fails too (the servers are down, or they predate SSE): WebSocket's turn again.
      this.switchTo('websocket');
    }
  }

  private switchTo(t: Transport): void {
    this.current = t;
    this.failures = 0;
    this.retrying = false;
  }

  private scheduleProbe(): void {
    if (this.probeTimer || this.probe) return;
    const wait = Math.max(0, this.fellBackAt + this.o.retryWebSocketMs - this.o.now());
    this.probeTimer = setTimeout(() => { this.probeTimer = null; this.startProbe(); }, wait);
  }

  /** Opens a WebSocket beside the SSE stream: a `ping` and any answer prove the path works both ways. */
  private startProbe(): void {
    let ws: SocketLike;
    try { ws = new this.o.WebSocket(this.wsUrl, this.wsProtocols); } catch { this.probeDone(false); return; }
    this.probe = ws;
    const timer = setTimeout(() => this.probeDone(false), this.o.probeTimeoutMs);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      discard(ws, 'probe');
      if (this.probe === ws) this.probeDone(ok);
    };
    ws.onopen = () => { try { ws.send(JSON.stringify({ type: 'ping' })); } catch { done(false); } };
    ws.onmessage = () => done(true);
    ws.onclose = () => done(false);
    ws.onerror = () => { /* the close follows */ };
  }

  private probeDone(ok: boolean): void {
    const probe = this.probe;
    this.probe = null;
    if (probe && !ok) discard(probe, 'probe');
    if (!ok) {
      this.fellBackAt = this.o.now();
      this.write(FELL_BACK_KEY, String(this.fellBackAt));
      if (this.live) this.scheduleProbe();
      return;
    }
    // WebSocket works again: the next socket is one; the SSE one ends so the Connection reconnects.
    this.switchTo('websocket');
    this.retrying = true;
    this.live?.handOver(HANDED_OVER, 'back to WebSocket');
  }

  private stopProbe(): void {
    if (this.probeTimer) { clearTimeout(this.probeTimer); this.probeTimer = null; }
    const probe = this.probe;
    this.probe = null;
    if (probe) discard(probe, 'probe');
  }

  /** The URL and subprotocols the Connection asked for (the probe uses the same). */
  private wsUrl = '';
  private wsProtocols: string | string[] | undefined;
  remember(url: string, protocols: string | string[] | undefined): void { this.wsUrl = url; this.wsProtocols = protocols; }

  private read(k: string): string | null { try { return this.o.storage?.getItem(k) ?? null; } catch { return null; } }
  private write(k: string, v: string): void { try { this.o.storage?.setItem(k, v); } catch { /* private mode */ } }
  private remove(k: string): void { try { this.o.storage?.removeItem(k); } catch { /* private mode */ } }
}

/** A socket of either transport, watched by the policy (was it welcomed? how did it end?). */
class TrackedSocket implements SocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  readonly transport: Transport;
  private readonly inner: SocketLike;
  private welcomed = false;
  private done = false;

  constructor(private readonly policy: TransportPolicy, url: string, protocols?: string | string[]) {
    policy.remember(url, protocols);
    this.inner = policy.create(url, protocols);
    this.transport = policy.current;
    this.inner.onopen = (ev) => this.onopen?.(ev);
    this.inner.onmessage = (ev) => {
      if (!this.welcomed && isWelcome(ev.data)) { this.welcomed = true; policy.welcomed(this); }
      this.onmessage?.(ev);
    };
    this.inner.onclose = (ev) => { this.end(PATH_FAILURES.has(ev.code)); this.onclose?.(ev); };
    this.inner.onerror = (ev) => this.onerror?.(ev);
  }

  get readyState(): number { return this.inner.readyState; }
  send(data: string): void { this.inner.send(data); }

  /** The Connection closes it: before a welcome, other than a plain stop (1000), it gave up waiting. */
  close(code?: number, reason?: string): void {
    this.end(code !== undefined && code !== 1000);
    this.inner.close(code, reason);
  }

  /** Ends this socket for the policy: closes it and tells the Connection, which reconnects. */
  handOver(code: number, reason: string): void {
    if (this.done) return;
    this.end(false);
    discard(this.inner, reason);
    this.onclose?.({ code, reason });
  }

  private end(pathFailed: boolean): void {
    if (this.done) return;
    this.done = true;
    this.policy.ended(this, this.welcomed, pathFailed);
  }
}

/** Closes a socket nobody listens to any more: its handlers detached first, so it reports nothing. */
function discard(s: SocketLike, reason: string): void {
  s.onopen = s.onmessage = s.onclose = s.onerror = null;
  try { s.close(1000, reason); } catch { /* closed already */ }
}

function isWelcome(data: unknown): boolean {
  if (typeof data !== 'string' || !data.includes('"welcome"')) return false;
  try { return (JSON.parse(data) as { type?: unknown }).type === 'welcome'; } catch { return false; }
}
