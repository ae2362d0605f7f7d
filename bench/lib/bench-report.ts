/**
 * The benchmark's results as data, the one table printed at the end (with ratios against the floor
 * — raw ws behind HAProxy — and against Socket.IO), and the Markdown written to docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Plan } from './plans.js';
import type { CountFigures, JoinFigures, LoadReport, PresenceFigures } from './load.js';
import { countsText } from './presence-stats.js';
import { procKind } from './proc-stats.js';
import type { SystemKind } from './systems.js';

export interface PointResult {
  clients: number; rate: number; ready: number;
  latency: { p50: number; p90: number; p99: number; p999: number; max: number };
  connect: { p50: number; p99: number; max: number; phaseMs: number };
  delivered: number; deliveriesPerSec: number;
  lost: number; duplicated: number; outOfOrder: number; unacked: number; disconnected: number;
  errors: Record<string, number>;
  cpuMs: number; cpuMsPer1000: number; cpuPercent: number;
  /** CPU per 1,000 deliveries by kind of process (servers, haproxy, redis, …), from the same window. */
  cpuPer1000ByKind?: Record<string, number>;
  rssKBPerConnection: number; rssKBConnected: number; rssKBBefore: number;
  clientCpuMs: number; clientElu: number;
  byAppId: Record<string, number>;
}

/** The knee ended where the load tool itself was saturated (its event loop > 90 % busy): the system's own knee is higher. */
const toolBound = (s: SystemResults) => {
  const last = s.kneeSteps[s.kneeSteps.length - 1];
  return last !== undefined && last.clientElu > 0.9;
};

/** The median of some figures (the upper one of an even count). */
export function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : 0;
}

/** Each figure's median over repeated runs of one point (the CPU split: each kind's own median); lost/duplicated/out-of-order/unacked/disconnected are summed, so any loss shows. */
export function medianPoint(runs: PointResult[]): PointResult {
  if (runs.length === 1) return runs[0];
  const med = (f: (p: PointResult) => number) => median(runs.map(f));
  const sum = (f: (p: PointResult) => number) => runs.reduce((acc, p) => acc + f(p), 0);
  const errors: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  const cpuPer1000ByKind: Record<string, number> = {};
  for (const k of new Set(runs.flatMap((r) => Object.keys(r.cpuPer1000ByKind ?? {})))) cpuPer1000ByKind[k] = med((p) => p.cpuPer1000ByKind?.[k] ?? 0);
  return {
    ...runs[0],
    ready: Math.min(...runs.map((r) => r.ready)),
    latency: { p50: med((p) => p.latency.p50), p90: med((p) => p.latency.p90), p99: med((p) => p.latency.p99), p999: med((p) => p.latency.p999), max: med((p) => p.latency.max) },
    delivered: med((p) => p.delivered), deliveriesPerSec: med((p) => p.deliveriesPerSec),
    lost: sum((p) => p.lost), duplicated: sum((p) => p.duplicated), outOfOrder: sum((p) => p.outOfOrder),
    unacked: sum((p) => p.unacked), disconnected: sum((p) => p.disconnected), errors,
    cpuMs: med((p) => p.cpuMs), cpuMsPer1000: med((p) => p.cpuMsPer1000), cpuPercent: med((p) => p.cpuPercent), cpuPer1000ByKind,
    clientCpuMs: med((p) => p.clientCpuMs), clientElu: med((p) => p.clientElu),
  };
}

export interface SystemResults {
  label: string;
  points: PointResult[];
  /** Highest stepped rate with p99 < 100 ms and zero loss; null when even the first step failed. */
  knee: number | null;
  kneeSteps: PointResult[];
  memory: Array<PointResult & { requested: number }>;
  storm: PointResult | null;
}

/** The big-room point of one system, as kept in the results (the load report without histograms). */
export interface BigRoomResult {
  label: string;
  wire: 'livechat' | 'socketio';
  clients: number; ready: number; rampS: number; localIps: number; rate: number; senders: number; duration: number; warmupS: number;
  join: JoinFigures;
  /** null where the server has no presence (Socket.IO). */
  counts: CountFigures | null;
  presence: PresenceFigures | null;
  probe: LoadReport['probe'];
  memory: { kbPerMember: number; rssKBBefore: number; rssKBConnected: number; byKind: Record<string, number>; byPid: LoadReport['server']['byPid'] };
  messages: {
    latency: { p50: number; p90: number; p99: number; max: number };
    delivered: number; expected: number; deliveriesPerSec: number; lost: number; duplicated: number; outOfOrder: number; unacked: number;
  };
  cpuMsPer1000: number; clientElu: number; disconnected: number;
  errors: Record<string, number>;
  failures: string[];
}

