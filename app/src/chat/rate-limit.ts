/** A token bucket: `burst` requests at once, refilled at `perSec`. Pure apart from the injected clock. */

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly burst: number, private readonly perSec: number, private readonly now: () => number = Date.now) {
    this.tokens = burst;
    this.last = now();
  }

  /**
   * Takes `n` tokens (one request, or bytes); returns 0 when allowed, else the ms until they are
   * available. More than `burst` at once is never allowed (Infinity).
   */
  take(n = 1): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSec) / 1000);
    this.last = now;
    if (n > this.burst) return Infinity;
    if (this.tokens >= n) {
      this.tokens -= n;
      return 0;
    }
    return Math.max(1, Math.ceil(((n - this.tokens) * 1000) / this.perSec));
  }

  /** True when the bucket has refilled completely (nothing to remember about its owner). */
  isFull(): boolean {
    return this.tokens + ((this.now() - this.last) * this.perSec) / 1000 >= this.burst;
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
