/**
 * `npm run bench [-- --quick] [--md docs/benchmarks.md] [--only cluster,raw,…] [--skip knee,…,big-room] [--big-room N]`
 * One run, on loopback, same machine, same load tool and scenarios, comparing this cluster as
 * shipped with a raw `ws` broadcast server (direct and behind the same HAProxy) and Socket.IO 4 with
 * the Redis adapter behind the same HAProxy. Prints one table with ratios and writes the Markdown
 * report (docs/benchmarks.md for a full run) plus the raw JSON beside it. The big-room point puts
 * this cluster and Socket.IO side by side with one room of thousands of members (join latency,
 * presence per member, the probe's checks, memory per member, then the message phase).
 *
 * Also the entry point of the comparison servers the benchmark spawns:
 *   node dist/bench.js serve-raw --port P [--app-id A]
 *   node dist/bench.js serve-socketio --port P --app-id A --redis redis://…
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gcOnSignal } from '../app/src/gc-signal.js';
import { startCluster } from '../scripts/lib/cluster.js';
import { repoRoot } from '../scripts/lib/configs.js';
import { inclusiveTop, summariseProfile } from './lib/cpu-profile.js';
import { ensureFds } from './lib/fd-limit.js';
import { procKind } from './lib/proc-stats.js';
import { memorySlope, SLOPE_PLAN, type SlopeResult } from './lib/memory-slope.js';
import { bigRoomLoad } from './lib/big-room.js';
import { PLANS, type Plan } from './lib/plans.js';
import { headlineTable, runHeadline, type HeadlinePlan } from './lib/headline.js';
import { bigRoomResult, machine, markdownReport, median, medianPoint, printTable, type BenchResults, type PointResult, type SystemResults } from './lib/bench-report.js';
import type { LoadReport } from './lib/load.js';
import { runLoadChild, type ChildLoad } from './lib/run-child.js';
import { BENCH_SERVER_ENV, LOAD_TEST_ENV, startSystem, type RunningSystem, type SystemKind } from './lib/systems.js';
import { startRawServer } from './raw-ws-server.js';
import { startSocketIoServer } from './socketio-server.js';


const ALL: SystemKind[] = ['cluster', 'raw', 'raw-haproxy', 'socketio'];
const log = (s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);

/**
 * Idle-connection and connect-storm runs spread clients over rooms of this many members. livechat's
 * presence makes one room of n members cost O(n²) frames to fill (every join is announced to every
 * member, every `joined` lists all members); the comparison systems have no presence, and these two
 * figures are about connections, not presence storms.
 */
export const IDLE_ROOM_SIZE = 100;
const roomsOf = (clients: number) => Math.max(1, Math.ceil(clients / IDLE_ROOM_SIZE));

/** The knee criterion of the issue: p99 under 100 ms and nothing lost (nor dropped). */
export const passesKnee = (r: LoadReport) => r.latency.p99 < 100 && r.messages.lost === 0 && r.messages.unacked === 0
  && r.clients.disconnected === 0 && r.clients.ready === r.clients.requested;

/** CPU per 1,000 deliveries by kind of process, from the per-pid CPU of the same window. */
export function cpuPer1000ByKind(r: LoadReport): Record<string, number> {
  const out: Record<string, number> = {};
  if (r.messages.delivered <= 0) return out;
  for (const p of r.server.byPid) {
    const k = procKind(p.label);
    out[k] = (out[k] ?? 0) + ((r.server.cpuMsByPid[p.pid] ?? 0) / r.messages.delivered) * 1000;
  }
  for (const k of Object.keys(out)) out[k] = Math.round(out[k] * 100) / 100;
  return out;
}

