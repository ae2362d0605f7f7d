import { describe, expect, it } from 'vitest';
import { medianPoint, type PointResult } from '../../bench/lib/bench-report.js';
import { headlineTable, roundOrder, runHeadline } from '../../bench/lib/headline.js';

const run = (cpu: number, byKind: Record<string, number>, p99 = 10): PointResult => ({
  clients: 500, rate: 40, ready: 500, latency: { p50: p99 / 2, p90: p99, p99, p999: p99, max: p99 },
  connect: { p50: 0, p99: 0, max: 0, phaseMs: 0 }, delivered: 300_000, deliveriesPerSec: 20_000,
  lost: 0, duplicated: 0, outOfOrder: 0, unacked: 0, disconnected: 0, errors: {},
  cpuMs: cpu * 300, cpuMsPer1000: cpu, cpuPercent: 0, cpuPer1000ByKind: byKind,
  rssKBPerConnection: 0, rssKBConnected: 0, rssKBBefore: 0, clientCpuMs: 0, clientElu: 0, byAppId: {},
});

describe('headline bench (alternating systems)', () => {
  it('rotates the order so each system runs first once in as many rounds as there are systems', () => {
    const s = ['a', 'b', 'c'];
    expect([0, 1, 2, 3].map((i) => roundOrder(s, i).join(''))).toEqual(['abc', 'bca', 'cab', 'abc']);
    expect(roundOrder([], 2)).toEqual([]);
  });

  it('takes the median of every figure and of each process kind on its own, and sums what was lost', () => {
    const runs = [run(20, { servers: 11, haproxy: 9 }, 14), run(25, { servers: 10, haproxy: 15 }, 30), { ...run(22, { servers: 12, haproxy: 10 }, 12), duplicated: 2 }];
    const m = medianPoint(runs);
    expect(m.cpuMsPer1000).toBe(22);
    expect(m.latency.p99).toBe(14);
    expect(m.cpuPer1000ByKind).toEqual({ servers: 11, haproxy: 10 });
    expect(m.lost + m.duplicated + m.outOfOrder).toBe(2);
  });

  it('runs every system in every round, fresh each time, in rotated order, and prints the ratios', async () => {
    const order: string[] = [];
    const cpu: Record<string, number> = { cluster: 20, 'raw-haproxy': 18, socketio: 25 };
    const r = await runHeadline(['cluster', 'raw-haproxy', 'socketio'], { clients: 500, rate: 40, senders: 20, duration: 15, rounds: 3 }, {
      withSystem: async (kind, fn) => { order.push(kind); return fn({ kind } as never); },
      measure: async (s) => run(cpu[s.kind], { servers: cpu[s.kind] }),
      log: () => {},
    });
    expect(order).toEqual(['cluster', 'raw-haproxy', 'socketio', 'raw-haproxy', 'socketio', 'cluster', 'socketio', 'cluster', 'raw-haproxy']);
    expect(r.runs.cluster).toHaveLength(3);
    const table = headlineTable(r);
    expect(table).toContain('| cluster | 5 | 10 | 20.0 [20.0, 20.0, 20.0] | servers 20.0 | 0 | 1.11× | 0.80× |');
  });
});
