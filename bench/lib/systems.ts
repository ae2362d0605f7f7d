/**
 * The systems the benchmark compares, each started on free loopback ports and stopped without
 * leaving a process behind:
 *  - `cluster`      this project as shipped, through the native runner (scripts/lib/cluster.ts);
 *  - `raw`          bench/raw-ws-server.ts, clients connect straight to it;
 *  - `raw-haproxy`  the same server behind HAProxy rendered from haproxy/haproxy.cfg like the runner does;
 *  - `socketio`     N Socket.IO nodes with the Redis adapter behind the same HAProxy config, on a
 *                   private redis-server started with the project's redis/redis.conf.
 * Every process is spawned with procs.ts (soft fd limit raised to the hard one) and its pid is
 * reported, so the load tool can sum their CPU and memory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../../scripts/lib/cluster.js';
import { readRepoFile, renderHaproxyConfig, repoRoot } from '../../scripts/lib/configs.js';
import { haproxyCommand, parseShowStat } from '../../scripts/lib/haproxy-stats.js';
import { canConnect, findBinary, freePort, spawnLogged, stopChild, until, type Child } from '../../scripts/lib/procs.js';
import type { WireKind } from './wire.js';

export type SystemKind = 'cluster' | 'raw' | 'raw-haproxy' | 'socketio';

export interface RunningSystem {
  kind: SystemKind;
  label: string;
  wsUrl: string;
  wire: WireKind;
  /** Every process of the system (servers, HAProxy, Redis, …). */
  pids(): number[];
  /** Each server's own URL, bypassing the load balancer (the big-room probe asks every server for the count); [] when not applicable. */
  serverUrls: string[];
  /** The most connections this system can hold here (HAProxy's fd-bound maxconn). */
  maxClients: number;
  /** Resolves once the load balancer sees every server UP again (a saturating run can fail their checks). */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

/** Env for every livechat server in the benchmark: rate limits out of the way of the load. */
/** A load test's switch (README): every per-address limit lifted, in the servers and in HAProxy and nginx. */
export const LOAD_TEST_ENV = { LC_LOAD_TEST: '1' };
export const BENCH_SERVER_ENV = { LOG_LEVEL: 'warn', RATE_LIMIT_BURST: '1000000', RATE_LIMIT_PER_SEC: '1000000', ...LOAD_TEST_ENV };
/** `memory-slope` sets LC_GC_ON_SIGNAL=1 in its own env: every Node server of every system then collects garbage on SIGUSR2 (app/src/gc-signal.ts). */
const gcEnv = (): Record<string, string> => (process.env.LC_GC_ON_SIGNAL === '1' ? { LC_GC_ON_SIGNAL: '1' } : {});
/** `LC_BENCH_NODE_OPTIONS=…` in the bench's env becomes the livechat servers' NODE_OPTIONS (V8 flags tried against the default). */
const nodeOptionsEnv = (): Record<string, string> => (process.env.LC_BENCH_NODE_OPTIONS !== undefined ? { NODE_OPTIONS: process.env.LC_BENCH_NODE_OPTIONS } : {});

/** Health-check interval of every system's HAProxy (ms); LC_BENCH_CHECK_INTER_MS overrides it. */
const checkInterMs = (): number => Number(process.env.LC_BENCH_CHECK_INTER_MS ?? 500);

/** HAProxy's maxconn as the runner computes it: two fds per connection under the hard limit. */
export function haproxyMaxconn(): number {
  const raw = execFileSync('/bin/sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  const hard = raw === 'unlimited' ? Infinity : Number(raw) || 1024;
  return Math.max(100, Math.min(50_000, Math.floor((hard - 1000) / 2)));
}

const bundle = () => join(repoRoot(), 'dist/bench.js');
const baseEnv = (dir: string) => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? dir, TMPDIR: tmpdir() });

async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

