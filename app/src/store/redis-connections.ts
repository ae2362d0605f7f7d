/**
 * The two Redis connections a server holds: one for commands and scripts, one subscribed to the bus.
 * - Both have error listeners (an unhandled 'error' would kill the process) and reconnect forever
 *   with capped backoff.
 * - The offline queue is off and every command has a deadline, so a request made while Redis is down
 *   fails at once with StoreUnavailableError instead of hanging; the client gets `unavailable`.
 * - Scripts run by EVALSHA, loaded again by EVAL after a Redis restart (NOSCRIPT).
 * - With Sentinels (store/redis-sentinel.ts) both connect to the primary they name; when it changes
 *   (failover) both are replaced by connections to the new one: scripts are loaded there first, the
 *   subscription is made again and onSubscriberReady runs (the chat layer repairs gaps).
 * - With waitReplicas > 0, `replicated` follows a write with WAIT on the same connection: an ack
 *   then means that many replicas have the write (else StoreUnavailableError, i.e. `unavailable`).
 */
import { createHash } from 'node:crypto';
import { createClient, ErrorReply } from 'redis';
import type { Logger } from '../log.js';
import { StoreUnavailableError } from './errors.js';
import { sameAddress, SentinelWatcher, type PrimaryAddress, type SentinelSettings } from './redis-sentinel.js';

export interface RedisHooks {
  onError?: () => void;
  onReconnect?: () => void;
}

export interface RedisOptions {
  /** Deadline of every command. */
  timeoutMs: number;
  /** Find the primary through these Sentinels (the URL then gives only user and password). */
  sentinel?: SentinelSettings;
  /** Replicas that must confirm each `replicated` write (0: no WAIT), and how long WAIT waits. */
  waitReplicas?: number;
  waitTimeoutMs?: number;
}

function makeClient(url: string, timeoutMs: number) {
  return createClient({
    url,
    // RESP2 replies are flat arrays (WITHSCORES: member, score, …), the same shape scripts return.
    RESP: 2,
    disableOfflineQueue: true,
    // No CLIENT SETINFO on connect: the servers' Redis user may run only what they use (redis/users.acl.template).
    disableClientInfo: true,
    // No per-command timeout in node-redis: it costs an AbortSignal.timeout (signal, timer, WeakRef and a
    // FinalizationRegistry cell, alive ≥ 5 s) per command. Every command here has its own deadline (withDeadline).
    commandOptions: { timeout: 0 },
    socket: {
      connectTimeout: Math.max(timeoutMs, 1000),
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), 2000),
    },
  });
}

type RedisClient = ReturnType<typeof makeClient>;

export type RedisReply = string | number | null | RedisReply[];

/** `url` with its host and port replaced by `at` (user, password and options kept). */
export function urlAt(url: string, at: PrimaryAddress): string {
  const u = new URL(url);
  u.hostname = at.host.includes(':') ? `[${at.host}]` : at.host;
  u.port = String(at.port);
  return u.toString();
}

/** Replies that mean "not the primary (any more)" or "cannot take writes now": outages, not bugs. */
const NOT_WRITABLE = /\b(READONLY|NOREPLICAS|MASTERDOWN)\b/;

export class RedisConnections {
  private cmd: RedisClient;
  private sub: RedisClient;
  private readonly subscriberReady: Array<() => void> = [];
  private readonly channels = new Map<string, (message: string) => void>();
  private readonly shas = new Map<string, string>();
  private readonly timeoutMs: number;
  private readonly waitReplicas: number;
  private readonly waitTimeoutMs: number;
  private readonly watcher: SentinelWatcher | null = null;
  private primary: PrimaryAddress | null = null;
  /** Changes whenever the command connection may be a new one (reconnect, failover): a WAIT must run on the writer's. */
  private epoch = 0;
  private closing = false;

  constructor(private readonly url: string, opts: RedisOptions | number, private readonly log: Logger, private readonly hooks: RedisHooks = {}) {
    const o = typeof opts === 'number' ? { timeoutMs: opts } : opts;
    this.timeoutMs = o.timeoutMs;
    this.waitReplicas = o.waitReplicas ?? 0;
    this.waitTimeoutMs = o.waitTimeoutMs ?? 500;
    if (o.sentinel && o.sentinel.sentinels.length > 0) {
      this.watcher = new SentinelWatcher(o.sentinel, Math.min(this.timeoutMs, 1000), log, (at) => this.follow(at));
    }
    this.cmd = this.attach('command', makeClient(url, this.timeoutMs), false);
    this.sub = this.attach('subscriber', makeClient(url, this.timeoutMs), false);
  }

