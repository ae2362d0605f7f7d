/**
 * Token buckets kept in the store, so a limit spans every server and outlives the connection that
 * used it: reconnecting, or landing on another server through HAProxy, refills nothing. A bucket is
 * kept until it would have refilled, then forgotten (an idle member or address costs nothing).
 *   take   takes `n` tokens (one request, or bytes) from the bucket `key`: 0 when taken, else the ms
 *          until they would be (Infinity: more than the burst, never at once); a refusal takes nothing
 *   give   puts `n` tokens back (work that was counted and then not done), at most up to the burst
 * Keys are the caller's (chat/member-limits.ts names them); the rate travels with each call, so a
 * changed setting applies at once.
 */
export interface BucketRate {
  /** Tokens at once. */
  burst: number;
  /** Tokens refilled per second. */
  perSec: number;
}

export interface Limits {
  take(key: string, rate: BucketRate, n?: number): Promise<number>;
  give(key: string, rate: BucketRate, n: number): Promise<void>;
}

/**
 * The bucket arithmetic both implementations share (the Redis one in Lua, this in TypeScript for
 * the memory one): tokens refilled since `last`, capped at the burst.
 */
export function refill(tokens: number, last: number, now: number, rate: BucketRate): number {
  return Math.min(rate.burst, tokens + (Math.max(0, now - last) * rate.perSec) / 1000);
}

/** ms until `n` tokens are there, from `tokens` now (Infinity past the burst). */
export function waitFor(tokens: number, n: number, rate: BucketRate): number {
  if (n > rate.burst) return Infinity;
  return tokens >= n ? 0 : Math.max(1, Math.ceil(((n - tokens) * 1000) / rate.perSec));
}

/** ms until a bucket holding `tokens` is full again (how long it must be kept). */
export function untilFull(tokens: number, rate: BucketRate): number {
  return Math.ceil(((rate.burst - tokens) * 1000) / rate.perSec);
}