const point = (r: LoadReport): PointResult => ({
  clients: r.options.clients, rate: r.options.rate, ready: r.clients.ready,
  latency: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, p999: r.latency.p999, max: r.latency.max },
  connect: { p50: r.connect.p50, p99: r.connect.p99, max: r.connect.max, phaseMs: r.phases.connectMs },
  delivered: r.messages.delivered, deliveriesPerSec: r.messages.deliveriesPerSec,
  lost: r.messages.lost, duplicated: r.messages.duplicated, outOfOrder: r.messages.outOfOrder, unacked: r.messages.unacked,
  disconnected: r.clients.disconnected, errors: r.errors,
  cpuMs: r.server.cpuMs, cpuMsPer1000: r.server.cpuMsPer1000Deliveries, cpuPercent: r.server.cpuPercent,
  cpuPer1000ByKind: cpuPer1000ByKind(r),
  rssKBPerConnection: r.server.rssKBPerConnection, rssKBConnected: r.server.rssKBConnected, rssKBBefore: r.server.rssKBBefore,
  clientCpuMs: r.client.cpuMs, clientElu: r.client.eventLoopUtilization, byAppId: r.clients.byAppId,
});

async function load(sys: RunningSystem, o: Omit<ChildLoad, 'url'>): Promise<LoadReport> {
  // Each measurement starts from a healthy system: a saturating knee step can leave servers DOWN in HAProxy for a while.
  await sys.ready();
  // Clients spread over loopback addresses, 500 each at most (the protocol's bound is 1000 per address; the
  // systems run with LC_LOAD_TEST=1, which lifts the 50 a production stack allows).
  const r = await runLoadChild({ url: sys.wsUrl, wire: sys.wire, pids: sys.pids(), drain: 5, localIps: Math.max(4, Math.ceil(o.clients / 500)), ...o });
  const byKind = Object.entries(cpuPer1000ByKind(r)).map(([k, v]) => `${k} ${v}`).join(' + ');
  log(`  ${sys.kind} ${o.clients}c × ${o.rate ?? 0}/s: p50 ${r.latency.p50} p99 ${r.latency.p99} ms, ${r.server.cpuMsPer1000Deliveries} cpu-ms/1k` +
    `${byKind ? ` (${byKind})` : ''}, ` +
    `ready ${r.clients.ready}, lost ${r.messages.lost}, dup ${r.messages.duplicated}, ooo ${r.messages.outOfOrder}, tool elu ${r.client.eventLoopUtilization}` +
    `${Object.keys(r.errors).length ? `, errors ${JSON.stringify(r.errors)}` : ''}`);
  return r;
}

/** A short run whose figures are dropped: a fresh system's first seconds include JIT warm-up and pool growth. */
async function warmUp(sys: RunningSystem, p: { clients: number; senders: number; rate: number }, seconds = 3): Promise<void> {
  await runLoadChild({ url: sys.wsUrl, wire: sys.wire, clients: p.clients, senders: p.senders, rate: p.rate, duration: seconds, drain: 2, settle: 0 });
}

async function withSystem<T>(kind: SystemKind, servers: number, fn: (s: RunningSystem) => Promise<T>): Promise<T> {
  const sys = await startSystem(kind, servers);
  try {
    return await fn(sys);
  } finally {
    await sys.stop();
  }
}

