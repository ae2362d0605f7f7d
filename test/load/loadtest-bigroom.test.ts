// The big-room scenario of the load tool (--rooms 1 --probe): join latency, presence per member,
// member counts, the probe's checks (exact count, paged list, every server agrees, propagation)
// and memory per process. First against an in-process fake of the large-room protocol, healthy
// and with injected faults the probe must catch; then against the native cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigRoomResult, markdownReport, printTable, type BenchResults } from '../../bench/lib/bench-report.js';
import { runLoad, type LoadReport } from '../../bench/lib/load.js';
import { runLoadChild } from '../../bench/lib/run-child.js';
import { summaryText } from '../../bench/lib/report.js';
import { startCluster, type Cluster } from '../../scripts/lib/cluster.js';
import { startFakeRooms, type FakeRooms } from './fake-room-server.js';

const big = (url: string, extra: Parameters<typeof runLoad>[0] = {}) =>
  runLoad({ url, clients: 30, rooms: 1, ramp: 0.5, senders: 3, rate: 20, duration: 1, drain: 2, settle: 0, probe: true, propagationWindow: 3, ...extra });

describe('big-room checks against a fake large-room server', () => {
  let fake: FakeRooms;
  afterAll(async () => {
    await fake?.close();
  });

  it('reports join latency, presence per member and counts, and passes every probe check', async () => {
    fake = await startFakeRooms(['a1', 'a2'], { threshold: 5, pageMax: 7 });
    const r = await big(fake.urls[0], { probeUrls: fake.urls, pids: [process.pid] });
    expect(r.failures).toEqual([]);
    expect(r.ok).toBe(true);
    // Join latency for every client; nobody late or missing.
    expect(r.join.helloToJoined.count).toBe(30);
    expect(r.join.connectToJoined.count).toBe(30);
    expect(r.join.helloToJoined.max).toBeLessThanOrEqual(r.join.connectToJoined.max);
    expect([r.join.neverJoined, r.join.noWelcome, r.join.late]).toEqual([0, 0, 0]);
    expect(r.join.firstConnectToLastJoinedMs).toBeGreaterThan(300); // a 0.5 s ramp
    // joined: counts 1…30, lists truncated above the threshold.
    expect([r.counts.joined.min, r.counts.joined.max, r.counts.joined.n]).toEqual([1, 30, 30]);
    expect(r.counts.joinedMembers.max).toBe(5);
    expect(r.counts.truncated).toBe(25);
    expect(r.counts.inconsistent).toBe(0);
    expect(r.counts.converged).toBe(30);
    // Presence: the first members saw join events until the room grew large, then count events (≤ 1/s).
    expect(r.presence.quiet).toBe(true);
    const st = r.presence.storm;
    expect(st.members).toBe(30);
    expect(st.byEvent.join.max).toBe(4);
    expect(st.byEvent.count.max).toBeGreaterThanOrEqual(1);
    expect(st.byEvent.count.max).toBeLessThanOrEqual(3);
    expect(st.byEvent.leave.total + st.byEvent.sync.total + st.byEvent.other.total).toBe(0);
    expect(st.bytes.max).toBeGreaterThan(0);
    expect(r.presence.after.count).toBeGreaterThanOrEqual(30); // the probe's join
    // The probe.
    const p = r.probe!;
    expect(p).toMatchObject({ error: null, joinedCount: 31, expectedCount: 31, exact: true });
    expect(p.members).toMatchObject({ ok: true, pages: 5, unique: 31, listed: 31, missing: 0, duplicates: 0 }); // 7 per page
    expect(p.servers).toMatchObject({ via: 'urls', agree: true, exact: true, appIds: ['a1', 'a2'] });
    expect(p.propagation).toMatchObject({ members: 30, target: 31, reached: 30, fraction: 1 });
    // Memory per process (here the test process itself stands in for a server).
    expect(r.server.byPid).toHaveLength(1);
    expect(r.server.byPid[0].label).toMatch(/node|vitest|server/);
    // The text summary and the benchmark's big-room table.
    const text = summaryText(r);
    for (const s of ['hello→joined p50', 'never joined 0 (0 without welcome)', 'joined.count min 1', 'frames per member',
      'probe       joined.count 31 = expected 31', 'members: 31 listed in 5 page(s)', 'a1: 31, a2: 31 → all exact', 'propagation: 30/30', 'memory      per member']) {
      expect(text).toContain(s);
    }
    const md = markdownReport(benchWith(r), 'test');
    expect(md).toContain('## Big room: one room of 30 members');
    expect(md).toMatch(/\| probe joined.count = members \+ 1 \| 31 \/ 31 ✓ \|/);
    expect(md).toMatch(/\| count on every server \| a1: 31, a2: 31 ✓ \|/);
    expect(printTable(benchWith(r))).toContain('members seeing the new count within 3 s');
  });

  it('catches a count that differs between servers, a member listed twice and counts that never come', async () => {
    await fake?.close();
    fake = await startFakeRooms(['a1', 'a2'], { threshold: 5, pageMax: 7,
      faults: { countSkew: { a2: 1 }, repeatAcrossPages: true, silentCounts: true, unavailableJoins: 4 } });
    const r = await big(fake.urls[0], { probeUrls: fake.urls, propagationWindow: 1 });
    expect(r.ok).toBe(false);
    expect(r.failures).toEqual(expect.arrayContaining([
      expect.stringMatching(/^member list: 31 listed of 31, missing 0, duplicated [1-9]\d*, unexpected 0, out of order [1-9]/),
      'servers disagree on the count: a1: 31, a2: 32 (expected 31)',
      '30 of 30 members did not see count 31 within 1 s',
    ]));
    expect(r.probe!.exact).toBe(true); // the probe itself joined through a1
    expect(r.probe!.propagation!.silent).toBe(30);
    // Deliveries are still checked as always.
    expect(r.messages.lost + r.messages.duplicated).toBe(0);
    // Joins answered `unavailable` were retried after retryAfterMs, like the page does: everyone got in.
    expect(r.clients.ready).toBe(30);
    expect(r.join).toMatchObject({ errors: { unavailable: { a1: 4 } }, retriedClients: 4, retries: 4, neverJoined: 0 });
    expect(r.join.helloToJoined.max).toBeGreaterThanOrEqual(100);
    expect(summaryText(r)).toContain('errors to hello/join: unavailable 4 from a1; 4 clients retried (4 retries)');
  });
});

