// Contract of History (app/src/history/history.ts), run against every implementation.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ForbiddenError } from '../../app/src/store/errors.js';
import { createClient } from 'redis';
import { eventually, factories, keyTtls, record, sleep } from './backends.js';

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

    describe('history epoch (docs/protocol.md, "History epoch")', () => {
      const join = (b: Awaited<ReturnType<typeof f.server>>, room: string, after?: number, epoch?: string) =>
        b.history.resume(room, after, 50, epoch === undefined ? {} : { epoch });

      it('a member\'s join gets the room\'s epoch, the same on every server and across appends; other reads carry none', async () => {
        const a = await f.server('A');
        const b = await f.server('B');
        const first = await join(a, 'ep');
        expect(first).toMatchObject({ entries: [], last: 0, truncated: false });
        expect(first.epoch).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
        expect(first.reset).toBeUndefined();
        await send(a, 'ep', 'e1');
        await send(b, 'ep', 'e2');
        const again = await join(b, 'ep', 1, first.epoch);
        expect(again.epoch).toBe(first.epoch);
        expect(again.reset).toBeUndefined();
        expect(again.entries.map((m) => m.id)).toEqual([2]);
        expect(await a.history.resume('ep', 1, 50)).toEqual({ entries: [again.entries[0]], last: 2, truncated: false });
        // A room first made by an append has one too, kept by the joins after it.
        await send(a, 'ep2', 'x');
        const e2 = (await join(b, 'ep2')).epoch;
        expect(e2).toBeTruthy();
        expect(e2).not.toBe(first.epoch);
        expect((await join(a, 'ep2', 0, e2)).epoch).toBe(e2);
      });

      it('a lost history gets a new epoch; a resume with the old one is told (reset) and gets the fresh window', async () => {
        const a = await f.server('A');
        const b = await f.server('B');
        for (let i = 0; i < 3; i++) await send(a, 'lost', `l${i}`);
        const before = await join(a, 'lost');
        await f.loseRoom('lost');
        const told = await join(b, 'lost', 3, before.epoch);
        expect(told).toMatchObject({ entries: [], last: 0, truncated: true, reset: true });
        expect(told.epoch).toBeTruthy();
        expect(told.epoch).not.toBe(before.epoch);
        // Ids start again from 1, in the new epoch; a resume within it is an ordinary one.
        expect((await send(a, 'lost', 'n1', 'new one')).id).toBe(1);
        const next = await join(a, 'lost', 0, told.epoch);
        expect(next.reset).toBeUndefined();
        expect(next.epoch).toBe(told.epoch);
        expect(next.entries.map((m) => JSON.parse(m.json).text)).toEqual(['new one']);
        // The old epoch again, after the new history has messages: the newest window, reset.
        await send(a, 'lost', 'n2');
        const stale = await join(b, 'lost', 1, before.epoch);
        expect(stale).toMatchObject({ last: 2, truncated: true, reset: true, epoch: told.epoch });
        expect(stale.entries.map((m) => m.id)).toEqual([1, 2]);
      });

      it('an after beyond the room\'s last id, with the epoch, is a reset too; without an epoch, a join is as before', async () => {
        const a = await f.server('A');
        for (let i = 0; i < 2; i++) await send(a, 'gone', `g${i}`);
        const { epoch } = await join(a, 'gone');
        expect(await join(a, 'gone', 7, epoch)).toMatchObject({ last: 2, reset: true, truncated: true, epoch });
        expect((await join(a, 'gone', 7, epoch)).entries.map((m) => m.id)).toEqual([1, 2]);
        // Old clients send no epoch: nothing is compared, the answer is what it always was.
        await f.loseRoom('gone');
        await send(a, 'gone', 'h1');
        const old = await join(a, 'gone', 5);
        expect(old).toMatchObject({ entries: [], last: 1, truncated: false });
        expect(old.reset).toBeUndefined();
        expect(old.epoch).toBeTruthy();
      });

      it.runIf(f.redisUrl)('the epoch key expires with the room\'s keys, and never outlives its seq counter', async () => {
        const a = await f.server('A', { roomTtlSec: 1000 });
        await join(a, 'ttl-new');
        await send(a, 'ttl', 't1');
        const ttls = await keyTtls(f.redisUrl!());
        expect(ttls.get('lc:{ttl}:epoch')).toBe(ttls.get('lc:{ttl}:seq'));
        expect(ttls.get('lc:{ttl-new}:epoch')).toBeGreaterThan(990);
        // A room from before epochs (seq, no epoch): the epoch a join makes expires with the seq.
        const admin = createClient({ url: f.redisUrl!() });
        await admin.connect();
        await admin.set('lc:{ttl-old}:seq', '4', { EX: 500 });
        await admin.close();
        await join(a, 'ttl-old', 4, 'whatever');
        const later = await keyTtls(f.redisUrl!());
        expect(later.get('lc:{ttl-old}:epoch')).toBeGreaterThan(0);
        expect(later.get('lc:{ttl-old}:epoch')).toBeLessThanOrEqual(500);
      });
    });
  });
}