async function runBench(plan: Plan, systems: SystemKind[], skip: Set<string>): Promise<BenchResults> {
  const started = Date.now();
  const res: BenchResults = { plan, machine: machine(), startedAt: new Date().toISOString(), durationS: 0, systems: {}, scaling: [], bigRoom: {} };
  // `--skip points,knee,storm,memory,scaling` leaves only the big-room point.
  const perSystem = ['points', 'knee', 'storm', 'memory'].some((k) => !skip.has(k));
  for (const kind of perSystem ? systems : []) {
    const entry: SystemResults = { label: '', points: [], knee: null, kneeSteps: [], memory: [], storm: null };
    res.systems[kind] = entry;
    log(`== ${kind}`);
    if (!skip.has('points') || !skip.has('knee') || !skip.has('storm')) await withSystem(kind, 4, async (sys) => {
      entry.label = sys.label;
      await warmUp(sys, plan.points[0]);
      for (const p of skip.has('points') ? [] : plan.points) {
        const runs: PointResult[] = [];
        for (let i = 0; i < plan.repeats; i++) runs.push(point(await load(sys, { clients: p.clients, senders: p.senders, rate: p.rate, duration: plan.duration })));
        entry.points.push(medianPoint(runs));
      }
      if (!skip.has('knee')) {
        for (const rate of plan.knee.rates) {
          const r = await load(sys, { clients: plan.knee.clients, senders: plan.knee.senders, rate, duration: plan.knee.duration });
          entry.kneeSteps.push(point(r));
          if (!passesKnee(r)) break;
          entry.knee = rate;
        }
      }
      if (!skip.has('storm')) {
        const clients = Math.min(plan.storm, sys.maxClients - 100);
        entry.storm = point(await load(sys, { clients, rooms: roomsOf(clients), rate: 0, senders: 0, duration: 0, settle: 0, ramp: 0 }));
      }
    });
    if (!skip.has('memory')) {
      for (const n of plan.memory) {
        await withSystem(kind, 4, async (sys) => {
          const clients = Math.min(n, sys.maxClients - 100);
          const r = await load(sys, { clients, rooms: roomsOf(clients), rate: 0, senders: 0, duration: 0, settle: 3, ramp: Math.min(5, clients / 2000), connectTimeout: 60 });
          entry.label = sys.label;
          entry.memory.push({ requested: n, ...point(r) });
        });
      }
    }
  }
  if (!skip.has('big-room') && plan.bigRoom.clients > 0) {
    for (const kind of ['cluster', 'raw-haproxy', 'socketio'] as const) {
      if (!systems.includes(kind)) continue;
      log(`== big room (${plan.bigRoom.clients} members): ${kind}`);
      const big = (res.bigRoom ??= {});
      big[kind] = await withSystem(kind, 4, async (sys) => {
        // Room for the warm-up's clients and the probe under HAProxy's maxconn.
        const clients = Math.min(plan.bigRoom.clients, sys.maxClients - 300);
        const r = await load(sys, bigRoomLoad(plan.bigRoom, clients, sys));
        log(`  big room: hello→joined p99 ${r.join.helloToJoined.p99} ms, ${r.server.rssKBPerConnection} KB/member, presence/member mean ${r.presence.storm.frames.mean}` +
          `${r.failures.length ? `; ${r.failures.join('; ')}` : ''}`);
        return bigRoomResult(sys.label, r);
      });
    }
  }
  if (systems.includes('cluster') && !skip.has('scaling')) {
    const s = plan.scaling;
    for (const servers of s.servers) {
      log(`== cluster with ${servers} servers`);
      const r = await withSystem('cluster', servers, async (sys) => {
        await warmUp(sys, s);
        return load(sys, { clients: s.clients, senders: s.senders, rate: s.rate, duration: s.duration });
      });
      res.scaling.push({ servers, ...point(r) });
    }
  }
  res.durationS = Math.round((Date.now() - started) / 1000);
  return res;
}

const PROFILER_PRELOAD = `
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
const s = new Session();
s.connect();
s.post('Profiler.enable');
s.post('Profiler.setSamplingInterval', { interval: 200 });
// Started on SIGUSR2 once the clients are connected, so the profile shows the send window only.
process.on('SIGUSR2', () => s.post('Profiler.start'));
process.on('exit', () => {
  s.post('Profiler.stop', (err, res) => {
    if (!err) writeFileSync(process.env.CPU_PROF_DIR + '/server-' + process.pid + '.cpuprofile', JSON.stringify(res.profile));
  });
});
`;

/**
 * `node dist/bench.js profile [--clients 500] [--rate 40] [--duration 15] [--servers 4]`: the cluster
 * under load with every server running `--cpu-prof`; prints the CPU split by process and the
 * busiest server's top functions. Profiles are kept in the printed directory.
 */
