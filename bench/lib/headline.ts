/**
 * `node dist/bench.js headline`: one headline point (500 clients × 40 msg/s by default) for several
 * systems, **alternating**: each round starts every system fresh, warms it up, measures it and stops
 * it, the order rotating from round to round. On a shared 2-core VM the machine's speed drifts by
 * ±15 % over minutes; measuring one system's three runs and then the next's folds that drift into
 * the ratio, alternating spreads it over all of them. Prints each run with its CPU by kind of
 * process, then the medians and the ratios against raw ws + HAProxy and Socket.IO.
 */
import { medianPoint, type PointResult } from './bench-report.js';
import type { RunningSystem, SystemKind } from './systems.js';

export interface HeadlinePlan { clients: number; rate: number; senders: number; duration: number; rounds: number }

export interface HeadlineDeps {
  withSystem<T>(kind: SystemKind, fn: (s: RunningSystem) => Promise<T>): Promise<T>;
  /** Warm-up (figures dropped), then one measured run. */
  measure(s: RunningSystem, p: HeadlinePlan): Promise<PointResult>;
  log(s: string): void;
}

export interface HeadlineResult {
  plan: HeadlinePlan;
  runs: Record<string, PointResult[]>;
  /** Each system's median point (bench-report.ts medianPoint). */
  medians: Record<string, PointResult>;
}

/** The order of round `i`: the systems rotated by `i`, so each one runs first, middle and last. */
export function roundOrder<T>(systems: T[], i: number): T[] {
  const k = i % Math.max(1, systems.length);
  return [...systems.slice(k), ...systems.slice(0, k)];
}

export async function runHeadline(systems: SystemKind[], plan: HeadlinePlan, deps: HeadlineDeps): Promise<HeadlineResult> {
  const runs: Record<string, PointResult[]> = {};
  for (let i = 0; i < plan.rounds; i++) {
    deps.log(`round ${i + 1} of ${plan.rounds}`);
    for (const kind of roundOrder(systems, i)) {
      (runs[kind] ??= []).push(await deps.withSystem(kind, (s) => deps.measure(s, plan)));
    }
  }
  const medians: HeadlineResult['medians'] = {};
  for (const kind of systems) if (runs[kind]) medians[kind] = medianPoint(runs[kind]);
  return { plan, runs, medians };
}

/** The medians as a table, with ratios against raw ws + HAProxy and Socket.IO when they ran. */
export function headlineTable(r: HeadlineResult): string {
  const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}×` : '–');
  const raw = r.medians['raw-haproxy'], sio = r.medians.socketio;
  const lines = [`${r.plan.clients} clients × ${r.plan.rate} msg/s for ${r.plan.duration} s, medians of ${r.plan.rounds} alternating rounds:`,
    '| system | p50 ms | p99 ms | CPU ms per 1,000 deliveries | by process | lost/dup/ooo | CPU ÷ raw ws + HAProxy | CPU ÷ Socket.IO |',
    '|---|---:|---:|---:|---|---:|---:|---:|'];
  for (const [kind, m] of Object.entries(r.medians)) {
    const split = Object.entries(m.cpuPer1000ByKind ?? {}).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
    const runs = (r.runs[kind] ?? []).map((p) => p.cpuMsPer1000.toFixed(1)).join(', ');
    lines.push(`| ${kind} | ${m.latency.p50} | ${m.latency.p99} | ${m.cpuMsPer1000.toFixed(1)} [${runs}] | ${split} | ${m.lost + m.duplicated + m.outOfOrder} | ${ratio(m.cpuMsPer1000, raw?.cpuMsPer1000)} | ${ratio(m.cpuMsPer1000, sio?.cpuMsPer1000)} |`);
  }
  return lines.join('\n');
}
