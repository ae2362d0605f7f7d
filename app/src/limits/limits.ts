/**
 * Token buckets kept in the store, so a limit spans every server and outlives the connection that
 * used it: reconnecting, or landing on another server through HAProxy, refills nothing. A bucket is
 * kept until it would have refilled, then forgotten (an idle member or address costs nothing).
 *   take   takes `n` tokens (one request, or bytes) from the bucket `key`: 0 when taken, else the ms
 *          until they would be (Infinity: more than the burst, never at once); a refusal takes nothing
 *   takeAll  takes from several buckets at once, all or nothing (one store round trip): a request
 *          charged per member and per address is refused, or taken, whole
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

/** One bucket of a takeAll: `n` tokens (default 1) from `key` at `rate`. Keys of one call are distinct. */
export interface Take { key: string; rate: BucketRate; n?: number }

/** What takeAll did: `wait` 0 when every bucket gave its tokens, else the longest wait among those that refused (nothing taken); `refused` its index, -1 when taken. */
export interface Taken { wait: number; refused: number }

export interface Limits {
  take(key: string, rate: BucketRate, n?: number): Promise<number>;
  takeAll(takes: readonly Take[]): Promise<Taken>;
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
