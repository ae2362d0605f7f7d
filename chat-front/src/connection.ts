/**
 * One logical connection to the chat, kept alive across sockets (centrifuge-js style): a State enum,
 * the WebSocket constructor injected (tests drive it with a fake), `hello` sent on every open, and
 * reconnects with full-jitter exponential backoff. It knows the protocol only as far as staying
 * connected needs: `hello` -> `welcome` makes it Connected, `ping` every 20 s proves the path is alive.
 * Every request goes out with a fresh `rid` and waits in the socket's table of requests in flight
 * (requests.ts) until the frame that carries its rid back. Every frame is checked by frames.ts first;
 * the well-formed ones are handed to `onMessage`, an answer together with the request it answers.
 */
import {
  CloseCode, SUBPROTOCOL, type HelloRequest, type Request, type ServerMessage, type SigninRequest, type SignupRequest,
} from '@livechat/protocol';
import { readServerFrame } from './frames.js';
import { inFlightOf, RequestTable, type InFlight } from './requests.js';

export enum State {
  Disconnected = 'disconnected',
  Connecting = 'connecting',
  Connected = 'connected',
  Reconnecting = 'reconnecting',
}

/** The part of the browser's WebSocket this module uses. */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type SocketCtor = new (url: string, protocols?: string | string[]) => SocketLike;

export interface ConnectionOptions {
  url: string;
  WebSocket: SocketCtor;
  /**
   * The first request on each open (read every time, so a new session token is used): `hello`, or a
   * `signin` / `signup` (an account's first request on a new connection, instead of `hello`).
   */
  hello: () => HelloRequest | SigninRequest | SignupRequest;
  /** The server closed the socket: return false to stay disconnected (signed out) instead of reconnecting. */
  onClose?: (code: number, reason: string) => boolean;
  /** A frame; `answers` is the request it answers (matched by rid), if it is such an answer. */
  onMessage: (msg: ServerMessage, answers?: InFlight) => void;
  onState?: (state: State) => void;
  /** Backoff: the n-th retry waits random() * min(capMs, baseMs * 2^n). */
  baseMs?: number;
  capMs?: number;
  random?: () => number;
  /** Client ping period; the path counts as dead when nothing arrives within pongTimeoutMs of a ping. */
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  /** Open + hello -> welcome must finish within this. */
  connectTimeoutMs?: number;
}

const OPEN = 1;
/** Close code the server uses for "try again later": start further up the backoff curve. */
const TRY_AGAIN_LATER = CloseCode.TryAgainLater;

