/**
 * The cross-server guarantees of shared/PROTOCOL.md on the native cluster: 4 servers behind real
 * HAProxy, one real Redis. Clients connect through HAProxy, so round-robin decides their server.
 */
import { LOOSE_LIMITS } from '../helpers/limits.js';
import { describe, expect, it } from 'vitest';
import { useCluster } from '../helpers/use-cluster.js';
import { TestClient } from '../helpers/ws-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cluster guarantees (4 servers, HAProxy, Redis)', () => {
  const stage = useCluster({
    servers: 4,
    haproxyCheckInterMs: 300,
    env: { ...LOOSE_LIMITS, PRESENCE_TTL_MS: '4000', PRESENCE_HEARTBEAT_MS: '1000', PRESENCE_GRACE_MS: '500' },
  });
  const { clients } = stage;

  /** Connects through HAProxy until landing on the wanted APPID (round-robin makes this quick). */
  async function onServer(appId: string | null, name: string, session?: string) {
    for (let i = 0; i < 40; i++) {
      const c = await TestClient.connect(stage.cluster.wsUrl);
      const w = await c.hello(name, session);
      if (appId === null || w.appId === appId) {
        clients.push(c);
        return { c, w };
      }
      c.close();
    }
    throw new Error(`never landed on ${appId}`);
  }

  const alive = () => stage.cluster.servers.filter((s) => s.alive).map((s) => s.appId);

  it('concurrent senders on all four servers: every client sees the same contiguous ids in order', async () => {
    const users = await Promise.all(alive().flatMap((id) => [onServer(id, `s${id}`), onServer(id, `t${id}`)]));
    expect(new Set(users.map((u) => u.w.appId)).size).toBe(4);
    for (const u of users) await u.c.request({ type: 'join', room: 'order' }, 'joined');
    const per = 25;
    users.forEach((u, i) => { for (let k = 0; k < per; k++) u.c.send({ type: 'send', room: 'order', text: `${i}/${k}`, cid: `o-${i}-${k}` }); });
    const total = per * users.length;
    for (const u of users) {
      await u.c.next((f) => f.type === 'message' && f.id === total, 15_000);
      expect(u.c.messages('order').map((m) => m.id)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(new Set(u.c.messages('order').map((m) => m.via)).size).toBe(4);
    }
  });

  it('a send retried with the same cid on a different server gets the same id and is delivered once', async () => {
    const [a, b] = alive();
    const first = await onServer(a, 'Retry');
    const second = await onServer(b, 'Retry', first.w.session);
    const watcher = await onServer(null, 'Watch');
    for (const u of [first, second, watcher]) await u.c.request({ type: 'join', room: 'retry' }, 'joined');
    const ack1 = await first.c.request({ type: 'send', room: 'retry', text: 'once', cid: 'same-cid' }, 'ack');
    const ack2 = await second.c.request({ type: 'send', room: 'retry', text: 'once', cid: 'same-cid' }, 'ack');
    expect(ack2.id).toBe(ack1.id);
    await watcher.c.request({ type: 'send', room: 'retry', text: 'marker', cid: 'marker' }, 'ack');
    await watcher.c.next((f) => f.type === 'message' && f.cid === 'marker');
    expect(watcher.c.messages('retry').filter((m) => m.cid === 'same-cid')).toHaveLength(1);
  });

  it('a client disconnected while messages flow rejoins elsewhere with after and gets each missing one exactly once', async () => {
    const [a, b, c] = alive();
    const sender = await onServer(a, 'Sender');
    await sender.c.request({ type: 'join', room: 'resume' }, 'joined');
    const reader = await onServer(b, 'Reader');
    await reader.c.request({ type: 'join', room: 'resume' }, 'joined');
    let sent = 0;
    let stop = false;
    const pump = (async () => {
      while (!stop && sent < 200) {
        const n = sent + 1;
        const answer = await sender.c.request({ type: 'send', room: 'resume', text: `n${n}`, cid: `res-${n}` }, 'ack');
        if (answer.type === 'ack') sent = n;
        else await sleep(Number(answer.retryAfterMs ?? 50)); // rate_limited: retry the same cid
      }
    })();
    await reader.c.next((f) => f.type === 'message' && f.id >= 10);
    reader.c.terminate();
    const lastSeen = Math.max(...reader.c.messages('resume').map((m) => m.id));
    await sleep(100);
    const back = await onServer(c, 'Reader', reader.w.session);
    await back.c.request({ type: 'join', room: 'resume', after: lastSeen }, 'joined');
    await sleep(200);
    stop = true;
    await pump;
    await back.c.next((f) => f.type === 'message' && f.id === sent, 5000);
    expect(back.c.messages('resume').map((m) => m.id)).toEqual(Array.from({ length: sent - lastSeen }, (_, i) => lastSeen + 1 + i));
  });

  it('a session restores identity on another server', async () => {
    const [a, , , d] = alive();
    const one = await onServer(a, 'Ident');
    const two = await onServer(d, 'Ident', one.w.session);
    expect(two.w.member).toEqual(one.w.member);
    expect(two.w.appId).not.toBe(one.w.appId);
  });

  it('presence is identical on all servers, and a SIGKILLed server\'s members leave every list within 30 s', async () => {
    const ids = alive();
    const members = await Promise.all(ids.map((id) => onServer(id, `p-${id}`)));
    for (const m of members) await m.c.request({ type: 'join', room: 'pres' }, 'joined');
    const lists = [];
    for (const id of ids) {
      const v = await onServer(id, `view-${id}`);
      const j = await v.c.request({ type: 'join', room: 'pres' }, 'joined');
      lists.push((j.members as Array<{ name: string }>).map((m) => m.name).filter((n) => n.startsWith('p-')));
      await v.c.request({ type: 'leave', room: 'pres' }, 'left');
    }
    for (const l of lists) expect(l).toEqual(lists[0]);
    expect(lists[0].sort()).toEqual(ids.map((id) => `p-${id}`).sort());

    const victim = ids[0];
    const started = Date.now();
    await stage.cluster.killServer(victim, 'SIGKILL');
    const observers = members.filter((m) => m.w.appId !== victim);
    await Promise.all(observers.map((o) => o.c.next((f) => f.type === 'presence' && f.event === 'leave' &&
      (f.member as { name: string }).name === `p-${victim}`, 30_000)));
    expect(Date.now() - started).toBeLessThan(30_000);
    const after = await onServer(null, 'after-kill');
    const j = await after.c.request({ type: 'join', room: 'pres' }, 'joined');
    expect((j.members as Array<{ name: string }>).map((m) => m.name)).not.toContain(`p-${victim}`);
    await stage.cluster.startServer(victim);
  });
});
