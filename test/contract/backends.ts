/**
 * The factories every contract suite runs against: the memory backend and the Redis backend
 * (a real redis-server). A "world" is one shared store; `server(appId)` is one server's view of it,
 * so multi-server behaviour (presence across servers, dedup across servers) is tested on both.
 */
import { pino } from 'pino';
import { createClient } from 'redis';
import { MemoryBus } from '../../app/src/bus/memory-bus.js';
import { MemoryHistory } from '../../app/src/history/memory-history.js';
import { MemoryPresence, MemoryPresenceState } from '../../app/src/presence/memory-presence.js';
import { MemorySessions } from '../../app/src/sessions/memory-sessions.js';
import { createRedisBackend, type Backend, type BackendSettings } from '../../app/src/store/backend.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

export interface ServerOptions {
  historyMax?: number;
  presenceTtlMs?: number;
  sessionTtlSec?: number;
}

export interface BackendFactory {
  name: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** Empties the world and closes the servers of the previous test. */
  reset(): Promise<void>;
  /** One server's view of the shared world, started. */
  server(appId: string, opts?: ServerOptions): Promise<Backend>;
}

const silent = pino({ level: 'silent' });

const settings = (appId: string, url: string, o: ServerOptions): BackendSettings => ({
  appId,
  redisUrl: url,
  redisTimeoutMs: 2000,
  historyMax: o.historyMax ?? 1000,
  dedupTtlSec: 600,
  presenceTtlMs: o.presenceTtlMs ?? 15_000,
  sessionTtlSec: o.sessionTtlSec ?? 3600,
});

function memoryFactory(): BackendFactory {
  let world: { bus: MemoryBus; presence: MemoryPresenceState; histories: Map<number, MemoryHistory>; sessions: Map<number, MemorySessions> };
  const fresh = () => ({ bus: new MemoryBus(), presence: new MemoryPresenceState(), histories: new Map(), sessions: new Map() });
  return {
    name: 'memory',
    async setup() { world = fresh(); },
    async teardown() {},
    async reset() { world = fresh(); },
    async server(appId, o = {}) {
      const max = o.historyMax ?? 1000;
      if (!world.histories.has(max)) world.histories.set(max, new MemoryHistory(world.bus, max, 600_000));
      const ttl = (o.sessionTtlSec ?? 3600) * 1000;
      if (!world.sessions.has(ttl)) world.sessions.set(ttl, new MemorySessions(ttl));
      return {
        bus: world.bus,
        history: world.histories.get(max)!,
        presence: new MemoryPresence(world.bus, appId, o.presenceTtlMs ?? 15_000, world.presence),
        sessions: world.sessions.get(ttl)!,
        isReady: () => true,
        start: async () => {},
        close: async () => {},
      };
    },
  };
}

function redisFactory(): BackendFactory {
  let redis: TestRedis;
  let open: Backend[] = [];
  return {
    name: 'redis',
    async setup() { redis = await startRedis(); },
    async teardown() {
      await Promise.all(open.map((b) => b.close()));
      await redis.stop();
    },
    async reset() {
      await Promise.all(open.map((b) => b.close()));
      open = [];
      const admin = createClient({ url: redis.url });
      await admin.connect();
      await admin.flushAll();
      await admin.close();
    },
    async server(appId, o = {}) {
      const b = createRedisBackend(settings(appId, redis.url, o), silent);
      await b.start();
      open.push(b);
      return b;
    },
  };
}

export const factories: Array<() => BackendFactory> = [memoryFactory, redisFactory];

/** Collects bus payloads (parsed) of one server. */
export function record(b: Backend): Array<Record<string, unknown>> {
  const seen: Array<Record<string, unknown>> = [];
  b.bus.subscribe((p) => seen.push(JSON.parse(p)));
  return seen;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `fn` returns true (bus delivery is asynchronous on Redis). */
export async function eventually(fn: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}
