/**
 * A token bucket in this process (one connection's, over all its requests): `burst` requests at once,
 * refilled at `perSec`, with the same arithmetic as the store's buckets (limits/limits.ts). Pure apart
 * from the injected clock.
 */
import { refill, waitFor, type BucketRate } from '../limits/limits.js';

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly rate: BucketRate;

  constructor(burst: number, perSec: number, private readonly now: () => number = Date.now) {
    this.rate = { burst, perSec };
    this.tokens = burst;
    this.last = now();
  }

  /**
   * Takes `n` tokens (one request, or bytes); returns 0 when allowed, else the ms until they are
   * available. More than `burst` at once is never allowed (Infinity).
   */
  take(n = 1): number {
    const now = this.now();
    this.tokens = refill(this.tokens, this.last, now, this.rate);
    this.last = now;
    const wait = waitFor(this.tokens, n, this.rate);
    if (wait === 0) this.tokens -= n;
    return wait;
  }
}

/** Counts events in a sliding window of fixed buckets; `hit` returns the count in the window. */
export class WindowCounter {
  private hits: number[] = [];

  constructor(private readonly windowMs: number, private readonly now: () => number = Date.now) {}

  hit(): number {
    const now = this.now();
    this.hits.push(now);
    while (this.hits.length > 0 && this.hits[0] <= now - this.windowMs) this.hits.shift();
    return this.hits.length;
  }
}