async function profileCluster(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { clients: { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string' }, servers: { type: 'string' }, senders: { type: 'string' } } });
  const dir = mkdtempSync(join(tmpdir(), 'livechat-cpuprof-'));
  // --cpu-prof is not allowed in NODE_OPTIONS, --require is: a preload profiles through the inspector.
  const preload = join(dir, 'cpu-prof.cjs');
  writeFileSync(preload, PROFILER_PRELOAD);
  const c = await startCluster({ servers: Number(values.servers ?? 4), haproxyCheckInterMs: 500, haproxyEnv: LOAD_TEST_ENV,
    env: { ...BENCH_SERVER_ENV, NODE_OPTIONS: `--require ${preload}`, CPU_PROF_DIR: dir } });
  const names = new Map<number, string>();
  const haproxyPid = c.pids().find((p) => /haproxy/.test(readFileSync(`/proc/${p}/cmdline`, 'utf8')));
  const redisPid = c.pids().find((p) => /redis/.test(readFileSync(`/proc/${p}/cmdline`, 'utf8')));
  for (const s of c.servers) names.set(s.pid, `server ${s.appId}`);
  if (haproxyPid) names.set(haproxyPid, 'haproxy');
  if (redisPid) names.set(redisPid, 'redis');
  let r: LoadReport;
  // The child connects its clients, settles 3 s, then sends: start the profilers inside the settle pause.
  const startProfiles = setTimeout(() => { for (const s of c.servers) process.kill(s.pid, 'SIGUSR2'); }, 4000);
  try {
    r = await runLoadChild({ url: c.wsUrl, clients: Number(values.clients ?? 500), senders: Number(values.senders ?? 20),
      rate: Number(values.rate ?? 40), duration: Number(values.duration ?? 15), pids: c.pids(), settle: 4 });
  } finally {
    clearTimeout(startProfiles);
    await c.stop();
  }
  const per = (ms: number) => ((ms / Math.max(1, r.messages.delivered)) * 1e6).toFixed(1);
  console.log(`load: ${r.options.clients} clients × ${r.options.rate} msg/s for ${r.options.duration}s: ${r.messages.delivered} deliveries, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, lost ${r.messages.lost}`);
  console.log('CPU by process (µs per delivery):');
  for (const [pid, ms] of Object.entries(r.server.cpuMsByPid).sort((a, b) => b[1] - a[1])) {
    console.log(`  ${(names.get(Number(pid)) ?? `pid ${pid}`).padEnd(12)} ${String(Math.round(ms)).padStart(6)} ms  ${per(ms).padStart(6)} µs`);
  }
  console.log(`  ${'total'.padEnd(12)} ${String(r.server.cpuMs).padStart(6)} ms  ${per(r.server.cpuMs).padStart(6)} µs`);
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f));
  if (!files.length) { console.log(`no profiles in ${dir}`); return; }
  const sums = files.map((f) => ({ f, s: summariseProfile(f, 30) })).sort((a, b) => b.s.busyMs - a.s.busyMs);
  const top = sums[0];
  console.log(`\nbusiest server profile ${top.f}: ${top.s.busyMs.toFixed(0)} ms busy, ${top.s.idleMs.toFixed(0)} ms idle\n  self ms   self %   total ms  function`);
  for (const row of top.s.rows) console.log(`  ${row.selfMs.toFixed(0).padStart(7)}  ${row.selfPct.toFixed(1).padStart(6)}%  ${row.totalMs.toFixed(0).padStart(8)}  ${row.name}`);
  console.log('\ninclusive:');
  for (const row of inclusiveTop(top.f, 40)) console.log(`  ${row.totalMs.toFixed(0).padStart(7)}  ${row.name}`);
}

/**
 * `node dist/bench.js headline [--systems cluster,raw-haproxy,socketio] [--rounds 3] [--clients 500] [--rate 40]
 * [--senders 20] [--duration 15] [--warm 3] [--servers 4] [--out FILE.json]`: one point for every system, alternating (lib/headline.ts);
 * `--servers` is the cluster's and Socket.IO's number of nodes (raw ws is one process).
 */
