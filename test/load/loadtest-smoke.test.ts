// The load tool end to end, briefly: against an embedded node (STORE=memory), the native cluster
// (4 servers + HAProxy + Redis) and the benchmark's Socket.IO system — zero loss, a sane report,
// a self-contained HTML page, and a non-zero exit code when the target misbehaves.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadReport } from '../../bench/lib/load.js';
import { runLoadChild } from '../../bench/lib/run-child.js';
import { startSystem, type RunningSystem } from '../../bench/lib/systems.js';
import { startCluster, type Cluster } from '../../scripts/lib/cluster.js';
import { startServer, type ServerProc } from '../helpers/server-proc.js';

const ROOT = join(import.meta.dirname, '..', '..');
const LOADTEST = join(ROOT, 'dist', 'loadtest.js');

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [LOADTEST, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 99) : 0, stdout, stderr });
    });
  });
}

/** What every healthy run must show. */
function expectClean(r: LoadReport, clients: number, sent: number): void {
  expect(r.failures).toEqual([]);
  expect(r.ok).toBe(true);
  expect(r.clients.ready).toBe(clients);
  expect(r.messages.sent).toBe(sent);
  expect(r.messages.acked).toBe(sent);
  expect(r.messages.lost + r.messages.duplicated + r.messages.outOfOrder + r.messages.wrongRoom).toBe(0);
  expect(r.messages.delivered).toBe(r.messages.expected);
  expect(r.latency.count).toBe(r.messages.delivered);
  expect(r.latency.p50).toBeGreaterThan(0);
  expect(r.latency.p50).toBeLessThanOrEqual(r.latency.p99);
  expect(r.latency.p99).toBeLessThanOrEqual(r.latency.max);
  expect(r.connect.count).toBe(clients);
}

describe('loadtest against an embedded node (STORE=memory)', () => {
  let node: ServerProc;
  let dir: string;
  beforeAll(async () => {
    node = await startServer({ appId: 'embedded-1', env: { LOG_LEVEL: 'warn' } });
    dir = mkdtempSync(join(tmpdir(), 'loadtest-smoke-'));
  });
  afterAll(async () => {
    await node?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs 50 clients for 5 s with zero loss and writes JSON + self-contained HTML', async () => {
    const out = join(dir, 'report.json');
    const res = await runCli(['--url', node.url, '--clients', '50', '--senders', '5', '--rate', '40', '--duration', '5',
      '--rooms', '2', '--ramp', '1', '--size', '200', '--pids', String(node.pid), '--out', out]);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stderr).toMatch(/connected 50\/50 sent \d+ acked \d+ delivered \d+ p50 [\d.]+ms p99 [\d.]+ms errors 0/);
    expect(res.stdout).toMatch(/latency\s+p50 [\d.]+ ms, p90 [\d.]+, p99 [\d.]+, p99\.9 [\d.]+, max [\d.]+/);
    expect(res.stdout).toContain('lost 0, duplicated 0, out of order 0');
    const r = JSON.parse(readFileSync(out, 'utf8')) as LoadReport;
    expectClean(r, 50, 200);
    // Two rooms of 25 members: each message reaches the 25 members of its room.
    expect(r.messages.expected).toBe(200 * 25);
    expect(r.clients.byAppId).toEqual({ 'embedded-1': 50 });
    expect(r.server.source).toBe('pids');
    expect(r.server.cpuMs).toBeGreaterThan(0);
    expect(r.server.rssKBConnected).toBeGreaterThan(10_000);
    expect(r.timeseries.length).toBeGreaterThanOrEqual(4);
    const html = readFileSync(out.replace(/\.json$/, '.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('polyline');
    expect(html).not.toMatch(/(src|href)=["']?https?:/i);
    expect(html).not.toMatch(/<script/i);
  });

  it('exits 2 with usage on a bad flag', async () => {
    const res = await runCli(['--clients', 'many']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('usage: npm run loadtest');
  });

  it('exits 1 and names the problem when clients cannot get ready', async () => {
    const res = await runCli(['--url', `ws://127.0.0.1:${node.port}/nope`, '--clients', '3', '--duration', '0', '--connect-timeout', '2', '--quiet']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/FAILED: .*3 of 3 clients never got ready/);
  });
});

describe('loadtest against the native cluster', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    // A load test: every per-address limit lifted (LC_LOAD_TEST=1), as the README says to run one.
    cluster = await startCluster({ servers: 4, haproxyCheckInterMs: 300, env: { LC_LOAD_TEST: '1' }, haproxyEnv: { LC_LOAD_TEST: '1' } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('spreads 50 clients over the 4 APPIDs and loses nothing through HAProxy + Redis', async () => {
    const r = await runLoadChild({ url: cluster.wsUrl, clients: 50, senders: 10, rate: 50, duration: 5, pids: cluster.pids() });
    expectClean(r, 50, 250);
    expect(Object.keys(r.clients.byAppId).sort()).toEqual(['1000', '2000', '3000', '4000']);
    expect(Object.values(r.clients.byAppId).every((n) => n >= 12)).toBe(true);
    expect(r.server.cpuMsPer1000Deliveries).toBeGreaterThan(0);
  });
});

describe('loadtest speaking Socket.IO (benchmark system)', () => {
  let sys: RunningSystem;
  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'bench.js'))) throw new Error('dist/bench.js missing: run node scripts/build.mjs');
    sys = await startSystem('socketio', 2);
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it('drives Socket.IO nodes through HAProxy with the same scenario', async () => {
    const r = await runLoadChild({ url: sys.wsUrl, wire: 'socketio', clients: 20, senders: 2, rate: 10, duration: 3, pids: sys.pids() });
    expect(r.clients.ready).toBe(20);
    expect(r.messages.acked).toBe(30);
    expect(r.messages.lost).toBe(0);
    expect(r.messages.delivered).toBe(30 * 20);
    expect(Object.keys(r.clients.byAppId).sort()).toEqual(['1000', '2000']);
  });
});
