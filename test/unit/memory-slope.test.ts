/** The memory slope's line fit (bench/lib/memory-slope.ts): slope and R² of settled RSS points. */
import { describe, expect, it } from 'vitest';
import { fitLine } from '../../bench/lib/memory-slope.js';

describe('fitLine', () => {
  it('a straight line: its slope, R² 1', () => {
    const xs = [1000, 2000, 3000, 4000];
    expect(fitLine(xs, xs.map((x) => 50_000 + 12.5 * x))).toEqual({ slope: 12.5, r2: 1 });
  });

  it('one outlier (a read while memory was still held) moves the slope a little and shows in R²', () => {
    const xs = [1000, 2000, 3000, 4000, 5000, 6000, 7000];
    const ys = xs.map((x) => 100_000 + 10 * x);
    ys[3] += 30_000;
    const f = fitLine(xs, ys);
    expect(f.slope).toBeCloseTo(10, 0);
    expect(f.r2).toBeLessThan(0.9);
    // The single difference across that point would have said 40 KB per member.
    expect((ys[3] - ys[2]) / 1000).toBe(40);
  });

  it('flat memory: slope 0', () => {
    expect(fitLine([1, 2, 3], [5, 5, 5]).slope).toBe(0);
  });
});
