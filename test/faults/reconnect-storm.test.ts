/**
 * A reconnect storm on the native cluster: 300 clients of one server lose it at once (SIGKILL) and
 * all come back through HAProxy within seconds (full-jitter backoff), while clients of the other
 * servers keep chatting. Every client ends with every acked message exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../scripts/lib/cluster.js';
import { audit, Ledger, ResumingClient } from './lib/resuming-client.js';
import { settle, sleep, startTraffic } from './lib/traffic.js';
import { waitFor } from '../helpers/server-proc.js';

const STORM = 300;

describe('reconnect storm (native cluster)', () => {
  let cluster: Cluster;
  const clients: ResumingClient[] = [];

  beforeAll(async () => {
    // 300 clients from one address, all new guests: a load test's shape, so the per-address limits
    // (50 connections, 200 sessions) are lifted with the load-test switch.
    cluster = await startCluster({ servers: 4, haproxyCheckInterMs: 300, env: { PRESENCE_GRACE_MS: '3000', LC_LOAD_TEST: '1' }, haproxyEnv: { LC_LOAD_TEST: '1' } });
  });
  afterAll(async () => {
    for (const c of clients) c.stop();
    await cluster?.stop();
  });

  it(`${STORM} clients of one server reconnect at once; the others hold; all resume with nothing lost or doubled`, async () => {
    const room = 'storm';
    const victim = cluster.servers[0];
    const direct = `ws://127.0.0.1:${victim.port}/ws`;
    const ledger = new Ledger();
    let initial = true;
    const storm: ResumingClient[] = [];
    for (let i = 0; i < STORM; i++) {
      storm.push(new ResumingClient(`storm${i}`, [room], () => (initial ? direct : cluster.wsUrl), ledger, { maxBackoffMs: 2000 }));
    }
    for (let i = 0; i < STORM; i += 50) await Promise.all(storm.slice(i, i + 50).map((c) => c.start(15_000)));
    initial = false;
    const others: ResumingClient[] = [];
    for (const s of cluster.servers.slice(1)) {
      for (let i = 0; i < 3; i++) others.push(new ResumingClient(`o${s.appId}-${i}`, [room], () => `ws://127.0.0.1:${s.port}/ws`, ledger));
    }
    await Promise.all(others.map((c) => c.start()));
    clients.push(...storm, ...others);
    expect(storm.every((c) => c.appId === victim.appId)).toBe(true);

    // The others talk through the storm; a few storm clients talk too and must resend across it.
    const traffic = startTraffic([...others, ...storm.slice(0, 5)], room, 80);
    await sleep(800);
    const t0 = Date.now();
    await cluster.killServer(victim.appId, 'SIGKILL');
    // The process is gone; its clients learn it from their sockets a moment later. Until then a client
    // is still "ready" on the dead server, and waitReady would return at once.
    await waitFor('every storm client noticed the kill', () => storm.every((c) => !c.ready || c.appId !== victim.appId), 10_000);
    await Promise.all(storm.map((c) => c.waitReady(20_000).catch(() => {})));
    await sleep(300);
    const back = storm.filter((c) => c.ready && c.appId !== victim.appId).length;
    const stormMs = Date.now() - t0;
    expect(back).toBe(STORM);
    expect(stormMs).toBeLessThan(20_000);
    // Spread over the three survivors, not piled on one.
    const spread = new Map<string, number>();
    for (const c of storm) spread.set(c.appId, (spread.get(c.appId) ?? 0) + 1);
    expect(spread.size).toBe(3);
    for (const n of spread.values()) expect(n).toBeGreaterThan(STORM / 6);

    await sleep(1000);
    await traffic.stop();
    await settle(clients, ledger, room, 30_000);
    // The others held: never disconnected.
    for (const c of others) expect(c.stats.closeCodes).toEqual([]);
    expect(cluster.servers.slice(1).every((s) => s.alive)).toBe(true);
    expect(audit(ledger, clients, room)).toEqual([]);
    const ids = ledger.ids(room);
    expect(ids.length).toBe(traffic.started);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
  }, 90_000);
});
