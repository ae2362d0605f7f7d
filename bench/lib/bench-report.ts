/**
 * The benchmark's results as data, the one table printed at the end (with ratios against the floor
 * — raw ws behind HAProxy — and against Socket.IO), and the Markdown written to docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Plan } from '../bench.js';
import type { SystemKind } from './systems.js';

export interface PointResult {
  clients: number; rate: number; ready: number;
  latency: { p50: number; p90: number; p99: number; p999: number; max: number };
  connect: { p50: number; p99: number; max: number; phaseMs: number };
  delivered: number; deliveriesPerSec: number;
  lost: number; duplicated: number; outOfOrder: number; unacked: number; disconnected: number;
  errors: Record<string, number>;
  cpuMs: number; cpuMsPer1000: number; cpuPercent: number;
  rssKBPerConnection: number; rssKBConnected: number; rssKBBefore: number;
  clientCpuMs: number; clientElu: number;
  byAppId: Record<string, number>;
}

/** The knee ended where the load tool itself was saturated (its event loop > 90 % busy): the system's own knee is higher. */
const toolBound = (s: SystemResults) => {
  const last = s.kneeSteps[s.kneeSteps.length - 1];
  return last !== undefined && last.clientElu > 0.9;
};

export interface SystemResults {
  label: string;
  points: PointResult[];
  /** Highest stepped rate with p99 < 100 ms and zero loss; null when even the first step failed. */
  knee: number | null;
  kneeSteps: PointResult[];
  memory: Array<PointResult & { requested: number }>;
  storm: PointResult | null;
}

export interface Machine { nproc: number; cpu: string; node: string; kernel: string; memGB: number; fdHard: string; haproxy: string; redis: string }

export interface BenchResults {
  plan: Plan;
  machine: Machine;
  startedAt: string;
  durationS: number;
  systems: Partial<Record<SystemKind, SystemResults>>;
  scaling: Array<PointResult & { servers: number }>;
}

