// Contract of Presence (app/src/presence/presence.ts), run against every implementation.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeEntry } from '../../app/src/bus/envelope.js';
import { presenceFrame } from '../../app/src/protocol/encode.js';
import type { Member } from '../../app/src/protocol/messages.js';
import { eventually, factories, record, sleep } from './backends.js';

const alice = { id: 'm-alice', name: 'Alice' };
const bob = { id: 'm-bob', name: 'Bob' };
const many = (n: number, prefix = 'u') =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${String(i).padStart(5, '0')}`, name: `N${i}` }));

for (const make of factories) {
  const f = make();
  describe(`Presence contract: ${f.name}`, () => {
    beforeAll(() => f.setup());
    afterAll(() => f.teardown());
    beforeEach(() => f.reset());

    const events = (seen: Array<Record<string, unknown>>) =>
      seen.filter((e) => e.type === 'presence').map((e) =>
        (e.event === 'join' || e.event === 'leave' ? `${e.event}:${(e.member as Member).name}` : `${e.event}:${e.count}`));
    const all = async (p: { page: (r: string, a: string | undefined, l: number) => Promise<{ members: Member[]; next?: string }> }, room: string, limit: number) => {
      const out: Member[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await p.page(room, after, limit);
        out.push(...page.members);
        if (page.next === undefined) return out;
        after = page.next;
      }
    };

    it('lists a member once however many servers hold them, and announces join and leave once, with the count', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const seen = record(a);
      await a.presence.join('room', [alice]);
      await b.presence.join('room', [alice]);
      await b.presence.join('room', [bob]);
      expect(await a.presence.snapshot('room', 10)).toEqual({ count: 2, large: false, members: [alice, bob] });
      expect((await b.presence.snapshot('room', 10)).count).toBe(2);
      await a.presence.leave('room', [alice.id]);
      expect((await b.presence.snapshot('room', 10)).members).toEqual([alice, bob]);
      await b.presence.leave('room', [alice.id]);
      expect(await a.presence.snapshot('room', 10)).toEqual({ count: 1, large: false, members: [bob] });
      await eventually(() => events(seen).length >= 3);
      expect(events(seen)).toEqual(['join:Alice', 'join:Bob', 'leave:Alice']);
      expect(seen[0]).toEqual({ type: 'presence', room: 'room', event: 'join', member: alice, count: 1 });
    });

    it('joining again publishes nothing; leaving twice publishes one leave', async () => {
      const a = await f.server('A');
      const seen = record(a);
      await a.presence.join('r', [alice]);
      await a.presence.join('r', [alice]);
      await a.presence.leave('r', [alice.id]);
      await a.presence.leave('r', [alice.id]);
      await sleep(50);
      expect(events(seen)).toEqual(['join:Alice', 'leave:Alice']);
    });

    it('frames published by the store are byte for byte what presenceFrame encodes', async () => {
      const a = await f.server('A', { largeRoomThreshold: 2, smallAgainAt: 1 });
      const raw: string[] = [];
      a.bus.subscribe((p) => raw.push(p));
      await a.presence.join('r', [{ id: 'q"1', name: 'Zoë "the" \\ one' }, alice, bob]);
      await a.presence.leave('r', [alice.id, bob.id]);
      await eventually(() => raw.length >= 5);
      for (const p of raw) {
        const e = decodeEntry(p);
        expect(e).not.toBeNull();
        if (e && (e.kind === 'presence' || e.kind === 'sync')) expect(e.frame).toBe(presenceFrame(JSON.parse(e.frame)));
      }
      expect(raw.map((p) => p[0])).toEqual(['p', 'p', 'c', 'c', 's']);
    });

    it('a server that stops beating loses its entries at the sweep of any server, with one leave each', async () => {
      const dead = await f.server('DEAD', { presenceTtlMs: 300 });
      const live = await f.server('LIVE', { presenceTtlMs: 300 });
      const seen = record(live);
      await dead.presence.heartbeat();
      await live.presence.heartbeat();
      await dead.presence.join('r', [alice]);
      await dead.presence.join('r2', [alice]);
      await live.presence.join('r', [bob]);
      await sleep(200);
      await live.presence.heartbeat(); // live beats, dead does not
      await live.presence.sweep();
      expect((await live.presence.snapshot('r', 10)).count).toBe(2);
      await sleep(200);
      await live.presence.heartbeat();
      await live.presence.sweep();
      expect(await live.presence.snapshot('r', 10)).toEqual({ count: 1, large: false, members: [bob] });
      expect((await live.presence.snapshot('r2', 10)).count).toBe(0);
      await eventually(() => events(seen).filter((e) => e === 'leave:Alice').length === 2);
      await live.presence.sweep();
      await sleep(30);
      expect(events(seen).filter((e) => e === 'leave:Alice')).toHaveLength(2);
    });

    it('a member held by a live server survives the sweep of a dead one holding it too', async () => {
      const a = await f.server('A', { presenceTtlMs: 200 });
      const b = await f.server('B', { presenceTtlMs: 200 });
      const seen = record(b);
      await a.presence.heartbeat();
      await a.presence.join('r', [alice]);
      await b.presence.join('r', [alice]);
      await sleep(300);
      await b.presence.heartbeat();
      await b.presence.sweep();
      expect((await b.presence.snapshot('r', 10)).members).toEqual([alice]);
      await sleep(30);
      expect(events(seen)).toEqual(['join:Alice']);
    });

    it('heartbeat says when the server was missing or stale, so it can re-assert its members', async () => {
      const a = await f.server('A', { presenceTtlMs: 200 });
      expect(await a.presence.heartbeat()).toBe(true); // first beat: new
      expect(await a.presence.heartbeat()).toBe(false);
      await sleep(300);
      expect(await a.presence.heartbeat()).toBe(true); // stale: others may have swept it
    });

    it('retire lets a server\'s entries lapse after the given time (shutdown grace)', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const seen = record(b);
      await a.presence.heartbeat();
      await b.presence.heartbeat();
      await a.presence.join('r', [alice, bob]);
      await a.presence.retire(150);
      await b.presence.join('r', [bob]); // bob reconnected elsewhere within the grace
      await b.presence.sweep();
      expect((await b.presence.snapshot('r', 10)).count).toBe(2);
      await sleep(250);
      await b.presence.sweep();
      expect((await b.presence.snapshot('r', 10)).members).toEqual([bob]);
      await eventually(() => events(seen).includes('leave:Alice'));
      expect(events(seen)).toEqual(['join:Alice', 'join:Bob', 'leave:Alice']);
    });

    it('pages return every member exactly once in ascending id; snapshot gives the count and the first page', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const members = many(1234);
      await a.presence.join('big', members.slice(0, 700));
      await b.presence.join('big', members.slice(500)); // 200 held by both
      const snap = await a.presence.snapshot('big', 200);
      expect(snap.count).toBe(1234);
      expect(snap.members).toEqual(members.slice(0, 200));
      const listed = await all(b.presence, 'big', 500);
      expect(listed).toEqual(members);
      const page = await a.presence.page('big', members[1232].id, 10);
      expect(page).toEqual({ members: [members[1233]] });
      expect(await a.presence.page('big', undefined, 1234)).toEqual({ members });
      expect(await a.presence.page('nobody', undefined, 10)).toEqual({ members: [] });
      // `after` need not be a current member: the page starts at the next id
      expect((await a.presence.page('big', 'u00099x', 2)).members.map((m) => m.id)).toEqual(['u00100', 'u00101']);
    });

    it('large rooms: counts instead of join/leave past the threshold; one sync when small again; the same on every server', async () => {
      const opts = { largeRoomThreshold: 5, smallAgainAt: 3 };
      const a = await f.server('A', opts);
      const b = await f.server('B', opts);
      const seenA = record(a);
      const seenB = record(b);
      const m = many(8);
      for (const x of m.slice(0, 5)) await a.presence.join('r', [x]);
      await b.presence.join('r', [m[5]]); // 6 > 5: large
      await b.presence.join('r', [m[6], m[7]]);
      await a.presence.leave('r', [m[0].id]); // 7
      await a.presence.leave('r', [m[1].id, m[2].id]); // 6, 5
      await b.presence.leave('r', [m[5].id]); // 4
      await b.presence.leave('r', [m[6].id]); // 3: small again
      await a.presence.leave('r', [m[3].id]); // 2
      await b.presence.join('r', [alice]); // 3
      await eventually(() => seenA.length >= 14 && seenB.length >= 14);
      expect(events(seenA)).toEqual([
        'join:N0', 'join:N1', 'join:N2', 'join:N3', 'join:N4',
        'count:6', 'count:7', 'count:8', 'count:7', 'count:6', 'count:5', 'count:4', 'sync:3',
        'leave:N3', 'join:Alice',
      ]);
      expect(seenB).toEqual(seenA);
      const sync = seenA.find((e) => e.event === 'sync')!;
      expect(sync.members).toEqual([m[3], m[4], m[7]]);
      expect(seenA.at(-1)).toEqual({ type: 'presence', room: 'r', event: 'join', member: alice, count: 3 });
    });

    it('lists of thousands in one step: a 9,000-member first page, and a sync of 5,000 when a large room turns small', async () => {
      const a = await f.server('A', { largeRoomThreshold: 5000, smallAgainAt: 5000 });
      const seen = record(a);
      const members = many(9000);
      await a.presence.join('huge', members.slice(0, 5001));
      const snap = await a.presence.snapshot('huge', 9000);
      expect(snap).toMatchObject({ count: 5001, large: true });
      expect(snap.members).toHaveLength(5001);
      await a.presence.leave('huge', [members[0].id]); // 5000: small again, one sync with all 5,000
      await eventually(() => seen.some((e) => e.event === 'sync'));
      expect((seen.find((e) => e.event === 'sync')!.members as Member[]).length).toBe(5000);
      await a.presence.join('huge', members.slice(5001));
      expect((await a.presence.page('huge', undefined, 500)).members).toHaveLength(500);
      expect((await a.presence.snapshot('huge', 9000)).members).toHaveLength(8999);
    });

    it('keeps rooms apart', async () => {
      const a = await f.server('A');
      await a.presence.join('one', [alice]);
      await a.presence.join('two', [bob]);
      expect((await a.presence.snapshot('one', 10)).members).toEqual([alice]);
      expect((await a.presence.snapshot('two', 10)).members).toEqual([bob]);
      expect(await a.presence.snapshot('three', 10)).toEqual({ count: 0, large: false, members: [] });
    });
  });
}
