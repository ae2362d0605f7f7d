/**
 * Limits in Redis: one small hash per bucket, changed by one script that reads the clock of Redis
 * itself (TIME), so every server counts on the same clock. The key expires when the bucket would
 * have refilled: nothing is kept for an idle member or address. One script call may take from several
 * buckets (a member's and its address's), all or nothing: their keys are declared, so ACL key
 * patterns accept them, but they are in different hash slots (one primary, not Redis Cluster).
 *   lc:lim:<key>   hash: t = tokens, l = when they were counted (ms)
 */
import type { RedisConnections } from '../store/redis-connections.js';
import { limitKey } from '../store/redis-keys.js';
import type { BucketRate, Limits, Take, Taken } from './limits.js';

// KEYS: the buckets. ARGV: mode (take | give), then burst, per second, n for each bucket.
// take: all or nothing -> {0, 0} taken; {wait ms, index (1-based) of the longest wait} refused, wait -1
// when an n is past its burst. give (one bucket) returns {0, 0}.
const BUCKET_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local give = ARGV[1] == 'give'
local rates, tokens, wait, refused = {}, {}, 0, 0
for i, key in ipairs(KEYS) do
  local burst, per, n = tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1])
  rates[i] = {burst, per, n}
  local v = redis.call('HMGET', key, 't', 'l')
  local have = burst
  if v[1] then
    have = math.min(burst, tonumber(v[1]) + math.max(0, now - tonumber(v[2])) * per / 1000)
  elseif give then
    return {0, 0}
  end
  tokens[i] = have
  if not give then
    -- As limits.ts waitFor: never (past the burst), else the ms until n tokens are there.
    local w = 0
    if n > burst then w = math.huge elseif have < n then w = math.max(1, math.ceil((n - have) * 1000 / per)) end
    if w > wait then wait, refused = w, i end
  end
end
if refused > 0 then return {wait == math.huge and -1 or wait, refused} end
for i, key in ipairs(KEYS) do
  local burst, per, n = rates[i][1], rates[i][2], rates[i][3]
  local left = give and math.min(burst, tokens[i] + n) or tokens[i] - n
  if left >= burst then
    redis.call('DEL', key)
  else
    redis.call('HSET', key, 't', tostring(left), 'l', now)
    redis.call('PEXPIRE', key, math.ceil((burst - left) * 1000 / per) + 1000)
  end
end
return {0, 0}`;

export class RedisLimits implements Limits {
  constructor(private readonly redis: RedisConnections) {}

  async take(key: string, rate: BucketRate, n = 1): Promise<number> {
    return (await this.takeAll([{ key, rate, n }])).wait;
  }

  async takeAll(takes: readonly Take[]): Promise<Taken> {
    const args: Array<string | number> = ['take'];
    for (const t of takes) args.push(t.rate.burst, t.rate.perSec, t.n ?? 1);
    const [wait, index] = await this.redis.script<[number, number]>(BUCKET_SCRIPT, takes.map((t) => limitKey(t.key)), args);
    return { wait: wait < 0 ? Infinity : wait, refused: index - 1 };
  }

  async give(key: string, rate: BucketRate, n: number): Promise<void> {
    await this.redis.script(BUCKET_SCRIPT, [limitKey(key)], ['give', rate.burst, rate.perSec, n]);
  }
}
