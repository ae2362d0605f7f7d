/**
 * Limits in Redis: one small hash per bucket, changed by one script that reads the clock of Redis
 * itself (TIME), so every server counts on the same clock. The key expires when the bucket would
 * have refilled: nothing is kept for an idle member or address.
 *   lc:lim:<key>   hash: t = tokens, l = when they were counted (ms)
 */
import type { RedisConnections } from '../store/redis-connections.js';
import { limitKey } from '../store/redis-keys.js';
import type { BucketRate, Limits } from './limits.js';

// KEYS: the bucket. ARGV: burst, per second, n, mode (take | give).
// -> the ms to wait (0: taken), -1 when n is past the burst. `give` returns 0.
const BUCKET_SCRIPT = `
local burst = tonumber(ARGV[1])
local per = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('HMGET', KEYS[1], 't', 'l')
local tokens = burst
if v[1] then
  tokens = math.min(burst, tonumber(v[1]) + math.max(0, now - tonumber(v[2])) * per / 1000)
end
local wait = 0
if ARGV[4] == 'give' then
  if not v[1] then return 0 end
  tokens = math.min(burst, tokens + n)
elseif n > burst then
  return -1
elseif tokens >= n then
  tokens = tokens - n
else
  wait = math.max(1, math.ceil((n - tokens) * 1000 / per))
end
if tokens >= burst then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 't', tostring(tokens), 'l', now)
  redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / per) + 1000)
end
return wait`;

export class RedisLimits implements Limits {
  constructor(private readonly redis: RedisConnections) {}

  async take(key: string, rate: BucketRate, n = 1): Promise<number> {
    const wait = await this.redis.script<number>(BUCKET_SCRIPT, [limitKey(key)], [rate.burst, rate.perSec, n, 'take']);
    return wait < 0 ? Infinity : wait;
  }

  async give(key: string, rate: BucketRate, n: number): Promise<void> {
    await this.redis.script(BUCKET_SCRIPT, [limitKey(key)], [rate.burst, rate.perSec, n, 'give']);
  }
}
