/**
 * A Jepsen-style run (native cluster, --redis-ha: a primary, two replicas, three Sentinels; 4 servers).
 * Clients on every server send with retries at ~40 msg/s while, in one run, faults are injected one
 * after another:
 *   1. the primary SIGKILLed (Sentinel promotes a replica; the old one is started again as a replica);
 *   2. the primary paused (SIGSTOP) for 15 s, past Sentinel's down-after, then resumed;
 *   3. one server cut off from Redis — every byte between it and the data nodes and Sentinels
 *      black-holed by fault proxies (REDIS_SENTINEL_ADDRESS_MAP points it at them) — past the bound
 *      (REDIS_CUTOFF_MS), then healed;
 *   4. the primary restarted (SIGTERM, started again at once).
 * Two failovers (1 and 2), the old primary back as a replica each time. At the end the room's whole history is read and checked (test/faults/lib/history-checker.ts): every
 * acked message is there exactly once, at the id its ack named; ids are contiguous; each client's view
 * is a prefix of the final order. The figures (how long sends were unavailable after each fault,
 * acked lost, duplicates) are printed for docs/benchmarks.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../scripts/lib/cluster.js';
import type { RedisHa } from '../../scripts/lib/redis-ha.js';
import { httpGet, waitFor } from '../helpers/server-proc.js';
import { TestClient } from '../helpers/ws-client.js';
import { startFaultProxy, type FaultProxy } from './lib/fault-proxy.js';
import { checkHistory, type Entry } from './lib/history-checker.js';
import { Ledger, ResumingClient } from './lib/resuming-client.js';
import { settle, sleep, startTraffic } from './lib/traffic.js';

const ROOM = 'jepsen';
const CUT = '4000';

describe('Jepsen-style: every fault in one run, then the history checked', () => {
  let cluster: Cluster;
  let ha: RedisHa;
  /** Fault proxies between server CUT and each data node (first three) and each Sentinel (last three). */
  const proxies: FaultProxy[] = [];
  const clients: ResumingClient[] = [];
  const plain: TestClient[] = [];
  const ledger = new Ledger();
  const figures: string[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 6; i++) proxies.push(await startFaultProxy());
    cluster = await startCluster({
      servers: 4, redisHa: true, haproxyCheckInterMs: 300, redisAof: true,
      env: { REDIS_TIMEOUT_MS: '1000', HISTORY_MAX: '100000' },
      serverEnv: (appId, redis) => {
        if (appId !== CUT || !redis.ha) return undefined;
        const map: string[] = [];
        redis.ha.nodes.forEach((n, i) => {
          proxies[i].targetPort = n.port;
          map.push(`127.0.0.1:${n.port}=127.0.0.1:${proxies[i].port}`);
        });
        redis.ha.sentinels.forEach((x, i) => { proxies[3 + i].targetPort = x.port; });
        return {
          REDIS_SENTINELS: proxies.slice(3).map((p) => `127.0.0.1:${p.port}`).join(','),
          REDIS_SENTINEL_ADDRESS_MAP: map.join(','),
        };
      },
    });
    ha = cluster.ha!;
  }, 90_000);
  afterAll(async () => {
    for (const c of clients) c.stop();
    for (const c of plain) c.terminate();
    await cluster?.stop();
    for (const p of proxies) await p.close();
    // eslint-disable-next-line no-console
    console.log(`[jepsen] ${figures.join('; ')}`);
  });

  const count = () => ledger.ids(ROOM).length;
  const readyz = (port: number) => httpGet(`http://127.0.0.1:${port}/readyz`, 2000).catch(() => ({ status: 0, body: '' }));

  /** Resolves with the ms from `t0` until 10 more sends were acked (sends are available again). */
  async function acksResume(what: string, t0: number): Promise<number> {
    const at = count();
    await waitFor(`sends acked again after: ${what}`, () => count() > at + 10, 20_000, 50);
    const ms = Date.now() - t0;
    figures.push(`${what}: acks again after ${(ms / 1000).toFixed(1)} s`);
    return ms;
  }

  async function newPrimary(old: number): Promise<number> {
    let next = old;
    await waitFor('the Sentinels name a new primary', async () => { next = (await ha.primaryPort()) ?? old; return next !== old; }, 15_000, 100);
    return next;
  }

  async function replicaOf(port: number, primary: number): Promise<void> {
    await waitFor(`redis ${port} is a synced replica of ${primary}`, async () => {
      const info = await ha.info(port, 'replication').catch(() => '');
      return info.includes('role:slave') && info.includes(`master_port:${primary}`) && info.includes('master_link_status:up');
    }, 30_000, 200);
  }

  it('SIGKILL, SIGSTOP past down-after, a server cut off, a Redis restart: 0 acked lost, 0 duplicated, every view a prefix', async () => {
    // Two clients per server; each reconnects to the next server in turn (a refused one is skipped by backoff).
    const ports = cluster.servers.map((s) => s.port);
    for (let i = 0; i < 8; i++) {
      let k = i;
      clients.push(new ResumingClient(`c${i}`, [ROOM], () => `ws://127.0.0.1:${ports[k++ % ports.length]}/ws`, ledger, { maxBackoffMs: 1000 }));
    }
    await Promise.all(clients.map((c) => c.start(20_000)));
    expect(new Set(clients.map((c) => c.appId)).size).toBe(4);
    const pids = cluster.servers.map((s) => s.pid).join(',');
    const traffic = startTraffic(clients, ROOM, 190);
    await sleep(2000);

    // 1. SIGKILL the primary; start it again: it comes back as a replica.
    let primary = (await ha.primaryPort())!;
    let t0 = Date.now();
    await ha.signalNode(primary, 'SIGKILL');
    let next = await newPrimary(primary);
    expect(await acksResume('primary SIGKILLed', t0)).toBeLessThan(10_000);
    await ha.startNode(primary);
    await replicaOf(primary, next);
    primary = next;

    // 2. SIGSTOP the primary for 15 s; while it is paused and once it wakes, it must not take writes.
    await waitFor('two replicas in sync', async () => (await ha.info(primary, 'replication').catch(() => '')).includes('connected_slaves:2'), 20_000, 200);
    t0 = Date.now();
    await ha.signalNode(primary, 'SIGSTOP');
    next = await newPrimary(primary);
    expect(await acksResume('primary paused (SIGSTOP)', t0)).toBeLessThan(10_000);
    await sleep(Math.max(0, 15_000 - (Date.now() - t0)));
    await ha.signalNode(primary, 'SIGCONT');
    // At once, and until Sentinel has turned it into a replica: a write there is refused.
    const refusals: string[] = [];
    for (let i = 0; i < 10; i++) {
      refusals.push(await ha.adminAsk(primary, ['SET', 'lc:jepsen-probe', String(i)]).then(() => 'OK', (e: Error) => e.message.split(' ')[0]));
      await sleep(100);
    }
    expect(refusals.filter((r) => !/^(NOREPLICAS|READONLY)$/.test(r))).toEqual([]);
    await replicaOf(primary, next);
    primary = next;

    // 3. Cut server CUT off from every data node and Sentinel, past the bound; then heal it. The other
    //    servers' clients keep sending meanwhile; the cut one's clients are closed (1013) and resume elsewhere.
    const cut = cluster.servers.find((s) => s.appId === CUT)!;
    const onCut = clients.filter((c) => c.appId === CUT);
    expect(onCut.length).toBeGreaterThan(0);
    t0 = Date.now();
    const before = count();
    for (const p of proxies) p.set('blackhole');
    await sleep(3000);
    expect(count()).toBeGreaterThan(before + 20);
    await waitFor('/readyz: cut off', async () => (await readyz(cut.port)).body.includes('cut off'), 20_000, 100);
    figures.push(`server cut off: other servers' sends never stopped; it stopped being ready after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await waitFor('its clients resumed on the other servers', () => onCut.every((c) => c.ready && c.appId !== CUT), 20_000, 50);
    await waitFor('their sends acked', () => onCut.every((c) => c.unacked === 0), 20_000, 50);
    figures.push(`its ${onCut.length} clients resumed elsewhere, their sends acked, after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (const p of proxies) p.set('forward');
    await waitFor('/readyz: ready again', async () => (await readyz(cut.port)).status === 200, 20_000, 100);
    await cluster.waitForHaproxy((st) => st[CUT] === 'UP', 15_000);

    // 4. Restart the primary (SIGTERM: it shuts down cleanly, then starts again at once on the same data).
    t0 = Date.now();
    await ha.signalNode(primary, 'SIGTERM');
    await waitFor('the primary exited', async () => !(await ha.info(primary, 'server').then(() => true, () => false)), 15_000, 50);
    await ha.startNode(primary);
    expect(await acksResume('primary restarted', t0)).toBeLessThan(15_000);

    await traffic.stop(30_000);
    await settle(clients, ledger, ROOM, 30_000);
    expect(cluster.servers.every((s) => s.alive)).toBe(true);
    expect(cluster.servers.map((s) => s.pid).join(',')).toBe(pids);
    expect(ledger.conflicts).toEqual([]);
    // Every ack waited for a replica (REDIS_WAIT_REPLICAS=1 from the runner): WAIT ran on the current primary.
    expect(await ha.info((await ha.primaryPort())!, 'commandstats')).toMatch(/^cmdstat_wait:calls=[1-9]/m);

    const history = await readWholeHistory();
    const verdict = checkHistory(history, ledger.acks.get(ROOM) ?? new Map(), clients.map((c) => ({
      name: c.name, ids: c.received.get(ROOM) ?? [], cidAt: c.cidAt.get(ROOM) ?? new Map(),
    })));
    figures.push(`${verdict.messages} messages, ${verdict.acked} acked, acked lost ${verdict.ackedLost}, duplicates ${verdict.duplicates}, ` +
      `${clients.reduce((n, c) => n + c.stats.unavailable, 0)} unavailable answers retried, ${clients.reduce((n, c) => n + c.stats.connects, 0) - clients.length} reconnects`);
    expect(verdict.problems).toEqual([]);
    expect(verdict.acked).toBe(traffic.started);
    expect(verdict.messages).toBe(traffic.started);
    for (const c of clients) expect([c.name, c.stats.duplicates, c.stats.gaps, c.stats.truncated]).toEqual([c.name, [], [], 0]);
  }, 240_000);

  /** The room's history from id 1, in pages of 200 (history with `after`). */
  async function readWholeHistory(): Promise<Entry[]> {
    const reader = await TestClient.connect(cluster.wsUrl);
    plain.push(reader);
    await reader.hello('Reader');
    await reader.request({ type: 'join', room: ROOM }, 'joined');
    const out: Entry[] = [];
    for (;;) {
      const page = await reader.request({ type: 'history', room: ROOM, after: out.at(-1)?.id ?? 0, limit: 200 }, 'history', 10_000);
      const msgs = page.messages as Array<{ id: number; cid?: string }>;
      if (msgs.length === 0) return out;
      for (const m of msgs) out.push({ id: m.id, cid: m.cid });
    }
  }
});