export function bigRoomResult(label: string, r: LoadReport): BigRoomResult {
  const presence = r.options.wire === 'livechat';
  const byKind: Record<string, number> = {};
  for (const p of r.server.byPid) byKind[procKind(p.label)] = Math.round(((byKind[procKind(p.label)] ?? 0) + p.kbPerMember) * 100) / 100;
  return {
    label, wire: r.options.wire, clients: r.options.clients, ready: r.clients.ready, rampS: r.options.ramp, localIps: r.options.localIps,
    rate: r.options.rate, senders: r.options.senders, duration: r.options.duration, warmupS: r.options.warmup,
    join: r.join, counts: presence ? r.counts : null, presence: presence ? r.presence : null, probe: r.probe,
    memory: { kbPerMember: r.server.rssKBPerConnection, rssKBBefore: r.server.rssKBBefore, rssKBConnected: r.server.rssKBConnected, byKind, byPid: r.server.byPid },
    messages: {
      latency: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
      delivered: r.messages.delivered, expected: r.messages.expected, deliveriesPerSec: r.messages.deliveriesPerSec,
      lost: r.messages.lost, duplicated: r.messages.duplicated, outOfOrder: r.messages.outOfOrder, unacked: r.messages.unacked,
    },
    cpuMsPer1000: r.server.cpuMsPer1000Deliveries, clientElu: r.client.eventLoopUtilization, disconnected: r.clients.disconnected,
    errors: r.errors, failures: r.failures,
  };
}

export interface Machine { nproc: number; cpu: string; node: string; kernel: string; memGB: number; fdHard: string; haproxy: string; redis: string }

