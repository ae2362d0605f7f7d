/**
 * Builds a Backend: in memory (the embedded node, tests) or on Redis (the cluster). The one place
 * that knows every store implementation; the chat layer sees only store/backend.ts.
 */
import { MemoryAccess, MemoryAccessState } from './access/memory-access.js';
import { RedisAccess } from './access/redis-access.js';
import { MemoryAccounts, MemoryAccountsState } from './accounts/memory-accounts.js';
import { RedisAccounts } from './accounts/redis-accounts.js';
import { MemoryBus } from './bus/memory-bus.js';
import { RedisBus } from './bus/redis-bus.js';
import type { Config } from './config.js';
import { MemoryHistory, MemoryHistoryState } from './history/memory-history.js';
import { RedisHistory } from './history/redis-history.js';
import { MemoryLimits, MemoryLimitsState } from './limits/memory-limits.js';
import { RedisLimits } from './limits/redis-limits.js';
import type { Logger } from './log.js';
import { MemoryPresence, MemoryPresenceState } from './presence/memory-presence.js';
import { RedisPresence } from './presence/redis-presence.js';
import { MemoryRelay, MemoryRelayState } from './relay/memory-relay.js';
import { RedisRelay } from './relay/redis-relay.js';
import { MemorySessions, MemorySessionsState } from './sessions/memory-sessions.js';
import { RedisSessions } from './sessions/redis-sessions.js';
import type { Backend } from './store/backend.js';
import { MemoryUploads, MemoryUploadsState } from './uploads/memory-uploads.js';
import { RedisUploads } from './uploads/redis-uploads.js';
import { RedisConnections, type RedisHooks } from './store/redis-connections.js';
import { NO_SESSION_LIMITS, type SessionLimits } from './sessions/sessions.js';

export type { Backend };

export type BackendSettings = Pick<Config,
  'appId' | 'redisUrl' | 'redisTimeoutMs' | 'historyMax' | 'dedupTtlSec' | 'presenceTtlMs' | 'sessionTtlSec' |
  'largeRoomThreshold' | 'smallAgainAt' | 'historyMaxBytes' | 'roomTtlSec' | 'sessionFirstTtlSec' | 'accountTtlSec' | 'accountMaxRooms'>
  & Partial<Pick<Config, 'accountMaxSessions' | 'sessionMaxAgeSec' | 'redisSentinels' | 'redisSentinelName' | 'redisSentinelPassword'
    | 'redisWaitReplicas' | 'redisWaitTimeoutMs'>>;

/** The session limits of these settings (unbounded where a test left them out). */
function sessionLimits(cfg: BackendSettings): SessionLimits {
  return {
    maxPerAccount: cfg.accountMaxSessions ?? NO_SESSION_LIMITS.maxPerAccount,
    maxAgeMs: cfg.sessionMaxAgeSec === undefined ? NO_SESSION_LIMITS.maxAgeMs : cfg.sessionMaxAgeSec * 1000,
  };
}


/**
 * The shared state of an in-process "cluster": one per embedded node; tests give several simulated
 * servers the same world to check multi-server behaviour without Redis.
 */
export interface MemoryWorld {
  bus: MemoryBus;
  history: MemoryHistoryState;
  presence: MemoryPresenceState;
  sessions: MemorySessionsState;
  /** Accounts, their room lists, read markers, session indexes and failure counters. */
  accounts: MemoryAccountsState;
  /** Private rooms' and DMs' access lists. */
  access: MemoryAccessState;
  /** Upload grants. */
  uploads: MemoryUploadsState;
  /** Rate and quota buckets. */
  limits: MemoryLimitsState;
  /** Servers holding SSE streams, by instance id. */
  relay: MemoryRelayState;
}

export function createMemoryWorld(): MemoryWorld {
  return {
    bus: new MemoryBus(),
    history: new MemoryHistoryState(),
    presence: new MemoryPresenceState(),
    sessions: new MemorySessionsState(),
    accounts: new MemoryAccountsState(),
    access: new MemoryAccessState(),
    uploads: new MemoryUploadsState(),
    limits: new MemoryLimitsState(),
    relay: new MemoryRelayState(),
  };
}

/** Only for a single process: the embedded node, or tests sharing one `world` between simulated servers. */
export function createMemoryBackend(cfg: BackendSettings, world: MemoryWorld = createMemoryWorld()): Backend {
  const { bus } = world;
  const accountTtlMs = cfg.accountTtlSec * 1000;
  return {
    bus,
    history: new MemoryHistory(bus.publish, { max: cfg.historyMax, maxBytes: cfg.historyMaxBytes, dedupTtlMs: cfg.dedupTtlSec * 1000 }, world.history, world.access),
    presence: new MemoryPresence(bus.publish, cfg.appId, cfg.presenceTtlMs, cfg, world.presence),
    sessions: new MemorySessions(bus.publish, { ttlMs: cfg.sessionTtlSec * 1000, firstTtlMs: cfg.sessionFirstTtlSec * 1000, accountTtlMs, ...sessionLimits(cfg) }, world.sessions, world.accounts),
    accounts: new MemoryAccounts(bus.publish, { accountTtlMs, maxRooms: cfg.accountMaxRooms }, world.accounts),
    access: new MemoryAccess(bus.publish, { roomTtlMs: cfg.roomTtlSec * 1000, accountTtlMs }, world.access, world.accounts),
    uploads: new MemoryUploads(world.uploads),
    limits: new MemoryLimits(world.limits),
    relay: new MemoryRelay(world.relay),
    memory: async () => null,
    isReady: () => true,
    probe: async () => true,
    start: async () => {},
    close: async () => {},
  };
}

export function createRedisBackend(cfg: BackendSettings, log: Logger, hooks: RedisHooks = {}): Backend {
  const sentinels = cfg.redisSentinels ?? [];
  const redis = new RedisConnections(cfg.redisUrl, {
    timeoutMs: cfg.redisTimeoutMs,
    sentinel: sentinels.length > 0 ? { sentinels, name: cfg.redisSentinelName ?? 'livechat', password: cfg.redisSentinelPassword } : undefined,
    waitReplicas: cfg.redisWaitReplicas ?? 0,
    waitTimeoutMs: cfg.redisWaitTimeoutMs,
  }, log, hooks);
  const bus = new RedisBus(redis);
  return {
    bus,
    history: new RedisHistory(redis, { max: cfg.historyMax, maxBytes: cfg.historyMaxBytes, dedupTtlSec: cfg.dedupTtlSec, roomTtlSec: cfg.roomTtlSec }),
    presence: new RedisPresence(redis, cfg.appId, cfg.presenceTtlMs, cfg, cfg.roomTtlSec),
    sessions: new RedisSessions(redis, cfg.sessionTtlSec, cfg.sessionFirstTtlSec, cfg.accountTtlSec, sessionLimits(cfg)),
    accounts: new RedisAccounts(redis, { accountTtlSec: cfg.accountTtlSec, maxRooms: cfg.accountMaxRooms }),
    access: new RedisAccess(redis, { roomTtlSec: cfg.roomTtlSec, accountTtlSec: cfg.accountTtlSec }),
    uploads: new RedisUploads(redis),
    limits: new RedisLimits(redis),
    // A holder answers within one round trip each way; twice the command deadline covers both.
    relay: new RedisRelay(redis, log, 2 * cfg.redisTimeoutMs),
    memory: () => redis.memory(),
    isReady: () => redis.isReady && redis.subscriber.isReady,
    probe: () => redis.probe(),
    start: async () => {
      await redis.connect();
      await bus.start();
    },
    close: () => redis.close(),
  };
}
