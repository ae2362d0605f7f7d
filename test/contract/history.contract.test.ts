// Contract of History (app/src/history/history.ts), run against every implementation.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ForbiddenError } from '../../app/src/store/errors.js';
import { eventually, factories, record, sleep } from './backends.js';

const alice = { id: 'm-alice', name: 'Alice' };

for (const make of factories) {
  const f = make();
  describe(`History contract: ${f.name}`, () => {
    beforeAll(() => f.setup());
    afterAll(() => f.teardown());
    beforeEach(() => f.reset());

    const send = (b: Awaited<ReturnType<typeof f.server>>, room: string, cid: string, text = `t-${cid}`) =>
      b.history.append({ room, cid, from: alice, text, via: 'A' });

    it('gives contiguous ids from 1 per room, independent across rooms', async () => {
      const b = await f.server('A');
      expect((await send(b, 'r1', 'a')).id).toBe(1);
      expect((await send(b, 'r1', 'b')).id).toBe(2);
      expect((await send(b, 'r2', 'c')).id).toBe(1);
      expect((await send(b, 'r1', 'd')).id).toBe(3);
    });

    it('gives unique contiguous ids to concurrent sends from several servers', async () => {
      const servers = [await f.server('A'), await f.server('B'), await f.server('C')];
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => send(servers[i % 3], 'busy', `c${i}`)));
      expect(results.map((r) => r.id).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    });

    it('publishes each stored message once, exactly as stored, in id order', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const seen = record(b);
      for (let i = 0; i < 5; i++) await send(a, 'pub', `p${i}`);
      await eventually(() => seen.length >= 5);
      expect(seen.map((m) => m.id)).toEqual([1, 2, 3, 4, 5]);
      const stored = await b.history.page('pub', { limit: 10 });
      expect(stored.map((m) => JSON.parse(m.json))).toEqual(seen);
      const m = seen[0];
      expect(m).toMatchObject({ type: 'message', room: 'pub', id: 1, from: alice, text: 't-p0', cid: 'p0', via: 'A' });
      expect(typeof m.ts).toBe('number');
    });

    it('a repeated cid, from any server, returns the same id and ts and publishes nothing', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const seen = record(a);
      const first = await send(a, 'dup', 'same');
      const again = await send(b, 'dup', 'same', 'different text');
      expect(first.duplicate).toBe(false);
      expect(again).toEqual({ id: first.id, ts: first.ts, duplicate: true });
      await send(a, 'dup', 'next');
      await eventually(() => seen.length >= 2);
      expect(seen.map((m) => m.cid)).toEqual(['same', 'next']);
      expect((await a.history.page('dup', { limit: 10 })).map((m) => m.id)).toEqual([1, 2]);
    });

    it('keeps only the newest N and reports truncated resumes', async () => {
      const b = await f.server('A', { historyMax: 5 });
      for (let i = 0; i < 8; i++) await send(b, 'small', `s${i}`);
      const latest = await b.history.resume('small', undefined, 50);
      expect(latest.entries.map((m) => m.id)).toEqual([4, 5, 6, 7, 8]);
      expect(latest.last).toBe(8);
      expect(latest.truncated).toBe(false);
      const fromOld = await b.history.resume('small', 1, 50);
      expect(fromOld.truncated).toBe(true);
      expect(fromOld.entries.map((m) => m.id)).toEqual([4, 5, 6, 7, 8]);
      const fromKept = await b.history.resume('small', 3, 50);
      expect(fromKept.truncated).toBe(false);
      expect(fromKept.entries.map((m) => m.id)).toEqual([4, 5, 6, 7, 8]);
      const fromLast = await b.history.resume('small', 8, 50);
      expect(fromLast).toEqual({ entries: [], last: 8, truncated: false });
    });

    it('resume without after returns the newest `latest`; an empty room has last 0', async () => {
      const b = await f.server('A');
      expect(await b.history.resume('empty', undefined, 50)).toEqual({ entries: [], last: 0, truncated: false });
      expect(await b.history.resume('empty', 0, 50)).toEqual({ entries: [], last: 0, truncated: false });
      for (let i = 0; i < 10; i++) await send(b, 'ten', `x${i}`);
      const r = await b.history.resume('ten', undefined, 3);
      expect(r.entries.map((m) => m.id)).toEqual([8, 9, 10]);
      expect((await b.history.resume('ten', undefined, 0)).entries).toEqual([]);
    });

    it('pages before and after an id, ascending, bounded by limit', async () => {
      const b = await f.server('A');
      for (let i = 0; i < 10; i++) await send(b, 'pages', `y${i}`);
      const ids = async (q: { before?: number; after?: number; limit: number }) =>
        (await b.history.page('pages', q)).map((m) => m.id);
      expect(await ids({ limit: 3 })).toEqual([8, 9, 10]);
      expect(await ids({ before: 5, limit: 3 })).toEqual([2, 3, 4]);
      expect(await ids({ before: 2, limit: 3 })).toEqual([1]);
      expect(await ids({ after: 5, limit: 3 })).toEqual([6, 7, 8]);
      expect(await ids({ after: 10, limit: 3 })).toEqual([]);
    });

    it('stores text with quotes, backslashes, unicode and markup intact', async () => {
      const b = await f.server('A');
      const text = 'say "hi" \\ <script>alert(1)</script> ✓ 😀 \u2028';
      await send(b, 'weird', 'w1', text);
      const [m] = await b.history.page('weird', { limit: 1 });
      expect(JSON.parse(m.json).text).toBe(text);
    });

    it('countAfter counts each room\'s kept messages after an id, updates left out', async () => {
      const b = await f.server('A');
      for (let i = 0; i < 4; i++) await send(b, 'ca', `x${i}`);
      await b.history.append({ kind: 'react', room: 'ca', cid: 'r1', from: alice, via: 'A', target: 1, emoji: '👍', on: true });
      expect(await b.history.countAfter([['ca', 0], ['ca', 2], ['ca', 5], ['none', 0]])).toEqual([4, 2, 0, 0]);
      expect(await b.history.countAfter([])).toEqual([]);
    });

    it('lastIds gives each room\'s newest id (0 for none) in the order asked', async () => {
      const a = await f.server('A');
      const b = await f.server('B', { historyMax: 2 });
      for (let i = 0; i < 3; i++) await send(a, 'la', `a${i}`);
      await send(b, 'lb', 'b0');
      for (let i = 0; i < 4; i++) await send(b, 'la', `c${i}`);
      expect(await b.history.lastIds(['lb', 'none', 'la', 'lb'])).toEqual([1, 0, 7, 1]);
      expect(await a.history.lastIds([])).toEqual([]);
    });

    it('a restricted append stores only a member\'s message: ForbiddenError otherwise, nothing stored or published', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const owner = { id: 'u_owner', name: 'Owner' };
      const bob = { id: 'u_bob', name: 'Bob' };
      await a.access.create('p--sec', 'Secret', owner);
      await a.access.invite('p--sec', bob, 10);
      const seen = record(b);
      const post = (from: typeof bob, cid: string, room = 'p--sec') =>
        b.history.append({ room, cid, from, text: `t-${cid}`, via: 'B', restricted: true });
      await expect(post(alice, 'x1')).rejects.toBeInstanceOf(ForbiddenError);
      await expect(post(alice, 'x2', 'p--none')).rejects.toBeInstanceOf(ForbiddenError);
      await expect(post(alice, 'x3', 'dm--none')).rejects.toBeInstanceOf(ForbiddenError);
      expect(await post(bob, 'b1')).toMatchObject({ id: 1, duplicate: false });
      expect(await post(owner, 'o1')).toMatchObject({ id: 2, duplicate: false });
      await a.access.remove('p--sec', bob.id);
      await expect(post(bob, 'b2')).rejects.toBeInstanceOf(ForbiddenError);
      // Even a repeat of a cid that was stored while a member.
      await expect(post(bob, 'b1')).rejects.toBeInstanceOf(ForbiddenError);
      await a.access.openDm('dm--ab', alice, bob);
      expect(await post(alice, 'd1', 'dm--ab')).toMatchObject({ id: 1 });
      expect((await a.history.page('p--sec', { limit: 10 })).map((m) => m.cid)).toEqual(['b1', 'o1']);
      expect(await a.history.lastIds(['p--sec', 'p--none', 'dm--none', 'dm--ab'])).toEqual([2, 0, 0, 1]);
      await eventually(() => seen.filter((m) => m.type === 'message').length >= 3);
      await sleep(50);
      expect(seen.filter((m) => m.type === 'message').map((m) => m.cid)).toEqual(['b1', 'o1', 'd1']);
    });
  });
}
