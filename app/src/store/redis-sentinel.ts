/**
 * Finding the primary through Redis Sentinel, and noticing when it changes. The servers do not use
 * node-redis's createSentinel: they keep their two plain connections (error listeners, deadlines,
 * no offline queue, EVALSHA with NOSCRIPT fallback, the subscriber's "ready again → gap repair")
 * and only swap the address those connect to. The watcher asks one Sentinel at a time
 * `SENTINEL get-master-addr-by-name` (the next one when it does not answer), hears `+switch-master`
 * at once on a subscription, and asks again every `pollMs` and whenever a connection suspects it is
 * on a replica (READONLY) — so a lost pub/sub message or a dead Sentinel only delays the switch.
 */
import { createClient } from 'redis';
import type { SentinelAddress } from '../config-values.js';
import type { Logger } from '../log.js';

export type PrimaryAddress = SentinelAddress;

export interface SentinelSettings {
  sentinels: SentinelAddress[];
  name: string;
  password?: string;
  /** Addresses the Sentinels announce → the ones to connect to instead (REDIS_SENTINEL_ADDRESS_MAP). */
  addressMap?: ReadonlyArray<readonly [SentinelAddress, SentinelAddress]>;
}

export const sameAddress = (a: PrimaryAddress | null, b: PrimaryAddress | null) => !!a && !!b && a.host === b.host && a.port === b.port;

/** Where to connect for a data node the Sentinels name `at`: its entry in `map`, else `at` itself. */
export function reachedAt(at: PrimaryAddress, map: SentinelSettings['addressMap'] = []): PrimaryAddress {
  const hit = map.find(([from]) => from.port === at.port && from.host.toLowerCase() === at.host.toLowerCase());
  return hit ? { ...hit[1] } : at;
}

/** The new primary of a `+switch-master` message (`<name> <old ip> <old port> <new ip> <new port>`) for `name`, else null. */
export function parseSwitchMaster(message: string, name: string): PrimaryAddress | null {
  const f = message.trim().split(/\s+/);
  if (f.length !== 5 || f[0] !== name) return null;
  const port = Number(f[4]);
  return Number.isInteger(port) && port > 0 && port < 65536 ? { host: f[3], port } : null;
}

/** The answer of `SENTINEL get-master-addr-by-name`: [host, port], or null when the name is unknown. */
export function parseMasterAddr(reply: unknown): PrimaryAddress | null {
  if (!Array.isArray(reply) || reply.length !== 2) return null;
  const port = Number(reply[1]);
  return typeof reply[0] === 'string' && Number.isInteger(port) && port > 0 ? { host: reply[0], port } : null;
}

function sentinelClient(at: SentinelAddress, password: string | undefined, timeoutMs: number, reconnect: boolean) {
  return createClient({
    RESP: 2, disableOfflineQueue: true, disableClientInfo: true, password: password || undefined,
    socket: {
      host: at.host, port: at.port, connectTimeout: timeoutMs,
      reconnectStrategy: reconnect ? (retries: number) => Math.min(100 * 2 ** Math.min(retries, 4), 1000) : false,
    },
  });
}

type SentinelClient = ReturnType<typeof sentinelClient>;

export class SentinelWatcher {
  private next = 0;
  private asker: SentinelClient | null = null;
  private listeners: SentinelClient[] = [];
  private timer: NodeJS.Timeout | null = null;
  private asking: Promise<PrimaryAddress | null> | null = null;
  private closed = false;

  constructor(
    private readonly settings: SentinelSettings,
    private readonly timeoutMs: number,
    private readonly log: Logger,
    private readonly onPrimary: (at: PrimaryAddress) => void,
    private readonly pollMs = 1000,
  ) {}

  /** Asks the Sentinels until one names the primary (each gets `timeoutMs`); null when none does. */
  ask(): Promise<PrimaryAddress | null> {
    this.asking ??= this.askEach().finally(() => { this.asking = null; });
    return this.asking;
  }

  private async askEach(): Promise<PrimaryAddress | null> {
    const { sentinels, name, password } = this.settings;
    for (let i = 0; i < sentinels.length && !this.closed; i++) {
      const at = sentinels[this.next % sentinels.length];
      try {
        if (!this.asker) {
          const c = sentinelClient(at, password, this.timeoutMs, false);
          c.on('error', () => {});
          this.asker = c;
          await withTimeout(c.connect(), this.timeoutMs);
        }
        const reply = await withTimeout(this.asker.sendCommand(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name]), this.timeoutMs);
        const primary = parseMasterAddr(reply);
        if (primary) return reachedAt(primary, this.settings.addressMap);
        this.log.warn({ sentinel: `${at.host}:${at.port}`, name }, 'sentinel does not know the primary');
      } catch (err) {
        this.log.debug({ sentinel: `${at.host}:${at.port}`, err: (err as Error).message }, 'sentinel did not answer');
      }
      this.asker?.destroy();
      this.asker = null;
      this.next++;
    }
    return null;
  }

  /** Finds the primary (retrying every second until a Sentinel names it), then starts watching. */
  async start(): Promise<PrimaryAddress> {
    for (;;) {
      const primary = await this.ask();
      if (primary) {
        this.watch();
        return primary;
      }
      if (this.closed) throw new Error('closed');
      this.log.warn({ sentinels: this.settings.sentinels.length }, 'no sentinel names the primary yet');
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** Asks again now (a connection met READONLY, or its primary stopped answering). */
  recheck(): void {
    if (!this.closed) void this.ask().then((p) => { if (p && !this.closed) this.onPrimary(p); });
  }

  private watch(): void {
    // Every Sentinel announces a failover it sees; listening to all of them costs one idle connection each.
    for (const at of this.settings.sentinels) {
      const c = sentinelClient(at, this.settings.password, this.timeoutMs, true);
      c.on('error', () => {});
      this.listeners.push(c);
      void c.connect()
        .then(() => c.subscribe('+switch-master', (message: string) => {
          const primary = parseSwitchMaster(message, this.settings.name);
          if (primary && !this.closed) this.onPrimary(reachedAt(primary, this.settings.addressMap));
        }))
        .catch(() => {});
    }
    this.timer = setInterval(() => this.recheck(), this.pollMs);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const c of [...this.listeners, this.asker]) c?.destroy();
    this.listeners = [];
    this.asker = null;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => { t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(t));
}