class Procs {
  readonly children: Child[] = [];
  constructor(readonly dir: string) {}
  spawn(name: string, bin: string, args: string[], env: Record<string, string> = {}): Child {
    const c = spawnLogged(name, bin, args, join(this.dir, `${name.replace(/\W+/g, '-')}.log`), { ...baseEnv(this.dir), ...env }, this.dir);
    this.children.push(c);
    return c;
  }
  pids = () => this.children.filter((c) => !c.done).map((c) => c.pid);
  async stop(keep: boolean): Promise<void> {
    await Promise.all([...this.children].reverse().map((c) => stopChild(c, 'SIGTERM', 5000)));
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}

async function startBenchNode(p: Procs, mode: 'serve-raw' | 'serve-socketio', appId: string, extra: string[] = []): Promise<number> {
  const port = await freePort();
  const c = p.spawn(`${mode}-${appId}`, process.execPath, [bundle(), mode, '--port', String(port), '--app-id', appId, ...extra], gcEnv());
  await until(`${mode} ${appId} on ${port}`, () => httpOk(`http://127.0.0.1:${port}/readyz`), 15_000, () => (c.done ? `${c.name} exited (see ${c.logFile})` : null));
  return port;
}

/** `wsPath`: the one path HAProxy passes on (haproxy.cfg's LC_WS_PATH; everything else is 404). */
async function startHaproxy(p: Procs, servers: Array<{ name: string; port: number }>, wsPath = '/ws'): Promise<{ lbPort: number; ready: () => Promise<void> }> {
  const lbPort = await freePort();
  const statsPort = await freePort();
  const cfg = join(p.dir, 'haproxy.cfg');
  writeFileSync(cfg, renderHaproxyConfig(readRepoFile(repoRoot(), 'haproxy/haproxy.cfg'), servers));
  const c = p.spawn('haproxy', findBinary('haproxy', 'haproxy'), ['-f', cfg, '-db'], {
    LC_LB_BIND: `127.0.0.1:${lbPort}`, LC_STATS_BIND: `127.0.0.1:${statsPort}`, LC_STATS_SOCKET: join(p.dir, 'haproxy.sock'),
    LC_CHECK_INTER: `${checkInterMs()}ms`, LC_MAXCONN: String(haproxyMaxconn()), LC_WS_PATH: wsPath,
    // The peers' HAProxy gets the load-test switch as the cluster's does: the benchmark's clients come from few addresses.
    ...LOAD_TEST_ENV,
  });
  const dead = () => (c.done ? `haproxy exited (see ${c.logFile})` : null);
  await until(`haproxy on ${lbPort}`, () => canConnect(lbPort), 10_000, dead);
  // Every backend UP as HAProxy itself sees it (after `rise` checks).
  const sock = join(p.dir, 'haproxy.sock');
  const ready = () => until('haproxy backends up', async () => {
    try {
      const rows = parseShowStat(await haproxyCommand(sock, 'show stat'), 'ws_servers');
      return rows.length === servers.length && rows.every((r) => r.status === 'UP');
    } catch {
      return false;
    }
  }, 20_000, dead, 100);
  await ready();
  return { lbPort, ready };
}

async function startRedis(p: Procs): Promise<string> {
  const port = await freePort();
  const c = p.spawn('redis', findBinary('redis-server', 'redis-server'), [join(repoRoot(), 'redis/redis.conf'), '--port', String(port),
    '--bind', '127.0.0.1', '--dir', p.dir, '--save', '', '--appendonly', 'yes', '--daemonize', 'no']);
  await until(`redis on ${port}`, () => canConnect(port), 10_000, () => (c.done ? `redis exited (see ${c.logFile})` : null));
  await new Promise((r) => setTimeout(r, 200));
  return `redis://127.0.0.1:${port}`;
}

/** Starts one system; `servers` applies to cluster and socketio. */
export async function startSystem(kind: SystemKind, servers = 4, log: (s: string) => void = () => {}): Promise<RunningSystem> {
  const maxconn = haproxyMaxconn();
  if (kind === 'cluster') {
    const c: Cluster = await startCluster({ servers, env: { ...BENCH_SERVER_ENV, ...gcEnv(), ...nodeOptionsEnv() }, haproxyEnv: LOAD_TEST_ENV, haproxyCheckInterMs: checkInterMs(), log });
    return {
      kind, label: `livechat cluster (${servers} servers + HAProxy + Redis)`, wsUrl: c.wsUrl, wire: 'livechat',
      pids: () => c.pids(), serverUrls: c.servers.map((s) => `ws://127.0.0.1:${s.port}/ws`), maxClients: maxconn, stop: () => c.stop(),
      ready: () => c.waitForHaproxy((st) => c.servers.every((sv) => st[sv.appId] === 'UP'), 20_000),
    };
  }
  const p = new Procs(mkdtempSync(join(tmpdir(), `livechat-bench-${kind}-`)));
  try {
    if (kind === 'raw' || kind === 'raw-haproxy') {
      const port = await startBenchNode(p, 'serve-raw', 'raw');
      if (kind === 'raw') {
        return { kind, label: 'raw ws (1 process, direct)', wsUrl: `ws://127.0.0.1:${port}/ws`, wire: 'livechat', pids: p.pids, serverUrls: [], maxClients: Infinity,
          ready: () => until('raw server ready', () => httpOk(`http://127.0.0.1:${port}/readyz`), 20_000, () => null), stop: () => p.stop(false) };
      }
      const lb = await startHaproxy(p, [{ name: 'ws-raw', port }]);
      return { kind, label: 'raw ws behind HAProxy', wsUrl: `ws://127.0.0.1:${lb.lbPort}/ws`, wire: 'livechat', pids: p.pids, serverUrls: [], maxClients: maxconn,
        ready: lb.ready, stop: () => p.stop(false) };
    }
    const redisUrl = await startRedis(p);
    const ports = await Promise.all(Array.from({ length: servers }, (_, i) => startBenchNode(p, 'serve-socketio', String((i + 1) * 1000), ['--redis', redisUrl])));
    const lb = await startHaproxy(p, ports.map((port, i) => ({ name: `ws-${(i + 1) * 1000}`, port })), '/socket.io/');
    return {
      kind, label: `Socket.IO 4 + redis-adapter (${servers} nodes + HAProxy + Redis)`,
      wsUrl: `ws://127.0.0.1:${lb.lbPort}/socket.io/?EIO=4&transport=websocket`, wire: 'socketio', pids: p.pids, serverUrls: [], maxClients: maxconn, ready: lb.ready,
      stop: () => p.stop(false),
    };
  } catch (err) {
    await p.stop(true);
    throw new Error(`${(err as Error).message} (logs kept in ${p.dir})`);
  }
}