/** Benchmark results holding just this big-room run (as this cluster). */
function benchWith(r: LoadReport): BenchResults {
  return {
    plan: {
      name: 'quick', points: [], duration: 0, repeats: 1, knee: { clients: 0, senders: 0, rates: [], duration: 0 }, memory: [], storm: 0,
      scaling: { servers: [], clients: 0, rate: 0, senders: 0, duration: 0 }, bigRoom: { clients: r.options.clients, rate: r.options.rate, senders: r.options.senders, duration: r.options.duration, warmup: 0 },
    },
    machine: { nproc: 1, cpu: 'x', node: 'v', kernel: 'k', memGB: 1, fdHard: '1', haproxy: '?', redis: '?' },
    startedAt: '', durationS: 0, systems: {}, scaling: [], bigRoom: { cluster: bigRoomResult('fake', r) },
  };
}

describe('big room against the native cluster', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    // A load test: every per-address limit lifted (LC_LOAD_TEST=1), as the README says to run one.
    cluster = await startCluster({ servers: 4, haproxyCheckInterMs: 300, env: { LC_LOAD_TEST: '1' }, haproxyEnv: { LC_LOAD_TEST: '1' } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('300 members in one room through HAProxy: exact count on every APPID, complete member list, counts propagate', async () => {
    const r = await runLoadChild({ url: cluster.wsUrl, clients: 300, rooms: 1, ramp: 1, localIps: 4, senders: 5, rate: 10, duration: 2,
      probe: true, warmup: 1, pids: cluster.pids() });
    expect(r.failures).toEqual([]);
    expect(r.clients.ready).toBe(300);
    expect(r.join.helloToJoined.count).toBe(300);
    expect(r.counts.joined.max).toBe(300);
    expect(r.counts.converged).toBe(300);
    expect(r.presence.storm.frames.max).toBeGreaterThan(0);
    const p = r.probe!;
    expect([p.joinedCount, p.expectedCount]).toEqual([301, 301]);
    expect(p.members).toMatchObject({ ok: true, unique: 301 });
    expect(p.servers!.via).toBe('lb');
    expect(p.servers!.appIds).toEqual(['1000', '2000', '3000', '4000']);
    expect(p.servers!.exact).toBe(true);
    expect(p.propagation!.fraction).toBe(1);
    expect(r.warmup).toMatchObject({ seconds: 1, ok: true });
    // RSS per process: the four servers, HAProxy, Redis (and nginx) each with a per-member figure.
    const labels = r.server.byPid.map((x) => x.label);
    expect(labels).toEqual(expect.arrayContaining(['server 1000', 'server 2000', 'server 3000', 'server 4000', 'haproxy', 'redis-server']));
    const sum = r.server.byPid.reduce((a, x) => a + x.kbPerMember, 0);
    expect(Math.abs(sum - r.server.rssKBPerConnection)).toBeLessThan(0.1);
  });

  it('asks each server directly when given their URLs', async () => {
    const r = await runLoadChild({ url: cluster.wsUrl, clients: 40, rooms: 1, senders: 2, rate: 10, duration: 1, probe: true,
      probeUrls: cluster.servers.map((s) => `ws://127.0.0.1:${s.port}/ws`) });
    expect(r.failures).toEqual([]);
    expect(r.probe!.servers).toMatchObject({ via: 'urls', exact: true, appIds: ['1000', '2000', '3000', '4000'] });
    expect(r.probe!.servers!.samples).toHaveLength(5);
  });
});
