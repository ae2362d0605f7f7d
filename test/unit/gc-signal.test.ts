/** app/src/gc-signal.ts: SIGUSR2 collects garbage only when LC_GC_ON_SIGNAL=1 (benchmarks); otherwise nothing listens. */
import { afterEach, describe, expect, it } from 'vitest';
import { gcOnSignal } from '../../app/src/gc-signal.js';

describe('gcOnSignal', () => {
  const before = process.listeners('SIGUSR2');
  afterEach(() => {
    for (const l of process.listeners('SIGUSR2')) if (!before.includes(l)) process.off('SIGUSR2', l);
  });

  it('off by default: no SIGUSR2 listener (the signal keeps its default meaning)', () => {
    expect(gcOnSignal({})).toBe(false);
    expect(gcOnSignal({ LC_GC_ON_SIGNAL: '0' })).toBe(false);
    expect(process.listeners('SIGUSR2')).toEqual(before);
  });

  it('LC_GC_ON_SIGNAL=1: a listener that runs a full collection', () => {
    expect(gcOnSignal({ LC_GC_ON_SIGNAL: '1' })).toBe(true);
    const added = process.listeners('SIGUSR2').filter((l) => !before.includes(l));
    expect(added).toHaveLength(1);
    expect(() => (added[0] as () => void)()).not.toThrow();
  });
});
