/**
 * Builds the four storage interfaces as one Backend: in memory (embedded node, tests) or on Redis
 * (the cluster). The chat layer sees only the interfaces.
 */
import type { Bus } from '../bus/bus.js';
import { MemoryBus } from '../bus/memory-bus.js';
import { RedisBus } from '../bus/redis-bus.js';
import type { Config } from '../config.js';
import type { History } from '../history/history.js';
import { MemoryHistory } from '../history/memory-history.js';
import { RedisHistory } from '../history/redis-history.js';
import type { Logger } from '../log.js';
import { MemoryPresence } from '../presence/memory-presence.js';
import type { Presence } from '../presence/presence.js';
import { RedisPresence } from '../presence/redis-presence.js';
import { MemorySessions } from '../sessions/memory-sessions.js';
import { RedisSessions } from '../sessions/redis-sessions.js';
import type { Sessions } from '../sessions/sessions.js';
import { RedisConnections, type RedisHooks } from './redis-connections.js';

export interface Backend {
  bus: Bus;
  history: History;
  presence: Presence;
  sessions: Sessions;
  /** True when the store can take writes (Redis connected); always true in memory. */
  isReady(): boolean;
  /** Starts connections and the subscription; waits for Redis if it is not up yet. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export type BackendSettings = Pick<Config,
  'appId' | 'redisUrl' | 'redisTimeoutMs' | 'historyMax' | 'dedupTtlSec' | 'presenceTtlMs' | 'sessionTtlSec'>;

export function createMemoryBackend(cfg: BackendSettings): Backend {
  const bus = new MemoryBus();
  return {
    bus,
    history: new MemoryHistory(bus, cfg.historyMax, cfg.dedupTtlSec * 1000),
    presence: new MemoryPresence(bus, cfg.appId, cfg.presenceTtlMs),
    sessions: new MemorySessions(cfg.sessionTtlSec * 1000),
    isReady: () => true,
    start: async () => {},
    close: async () => {},
  };
}

export function createRedisBackend(cfg: BackendSettings, log: Logger, hooks: RedisHooks = {}): Backend {
  const redis = new RedisConnections(cfg.redisUrl, cfg.redisTimeoutMs, log, hooks);
  const bus = new RedisBus(redis);
  return {
    bus,
    history: new RedisHistory(redis, cfg.historyMax, cfg.dedupTtlSec),
    presence: new RedisPresence(redis, cfg.appId, cfg.presenceTtlMs),
    sessions: new RedisSessions(redis, cfg.sessionTtlSec),
    isReady: () => redis.isReady && redis.subscriber.isReady,
    start: async () => {
      await redis.connect();
      await bus.start();
    },
    close: () => redis.close(),
  };
}
