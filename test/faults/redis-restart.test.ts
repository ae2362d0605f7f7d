/**
 * Redis stopped and started again during traffic on the native cluster (4 servers, HAProxy, Redis
 * with AOF). While it is down: `send` gets `unavailable` naming its cid, no server crashes, no
 * connection is closed. Once it is back: the same cids are acked, every server's subscriber is live
 * again (a message sent on one server reaches the others at once, with no later message to trigger
 * gap repair), and history and room ids survived (ids continue, contiguous from 1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../scripts/lib/cluster.js';
import { waitFor } from '../helpers/server-proc.js';
import { TestClient } from '../helpers/ws-client.js';
import { audit, Ledger, ResumingClient } from './lib/resuming-client.js';
import { settle, sleep, startTraffic } from './lib/traffic.js';

describe('Redis restarted during traffic (native cluster, AOF)', () => {
  let cluster: Cluster;
  const clients: ResumingClient[] = [];
  const plain: TestClient[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ servers: 4, haproxyCheckInterMs: 300, redisAof: true, env: { REDIS_TIMEOUT_MS: '1000' } });
  });
  afterAll(async () => {
    for (const c of clients) c.stop();
    for (const c of plain) c.terminate();
    await cluster?.stop();
  });

  it('unavailable while down, nothing closed or crashed; afterwards sends succeed, delivery is live, ids and history survive', async () => {
    const room = 'outage';
    const ledger = new Ledger();
    for (let i = 0; i < 16; i++) clients.push(new ResumingClient(`c${i}`, [room], () => cluster.wsUrl, ledger));
    await Promise.all(clients.map((c) => c.start()));
    expect(new Set(clients.map((c) => c.appId)).size).toBe(4);
    // One plain client per server, to watch `unavailable` answers directly.
    const probes = await Promise.all(cluster.servers.map(async (s) => {
      const c = await TestClient.connect(`ws://127.0.0.1:${s.port}/ws`);
      plain.push(c);
      await c.hello(`probe${s.appId}`);
      await c.request({ type: 'join', room }, 'joined');
      return c;
    }));

    const traffic = startTraffic(clients, room, 50);
    await sleep(1000);
    const beforeOutage = ledger.ids(room).length;
    expect(beforeOutage).toBeGreaterThan(30);

    await cluster.stopRedis();
    await sleep(500);
    for (const [i, p] of probes.entries()) {
      const e = await p.request({ type: 'send', room, text: 'during the outage', cid: `probe-${i}` }, 'ack', 5000);
      expect(e).toMatchObject({ type: 'error', code: 'unavailable', cid: `probe-${i}` });
    }
    await sleep(1500);
    const ackedDuringOutage = ledger.ids(room).length;
    expect(cluster.servers.every((s) => s.alive)).toBe(true);
    expect(clients.every((c) => c.stats.closeCodes.length === 0)).toBe(true);
    expect(probes.every((p) => p.closeCode === null)).toBe(true);
    expect(clients.reduce((n, c) => n + c.stats.unavailable, 0)).toBeGreaterThan(0);

    await cluster.startRedis();
    // Senders retry their cids; acks flow again.
    await waitFor('acks after Redis returned', () => ledger.ids(room).length > ackedDuringOutage + 50, 15_000);
    await traffic.stop();
    await settle(clients, ledger, room);

    // The probes' cids, retried, are acked once each and delivered.
    for (const [i, p] of probes.entries()) {
      const ack = await p.request({ type: 'send', room, text: 'during the outage', cid: `probe-${i}` }, 'ack', 5000);
      expect(ack).toMatchObject({ type: 'ack', cid: `probe-${i}` });
      ledger.record(room, `probe-${i}`, ack.id as number);
    }
    // Live delivery on every server, with nothing after it to trigger a gap repair.
    for (const [i, p] of probes.entries()) {
      const ack = await p.request({ type: 'send', room, text: 'live?', cid: `live-${i}` }, 'ack', 5000);
      ledger.record(room, `live-${i}`, ack.id as number);
      await Promise.all(probes.map((q) => q.next((f) => f.type === 'message' && f.cid === `live-${i}`, 2000)));
    }
    await settle(clients, ledger, room);

    expect(cluster.servers.every((s) => s.alive)).toBe(true);
    expect(clients.every((c) => c.stats.closeCodes.length === 0)).toBe(true);
    expect(audit(ledger, clients, room)).toEqual([]);
    const ids = ledger.ids(room);
    expect(ids.length).toBe(traffic.started + probes.length * 2);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));

    // History survived the restart: a new client resuming from 0 gets every id (up to the 1000 kept).
    const late = await TestClient.connect(cluster.wsUrl);
    plain.push(late);
    await late.hello('Late');
    const from = Math.max(0, ids.length - 1000);
    const j = await late.request({ type: 'join', room, after: from }, 'joined');
    expect((j.messages as Array<{ id: number }>).map((m) => m.id)).toEqual(ids.slice(from));
    expect(j.last).toBe(ids.length);
  });
});
