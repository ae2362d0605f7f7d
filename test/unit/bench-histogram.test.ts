// The load tool's latency histogram: bucket math, percentiles against exact sorted samples, merge and JSON round trip.
import { describe, expect, it } from 'vitest';
import { BUCKETS, bucketOf, bucketRange, Histogram, percentilesMs } from '../../bench/lib/histogram.js';

/** The exact percentile as the histogram defines it: the sample of rank ceil(p/100·n). */
function exact(sorted: number[], p: number): number {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1];
}

describe('bucketOf / bucketRange', () => {
  it('is exact below 128 µs', () => {
    for (let v = 0; v < 128; v++) {
      expect(bucketOf(v)).toBe(v);
      expect(bucketRange(v)).toEqual([v, v]);
    }
  });

  it('puts every value inside its bucket range, with ranges contiguous and increasing', () => {
    let prevHigh = -1;
    for (let i = 0; i < BUCKETS; i++) {
      const [lo, hi] = bucketRange(i);
      expect(lo).toBe(prevHigh + 1);
      expect(bucketOf(lo)).toBe(i);
      expect(bucketOf(hi)).toBe(i);
      prevHigh = hi;
    }
    expect(prevHigh).toBe(2 ** 32 - 1);
  });

  it('keeps the relative bucket width under 1/64', () => {
    for (const v of [128, 1000, 12_345, 999_999, 60_000_000]) {
      const [lo, hi] = bucketRange(bucketOf(v));
      expect(lo).toBeLessThanOrEqual(v);
      expect(hi).toBeGreaterThanOrEqual(v);
      expect((hi - lo + 1) / lo).toBeLessThanOrEqual(1 / 64);
    }
  });

  it('clamps negatives to 0 and huge values to the last bucket', () => {
    expect(bucketOf(-5)).toBe(0);
    expect(bucketOf(1e15)).toBe(BUCKETS - 1);
  });
});

describe('Histogram', () => {
  it('reports 0 for every percentile when empty', () => {
    const h = new Histogram();
    expect(h.percentile(50)).toBe(0);
    expect(percentilesMs(h)).toMatchObject({ p50: 0, p99: 0, max: 0, count: 0 });
  });

  it('matches exact percentiles within the bucket resolution', () => {
    // A skewed, latency-like distribution with a long tail.
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const samples: number[] = [];
    const h = new Histogram();
    for (let i = 0; i < 50_000; i++) {
      const v = Math.floor(200 * Math.exp(3 * rand() ** 4) + (rand() < 0.001 ? 500_000 : 0));
      samples.push(v);
      h.record(v);
    }
    samples.sort((a, b) => a - b);
    for (const p of [0, 1, 50, 90, 99, 99.9, 99.99, 100]) {
      const want = exact(samples, p);
      const got = h.percentile(p);
      expect(got).toBeGreaterThanOrEqual(want);
      expect(got).toBeLessThanOrEqual(want * (1 + 1 / 64) + 1);
    }
    expect(h.max).toBe(samples[samples.length - 1]);
    expect(h.min).toBe(samples[0]);
    expect(h.count).toBe(50_000);
    expect(h.mean).toBeCloseTo(samples.reduce((a, b) => a + b, 0) / samples.length, 6);
  });

  it('gives exact answers for small integer samples', () => {
    const h = new Histogram();
    for (let v = 1; v <= 100; v++) h.record(v);
    expect(h.percentile(50)).toBe(50);
    expect(h.percentile(99)).toBe(99);
    expect(h.percentile(100)).toBe(100);
    expect(h.percentile(0)).toBe(1);
  });

  it('never reports past the recorded max', () => {
    const h = new Histogram();
    h.record(1_000_001);
    expect(h.percentile(99.9)).toBe(1_000_001);
  });

  it('merges like recording everything into one', () => {
    const a = new Histogram();
    const b = new Histogram();
    const both = new Histogram();
    for (let i = 0; i < 1000; i++) {
      const v = i * 37 % 5000;
      (i % 2 ? a : b).record(v);
      both.record(v);
    }
    a.merge(b);
    expect(Array.from(a.counts)).toEqual(Array.from(both.counts));
    expect([a.count, a.min, a.max, a.sum]).toEqual([both.count, both.min, both.max, both.sum]);
  });

  it('round-trips through JSON', () => {
    const h = new Histogram();
    for (const v of [3, 150, 150, 9000, 70_000]) h.record(v);
    const back = Histogram.fromJSON(JSON.parse(JSON.stringify(h.toJSON())));
    for (const p of [10, 50, 90, 100]) expect(back.percentile(p)).toBe(h.percentile(p));
    expect(back.count).toBe(5);
    expect(h.toJSON().buckets).toHaveLength(4);
  });

  it('summarises in milliseconds', () => {
    const h = new Histogram();
    for (let i = 0; i < 100; i++) h.record(1500);
    expect(percentilesMs(h)).toMatchObject({ p50: 1.5, p99: 1.5, max: 1.5, count: 100 });
  });
});
