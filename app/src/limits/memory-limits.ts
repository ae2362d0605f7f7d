/**
 * Limits in one process (the embedded node, tests sharing a world): the same buckets as the Redis
 * implementation, in a Map swept of full buckets as it grows.
 */
import { refill, untilFull, waitFor, type BucketRate, type Limits, type Take, type Taken } from './limits.js';

interface Bucket { tokens: number; last: number; fullAt: number }

/** Buckets remembered before a sweep forgets the full ones. */
const SWEEP_AT = 10_000;

export class MemoryLimitsState {
  readonly buckets = new Map<string, Bucket>();
  nextSweep = SWEEP_AT;
}

export class MemoryLimits implements Limits {
  constructor(private readonly state = new MemoryLimitsState(), private readonly now: () => number = Date.now) {}

  async take(key: string, rate: BucketRate, n = 1): Promise<number> {
    return (await this.takeAll([{ key, rate, n }])).wait;
  }

  async takeAll(takes: readonly Take[]): Promise<Taken> {
    const now = this.now();
    const tokens = takes.map((t) => this.tokensOf(t.key, t.rate, now));
    let wait = 0, refused = -1;
    takes.forEach((t, i) => {
      const w = waitFor(tokens[i], t.n ?? 1, t.rate);
      if (w > wait) { wait = w; refused = i; }
    });
    takes.forEach((t, i) => this.set(t.key, refused < 0 ? tokens[i] - (t.n ?? 1) : tokens[i], now, t.rate));
    return { wait, refused };
  }

  async give(key: string, rate: BucketRate, n: number): Promise<void> {
    const now = this.now();
    if (!this.state.buckets.has(key)) return;
    this.set(key, Math.min(rate.burst, this.tokensOf(key, rate, now) + n), now, rate);
  }

  private tokensOf(key: string, rate: BucketRate, now: number): number {
    const b = this.state.buckets.get(key);
    return b ? refill(b.tokens, b.last, now, rate) : rate.burst;
  }

  private set(key: string, tokens: number, now: number, rate: BucketRate): void {
    const { buckets } = this.state;
    if (tokens >= rate.burst) { buckets.delete(key); return; }
    buckets.set(key, { tokens, last: now, fullAt: now + untilFull(tokens, rate) });
    if (buckets.size >= this.state.nextSweep) {
      for (const [k, b] of buckets) if (b.fullAt <= now) buckets.delete(k);
      this.state.nextSweep = Math.max(SWEEP_AT, buckets.size * 2);
    }
  }
}
