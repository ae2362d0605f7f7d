/** SlicedSweep: every entry once per round, a slice per tick; a live collection's changes are honoured. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SlicedSweep } from '../../app/src/transport/sliced-sweep.js';

function sweep(items: Set<number> | Map<string, number>, slices: number) {
  const seen: number[][] = [];
  let tick: number[] = [];
  const s = new SlicedSweep<number>(items, 1000, (n) => tick.push(n), slices);
  return {
    tick: () => { tick = []; s.tick(); seen.push(tick); return tick; },
    seen,
  };
}

describe('SlicedSweep', () => {
  it('visits a slices-th of the entries a tick, each once per round, then starts again', () => {
    const items = new Set(Array.from({ length: 100 }, (_, i) => i));
    const s = sweep(items, 10);
    for (let i = 0; i < 10; i++) expect(s.tick()).toHaveLength(10);
    expect(s.seen.flat().sort((a, b) => a - b)).toEqual([...items]);
    // The round ends on the next tick (the iterator says done); then a new one begins at the first entry.
    expect(s.tick()).toEqual([]);
    expect(s.tick()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('never visits fewer than one a tick, so a few entries are not starved', () => {
    const s = sweep(new Set([1, 2, 3]), 20);
    expect([s.tick(), s.tick(), s.tick()]).toEqual([[1], [2], [3]]);
  });

  it('visits entries added during a round in that round and skips removed ones (a Map works too)', () => {
    const items = new Map(Array.from({ length: 8 }, (_, i) => [`k${i}`, i] as const));
    const s = sweep(items, 4);
    expect(s.tick()).toEqual([0, 1]);
    items.delete('k2');
    items.set('k8', 8);
    const rest = [s.tick(), s.tick(), s.tick(), s.tick()].flat();
    expect(rest).toEqual([3, 4, 5, 6, 7, 8]);
  });

  describe('its timer', () => {
    afterEach(() => { vi.useRealTimers(); });

    it('stops while the collection is empty and starts again on wake (an idle server does not tick for nothing)', () => {
      vi.useFakeTimers();
      const items = new Set<number>();
      const visited: number[] = [];
      const s = new SlicedSweep<number>(items, 1000, (n) => visited.push(n), 10);
      s.start();
      expect(s.ticking).toBe(true);
      vi.advanceTimersByTime(100);
      expect(s.ticking).toBe(false);
      items.add(1);
      vi.advanceTimersByTime(1000);
      expect(visited).toEqual([]);
      s.wake();
      expect(s.ticking).toBe(true);
      vi.advanceTimersByTime(100);
      expect(visited).toEqual([1]);
      s.stop();
      s.wake();
      expect(s.ticking).toBe(false);
    });
  });
});
