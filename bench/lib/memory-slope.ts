/**
 * Marginal memory of an idle member, as a slope (issue 26): a fresh system; `warm` idle members first
 * (first-use costs: code, V8's young generation, buffers, HAProxy's pools); then `steps` more steps of
 * `step` members, each followed by a settle; the RSS of every process of the system is read during
 * each settle (its lowest read kept), and the least-squares slope of total RSS over members (from the warm point on) is the
 * figure — with each process kind's own slope (servers, haproxy, redis), and the fit's R², which says
 * how straight the line was. A single difference read while V8 or HAProxy still holds freed memory can
 * say anything; a slope over several settled points cannot drift far without the R² showing it.
 */
import { IdleHolder } from './idle-holder.js';
import { metricValue, procKind, procLabel, rssKBOf } from './proc-stats.js';
import type { RunningSystem } from './systems.js';

export interface SlopePlan {
  warm: number; step: number; steps: number; settleS: number; roomSize: number;
  /** Have every Node server collect its garbage (SIGUSR2, LC_GC_ON_SIGNAL) before the reads. */
  gc: boolean;
}

export const SLOPE_PLAN: SlopePlan = { warm: 1000, step: 1000, steps: 6, settleS: 6, roomSize: 100, gc: false };

export interface SlopeResult {
  label: string;
  /** [members, total RSS KB] after each settle, from the warm point on. */
  points: Array<[number, number]>;
  /** KB of RSS per idle member: all processes, and per kind of process. */
  kbPerMember: number;
  byKind: Record<string, number>;
  r2: number;
  /**
   * Where this cluster's servers' share sits (their own /metrics, summed, as slopes in KB per member):
   * V8's heap in use and reserved, and memory outside it (Buffers). Empty for the peers.
   */
  servers: Record<string, number>;
}

/** The servers' own view of their memory, from prom-client's default metrics (bytes, summed over servers). */
const SERVER_GAUGES = { heapUsed: 'nodejs_heap_size_used_bytes', heapTotal: 'nodejs_heap_size_total_bytes', external: 'nodejs_external_memory_bytes' } as const;

async function serverGauges(urls: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = { heapUsed: 0, heapTotal: 0, external: 0 };
  await Promise.all(urls.map(async (u) => {
    const url = u.replace(/^ws:/, 'http:').replace(/\/ws$/, '/metrics');
    const text = await fetch(url, { signal: AbortSignal.timeout(2000) }).then((r) => r.text()).catch(() => '');
    for (const [k, name] of Object.entries(SERVER_GAUGES)) out[k] += (metricValue(text, name) ?? 0) / 1024;
  }));
  return out;
}

/** Least-squares slope and R² of ys over xs. */
export function fitLine(xs: number[], ys: number[]): { slope: number; r2: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, r2: sxx === 0 || syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** RSS of every process of a sample, KB. */
const totalOf = (s: { byKind: Record<string, number> }) => Object.values(s.byKind).reduce((a, b) => a + b, 0);

export async function memorySlope(sys: RunningSystem, plan: SlopePlan, log: (s: string) => void): Promise<SlopeResult> {
  const holder = new IdleHolder({ url: sys.wsUrl, wire: sys.wire, roomSize: plan.roomSize, localIps: 32, prefix: `slope${Date.now() % 100000}` });
  const kinds = new Map(sys.pids().map((p) => [p, procKind(procLabel(p))]));
  const samples: Array<{ members: number; byKind: Record<string, number>; servers: Record<string, number> }> = [];
  const gaugeUrls = sys.kind === 'cluster' ? sys.serverUrls : [];
  // Settles, then reads every process's RSS four times in 2 s and keeps each one's lowest read: a
  // garbage-collected runtime's RSS is a sawtooth (Socket.IO's swung by 100 MB between reads here).
  const settleAndSample = async () => {
    await sleep(Math.max(0, plan.settleS * 1000 - 2000));
    // With `gc`, every Node server collects its garbage first (LC_GC_ON_SIGNAL, app/src/gc-signal.ts).
    if (plan.gc) for (const [pid, kind] of kinds) if (kind === 'servers') { try { process.kill(pid, 'SIGUSR2'); } catch { /* gone */ } }
    const low = new Map<number, number>();
    for (let t = 0; t < 4; t++) {
      await sleep(500);
      for (const pid of kinds.keys()) low.set(pid, Math.min(low.get(pid) ?? Infinity, rssKBOf(pid) ?? 0));
    }
    const byKind: Record<string, number> = {};
    for (const [pid, kind] of kinds) byKind[kind] = (byKind[kind] ?? 0) + (low.get(pid) ?? 0);
    samples.push({ members: holder.held, byKind, servers: gaugeUrls.length ? await serverGauges(gaugeUrls) : {} });
  };
  try {
    await holder.add(plan.warm);
    // The warm point is read after a second settle: the first one after start-up still frees much.
    await settleAndSample();
    samples.length = 0;
    await settleAndSample();
    for (let s = 0; s < plan.steps; s++) {
      await holder.add(plan.step);
      await settleAndSample();
      log(`  ${sys.kind}: ${holder.held} idle members, RSS ${(totalOf(samples.at(-1)!) / 1024).toFixed(1)} MB`);
    }
  } finally {
    holder.close();
  }
  const xs = samples.map((s) => s.members);
  const total = samples.map(totalOf);
  const fit = fitLine(xs, total);
  const byKind: Record<string, number> = {};
  for (const kind of new Set(kinds.values())) byKind[kind] = fitLine(xs, samples.map((s) => s.byKind[kind] ?? 0)).slope;
  const servers: Record<string, number> = {};
  for (const k of Object.keys(samples[0]?.servers ?? {})) servers[k] = fitLine(xs, samples.map((s) => s.servers[k] ?? 0)).slope;
  return { label: sys.label, points: xs.map((x, i) => [x, total[i]]), kbPerMember: fit.slope, byKind, r2: fit.r2, servers };
}