async function headline(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    systems: { type: 'string' }, rounds: { type: 'string' }, clients: { type: 'string' }, rate: { type: 'string' },
    senders: { type: 'string' }, duration: { type: 'string' }, servers: { type: 'string' }, warm: { type: 'string' }, out: { type: 'string' },
  } });
  const warm = Number(values.warm ?? 3);
  if (!(warm > 0)) throw new RangeError('--warm: seconds > 0');
  const servers = Number(values.servers ?? 4);
  if (!Number.isInteger(servers) || servers < 1) throw new RangeError('--servers: a whole number ≥ 1');
  const kinds = (values.systems ?? 'cluster,raw-haproxy,socketio').split(',').filter((k): k is SystemKind => (ALL as string[]).includes(k));
  const plan: HeadlinePlan = { clients: Number(values.clients ?? 500), rate: Number(values.rate ?? 40), senders: Number(values.senders ?? 20),
    duration: Number(values.duration ?? 15), rounds: Number(values.rounds ?? 3) };
  ensureFds(plan.clients * 2 + 512);
  const r = await runHeadline(kinds, plan, {
    withSystem: (kind, fn) => withSystem(kind, servers, fn),
    measure: async (sys, p) => {
      await warmUp(sys, p, warm);
      return point(await load(sys, { clients: p.clients, senders: p.senders, rate: p.rate, duration: p.duration }));
    },
    log,
  });
  console.log(headlineTable(r));
  if (values.out) writeFileSync(values.out, `${JSON.stringify(r, null, 1)}\n`);
}

/**
 * `node dist/bench.js memory-slope [--systems cluster,raw-haproxy,socketio] [--runs 3] [--warm 1000] [--step 1000]
 * [--steps 6] [--settle 6] [--servers 4] [--gc]`: the marginal memory of an idle member as a slope (lib/memory-slope.ts), for each
 * system on a fresh start, the systems alternating within each run; prints every run and the medians.
 */
