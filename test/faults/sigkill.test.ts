/**
 * SIGKILL a server on the native cluster (4 servers, HAProxy, Redis). Nothing on the dead server
 * says goodbye: its members must still leave every list, with a `presence` leave, once their
 * presence entries expire (PRESENCE_TTL_MS 3000 here; within 30 s is the promise), while its
 * resuming clients reconnect through HAProxy and lose nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../scripts/lib/cluster.js';
import { waitFor } from '../helpers/server-proc.js';
import { TestClient } from '../helpers/ws-client.js';
import { audit, Ledger, ResumingClient } from './lib/resuming-client.js';
import { settle, sleep, startTraffic } from './lib/traffic.js';

describe('SIGKILL a server (native cluster)', () => {
  let cluster: Cluster;
  const clients: ResumingClient[] = [];
  const plain: TestClient[] = [];

  beforeAll(async () => {
    cluster = await startCluster({
      servers: 4,
      haproxyCheckInterMs: 200,
      env: { PRESENCE_TTL_MS: '3000', PRESENCE_HEARTBEAT_MS: '1000', PRESENCE_GRACE_MS: '500' },
    });
  });
  afterAll(async () => {
    for (const c of clients) c.stop();
    for (const c of plain) c.terminate();
    await cluster?.stop();
  });

  const direct = (appId: string) => `ws://127.0.0.1:${cluster.servers.find((s) => s.appId === appId)!.port}/ws`;

  async function member(appId: string, name: string, room: string) {
    const c = await TestClient.connect(direct(appId));
    plain.push(c);
    const w = await c.hello(name);
    const j = await c.request({ type: 'join', room }, 'joined');
    return { c, w, j };
  }

  it("the dead server's members leave every list within 30 s (here ~TTL); its clients resume elsewhere, nothing lost or doubled", async () => {
    const room = 'crash';
    const victim = '3000';
    // Two members that live only on the victim (they never come back), and watchers on every other server.
    const ghosts = [await member(victim, 'Ghost1', room), await member(victim, 'Ghost2', room)];
    const watchers = await Promise.all(['1000', '2000', '4000'].map((id) => member(id, `Watch${id}`, room)));
    for (const w of watchers) expect((w.j.members as Array<{ name: string }>).map((m) => m.name)).toEqual(expect.arrayContaining(['Ghost1', 'Ghost2']));

    const ledger = new Ledger();
    let first = true;
    // Resuming clients start on the victim, then reconnect through HAProxy.
    for (let i = 0; i < 8; i++) {
      clients.push(new ResumingClient(`r${i}`, [room], () => (first ? direct(victim) : cluster.wsUrl), ledger));
    }
    await Promise.all(clients.map((c) => c.start()));
    first = false;
    for (let i = 0; i < 8; i++) clients.push(new ResumingClient(`h${i}`, [room], () => cluster.wsUrl, ledger));
    await Promise.all(clients.slice(8).map((c) => c.start()));
    expect(clients.slice(0, 8).every((c) => c.appId === victim)).toBe(true);

    const traffic = startTraffic(clients, room, 60);
    await sleep(1000);
    const t0 = Date.now();
    const code = await cluster.killServer(victim, 'SIGKILL');
    expect(code).toBeNull(); // killed by the signal

    // Every watcher (on every surviving server) sees each ghost leave.
    const left = (w: TestClient, id: string) =>
      w.frames.some((f) => f.type === 'presence' && f.event === 'leave' && (f.member as { id: string }).id === id);
    await waitFor('every watcher to see both ghosts leave',
      () => watchers.every((w) => ghosts.every((g) => left(w.c, g.w.member.id))), 30_000);
    const leaveMs = Date.now() - t0;
    expect(leaveMs).toBeLessThan(30_000);
    expect(leaveMs).toBeLessThan(3000 + 1000 + 2500); // TTL + one heartbeat sweep + slack

    await sleep(500);
    await traffic.stop();
    await settle(clients, ledger, room);
    expect(clients.slice(0, 8).every((c) => c.appId !== victim && c.stats.connects >= 2)).toBe(true);
    expect(audit(ledger, clients, room)).toEqual([]);
    const ids = ledger.ids(room);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));

    // A fresh join on every surviving server lists the same members, no ghost, and the resumed clients once each.
    const lists = await Promise.all(['1000', '2000', '4000'].map(async (id) => {
      const m = await member(id, `Late${id}`, room);
      return (m.j.members as Array<{ id: string; name: string }>).map((x) => x.name).filter((n) => !n.startsWith('Late')).sort();
    }));
    for (const l of lists) {
      expect(l).not.toContain('Ghost1');
      expect(l).not.toContain('Ghost2');
      for (const c of clients) expect(l.filter((n) => n === c.name)).toHaveLength(1);
    }
  });
});

describe('SIGKILL at the default presence timings (PRESENCE_TTL_MS 15000, heartbeat 5000)', () => {
  let cluster: Cluster;
  const plain: TestClient[] = [];
  afterAll(async () => {
    for (const c of plain) c.terminate();
    await cluster?.stop();
  });

  it('the dead server’s member leaves within 30 s', async () => {
    cluster = await startCluster({ servers: 2, haproxyCheckInterMs: 500 });
    const [a, b] = cluster.servers;
    const join = async (port: number, name: string) => {
      const c = await TestClient.connect(`ws://127.0.0.1:${port}/ws`);
      plain.push(c);
      const w = await c.hello(name);
      await c.request({ type: 'join', room: 'defaults' }, 'joined');
      return { c, w };
    };
    const ghost = await join(b.port, 'Ghost');
    const watcher = await join(a.port, 'Watcher');
    const t0 = Date.now();
    await cluster.killServer(b.appId, 'SIGKILL');
    const leave = await watcher.c.next((f) => f.type === 'presence' && f.event === 'leave'
      && (f.member as { id: string }).id === ghost.w.member.id, 30_000);
    expect(leave).toBeTruthy();
    expect(Date.now() - t0).toBeLessThan(30_000);
  }, 45_000);
});
