/**
 * The factories every contract suite runs against: the memory backend and the Redis backend
 * (a real redis-server). A "world" is one shared store; `server(appId)` is one server's view of it,
 * so multi-server behaviour (presence across servers, dedup across servers) is tested on both.
 */
import { pino } from 'pino';
import { createClient } from 'redis';
import {
  createMemoryBackend, createMemoryWorld, createRedisBackend, type Backend, type BackendSettings, type MemoryWorld,
} from '../../app/src/backends.js';
import { decodeAccountEntry, decodeEntry, isAccountEntry } from '../../app/src/bus/envelope.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

export interface ServerOptions {
  historyMax?: number;
  presenceTtlMs?: number;
  sessionTtlSec?: number;
  largeRoomThreshold?: number;
  smallAgainAt?: number;
  historyMaxBytes?: number;
  roomTtlSec?: number;
  sessionFirstTtlSec?: number;
  accountTtlSec?: number;
  accountMaxRooms?: number;
  accountMaxSessions?: number;
  sessionMaxAgeSec?: number;
}

export interface BackendFactory {
  name: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** Empties the world and closes the servers of the previous test. */
  reset(): Promise<void>;
  /** One server's view of the shared world, started. */
  server(appId: string, opts?: ServerOptions): Promise<Backend>;
  /** The Redis factory only: the server's URL, for tests that look at the keys themselves. */
  redisUrl?(): string;
  /** Loses a room's history as a store restarted without its data would (every key of the room gone). */
  loseRoom(room: string): Promise<void>;
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
  historyMaxBytes: o.historyMaxBytes ?? 1024 * 1024,
  roomTtlSec: o.roomTtlSec ?? 30 * 86_400,
  sessionFirstTtlSec: o.sessionFirstTtlSec ?? o.sessionTtlSec ?? 3600,
  largeRoomThreshold: o.largeRoomThreshold ?? 200,
  smallAgainAt: o.smallAgainAt ?? 180,
  accountTtlSec: o.accountTtlSec ?? 365 * 86_400,
  accountMaxRooms: o.accountMaxRooms ?? 200,
  accountMaxSessions: o.accountMaxSessions,
  sessionMaxAgeSec: o.sessionMaxAgeSec,
});

function memoryFactory(): BackendFactory {
  let world: MemoryWorld;
  return {
    name: 'memory',
    async setup() { world = createMemoryWorld(); },
    async teardown() {},
    async reset() { world = createMemoryWorld(); },
    async loseRoom(room) { world.history.rooms.delete(room); },
    async server(appId, o = {}) {
      // The same factory as the embedded node, sharing one world between simulated servers.
      const b = createMemoryBackend(settings(appId, '', o), world);
      await b.start();
      return b;
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
    redisUrl: () => redis.url,
    async loseRoom(room) {
      const admin = createClient({ url: redis.url });
      await admin.connect();
      try {
        for await (const batch of admin.scanIterator({ MATCH: `lc:{${room}}:*`, COUNT: 1000 })) {
          const ks = Array.isArray(batch) ? batch : [batch];
          if (ks.length) await admin.del(ks);
        }
      } finally {
        await admin.close();
      }
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

/**
 * Collects the client frames (parsed) of one server's bus payloads; a payload that is not a valid envelope fails the test.
 * Account entries (`x`/`k`/`u`/`r`, no frame inside) are recorded as `{entry: 'x', kind, …fields}`.
 */
export function record(b: Backend): Array<Record<string, unknown>> {
  const seen: Array<Record<string, unknown>> = [];
  b.bus.subscribe((p) => {
    if (isAccountEntry(p)) {
      const a = decodeAccountEntry(p);
      if (!a) throw new Error(`not an account entry: ${p.slice(0, 80)}`);
      seen.push({ entry: p[0], ...a });
      return;
    }
    const e = decodeEntry(p);
    if (!e) throw new Error(`not a bus envelope: ${p.slice(0, 80)}`);
    seen.push(e.kind === 'count' ? { type: 'presence', room: e.room, event: 'count', count: e.count }
      : e.kind === 'typing' ? { entry: 'y', ...e } : JSON.parse(e.frame));
  });
  return seen;
}

/** Every key in the Redis at `url` with its TTL in seconds (-1: none). */
export async function keyTtls(url: string): Promise<Map<string, number>> {
  const admin = createClient({ url });
  await admin.connect();
  try {
    const out = new Map<string, number>();
    for await (const batch of admin.scanIterator({ COUNT: 1000 })) {
      for (const k of Array.isArray(batch) ? batch : [batch]) out.set(k, await admin.ttl(k));
    }
    return out;
  } finally {
    await admin.close();
  }
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