export interface BenchResults {
  plan: Plan;
  machine: Machine;
  startedAt: string;
  durationS: number;
  systems: Partial<Record<SystemKind, SystemResults>>;
  scaling: Array<PointResult & { servers: number }>;
  /** The big-room point: this cluster and Socket.IO (absent in results of older runs). */
  bigRoom?: Partial<Record<SystemKind, BigRoomResult>>;
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

const NO_PRESENCE = '– (no presence)';
const check = (ok: boolean) => (ok ? '✓' : '✗');

/** Rows of the big-room table: metric, this cluster, Socket.IO (either may be absent). */
export function bigRoomRows(res: BenchResults): { header: string[]; body: string[][] } | null {
  const present = (['cluster', 'raw-haproxy', 'socketio'] as const).filter((k) => res.bigRoom?.[k]);
  if (!present.length) return null;
  const body: string[][] = [];
  const add = (metric: string, get: (b: BigRoomResult) => string) => body.push([metric, ...present.map((k) => get(res.bigRoom![k]!))]);
  const pres = (get: (b: BigRoomResult & { counts: CountFigures; presence: PresenceFigures }) => string) => (b: BigRoomResult) =>
    (b.counts && b.presence ? get(b as BigRoomResult & { counts: CountFigures; presence: PresenceFigures }) : NO_PRESENCE);
  const probe = (get: (p: NonNullable<LoadReport['probe']>) => string) => (b: BigRoomResult) =>
    (b.wire !== 'livechat' ? NO_PRESENCE : !b.probe ? '–' : b.probe.error && b.probe.joinedCount === null ? `✗ ${b.probe.error}` : get(b.probe));
  add('members held', (b) => `${b.ready}/${b.clients}`);
  add('hello→joined p50 / p90 / p99 / max ms', (b) => [b.join.helloToJoined.p50, b.join.helloToJoined.p90, b.join.helloToJoined.p99, b.join.helloToJoined.max].map((v) => f(v)).join(' / '));
  add('connect→joined p50 / p99 / max ms', (b) => [b.join.connectToJoined.p50, b.join.connectToJoined.p99, b.join.connectToJoined.max].map((v) => f(v)).join(' / '));
  add('never joined (no welcome) / joined late', (b) => `${b.join.neverJoined} (${b.join.noWelcome}) / ${b.join.late}`);
  add('first connect → last joined s', (b) => f(b.join.firstConnectToLastJoinedMs / 1000));
  add('errors to hello/join (clients retried)', (b) => {
    const n = Object.values(b.join.errors ?? {}).reduce((a, by) => a + Object.values(by).reduce((x, y) => x + y, 0), 0);
    return n ? `${Object.keys(b.join.errors).join(', ')} ${n} (${b.join.retriedClients})` : '0';
  });
  add('joined.count seen min / max; frame p50 / max KB', pres((b) => `${b.counts.joined.min} / ${b.counts.joined.max}; ${f(b.counts.joinedBytes.p50 / 1024)} / ${f(b.counts.joinedBytes.max / 1024)}`));
  add('joined lists truncated / inconsistent', pres((b) => `${b.counts.truncated} / ${b.counts.inconsistent}`));
  add('presence frames per member: mean / p99 / max', pres((b) => `${f(b.presence.storm.frames.mean)} / ${b.presence.storm.frames.p99} / ${b.presence.storm.frames.max}`));
  add('… by event, mean: join / leave / count / sync', pres((b) => (['join', 'leave', 'count', 'sync'] as const).map((e) => f(b.presence.storm.byEvent[e].mean)).join(' / ')));
  add('presence KB per member: mean / p99 / max', pres((b) => [b.presence.storm.bytes.mean, b.presence.storm.bytes.p99, b.presence.storm.bytes.max].map((v) => f(v / 1024)).join(' / ')));
  add('storm until presence quiet s', pres((b) => `${f(b.presence.stormMs / 1000)}${b.presence.quiet === false ? ' (not quiet)' : ''}`));
  add('last count seen = members held', pres((b) => `${b.counts.converged}/${b.counts.members}`));
  add('probe joined.count = members + 1', probe((p) => `${p.joinedCount ?? 'none'} / ${p.expectedCount} ${check(p.exact)}`));
  add('member list paged (`members`, 500/page)', probe((p) => (p.members ? `${p.members.unique} in ${p.members.pages} pages, ${p.members.ms} ms; missing ${p.members.missing}, dup ${p.members.duplicates}, ` +
    `unexpected ${p.members.unexpected}, ooo ${p.members.outOfOrder}${p.members.error ? `; ${p.members.error}` : ''} ${check(p.members.ok)}` : '–')));
  add('count on every server', probe((p) => (p.servers ? `${countsText(p.servers.samples)} ${check(p.servers.exact && !p.servers.unreached.length)}` : '–')));
  add('members seeing the new count within 3 s; p99 ms', probe((p) => (p.propagation ? `${(p.propagation.fraction * 100).toFixed(1)}%; ${f(p.propagation.ms.p99)}` : '–')));
  add('RSS KB per member, all processes', (b) => f(b.memory.kbPerMember, 1));
  add('… servers / HAProxy / Redis', (b) => ['servers', 'haproxy', 'redis'].map((k) => f(b.memory.byKind[k] ?? null, 1)).join(' / '));
  add('message phase: msg/s × members = deliveries/s', (b) => `${b.rate} × ${b.ready} = ${b.messages.deliveriesPerSec}`);
  add('delivery latency p50 / p99 / max ms', (b) => [b.messages.latency.p50, b.messages.latency.p99, b.messages.latency.max].map((v) => f(v)).join(' / '));
  add('lost/dup/out-of-order', (b) => `${b.messages.lost}/${b.messages.duplicated}/${b.messages.outOfOrder}${b.messages.unacked ? ` (${b.messages.unacked} unacked)` : ''}${b.disconnected ? ` (${b.disconnected} dropped)` : ''}`);
  add('CPU ms / 1000 deliveries; tool ELU', (b) => `${f(b.cpuMsPer1000)}; ${f(b.clientElu)}`);
  return { header: ['big room', ...present.map((k) => SHORT[k])], body };
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
  const big = bigRoomRows(res);
  return [...(present.length ? [align(all)] : []), ...(big ? ['', align([big.header, ...big.body])] : [])].join('\n');
}

function align(all: string[][]): string {
  const widths = all[0].map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

function bigRoomSection(res: BenchResults): string {
  const big = bigRoomRows(res);
  if (!big) return '';
  const b = res.plan.bigRoom;
  const any = (res.bigRoom?.cluster ?? res.bigRoom?.['raw-haproxy'] ?? res.bigRoom?.socketio)!;
  const failures = (['cluster', 'raw-haproxy', 'socketio'] as const).filter((k) => res.bigRoom?.[k]?.failures.length)
    .map((k) => `- ${SHORT[k]}: ${res.bigRoom![k]!.failures.join('; ')}`).join('\n');
  return `## Big room: one room of ${b.clients} members

${any.ready} clients join one room, ramped over ${any.rampS} s from ${any.localIps} loopback addresses, on a fresh system after a ${b.warmup} s warm-up
(the memory baseline); then ${b.senders} of them send ${b.rate} msg/s for ${b.duration} s to everyone. For livechat, once presence has been quiet for
2 s a probe member joins: its \`joined.count\` must be exact, paging \`members\` must list every member once, every server (joined directly)
must report the same count, and every member should see the new count within 3 s. Presence figures cover the connect storm until it went quiet.
**Socket.IO's server has no presence** (no count, list or presence events): its column shows join latency, memory and the message phase only.

${mdTable(big.header, big.body)}
${failures ? `\nFailed checks:\n${failures}\n` : ''}`;
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
${res.bigRoom && Object.keys(res.bigRoom).length ? `- **Big room:** one room of ${res.plan.bigRoom.clients} members, this cluster and Socket.IO; see its section below.\n` : ''}
${present.length ? `## Summary

${table}

lost/dup/out-of-order: deliveries acked but never received / received twice / received after a higher id, summed over clients.
` : ''}
${bigRoomSection(res)}
${scaling}${present.length ? `
## Details

${detail}
` : ''}`;
}