  get client(): RedisClient { return this.cmd; }
  get subscriber(): RedisClient { return this.sub; }

  private attach(role: 'command' | 'subscriber', c: RedisClient, fresh: boolean): RedisClient {
    // A replacement (failover) counts as down until it is ready: its first 'ready' runs the "again" steps.
    let wasDown = fresh;
    const current = () => (role === 'command' ? this.cmd : this.sub) === c;
    c.on('error', (err: Error) => {
      if (!current()) return;
      this.hooks.onError?.();
      if (!wasDown && !this.closing) this.log.warn({ role, err: err.message }, 'redis connection error');
      wasDown = true;
      if (this.watcher && !this.closing) this.watcher.recheck();
    });
    c.on('reconnecting', () => {
      wasDown = true;
    });
    c.on('ready', () => {
      if (!current()) return;
      if (role === 'command') this.epoch++;
      if (wasDown) {
        this.hooks.onReconnect?.();
        this.log.info({ role }, 'redis connection restored');
        // A restarted Redis (or a new primary) may lack the scripts: load them before anything else on
        // this connection, so no EVALSHA falls back to a later EVAL that commands sent after it could overtake.
        if (role === 'command') for (const source of this.shas.keys()) void c.sendCommand(['SCRIPT', 'LOAD', source]).catch(() => {});
        if (role === 'subscriber') void this.resubscribed(c, fresh);
      }
      wasDown = false;
    });
    return c;
  }