/**
 * Full-jitter exponential backoff: a uniformly random delay in [0, min(cap, base * 2^attempt)).
 * Spreads a crowd of clients that lost the same server over the whole window.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

export class Connection {
  state: State = State.Disconnected;
  /** Number of failed attempts since the last welcome (drives the backoff). */
  attempt = 0;
  /** When the next reconnect is due (ms since epoch), while Reconnecting. */
  retryAt: number | null = null;
  private ws: SocketLike | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private deadTimer: ReturnType<typeof setTimeout> | null = null;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly requests = new RequestTable();
  private readonly o: Required<Omit<ConnectionOptions, 'onState' | 'onClose'>> & Pick<ConnectionOptions, 'onState' | 'onClose'>;

  constructor(opts: ConnectionOptions) {
    // Options given as undefined keep their defaults.
    const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as ConnectionOptions;
    this.o = {
      baseMs: 500, capMs: 10_000, random: Math.random, pingIntervalMs: 20_000, pongTimeoutMs: 10_000,
      connectTimeoutMs: 10_000, ...given,
    };
  }

  /** Starts connecting (no-op unless Disconnected). */
  connect(): void {
    if (this.state !== State.Disconnected) return;
    this.setState(State.Connecting);
    this.open();
  }

  /** Stops for good: closes the socket, cancels any retry. */
  close(): void {
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    this.requests.reset();
    if (ws) { detach(ws); safeClose(ws, 1000, 'bye'); }
    this.setState(State.Disconnected);
  }

  /** While waiting to reconnect, try at once (the browser came back online, the person asked). */
  retryNow(): void {
    if (this.state !== State.Reconnecting || this.ws) return;
    this.clearTimers();
    this.open();
  }

  /**
   * Sends one request, with a fresh rid, if the socket is open and welcomed (or it is the hello); false
   * otherwise. `about` is what the answer will be handed on with (by default, what the request names).
   */
  send(req: Request, about: InFlight = inFlightOf(req)): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN) return false;
    if (this.state !== State.Connected && req.type !== 'hello') return false;
    return this.write(ws, req, about);
  }

  /**
   * True once this socket's server showed that it echoes rids (its welcome carried the hello's): an
   * `error` without a rid then answers nothing the page asked. Before that, and with an older server,
   * answers can only be told apart by what they carry.
   */
  get echoesRids(): boolean {
    return this.requests.echoed;
  }

  /** Whether an `error` carrying `rid` is about a request that has no answer (a `typing`): nothing to show. */
  isUnanswered(rid: string | undefined): boolean {
    return this.requests.isUnanswered(rid);
  }

  /** Writes a request with a fresh rid, kept in the table until answered. */
  private write(ws: SocketLike, req: Request, about: InFlight): boolean {
    const rid = this.requests.add(about);
    try {
      ws.send(JSON.stringify({ ...req, rid }));
      return true;
    } catch {
      this.requests.forget(rid);
      return false;
    }
  }

  private open(): void {
    this.retryAt = null;
    this.requests.reset();
    let ws: SocketLike;
    try {
      ws = new this.o.WebSocket(this.o.url, SUBPROTOCOL);
    } catch {
      this.scheduleReconnect(undefined);
      return;
    }
    this.ws = ws;
    this.connectTimer = setTimeout(() => this.drop(), this.o.connectTimeoutMs);
    ws.onopen = () => {
      if (this.ws !== ws) return;
      const hello = this.o.hello();
      if (!this.write(ws, hello, inFlightOf(hello))) this.drop();
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws || typeof ev.data !== 'string') return;
      this.alive();
      // Checked and rebuilt (frames.ts): a malformed frame is dropped, never handed on.
      const msg = readServerFrame(ev.data);
      if (!msg) return;
      const answers = this.requests.answer(msg.rid);
      if (msg.type === 'pong') return;
      if (msg.type === 'welcome') {
        this.attempt = 0;
        if (this.connectTimer) { clearTimeout(this.connectTimer); this.connectTimer = null; }
        this.requests.welcomed(answers !== undefined);
        this.startPinging();
        this.deliver(msg, answers);
        this.setState(State.Connected);
        return;
      }
      this.deliver(msg, answers);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.requests.reset();
      if (this.o.onClose?.(ev.code, ev.reason) === false) {
        this.clearTimers();
        this.setState(State.Disconnected);
        return;
      }
      this.scheduleReconnect(ev.code);
    };
    ws.onerror = () => { /* a close event follows */ };
  }

  /** Hands a frame on; a bug in its handling is reported, never allowed to break the socket's handler. */
  private deliver(msg: ServerMessage, answers: InFlight | undefined): void {
    try {
      this.o.onMessage(msg, answers);
    } catch (err) {
      console.error('livechat: a server frame could not be applied', err);
    }
  }

  /** Gives up on the current socket (dead path or slow handshake) without waiting for its close event. */
  private drop(): void {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    this.requests.reset();
    detach(ws);
    safeClose(ws, 4000, 'timeout');
    this.scheduleReconnect(undefined);
  }

  private scheduleReconnect(code: number | undefined): void {
    this.clearTimers();
    if (code === TRY_AGAIN_LATER) this.attempt = Math.max(this.attempt, 3);
    const delay = backoffDelay(this.attempt, this.o.baseMs, this.o.capMs, this.o.random);
    this.attempt++;
    this.retryAt = Date.now() + delay;
    this.setState(State.Reconnecting);
    this.retryTimer = setTimeout(() => { this.retryTimer = null; this.open(); }, delay);
  }

  private startPinging(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      const ws = this.ws;
      if (!ws || ws.readyState !== OPEN) return;
      this.write(ws, { type: 'ping' }, { type: 'ping' }); // a failure: the close follows
      if (!this.deadTimer) this.deadTimer = setTimeout(() => this.drop(), this.o.pongTimeoutMs);
    }, this.o.pingIntervalMs);
  }

  /** Any frame proves the path is alive. */
  private alive(): void {
    if (this.deadTimer) { clearTimeout(this.deadTimer); this.deadTimer = null; }
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.deadTimer) clearTimeout(this.deadTimer);
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.retryTimer = this.pingTimer = this.deadTimer = this.connectTimer = null;
  }

  private setState(s: State): void {
    if (s === this.state) return;
    this.state = s;
    this.o.onState?.(s);
  }
}

function detach(ws: SocketLike): void {
  ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
}

function safeClose(ws: SocketLike, code: number, reason: string): void {
  try { ws.close(code, reason); } catch { /* already closed */ }
}
