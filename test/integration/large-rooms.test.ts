/**
 * The protocol's "Large rooms" on four servers sharing a real Redis (and on the embedded node): a
 * small threshold, members joining and leaving concurrently across the small→large and large→small
 * transitions. Each client folds what it received (joined, join/leave as set operations, count,
 * sync) into a view; every view must end equal to the truth, with no ghost and no missing member.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Member } from '@livechat/protocol';
import { createClient } from 'redis';
import { startNodes, type Nodes } from '../helpers/nodes.js';
import { TestClient } from '../helpers/ws-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const THRESHOLD = 20;
const SMALL_AGAIN = 15;

/** What a client believes: the count, and (while the room is small) the whole list. */
function view(c: TestClient, room: string): { count: number; large: boolean; ids: Set<string> } {
  let count = 0;
  let large = false;
  const ids = new Set<string>();
  for (const f of c.frames) {
    if (f.room !== room) continue;
    if (f.type === 'joined') {
      count = f.count as number;
      large = f.membersTruncated === true;
      ids.clear();
      for (const m of f.members as Member[]) ids.add(m.id);
    } else if (f.type === 'presence') {
      if (typeof f.count === 'number') count = f.count;
      if (f.event === 'count') large = true;
      else if (f.event === 'sync') {
        large = false;
        ids.clear();
        for (const m of f.members as Member[]) ids.add(m.id);
      } else if (f.event === 'join') ids.add((f.member as Member).id);
      else if (f.event === 'leave') ids.delete((f.member as Member).id);
    }
  }
  return { count, large, ids };
}

async function pageAll(c: TestClient, room: string, limit: number): Promise<string[]> {
  const out: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await c.request({ type: 'members', room, limit, ...(after ? { after } : {}) }, 'members');
    expect(page.type).toBe('members');
    out.push(...(page.members as Member[]).map((m) => m.id));
    if (page.next === undefined) return out;
    after = page.next as string;
  }
}

for (const kind of ['redis', 'memory'] as const) {
  describe(`large rooms: ${kind}`, () => {
    let env: Nodes;
    const clients: TestClient[] = [];

    beforeAll(async () => {
      env = await startNodes(kind, 4, { LARGE_ROOM_THRESHOLD: String(THRESHOLD), LARGE_ROOM_SMALL_AGAIN: String(SMALL_AGAIN), PRESENCE_GRACE_MS: '0' });
    });
    afterAll(async () => {
      for (const c of clients) c.terminate();
      await env.stop();
    });

    async function members(n: number, room: string, offset = 0) {
      return Promise.all(Array.from({ length: n }, async (_, i) => {
        const c = await TestClient.connect(env.urls[(offset + i) % env.urls.length]);
        clients.push(c);
        const w = await c.hello(`u${offset + i}`);
        const j = await c.request({ type: 'join', room }, 'joined', 10_000);
        expect(j.type).toBe('joined');
        return { c, id: w.member.id };
      }));
    }

    it('crossing the threshold both ways with concurrent joins and leaves leaves no ghost and no gap, on every server', async () => {
      const room = 'big';
      const first = await members(10, room);
      const more = await members(30, room, 10); // concurrently: small → large
      await sleep(1500);
      const everyone = [...first, ...more];
      for (const { c } of everyone) expect(view(c, room)).toMatchObject({ count: 40, large: true });

      // A late joiner on each server: exact count, first page only, and every member once by paging.
      for (let s = 0; s < env.urls.length; s++) {
        const probe = await TestClient.connect(env.urls[s]);
        clients.push(probe);
        await probe.hello(`probe${s}`);
        const j = await probe.request({ type: 'join', room }, 'joined');
        expect(j.count).toBe(41);
        expect(j.membersTruncated).toBe(true);
        expect((j.members as Member[]).length).toBe(THRESHOLD);
        const ids = await pageAll(probe, room, 7);
        expect(new Set(ids).size).toBe(41);
        expect(ids).toEqual([...ids].sort());
        probe.terminate();
        clients.splice(clients.indexOf(probe), 1);
      }

      // Concurrent leaves down to 12 (large → small at 15), then joins/leaves while small again.
      const leaving = everyone.slice(12);
      const staying = everyone.slice(0, 12);
      for (const { c } of leaving) c.close();
      await sleep(1500);
      const back = await members(2, room, 100);
      staying.push(...back);
      await sleep(500);
      const truth = new Set(staying.map((m) => m.id));
      for (const { c } of staying) {
        const v = view(c, room);
        expect(v.count).toBe(14);
        expect(v.large).toBe(false);
        expect(v.ids).toEqual(truth);
      }
      // Each member got at most one count frame per second (plus the joins/leaves of the small phases).
      const counts = staying.slice(0, 12).map(({ c }) => c.frames.filter((f) => f.type === 'presence' && f.event === 'count').length);
      expect(Math.max(...counts)).toBeLessThanOrEqual(6);
      const syncs = staying.slice(0, 12).map(({ c }) => c.frames.filter((f) => f.type === 'presence' && f.event === 'sync').length);
      expect(syncs.every((n) => n === 1)).toBe(true);
    });

    it('after the bus subscription is lost and comes back, every member gets the room\'s presence state again', async () => {
      if (kind !== 'redis') return;
      const [a, b] = await members(2, 'resub');
      const admin = createClient({ url: env.redis!.url });
      await admin.connect();
      try {
        await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
      } finally {
        await admin.close();
      }
      for (const { c } of [a, b]) {
        const sync = await c.next((f) => f.type === 'presence' && f.event === 'sync' && f.room === 'resub', 10_000);
        expect(sync.count).toBe(2);
        expect((sync.members as Member[]).map((m) => m.id).sort()).toEqual([a.id, b.id].sort());
      }
    });

    it('members needs the room joined, pages in small rooms too, and refuses a bad cursor or limit', async () => {
      const [{ c }] = await members(1, 'small');
      const other = await TestClient.connect(env.urls[1]);
      clients.push(other);
      await other.hello('other');
      expect(await other.request({ type: 'members', room: 'small' }, 'members')).toMatchObject({ type: 'error', code: 'not_joined' });
      expect(await c.request({ type: 'members', room: 'small', limit: 501 }, 'members')).toMatchObject({ type: 'error', code: 'bad_request' });
      expect(await c.request({ type: 'members', room: 'small', after: 7 }, 'members')).toMatchObject({ type: 'error', code: 'bad_request' });
      const page = await c.request({ type: 'members', room: 'small' }, 'members');
      expect(page).toMatchObject({ type: 'members', room: 'small' });
      expect(page.next).toBeUndefined();
      expect((page.members as Member[]).map((m) => m.name)).toEqual(['u0']);
    });
  });
}