  /** A replacement subscriber has no subscription: make it, then tell the bus (gap repair). */
  private async resubscribed(c: RedisClient, fresh: boolean): Promise<void> {
    try {
      if (fresh) for (const [channel, listener] of this.channels) await this.withDeadline(c.subscribe(channel, listener));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'redis resubscribe failed');
      // Start over with fresh connections to whatever primary the Sentinels name now.
      if (this.sub === c) {
        this.primary = null;
        this.watcher?.recheck();
      }
      return;
    }
    if (this.sub === c) for (const cb of this.subscriberReady) cb();
  }

  /** Sentinel named a primary: if it is another one, replace both connections. */
  private follow(at: PrimaryAddress): void {
    if (this.closing || sameAddress(this.primary, at)) return;
    this.log.warn({ from: this.primary && `${this.primary.host}:${this.primary.port}`, to: `${at.host}:${at.port}` }, 'redis primary changed: reconnecting');
    this.primary = at;
    const [oldCmd, oldSub] = [this.cmd, this.sub];
    this.epoch++;
    this.cmd = this.attach('command', makeClient(urlAt(this.url, at), this.timeoutMs), true);
    this.sub = this.attach('subscriber', makeClient(urlAt(this.url, at), this.timeoutMs), true);
    for (const c of [oldCmd, oldSub]) try { c.destroy(); } catch { /* already closed */ }
    for (const c of [this.cmd, this.sub]) void c.connect().catch(() => {});
  }

  /** Connects both connections; rejects when Redis is unreachable (the caller decides whether to wait). */
  async connect(): Promise<void> {
    if (this.watcher) {
      const at = await this.watcher.start();
      if (!sameAddress(this.primary, at)) {
        this.primary = at;
        this.cmd = this.attach('command', makeClient(urlAt(this.url, at), this.timeoutMs), false);
        this.sub = this.attach('subscriber', makeClient(urlAt(this.url, at), this.timeoutMs), false);
      }
    }
    await Promise.all([this.cmd.connect(), this.sub.connect()]);
  }

  onSubscriberReady(cb: () => void): void {
    this.subscriberReady.push(cb);
  }

  /** Subscribes the subscriber connection (again on every replacement after a failover). */
  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    this.channels.set(channel, listener);
    await this.withDeadline(this.subscriber.subscribe(channel, listener));
  }

  /** True when the command connection is up. */
  get isReady(): boolean {
    return this.cmd.isReady;
  }

  /**
   * True when both connections answer a PING within the deadline: the command connection, and the
   * subscriber (RESP2 allows PING while subscribed). A black-holed socket looks connected; only an
   * answer tells. Never rejects.
   */
  async probe(): Promise<boolean> {
    if (!this.client.isReady || !this.subscriber.isReady) return false;
    try {
      await Promise.all([this.command(['PING']), this.withDeadline(this.subscriber.sendCommand(['PING']))]);
      return true;
    } catch {
      return false;
    }
  }

  /** Runs one command with the deadline; throws StoreUnavailableError when Redis is down or slow. */
  async command<T = RedisReply>(args: string[]): Promise<T> {
    if (!this.cmd.isReady) throw new StoreUnavailableError('redis is not connected');
    return this.withDeadline(this.cmd.sendCommand(args) as Promise<T>);
  }

  /** True when `replicated` waits for replicas (REDIS_WAIT_REPLICAS > 0). */
  get waitsForReplicas(): boolean {
    return this.waitReplicas > 0;
  }

  /**
   * Runs `write` (commands on the command connection), then, when replicas are asked for, WAIT on the
   * same connection: resolves only once that many replicas have every write made on it so far.
   */
  async replicated<T>(write: () => Promise<T>): Promise<T> {
    if (this.waitReplicas === 0) return write();
    const epoch = this.epoch;
    const out = await write();
    // A WAIT on another connection than the write's would count nothing of it.
    if (epoch !== this.epoch) throw new StoreUnavailableError('the redis connection changed before the write was replicated');
    const n = await this.command<number>(['WAIT', String(this.waitReplicas), String(this.waitTimeoutMs)]);
    if (epoch !== this.epoch) throw new StoreUnavailableError('the redis connection changed during WAIT');
    if (Number(n) < this.waitReplicas) throw new StoreUnavailableError(`only ${n} of ${this.waitReplicas} replicas confirmed the write within ${this.waitTimeoutMs} ms`);
    return out;
  }

  /** Runs a Lua script by its SHA, loading it on NOSCRIPT. */
  async script<T = RedisReply>(source: string, keys: string[], args: Array<string | number>): Promise<T> {
    let sha = this.shas.get(source);
    if (!sha) {
      sha = createHash('sha1').update(source).digest('hex');
      this.shas.set(source, sha);
    }
    const tail = [String(keys.length), ...keys, ...args.map(String)];
    try {
      return await this.command<T>(['EVALSHA', sha, ...tail]);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
        return this.command<T>(['EVAL', source, ...tail]);
      }
      throw err;
    }
  }

  /** Redis memory use and its limit, from INFO memory. */
  async memory(): Promise<{ used: number; max: number }> {
    const info = await this.command<string>(['INFO', 'memory']);
    const field = (k: string) => Number(new RegExp(`^${k}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
    return { used: field('used_memory'), max: field('maxmemory') };
  }

  private withDeadline<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(`redis did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    return Promise.race([p, deadline])
      .catch((err: unknown) => {
        if (err instanceof StoreUnavailableError) {
          // A primary that stopped answering may have been replaced: ask Sentinel now rather than at the next poll.
          this.watcher?.recheck();
          throw err;
        }
        // Redis at maxmemory (noeviction) refuses writes: for the client that is `unavailable`, not a bug.
        if (err instanceof ErrorReply && err.message.startsWith('OOM')) throw new StoreUnavailableError(`redis refused the write: ${err.message}`, { cause: err });
        // A replica (a failover under way), or a primary without enough replicas (min-replicas-to-write).
        if (err instanceof ErrorReply && NOT_WRITABLE.test(err.message)) {
          this.watcher?.recheck();
          throw new StoreUnavailableError(`redis refused the write: ${err.message.slice(0, 80)}`, { cause: err });
        }
        // Other errors Redis itself returns (script errors, NOSCRIPT) are not outages.
        if (err instanceof ErrorReply) throw err;
        throw new StoreUnavailableError(err instanceof Error ? err.message : String(err), { cause: err });
      })
      .finally(() => clearTimeout(timer));
  }

  async close(): Promise<void> {
    this.closing = true;
    this.watcher?.close();
    await Promise.allSettled([this.cmd.close(), this.sub.close()]);
  }
}
