/**
 * The cut-off state machine (app/src/store/cut-off.ts) with an injected clock: Redis unreachable
 * shorter than the bound changes nothing; past it the server is cut off once; it rejoins only after
 * Redis answered for `recoverMs`; and a black-holed probe counts from when it was sent. Also the
 * setting, and what the HTTP/WS front does while cut off (an in-process node).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../app/src/config.js';
import { CutOffState, watchCutOff } from '../../app/src/store/cut-off.js';
import { startNodes } from '../helpers/nodes.js';
import { TestClient } from '../helpers/ws-client.js';

describe('CutOffState', () => {
  it('a short outage (a restart) is not a cut-off', () => {
    const s = new CutOffState(10_000, 2000);
    expect(s.observe(true, 0, 1)).toBeNull();
    for (let t = 1000; t < 10_000; t += 1000) expect(s.observe(false, t, t + 1)).toBeNull();
    expect(s.downFor(9001)).toBe(8001);
    expect(s.observe(true, 10_000, 10_001)).toBeNull();
    expect(s.cutOff).toBe(false);
    expect(s.downFor(10_001)).toBe(0);
  });

  it('cut off once the failures span the bound, exactly once', () => {
    const s = new CutOffState(10_000, 2000);
    expect(s.observe(false, 1000, 1001)).toBeNull();
    expect(s.observe(false, 10_000, 10_999)).toBeNull();
    expect(s.observe(false, 11_000, 11_001)).toBe('cut-off');
    expect(s.cutOff).toBe(true);
    expect(s.observe(false, 12_000, 12_001)).toBeNull();
    expect(s.observe(false, 60_000, 60_001)).toBeNull();
    expect(s.cutOff).toBe(true);
  });

  it('a good probe in between starts the count again', () => {
    const s = new CutOffState(10_000, 2000);
    s.observe(false, 0, 1);
    s.observe(false, 8000, 8001);
    s.observe(true, 9000, 9001);
    expect(s.observe(false, 10_000, 10_001)).toBeNull();
    expect(s.observe(false, 19_000, 19_001)).toBeNull();
    expect(s.observe(false, 20_000, 20_001)).toBe('cut-off');
  });

  it('a black-holed probe counts from when it was sent, not when its deadline passed', () => {
    const s = new CutOffState(10_000, 2000);
    // Each probe hangs 2 s until its deadline.
    expect(s.observe(false, 0, 2000)).toBeNull();
    expect(s.downFor(2000)).toBe(2000);
    expect(s.observe(false, 8000, 10_000)).toBe('cut-off');
  });

  it('rejoins only after Redis answered for recoverMs; a failure meanwhile starts that again', () => {
    const s = new CutOffState(1000, 2000);
    s.observe(false, 0, 1);
    expect(s.observe(false, 1000, 1001)).toBe('cut-off');
    expect(s.observe(true, 5000, 5001)).toBeNull();
    expect(s.observe(true, 6000, 6001)).toBeNull();
    expect(s.observe(false, 6500, 6501)).toBeNull(); // flapping: still cut off
    expect(s.observe(true, 7000, 7001)).toBeNull();
    expect(s.observe(true, 8000, 8001)).toBeNull();
    expect(s.observe(true, 9000, 9001)).toBe('rejoined');
    expect(s.cutOff).toBe(false);
    expect(s.cutFor(9001)).toBe(8000);
  });

  it('recovery counts from the first answer, not from when that probe was sent (a probe held by a black hole)', () => {
    const s = new CutOffState(1000, 2000);
    s.observe(false, 0, 1);
    expect(s.observe(false, 1000, 1001)).toBe('cut-off');
    // Sent at 3000 into the black hole, answered when it healed at 4900.
    expect(s.observe(true, 3000, 4900)).toBeNull();
    expect(s.observe(true, 5000, 5001)).toBeNull();
    expect(s.observe(true, 6900, 6901)).toBe('rejoined');
    // And can be cut off again, counting afresh.
    expect(s.observe(false, 10_000, 10_001)).toBeNull();
    expect(s.observe(false, 11_000, 11_001)).toBe('cut-off');
  });

  it('bound 0: never cut off', () => {
    const s = new CutOffState(0, 0);
    for (let t = 0; t < 100_000; t += 1000) expect(s.observe(false, t, t + 1)).toBeNull();
    expect(s.cutOff).toBe(false);
  });
});

describe('watchCutOff', () => {
  afterEach(() => vi.useRealTimers());

  it('probes on its interval, one at a time, and reports each transition once', async () => {
    vi.useFakeTimers();
    let healthy = true;
    let inFlight = 0;
    let maxInFlight = 0;
    const events: Array<[string, number]> = [];
    const w = watchCutOff({
      boundMs: 3000,
      recoverMs: 1000,
      intervalMs: 500,
      now: () => Date.now(),
      // A probe takes 700 ms (longer than the interval, like one waiting for its deadline).
      probe: async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 700));
        inFlight--;
        return healthy;
      },
      onChange: (e, ms) => events.push([e, ms]),
    });
    await vi.advanceTimersByTimeAsync(5000);
    expect(events).toEqual([]);
    healthy = false;
    await vi.advanceTimersByTimeAsync(5000);
    expect(events.map((e) => e[0])).toEqual(['cut-off']);
    expect(events[0][1]).toBeGreaterThanOrEqual(3000);
    expect(events[0][1]).toBeLessThan(5000);
    expect(w.state.cutOff).toBe(true);
    healthy = true;
    await vi.advanceTimersByTimeAsync(5000);
    expect(events.map((e) => e[0])).toEqual(['cut-off', 'rejoined']);
    expect(maxInFlight).toBe(1);
    w.stop();
    healthy = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(events).toHaveLength(2);
  });

  it('a probe that rejects counts as a failed one', async () => {
    vi.useFakeTimers();
    const events: string[] = [];
    const w = watchCutOff({
      boundMs: 1000, recoverMs: 0, intervalMs: 100,
      probe: () => Promise.reject(new Error('boom')),
      onChange: (e) => events.push(e),
    });
    await vi.advanceTimersByTimeAsync(1500);
    expect(events).toEqual(['cut-off']);
    w.stop();
  });
});

describe('REDIS_CUTOFF_MS', () => {
  it('defaults to 10 s; 0 turns it off; fails fast out of range', () => {
    expect(loadConfig({ STORE: 'memory' }).redisCutoffMs).toBe(10_000);
    expect(loadConfig({ STORE: 'memory', REDIS_CUTOFF_MS: '0' }).redisCutoffMs).toBe(0);
    expect(() => loadConfig({ STORE: 'memory', REDIS_CUTOFF_MS: '-1' })).toThrow(/REDIS_CUTOFF_MS/);
    expect(() => loadConfig({ STORE: 'memory', REDIS_CUTOFF_MS: 'soon' })).toThrow(/REDIS_CUTOFF_MS/);
  });
});

describe('ChatServer while cut off', () => {
  it('fails /readyz, closes clients with 1013 and refuses upgrades; ready and taking clients again after', async () => {
    const nodes = await startNodes('memory', 1);
    try {
      const { server } = nodes.nodes[0];
      const http = nodes.urls[0].replace('ws://', 'http://').replace('/ws', '/readyz');
      const c = await TestClient.connect(nodes.urls[0]);
      await c.hello('Ann');
      expect(server.setCutOff(true)).toBe(1);
      expect(await c.closed).toBe(1013);
      const r = await fetch(http);
      expect([r.status, await r.text()]).toEqual([503, 'cut off from the store\n']);
      await expect(TestClient.connect(nodes.urls[0])).rejects.toThrow(/503/);
      expect(server.setCutOff(false)).toBe(0);
      expect((await fetch(http)).status).toBe(200);
      const d = await TestClient.connect(nodes.urls[0]);
      expect((await d.hello('Bea')).type).toBe('welcome');
      d.terminate();
    } finally {
      await nodes.stop();
    }
  });
});
