/**
 * The Redis settings of a server (read by config.ts, the only caller): where the store is — one Redis
 * (REDIS_URL) or the primary the Sentinels name (REDIS_SENTINELS) — and what an ack waits for.
 */
import { addressMap, ConfigError, int, sentinels, str, type Env, type SentinelAddress } from '../config-values.js';

export interface RedisSettings {
  /** The data nodes' URL: user and password always; host and port only without Sentinels. */
  redisUrl: string;
  /** How long a Redis command may take before the request gets `unavailable`. */
  redisTimeoutMs: number;
  /** Redis unreachable (either connection) this long: the server is cut off — not ready, clients closed with 1013. 0: never. */
  redisCutoffMs: number;
  /**
   * REDIS_SENTINELS (host:port,…): find the primary through these Sentinels and follow failovers
   * (store/redis-sentinel.ts). Empty (the default): the one Redis of REDIS_URL.
   */
  redisSentinels: SentinelAddress[];
  /** REDIS_SENTINEL_NAME: the name the Sentinels monitor the primary under. */
  redisSentinelName: string;
  /** REDIS_SENTINEL_PASSWORD: the Sentinels' own password (`requirepass`), if they have one. */
  redisSentinelPassword: string;
  /**
   * REDIS_SENTINEL_ADDRESS_MAP (`announced=reached,…`): the address to connect to when the Sentinels
   * name a data node by one this server cannot reach directly (NAT, published ports, a proxy).
   */
  redisSentinelAddressMap: Array<[SentinelAddress, SentinelAddress]>;
  /** REDIS_WAIT_REPLICAS: replicas that must confirm an acked write (WAIT) before the ack; 0 = no WAIT. */
  redisWaitReplicas: number;
  /** REDIS_WAIT_TIMEOUT_MS: how long that WAIT waits (500, at most half of REDIS_TIMEOUT_MS); fewer replicas in time = `unavailable`. */
  redisWaitTimeoutMs: number;
}

export function loadRedisSettings(env: Env): RedisSettings {
  const redisUrl = str(env, 'REDIS_URL', 'redis://127.0.0.1:6379');
  if (!/^rediss?:\/\//.test(redisUrl)) throw new ConfigError(`REDIS_URL=${redisUrl}: expected redis://host:port`);
  const redisTimeoutMs = int(env, 'REDIS_TIMEOUT_MS', 2_000, 50, 60_000);
  const redisWaitReplicas = int(env, 'REDIS_WAIT_REPLICAS', 0, 0, 16);
  const redisWaitTimeoutMs = int(env, 'REDIS_WAIT_TIMEOUT_MS', Math.min(500, Math.floor(redisTimeoutMs / 2)), 1, 60_000);
  if (redisWaitReplicas > 0 && redisWaitTimeoutMs >= redisTimeoutMs) {
    throw new ConfigError(`REDIS_WAIT_TIMEOUT_MS=${redisWaitTimeoutMs}: must be below REDIS_TIMEOUT_MS (${redisTimeoutMs}), the WAIT's own deadline`);
  }
  return {
    redisUrl,
    redisTimeoutMs,
    redisCutoffMs: int(env, 'REDIS_CUTOFF_MS', 10_000, 0, 600_000),
    redisSentinels: sentinels(env, 'REDIS_SENTINELS'),
    redisSentinelName: str(env, 'REDIS_SENTINEL_NAME', 'livechat'),
    redisSentinelPassword: str(env, 'REDIS_SENTINEL_PASSWORD', ''),
    redisSentinelAddressMap: addressMap(env, 'REDIS_SENTINEL_ADDRESS_MAP'),
    redisWaitReplicas,
    redisWaitTimeoutMs,
  };
}
