/**
 * SIGTERM a server under traffic on the native cluster (4 servers, HAProxy, Redis): its /readyz
 * fails so HAProxy marks it DOWN while it still runs, it closes its clients with 1001 and exits 0
 * within 10 s; its clients reconnect through HAProxy to the others and resume with `after`.
 * Accounting: every acked message reaches every client exactly once, in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../scripts/lib/cluster.js';
import { audit, Ledger, ResumingClient } from './lib/resuming-client.js';
import { settle, sleep, startTraffic } from './lib/traffic.js';

describe('SIGTERM a server under traffic (native cluster)', () => {
  let cluster: Cluster;
  const clients: ResumingClient[] = [];

  beforeAll(async () => {
    cluster = await startCluster({
      servers: 4,
      haproxyCheckInterMs: 200,
      env: { DRAIN_DELAY_MS: '1200', PRESENCE_GRACE_MS: '2000', PRESENCE_TTL_MS: '4000', PRESENCE_HEARTBEAT_MS: '1000' },
    });
  });
  afterAll(async () => {
    for (const c of clients) c.stop();
    await cluster?.stop();
  });

  it('drains (HAProxy DOWN first), closes with 1001, exits 0 in < 10 s; clients resume elsewhere with nothing lost or doubled', async () => {
    const ledger = new Ledger();
    const room = 'drain';
    for (let i = 0; i < 24; i++) clients.push(new ResumingClient(`u${i}`, [room], () => cluster.wsUrl, ledger));
    await Promise.all(clients.map((c) => c.start()));
    const victim = '2000';
    const onVictim = clients.filter((c) => c.appId === victim);
    expect(onVictim.length).toBeGreaterThanOrEqual(3); // round-robin spreads 24 clients over 4 servers

    const traffic = startTraffic(clients, room, 60);
    await sleep(1500);
    const ackedBefore = ledger.ids(room).length;
    expect(ackedBefore).toBeGreaterThan(50);

    const t0 = Date.now();
    const exit = cluster.killServer(victim, 'SIGTERM');
    const server = cluster.servers.find((s) => s.appId === victim)!;
    await cluster.waitForHaproxy((st) => st[victim]?.startsWith('DOWN') ?? false, 5000);
    const downWhileAlive = server.alive;
    expect(await exit).toBe(0);
    const exitMs = Date.now() - t0;
    expect(downWhileAlive).toBe(true); // HAProxy took it out of rotation before it went away
    expect(exitMs).toBeLessThan(10_000);

    await sleep(2000); // traffic keeps flowing on the other three
    await traffic.stop();
    await settle(clients, ledger, room);

    for (const c of onVictim) {
      expect(c.stats.closeCodes).toContain(1001);
      expect(c.appId).not.toBe(victim);
    }
    for (const c of clients.filter((x) => !onVictim.includes(x))) expect(c.stats.closeCodes).toEqual([]);
    const ids = ledger.ids(room);
    expect(ids.length).toBe(traffic.started);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
    expect(audit(ledger, clients, room)).toEqual([]);
  });
});
