/**
 * The two Redis connections a server holds: one for commands and scripts, one subscribed to the bus.
 * - Both have error listeners (an unhandled 'error' would kill the process) and reconnect forever
 *   with capped backoff.
 * - The offline queue is off and every command has a deadline, so a request made while Redis is down
 *   fails at once with StoreUnavailableError instead of hanging; the client gets `unavailable`.
 * - Scripts run by EVALSHA, loaded again by EVAL after a Redis restart (NOSCRIPT).
 */
import { createHash } from 'node:crypto';
import { createClient, ErrorReply } from 'redis';
import type { Logger } from '../log.js';
import { StoreUnavailableError } from './errors.js';

export interface RedisHooks {
  onError?: () => void;
  onReconnect?: () => void;
}

function makeClient(url: string, timeoutMs: number) {
  return createClient({
    url,
    // RESP2 replies are flat arrays (WITHSCORES: member, score, …), the same shape scripts return.
    RESP: 2,
    disableOfflineQueue: true,
    // No CLIENT SETINFO on connect: the servers' Redis user may run only what they use (redis/users.acl.template).
    disableClientInfo: true,
    socket: {
      connectTimeout: Math.max(timeoutMs, 1000),
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), 2000),
    },
  });
}

type RedisClient = ReturnType<typeof makeClient>;

export type RedisReply = string | number | null | RedisReply[];

export class RedisConnections {
  readonly client: RedisClient;
  readonly subscriber: RedisClient;
  private readonly subscriberReady: Array<() => void> = [];
  private readonly shas = new Map<string, string>();
  private closing = false;

  constructor(url: string, private readonly timeoutMs: number, private readonly log: Logger, hooks: RedisHooks = {}) {
    this.client = makeClient(url, timeoutMs);
    this.subscriber = makeClient(url, timeoutMs);
    for (const [role, c] of [['command', this.client], ['subscriber', this.subscriber]] as const) {
      let wasDown = false;
      c.on('error', (err: Error) => {
        hooks.onError?.();
        if (!wasDown && !this.closing) log.warn({ role, err: err.message }, 'redis connection error');
        wasDown = true;
      });
      c.on('reconnecting', () => {
        wasDown = true;
      });
      c.on('ready', () => {
        if (wasDown) {
          hooks.onReconnect?.();
          log.info({ role }, 'redis connection restored');
          if (role === 'subscriber') for (const cb of this.subscriberReady) cb();
          // A restarted Redis has no scripts: load them before anything else on this connection, so
          // no EVALSHA falls back to a later EVAL that commands sent after it could overtake.
          if (role === 'command') for (const source of this.shas.keys()) void this.client.sendCommand(['SCRIPT', 'LOAD', source]).catch(() => {});
        }
        wasDown = false;
      });
    }
  }

  /** Connects both connections; rejects when Redis is unreachable (the caller decides whether to wait). */
  async connect(): Promise<void> {
    await Promise.all([this.client.connect(), this.subscriber.connect()]);
  }

  onSubscriberReady(cb: () => void): void {
    this.subscriberReady.push(cb);
  }

  /** True when the command connection is up. */
  get isReady(): boolean {
    return this.client.isReady;
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
    if (!this.client.isReady) throw new StoreUnavailableError('redis is not connected');
    return this.withDeadline(this.client.sendCommand(args) as Promise<T>);
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
        if (err instanceof StoreUnavailableError) throw err;
        // Redis at maxmemory (noeviction) refuses writes: for the client that is `unavailable`, not a bug.
        if (err instanceof ErrorReply && err.message.startsWith('OOM')) throw new StoreUnavailableError(`redis refused the write: ${err.message}`, { cause: err });
        // Other errors Redis itself returns (script errors, NOSCRIPT) are not outages.
        if (err instanceof ErrorReply) throw err;
        throw new StoreUnavailableError(err instanceof Error ? err.message : String(err), { cause: err });
      })
      .finally(() => clearTimeout(timer));
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([this.client.close(), this.subscriber.close()]);
  }
}
