/**
 * A compact latency histogram in the spirit of HdrHistogram: log-linear buckets over integer
 * microseconds (exact below 128 µs, then 64 sub-buckets per power of two, so any reported value is
 * within 1/64 ≈ 1.6 % of the truth). 1,728 counters cover 0 µs to ~71 minutes, so recording a
 * million deliveries costs a few arithmetic operations each and no memory growth.
 */

const EXACT = 128; // values below this have their own bucket
const SUB = 64; // sub-buckets per power of two above EXACT
const MAX_SHIFT = 32 - 7; // values are clamped below 2^32 µs
export const BUCKETS = EXACT + MAX_SHIFT * SUB;
const MAX_VALUE = 2 ** 32 - 1;

/** Bucket index of a value in µs (clamped to [0, 2^32)). */
export function bucketOf(us: number): number {
  const v = us <= 0 ? 0 : us >= MAX_VALUE ? MAX_VALUE : Math.floor(us);
  if (v < EXACT) return v;
  const shift = 31 - Math.clz32(v) - 6; // v >> shift lands in [64, 128)
  return EXACT + (shift - 1) * SUB + ((v >>> shift) - SUB);
}

/** Smallest and largest value (µs) that fall in bucket `i`. */
export function bucketRange(i: number): [number, number] {
  if (i < EXACT) return [i, i];
  const k = i - EXACT;
  const shift = Math.floor(k / SUB) + 1;
  const sub = SUB + (k % SUB);
  return [sub * 2 ** shift, (sub + 1) * 2 ** shift - 1];
}

export interface HistogramJson {
  count: number; min: number; max: number; mean: number;
  /** [bucket lower bound µs, count] for every non-empty bucket. */
  buckets: Array<[number, number]>;
}

export class Histogram {
  readonly counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  min = Infinity;
  max = 0;

  /** Records one value in microseconds (negative values count as 0). */
  record(us: number): void {
    this.counts[bucketOf(us)]++;
    this.count++;
    const v = us < 0 ? 0 : us;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** Adds every sample of `other` to this histogram. */
  merge(other: Histogram): this {
    for (let i = 0; i < BUCKETS; i++) if (other.counts[i]) this.counts[i] += other.counts[i];
    this.count += other.count;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    return this;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = 0;
  }

  /**
   * The value (µs) at percentile `p` (0–100): the upper bound of the bucket holding the sample of
   * rank ceil(p/100·count), clamped to the recorded min/max. 0 for an empty histogram.
   */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, bucketRange(i)[1]));
    }
    return this.max;
  }

  get mean(): number {
    return this.count ? this.sum / this.count : 0;
  }

  toJSON(): HistogramJson {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]) buckets.push([bucketRange(i)[0], this.counts[i]]);
    return { count: this.count, min: this.count ? this.min : 0, max: this.max, mean: this.mean, buckets };
  }

  /** Rebuilds a histogram from toJSON() output (min/max/sum kept; bucket placement is exact). */
  static fromJSON(j: HistogramJson): Histogram {
    const h = new Histogram();
    for (const [low, n] of j.buckets) h.counts[bucketOf(low)] += n;
    h.count = j.count;
    h.sum = j.mean * j.count;
    h.min = j.count ? j.min : Infinity;
    h.max = j.max;
    return h;
  }
}

export interface Percentiles { p50: number; p90: number; p99: number; p999: number; max: number; mean: number; count: number }

/** The summary percentiles of a histogram, in milliseconds. */
export function percentilesMs(h: Histogram): Percentiles {
  const ms = (us: number) => Math.round(us) / 1000;
  return {
    p50: ms(h.percentile(50)), p90: ms(h.percentile(90)), p99: ms(h.percentile(99)),
    p999: ms(h.percentile(99.9)), max: ms(h.max), mean: ms(h.mean), count: h.count,
  };
}
