/**
 * Presence across a Redis outage longer than PRESENCE_TTL_MS: every entry's expiry passes while
 * Redis is away. Members still connected must not flicker (no leave/join) when it returns, while a
 * server that died during the outage still has its members leave. Real server processes, AOF Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startFleet, waitFor, type Fleet } from '../helpers/server-proc.js';
import { TestClient } from '../helpers/ws-client.js';

describe('presence across a Redis outage longer than the TTL', () => {
  let fleet: Fleet;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    fleet = await startFleet({ servers: 3, env: { PRESENCE_TTL_MS: '3000', PRESENCE_HEARTBEAT_MS: '1000', LOG_LEVEL: 'warn' } });
  });
  afterAll(async () => {
    for (const c of clients) c.terminate();
    await fleet?.stop();
  });

  const member = async (server: number, name: string) => {
    const c = await TestClient.connect(fleet.servers[server].url);
    clients.push(c);
    const w = await c.hello(name);
    await c.request({ type: 'join', room: 'outage' }, 'joined');
    return { c, id: w.member.id };
  };
  // join/leave events only; the `sync` a server sends after its subscription came back is checked on its own.
  const events = (c: TestClient) => c.frames.filter((f) => f.type === 'presence' && (f.event === 'join' || f.event === 'leave'))
    .map((f) => `${f.event}:${(f.member as { name: string }).name}`);
  const syncs = (c: TestClient) => c.frames.filter((f) => f.type === 'presence' && f.event === 'sync')
    .map((f) => (f.members as Array<{ name: string }>).map((m) => m.name));

  it('no leave/join flicker for connected members; a server that died meanwhile still loses its members', async () => {
    const a = await member(0, 'A');
    const b = await member(1, 'B');
    await member(2, 'Ghost');
    await sleep(1500);
    const before = [events(a.c).length, events(b.c).length];

    await fleet.redis.kill('SIGTERM');
    await sleep(1000);
    const t0 = Date.now();
    await fleet.servers[2].kill('SIGKILL'); // dies while Redis is away
    await sleep(4000); // > PRESENCE_TTL_MS: every entry's expiry has passed
    await fleet.redis.restart();

    await waitFor('Ghost leaves', () => events(a.c).includes('leave:Ghost') && events(b.c).includes('leave:Ghost'), 30_000);
    expect(Date.now() - t0).toBeLessThan(30_000);
    await sleep(1500);
    for (const c of [a.c, b.c]) {
      expect(events(c).slice(c === a.c ? before[0] : before[1])).toEqual(['leave:Ghost']);
      expect(c.closeCode).toBeNull();
      // A resync after the outage lists everyone still connected: no flicker there either.
      for (const names of syncs(c)) expect(names).toEqual(expect.arrayContaining(['A', 'B']));
    }
    const late = await member(0, 'Late');
    const j = late.c.frames.find((f) => f.type === 'joined')!;
    expect((j.members as Array<{ name: string }>).map((m) => m.name).sort()).toEqual(['A', 'B', 'Late']);
  });
});
