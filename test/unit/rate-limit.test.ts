import { describe, expect, it } from 'vitest';
import { TokenBucket, WindowCounter } from '../../app/src/chat/rate-limit.js';

describe('TokenBucket', () => {
  it('allows a burst, then says how long to wait, then refills', () => {
    let now = 0;
    const b = new TokenBucket(3, 10, () => now);
    expect([b.take(), b.take(), b.take()]).toEqual([0, 0, 0]);
    expect(b.take()).toBe(100);
    now += 50;
    expect(b.take()).toBe(50);
    now += 50;
    expect(b.take()).toBe(0);
    now += 10_000;
    expect([b.take(), b.take(), b.take(), b.take()].filter((w) => w === 0)).toHaveLength(3);
  });
});

describe('WindowCounter', () => {
  it('counts hits inside the window only', () => {
    let now = 0;
    const w = new WindowCounter(1000, () => now);
    expect(w.hit()).toBe(1);
    now = 500;
    expect(w.hit()).toBe(2);
    now = 1200;
    expect(w.hit()).toBe(2);
    now = 5000;
    expect(w.hit()).toBe(1);
  });
});