async function memorySlopes(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    systems: { type: 'string' }, runs: { type: 'string' }, warm: { type: 'string' }, step: { type: 'string' }, steps: { type: 'string' },
    settle: { type: 'string' }, out: { type: 'string' }, servers: { type: 'string' }, gc: { type: 'boolean' },
  } });
  const servers = Number(values.servers ?? 4);
  const kinds = (values.systems ?? 'cluster,raw-haproxy,socketio').split(',').filter((k): k is SystemKind => (ALL as string[]).includes(k));
  const plan = { ...SLOPE_PLAN };
  for (const [k, v] of [['warm', values.warm], ['step', values.step], ['steps', values.steps], ['settleS', values.settle]] as const) {
    if (v !== undefined) plan[k] = Number(v);
  }
  const runs = Number(values.runs ?? 3);
  // --gc: the servers of every system collect garbage on SIGUSR2, sent before each read.
  if (values.gc) { plan.gc = true; process.env.LC_GC_ON_SIGNAL = '1'; }
  ensureFds(plan.warm + plan.step * plan.steps + 512);
  const results: Record<string, SlopeResult[]> = {};
  for (let run = 1; run <= runs; run++) {
    for (const kind of kinds) {
      log(`== memory slope, run ${run}: ${kind}`);
      const r = await withSystem(kind, servers, (sys) => memorySlope(sys, plan, log));
      (results[kind] ??= []).push(r);
      log(`  ${kind}: ${r.kbPerMember.toFixed(2)} KB per idle member (R² ${r.r2.toFixed(3)}; ` +
        `${Object.entries(r.byKind).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')})` +
        (Object.keys(r.servers).length ? `; the servers say: ${Object.entries(r.servers).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}` : ''));
    }
  }
  const floor = results['raw-haproxy'] ? median(results['raw-haproxy'].map((r) => r.kbPerMember)) : null;
  console.log(`\nmarginal memory of an idle member (slope of total RSS${plan.gc ? ' after a forced full GC' : ''}, ${plan.warm} warm + ${plan.steps} × ${plan.step}, ${plan.settleS} s settle; median of ${runs} runs [min–max]):`);
  for (const [kind, rs] of Object.entries(results)) {
    const v = rs.map((r) => r.kbPerMember);
    const kindsSeen = Object.keys(rs[0].byKind);
    console.log(`  ${rs[0].label.padEnd(58)} ${median(v).toFixed(2).padStart(6)} KB [${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)}]` +
      `${floor ? ` ${(median(v) / floor).toFixed(2)}× raw+HAProxy` : ''}; ` +
      `${kindsSeen.map((k) => `${k} ${median(rs.map((r) => r.byKind[k] ?? 0)).toFixed(2)}`).join(', ')}; R² ≥ ${Math.min(...rs.map((r) => r.r2)).toFixed(3)}`);
  }
  if (values.out) writeFileSync(resolve(values.out), `${JSON.stringify({ plan, runs, results }, null, 1)}\n`);
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode === 'serve-raw' || mode === 'serve-socketio') {
    gcOnSignal();
    const { values } = parseArgs({ args: process.argv.slice(3), options: { port: { type: 'string' }, 'app-id': { type: 'string' }, redis: { type: 'string' } } });
    const port = Number(values.port ?? 0);
    const appId = values['app-id'] ?? 'raw';
    const srv = mode === 'serve-raw'
      ? await startRawServer({ port, appId })
      : await startSocketIoServer({ port, appId, redisUrl: values.redis ?? 'redis://127.0.0.1:6379' });
    const stop = () => { void srv.close().finally(() => process.exit(0)); setTimeout(() => process.exit(0), 3000).unref(); };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    return;
  }
  if (mode === 'profile') {
    await profileCluster(process.argv.slice(3));
    return;
  }
  if (mode === 'headline') {
    await headline(process.argv.slice(3));
    return;
  }
  if (mode === 'memory-slope') {
    await memorySlopes(process.argv.slice(3));
    return;
  }
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' }, md: { type: 'string' }, only: { type: 'string' }, skip: { type: 'string' }, 'big-room': { type: 'string' },
      'big-room-rate': { type: 'string' }, 'big-room-duration': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('usage: npm run bench -- [--quick] [--md FILE.md] [--only cluster,raw,raw-haproxy,socketio] [--skip points,knee,storm,memory,scaling,big-room]\n' +
      `                          [--big-room N]   members of the big-room point (default ${PLANS.full.bigRoom.clients}, --quick ${PLANS.quick.bigRoom.clients}; 0 skips it)\n` +
      `                          [--big-room-rate R] [--big-room-duration S]   its message phase (default ${PLANS.full.bigRoom.rate} msg/s for ${PLANS.full.bigRoom.duration} s)`);
    return;
  }
  const base = PLANS[values.quick ? 'quick' : 'full'];
  const bigRoomClients = values['big-room'] === undefined ? base.bigRoom.clients : Number(values['big-room']);
  if (!Number.isInteger(bigRoomClients) || bigRoomClients < 0) {
    console.error(`--big-room: expected a number of members, got ${values['big-room']}`);
    process.exit(2);
  }
  const bigRoomRate = Number(values['big-room-rate'] ?? base.bigRoom.rate);
  const bigRoomDuration = Number(values['big-room-duration'] ?? base.bigRoom.duration);
  if (!(bigRoomRate > 0) || !(bigRoomDuration > 0)) {
    console.error('--big-room-rate / --big-room-duration: expected positive numbers');
    process.exit(2);
  }
  const plan: Plan = { ...base, bigRoom: { ...base.bigRoom, clients: bigRoomClients, rate: bigRoomRate, duration: bigRoomDuration } };
  const systems = values.only ? values.only.split(',').filter((s): s is SystemKind => (ALL as string[]).includes(s)) : ALL;
  const skip = new Set((values.skip ?? '').split(',').filter(Boolean));
  ensureFds(Math.max(...plan.memory, plan.storm, plan.bigRoom.clients + 200) + 512);
  const md = resolve(values.md ?? (plan.name === 'full' && !values.only && !values.skip && values['big-room'] === undefined && values['big-room-rate'] === undefined && values['big-room-duration'] === undefined
    ? join(repoRoot(), 'docs/benchmarks.md') : join(repoRoot(), '.run', `bench-${plan.name}.md`)));
  log(`benchmark (${plan.name}): ${systems.join(', ')} → ${md}`);
  const res = await runBench(plan, systems, skip);
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  console.log(printTable(res));
  mkdirSync(dirname(md), { recursive: true });
  writeFileSync(md, markdownReport(res, command));
  writeFileSync(md.replace(/\.md$/, '') + '.json', `${JSON.stringify(res, null, 1)}\n`);
  log(`wrote ${md} (${res.durationS} s)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
