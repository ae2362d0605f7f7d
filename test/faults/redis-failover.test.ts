/**
 * Redis failover under traffic (native cluster with --redis-ha: a primary, two replicas, three
 * Sentinels; the servers find the primary through the Sentinels and WAIT for one replica before
 * each ack). Clients on every server send with retries at ~40 msg/s while the primary is SIGKILLed
 * (twice, the old one coming back as a replica in between) and then SIGSTOPped for 15 s: sends are
 * acked again within 10 s each time, no server restarts, and at the end every acked message is in
 * history exactly once with contiguous ids (0 acked lost, 0 duplicated). The old primary, woken up,
 * refuses writes (min-replicas-to-write, then READONLY once Sentinel has made it a replica).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../scripts/lib/cluster.js';
import type { RedisHa } from '../../scripts/lib/redis-ha.js';
import { waitFor } from '../helpers/server-proc.js';
import { TestClient } from '../helpers/ws-client.js';
import { audit, Ledger, ResumingClient } from './lib/resuming-client.js';
import { settle, sleep, startTraffic } from './lib/traffic.js';

const room = 'failover';

describe('Redis failover through Sentinel (native cluster, --redis-ha)', () => {
  let cluster: Cluster;
  let ha: RedisHa;
  const clients: ResumingClient[] = [];
  const plain: TestClient[] = [];
  const ledger = new Ledger();
  const recoveries: number[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ servers: 4, redisHa: true, haproxyCheckInterMs: 300, env: { REDIS_TIMEOUT_MS: '1000' } });
    ha = cluster.ha!;
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.stop();
    for (const c of plain) c.terminate();
    await cluster?.stop();
    // eslint-disable-next-line no-console
    console.log(`[redis-failover] acks resumed ${recoveries.map((ms) => `${ms} ms`).join(', ')} after the primary went down`);
  });

  const pids = () => cluster.servers.map((s) => s.pid).join(',');
  const count = () => ledger.ids(room).length;

  /** Takes the primary down with `signal`; resolves with the ms until sends were acked again on the new one. */
  async function failover(signal: 'SIGKILL' | 'SIGSTOP'): Promise<{ old: number; next: number; ms: number }> {
    const old = (await ha.primaryPort())!;
    expect(old).toBeGreaterThan(0);
    const t0 = Date.now();
    await ha.signalNode(old, signal);
    let next = 0;
    await waitFor('the Sentinels name a new primary', async () => { next = (await ha.primaryPort()) ?? old; return next !== old; }, 10_000, 100);
    const at = count();
    await waitFor('sends acked again on the new primary', () => count() > at + 10, 10_000);
    const ms = Date.now() - t0;
    recoveries.push(ms);
    expect(ms).toBeLessThan(10_000);
    return { old, next, ms };
  }

  it('SIGKILL the primary twice: acks resume within 10 s, the old one returns as a replica, nothing acked lost or duplicated', async () => {
    for (let i = 0; i < 8; i++) {
      // Two clients on each server, straight to it (not through HAProxy), so every server takes sends.
      const url = `ws://127.0.0.1:${cluster.servers[i % 4].port}/ws`;
      clients.push(new ResumingClient(`c${i}`, [room], () => url, ledger));
    }
    await Promise.all(clients.map((c) => c.start()));
    expect(new Set(clients.map((c) => c.appId)).size).toBe(4);
    const before = pids();
    // 8 senders, one send at a time each, ~190 ms apart: about 40 msg/s.
    const traffic = startTraffic(clients, room, 190);
    await sleep(2000);
    expect(count()).toBeGreaterThan(40);

    const first = await failover('SIGKILL');
    // The old primary comes back (same config: it starts as a primary) and Sentinel makes it a replica.
    await ha.startNode(first.old);
    await waitFor('the old primary is a replica of the new one', async () => {
      const info = await ha.info(first.old, 'replication').catch(() => '');
      return info.includes('role:slave') && info.includes(`master_port:${first.next}`) && info.includes('master_link_status:up');
    }, 20_000, 200);

    const second = await failover('SIGKILL');
    expect(second.old).toBe(first.next);
    await ha.startNode(second.old);

    await traffic.stop();
    await settle(clients, ledger, room);
    // Every ack waited for a replica (REDIS_WAIT_REPLICAS=1 from the runner): WAIT ran on the current primary.
    expect(await ha.info(second.next, 'commandstats')).toMatch(/^cmdstat_wait:calls=[1-9]/m);
    expect(cluster.servers.every((s) => s.alive)).toBe(true);
    expect(pids()).toBe(before);
    expect(audit(ledger, clients, room)).toEqual([]);
    const ids = ledger.ids(room);
    expect(ids.length).toBe(traffic.started);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
    await expectHistoryHoldsExactly(ids);
  }, 80_000);

  it('SIGSTOP the primary for 15 s: Sentinel fails over, nothing acked is lost, and the woken old primary refuses writes', async () => {
    await waitFor('two replicas in sync', async () => {
      const p = await ha.primaryPort();
      return !!p && (await ha.info(p, 'replication').catch(() => '')).includes('connected_slaves:2');
    }, 20_000, 200);
    const traffic = startTraffic(clients, room, 190);
    await sleep(1000);
    const { old } = await failover('SIGSTOP');
    await sleep(Math.max(0, 15_000 - (recoveries.at(-1) ?? 0)));
    await ha.signalNode(old, 'SIGCONT');
    // At once, and until Sentinel has turned it into a replica: a write there is refused.
    const refusals: string[] = [];
    for (let i = 0; i < 10; i++) {
      const err = await ha.adminAsk(old, ['SET', 'lc:failover-probe', String(i)]).then(() => 'OK', (e: Error) => e.message);
      refusals.push(err.split(' ')[0]);
      await sleep(100);
    }
    expect(refusals.filter((r) => !/^(NOREPLICAS|READONLY)$/.test(r))).toEqual([]);
    await waitFor('the old primary is a replica again', async () => (await ha.info(old, 'replication').catch(() => '')).includes('role:slave'), 20_000, 200);

    await traffic.stop();
    await settle(clients, ledger, room);
    expect(cluster.servers.every((s) => s.alive)).toBe(true);
    expect(audit(ledger, clients, room)).toEqual([]);
    const ids = ledger.ids(room);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
    await expectHistoryHoldsExactly(ids);
  }, 60_000);

  /** A new client resuming from the start gets exactly the acked ids, each once, each with its acked cid. */
  async function expectHistoryHoldsExactly(ids: number[]): Promise<void> {
    const late = await TestClient.connect(cluster.wsUrl);
    plain.push(late);
    await late.hello('Late');
    const from = Math.max(0, ids.length - 1000);
    const j = await late.request({ type: 'join', room, after: from }, 'joined');
    const got = j.messages as Array<{ id: number; cid?: string }>;
    expect(got.map((m) => m.id)).toEqual(ids.slice(from));
    expect(j.last).toBe(ids.length);
    const byCid = new Map([...(ledger.acks.get(room) ?? new Map<string, number>())].map(([cid, id]) => [id, cid]));
    for (const m of got) if (m.cid !== undefined) expect(m.cid).toBe(byCid.get(m.id));
  }
});
