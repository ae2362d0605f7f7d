/**
 * "Cut off, not dead" (native cluster, 3 servers): one server reaches Redis through a fault proxy
 * while the others keep it. The proxy black-holes (sockets open, nothing forwarded: the nasty case)
 * or refuses that server's Redis traffic, or black-holes only its subscriber (it can store, but fans
 * nothing out: cut off too; its members then leave through its own leaves rather than the TTL). With the defaults (REDIS_CUTOFF_MS 10 s, PRESENCE_TTL_MS
 * 15 s, heartbeat 5 s):
 *  - within the bound + a few s the server's /readyz fails ("cut off") and its clients are closed 1013;
 *  - resuming clients come back through HAProxy on the other servers: 0 lost, 0 duplicated;
 *  - members that stayed with it (no reconnect) leave every other server's lists, with a leave, within 30 s;
 *  - when the proxy forwards again it is ready again and takes clients, and every server lists exactly
 *    the members connected: no ghost, nobody twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../scripts/lib/cluster.js';
import { httpGet, waitFor } from '../helpers/server-proc.js';
import { TestClient } from '../helpers/ws-client.js';
import { startFaultProxy, type FaultMode, type FaultProxy } from './lib/fault-proxy.js';
import { sample } from './lib/metrics.js';
import { audit, Ledger, ResumingClient } from './lib/resuming-client.js';
import { settle, sleep, startTraffic } from './lib/traffic.js';

const CUT = '3000';
const ROOM = 'cutoff';
const BOUND_MS = 10_000;

describe('a server cut off from Redis (native cluster, fault proxy)', () => {
  let cluster: Cluster;
  let proxy: FaultProxy;
  const resuming: ResumingClient[] = [];
  const plain: TestClient[] = [];
  const ledger = new Ledger();
  /** Observers on the servers that keep Redis: they watch the lists. */
  const observers: Array<{ c: TestClient; id: string }> = [];

  const cutServer = () => cluster.servers.find((s) => s.appId === CUT)!;
  const readyz = () => httpGet(`http://127.0.0.1:${cutServer().port}/readyz`, 2000).catch(() => ({ status: 0, body: '' }));
  const cutOffGauge = async () => sample((await httpGet(`http://127.0.0.1:${cutServer().port}/metrics`)).body, 'livechat_redis_cut_off');
  const member = async (url: string, name: string) => {
    const c = await TestClient.connect(url);
    plain.push(c);
    const w = await c.hello(name);
    await c.request({ type: 'join', room: ROOM }, 'joined');
    return { c, id: w.member.id, appId: w.appId };
  };
  /** The room's whole list as a server sees it (one page: the room is small). */
  const listOn = async (c: TestClient) => {
    const page = await c.request({ type: 'members', room: ROOM }, 'members', 5000);
    expect(page.type).toBe('members');
    return (page.members as Array<{ id: string }>).map((m) => m.id);
  };

  beforeAll(async () => {
    proxy = await startFaultProxy();
    cluster = await startCluster({
      servers: 3,
      haproxyCheckInterMs: 300,
      redisAof: false,
      serverEnv: (appId, redis) => {
        if (appId !== CUT) return undefined;
        proxy.targetPort = redis.port;
        const url = new URL(redis.url);
        url.port = String(proxy.port);
        return { REDIS_URL: url.toString() };
      },
    });
    for (const s of cluster.servers.filter((x) => x.appId !== CUT)) {
      const m = await member(`ws://127.0.0.1:${s.port}/ws`, `obs${s.appId}`);
      observers.push({ c: m.c, id: m.id });
    }
    for (let i = 0; i < 9; i++) resuming.push(new ResumingClient(`r${i}`, [ROOM], () => cluster.wsUrl, ledger));
    await Promise.all(resuming.map((c) => c.start()));
  });
  afterAll(async () => {
    for (const c of resuming) c.stop();
    for (const c of plain) c.terminate();
    await cluster?.stop();
    await proxy?.close();
  });

  /** Every server lists exactly the members connected now, each once. */
  const expectListsExact = async (expected: string[]) => {
    const probe = await member(`ws://127.0.0.1:${cutServer().port}/ws`, 'probe');
    const want = [...expected, probe.id].sort();
    for (const c of [...observers.map((o) => o.c), probe.c]) {
      const ids = await listOn(c);
      expect(ids.length).toBe(new Set(ids).size);
      expect([...ids].sort()).toEqual(want);
    }
    probe.c.terminate();
  };

  const scenario = (mode: FaultMode) => async () => {
    // Some resuming clients and two that will not reconnect ("stayers") on the server to cut off.
    // Three more resuming clients that first connect to that server, later through HAProxy.
    const fresh = Array.from({ length: 3 }, (_, i) => {
      let first = true;
      return new ResumingClient(`${mode}${i}`, [ROOM], () => (first ? ((first = false), `ws://127.0.0.1:${cutServer().port}/ws`) : cluster.wsUrl), ledger);
    });
    await Promise.all(fresh.map((c) => c.start()));
    resuming.push(...fresh);
    await waitFor('every resuming client joined', () => resuming.every((c) => c.ready), 20_000);
    const onCut = resuming.filter((c) => c.appId === CUT);
    expect(onCut.length).toBeGreaterThan(0);
    const stayers = [await member(`ws://127.0.0.1:${cutServer().port}/ws`, `stay-${mode}-a`), await member(`ws://127.0.0.1:${cutServer().port}/ws`, `stay-${mode}-b`)];
    const stayerIds = stayers.map((s) => s.id);
    await waitFor('stayers listed on the other servers', async () => {
      const ids = await listOn(observers[0].c);
      return stayerIds.every((id) => ids.includes(id));
    }, 10_000);
    const leaveSeen = new Map<string, number>();
    const traffic = startTraffic(resuming, ROOM, 60);
    await sleep(1500);

    const t0 = Date.now();
    proxy.set(mode);

    // Cut off: /readyz says so, the stayers are closed with 1013.
    let cutAt = 0;
    await waitFor('/readyz: cut off', async () => {
      const r = await readyz();
      if (r.body.includes('cut off')) cutAt = Date.now();
      return cutAt > 0;
    }, BOUND_MS + 10_000, 100);
    const codes = await Promise.all(stayers.map((s) => s.c.closed));
    const closedAt = Date.now();
    expect(codes).toEqual([1013, 1013]);
    const detectS = (cutAt - t0) / 1000;
    expect(detectS).toBeGreaterThanOrEqual(BOUND_MS / 1000 - 0.5);
    expect(detectS).toBeLessThan(BOUND_MS / 1000 + 4);
    expect(await cutOffGauge()).toBe(1);
    // No new clients while cut off.
    await expect(TestClient.connect(`ws://127.0.0.1:${cutServer().port}/ws`)).rejects.toThrow(/503/);

    // The stayers leave every other server's list, with a leave event, within 30 s.
    await waitFor('stayers gone from the other servers\' lists', async () => {
      for (const o of observers) {
        for (const f of o.c.frames) {
          if (f.type === 'presence' && f.event === 'leave' && stayerIds.includes((f.member as { id: string }).id)) leaveSeen.set(`${o.id}/${(f.member as { id: string }).id}`, Date.now());
        }
      }
      const lists = await Promise.all(observers.map((o) => listOn(o.c)));
      return lists.every((ids) => stayerIds.every((id) => !ids.includes(id)));
    }, 30_000, 250);
    const goneS = (Date.now() - t0) / 1000;
    expect(goneS).toBeLessThan(30);
    await waitFor('leave events on every observer', () => observers.every((o) => stayerIds.every((id) => o.c.frames.some((f) =>
      f.type === 'presence' && f.event === 'leave' && (f.member as { id: string }).id === id))), 5000);

    // The resuming clients that were on the cut-off server are on the others now.
    await waitFor('resuming clients moved', () => resuming.every((c) => c.ready && c.appId !== CUT), 20_000);
    expect(onCut.every((c) => c.stats.closeCodes.includes(1013))).toBe(true);
    await sleep(1000);

    // Redis reachable again: ready, taking clients.
    const healAt = Date.now();
    proxy.set('forward');
    await waitFor('/readyz ready again', async () => (await readyz()).status === 200, 20_000, 100);
    const readyS = (Date.now() - healAt) / 1000;
    await cluster.waitForHaproxy((st) => st[CUT] === 'UP', 15_000);
    expect(await cutOffGauge()).toBe(0);

    await traffic.stop();
    await settle(resuming, ledger, ROOM);
    expect(audit(ledger, resuming, ROOM)).toEqual([]);
    const ids = ledger.ids(ROOM);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));

    // No ghost (the stayers), nobody twice (a client that resumed elsewhere), on every server —
    // now and after late commands held by the partition have run and a sweep or two passed.
    const connected = [...observers.map((o) => o.id), ...resuming.map((c) => c.memberId)];
    await expectListsExact(connected);
    await sleep(6000);
    await expectListsExact(connected);

    console.log(`[cut-off ${mode}] cut off after ${detectS.toFixed(1)} s (stayers closed 1013 at ${((closedAt - t0) / 1000).toFixed(1)} s); ` +
      `their members gone from the other lists after ${goneS.toFixed(1)} s; ready ${readyS.toFixed(1)} s after Redis came back; ` +
      `${ids.length} messages, 0 lost, 0 duplicated; ${onCut.length} resuming clients moved`);
  };

  it('black-holed: cut off after the bound, members gone within 30 s, rejoins with no ghost and no duplicate', scenario('blackhole'), 150_000);
  it('refused: the same', scenario('refuse'), 150_000);
  it('only the subscriber black-holed (it stores but hears nothing): the same', scenario('blackhole-subscriber'), 150_000);
});