const sh = (cmd: string) => {
  try {
    return execFileSync('/bin/sh', ['-c', cmd], { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
};

export function machine(): Machine {
  let cpu = os.cpus()[0]?.model ?? '?';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch { /* not Linux */ }
  return {
    nproc: Number(sh('nproc')) || os.cpus().length, cpu, node: process.version, kernel: os.release(),
    memGB: Math.round(os.totalmem() / 2 ** 30), fdHard: sh('ulimit -Hn'),
    haproxy: sh('haproxy -v 2>/dev/null | head -1 | cut -d" " -f3'), redis: sh('redis-server --version | cut -d" " -f3 | cut -d= -f2'),
  };
}

const ORDER: SystemKind[] = ['cluster', 'raw', 'raw-haproxy', 'socketio'];
const SHORT: Record<SystemKind, string> = { cluster: 'livechat', raw: 'raw ws', 'raw-haproxy': 'raw+HAProxy', socketio: 'Socket.IO' };

const f = (v: number | null | undefined, digits = 2) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(digits));
const ratio = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null || !b ? '–' : `${(a / b).toFixed(2)}×`);
const integrity = (p: PointResult) => `${p.lost}/${p.duplicated}/${p.outOfOrder}${p.disconnected ? ` (${p.disconnected} dropped)` : ''}${p.ready < p.clients ? ` (${p.clients - p.ready} not ready)` : ''}`;

interface Row { metric: string; values: Partial<Record<SystemKind, string>>; raw: Partial<Record<SystemKind, number | null>> }

/** Rows of the comparison table: one per metric, one column per system, plus two ratio columns. */
function rows(res: BenchResults): Row[] {
  const out: Row[] = [];
  const sys = (k: SystemKind) => res.systems[k];
  const add = (metric: string, get: (s: SystemResults) => number | null | undefined, fmt: (v: number | null | undefined, s: SystemResults) => string = (v) => f(v)) => {
    const row: Row = { metric, values: {}, raw: {} };
    for (const k of ORDER) {
      const s = sys(k);
      if (!s) continue;
      const v = get(s);
      row.raw[k] = v ?? null;
      row.values[k] = fmt(v, s);
    }
    out.push(row);
  };
  res.plan.points.forEach((p, i) => {
    const tag = `${p.clients}×${p.rate}/s`;
    add(`${tag} latency p50 ms`, (s) => s.points[i]?.latency.p50);
    add(`${tag} latency p99 ms`, (s) => s.points[i]?.latency.p99);
    add(`${tag} latency p99.9 ms`, (s) => s.points[i]?.latency.p999);
    add(`${tag} CPU ms / 1000 deliveries`, (s) => s.points[i]?.cpuMsPer1000);
    add(`${tag} lost/dup/out-of-order`, () => null, (_v, s) => (s.points[i] ? integrity(s.points[i]) : '–'));
  });
  add(`knee msg/s (${res.plan.knee.clients} clients, p99<100ms, no loss)`, (s) => s.knee, (v, s) => (s.kneeSteps.length === 0 ? '–' : v == null ? `< ${res.plan.knee.rates[0]}` : `${v}${s.kneeSteps.length === res.plan.knee.rates.length && s.kneeSteps.every((k) => k.rate <= (v ?? 0)) ? '+' : ''}${toolBound(s) ? ' (tool-bound)' : ''}`));
  for (const n of res.plan.memory) {
    add(`KB per idle connection @${n}`, (s) => s.memory.find((m) => m.requested === n)?.rssKBPerConnection,
      (v, s) => { const m = s.memory.find((x) => x.requested === n); return m ? `${f(v, 1)}${m.ready !== n ? ` (${m.ready} held)` : ''}` : '–'; });
  }
  add(`connect storm ${res.plan.storm}: p99 ms`, (s) => s.storm?.connect.p99);
  add(`connect storm ${res.plan.storm}: all ready s`, (s) => (s.storm ? s.storm.connect.phaseMs / 1000 : null),
    (v, s) => (s.storm ? `${f(v)}${s.storm.ready < s.storm.clients ? ` (${s.storm.ready} ready)` : ''}` : '–'));
  return out;
}

/** The console table: systems side by side, livechat ÷ raw+HAProxy and livechat ÷ Socket.IO. */
export function printTable(res: BenchResults): string {
  const present = ORDER.filter((k) => res.systems[k]);
  const header = ['metric', ...present.map((k) => SHORT[k]), 'livechat ÷ raw+HAProxy', 'livechat ÷ Socket.IO'];
  const body = rows(res).map((r) => [r.metric, ...present.map((k) => r.values[k] ?? '–'),
    ratio(r.raw.cluster, r.raw['raw-haproxy']), ratio(r.raw.cluster, r.raw.socketio)]);
  const scaling = res.scaling.map((s) => [`livechat ${s.servers} server(s) @${s.clients}×${s.rate}/s: p99 ms / CPU ms per 1000`,
    `${f(s.latency.p99)} / ${f(s.cpuMsPer1000)}`, ...present.slice(1).map(() => ''), '', '']);
  const all = [header, ...body, ...scaling];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

const mdTable = (header: string[], body: string[][]) =>
  [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** The generated Markdown report. */
export function markdownReport(res: BenchResults, command: string): string {
  const m = res.machine;
  const present = ORDER.filter((k) => res.systems[k]);
  const table = mdTable(['metric', ...present.map((k) => SHORT[k]), 'livechat ÷ raw+HAProxy', 'livechat ÷ Socket.IO'],
    rows(res).map((r) => [r.metric, ...present.map((k) => r.values[k] ?? '–'), ratio(r.raw.cluster, r.raw['raw-haproxy']), ratio(r.raw.cluster, r.raw.socketio)]));
  const detail = present.map((k) => {
    const s = res.systems[k]!;
    const pts = [...s.points.map((p) => ['load', p] as const), ...s.kneeSteps.map((p) => ['knee step', p] as const)];
    return `### ${s.label}\n\n${mdTable(['run', 'clients', 'msg/s', 'deliveries/s', 'p50', 'p90', 'p99', 'p99.9', 'max', 'server CPU %', 'CPU ms/1000', 'lost/dup/ooo', 'tool CPU ms', 'tool ELU'],
      pts.map(([kind, p]) => [kind, `${p.ready}/${p.clients}`, String(p.rate), String(p.deliveriesPerSec), f(p.latency.p50), f(p.latency.p90), f(p.latency.p99), f(p.latency.p999), f(p.latency.max),
        f(p.cpuPercent), f(p.cpuMsPer1000), integrity(p), String(p.clientCpuMs), f(p.clientElu)]))}\n\n` +
      (s.memory.length ? `Idle memory: ${s.memory.map((x) => `${x.ready}/${x.requested} clients held, RSS ${f(x.rssKBBefore / 1024, 1)} → ${f(x.rssKBConnected / 1024, 1)} MB = ${f(x.rssKBPerConnection, 1)} KB/connection`).join('; ')}.\n\n` : '') +
      (s.storm ? `Connect storm: ${s.storm.ready}/${s.storm.clients} ready in ${f(s.storm.connect.phaseMs / 1000)} s; hello→welcome p50 ${f(s.storm.connect.p50)} ms, p99 ${f(s.storm.connect.p99)} ms, max ${f(s.storm.connect.max)} ms` +
        `${Object.keys(s.storm.errors).length ? `; errors ${JSON.stringify(s.storm.errors)}` : ''}.\n` : '') +
      (s.points[0] ? `\nConnections per APPID (first load): ${Object.entries(s.points[0].byAppId).map(([a, n]) => `${a}: ${n}`).join(', ')}.\n` : '');
  }).join('\n');
  const scaling = res.scaling.length ? `## This cluster with 1…${Math.max(...res.scaling.map((s) => s.servers))} servers\n\n` +
    `${res.plan.scaling.clients} clients × ${res.plan.scaling.rate} msg/s for ${res.plan.scaling.duration} s, all processes (servers, HAProxy, Redis, nginx master) summed.\n\n` +
    mdTable(['servers', 'p50 ms', 'p99 ms', 'p99.9 ms', 'CPU ms / 1000 deliveries', 'server CPU %', 'lost/dup/ooo'],
      res.scaling.map((s) => [String(s.servers), f(s.latency.p50), f(s.latency.p99), f(s.latency.p999), f(s.cpuMsPer1000), f(s.cpuPercent), integrity(s)])) + '\n' : '';
  return `# Benchmarks

<!-- Generated by \`${command}\` (bench/bench.ts). Re-run to refresh; numbers below are measured, not edited. -->

How to run and read these: [load-testing.md](load-testing.md). Raw results: \`benchmarks.json\` beside this file when generated there.

- **Command:** \`${command}\` (${res.plan.name} plan, took ${Math.round(res.durationS / 60)} min, ${res.startedAt})
- **Machine:** ${m.nproc} × ${m.cpu}, ${m.memGB} GB RAM, Linux ${m.kernel}, Node ${m.node}, HAProxy ${m.haproxy}, Redis ${m.redis}, fd hard limit ${m.fdHard}
- **Same box for everything:** the load tool, every server, HAProxy and Redis share these ${m.nproc} cores, so
  latencies at high rates include the tool's own CPU (its event-loop use is in the detail tables).
- **Load:** one room, every client a member; \`senders\` of them send at a total \`msg/s\`; deliveries/s = clients × msg/s.
  Latency is from the sender's send() to each member's receipt (sender included), through the whole system.
- **CPU ms / 1000 deliveries:** utime + stime from /proc of every process of the system (servers, HAProxy, Redis;
  for livechat also the idle nginx master), over the send and drain window, divided by deliveries.
- **Warm-up:** every system (and every cluster size in the scaling table) first gets a 3 s run whose figures are dropped.
- **Headline loads** (${res.plan.points.map((p) => `${p.clients}×${p.rate}/s`).join(', ')}): ${res.plan.duration} s each, ${res.plan.repeats > 1 ? `run ${res.plan.repeats} times; each figure is the median of the runs, lost/dup/out-of-order are summed over them` : 'one run'}.
- **Knee:** ${res.plan.knee.clients} clients, rates ${res.plan.knee.rates.join(', ')} msg/s for ${res.plan.knee.duration} s each; the highest with p99 < 100 ms and zero loss (stepping stops at the first failure).
- **Memory:** RSS sum of all processes once N idle clients (hello + join, rooms of 100 members) are connected, minus before, divided by N; a fresh system per N.
- **Connect storm:** all clients open at once (rooms of 100 members); connect = TCP connect to \`welcome\`, ready = every client has \`joined\`.

## Summary

${table}

lost/dup/out-of-order: deliveries acked but never received / received twice / received after a higher id, summed over clients.

${scaling}
## Details

${detail}
`;
}
