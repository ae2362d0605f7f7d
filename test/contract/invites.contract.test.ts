// Contract of Access's pending invites and parting (app/src/access/access.ts: offer, pending, invited,
// take, part), run against every implementation.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually, factories, keyTtls, record, sleep } from './backends.js';

const owner = { id: 'u_owner', name: 'Owner' };
const bob = { id: 'u_bob', name: 'Bob' };
const carol = { id: 'u_carol', name: 'Carol' };
const DAY = 86_400_000;
const limits = { max: 3, ttlMs: DAY };

/** Waits for the `n` entries the setup published, then forgets them. */
async function settled(seen: unknown[], n: number): Promise<void> {
  await eventually(() => seen.length >= n);
  await sleep(50);
  seen.length = 0;
}

for (const make of factories) {
  const f = make();
  describe(`Access contract (invites, part): ${f.name}`, () => {
    beforeAll(() => f.setup());
    afterAll(() => f.teardown());
    beforeEach(() => f.reset());

    it('an offer is pending, not membership; u for the invitee; every server sees it; a repeat renews it', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const seen = record(b);
      await a.access.create('p--one', 'One', owner);
      await settled(seen, 1);
      await a.access.offer(bob, { room: 'p--one', kind: 'private', title: 'One', from: owner }, limits);
      expect(await b.access.isMember('p--one', bob.id)).toBe(false);
      expect(await b.accounts.rooms(bob.id)).toEqual([]);
      expect((await b.access.get('p--one'))?.members).toEqual([owner]);
      const [inv] = await b.access.pending(bob.id);
      expect(inv).toMatchObject({ room: 'p--one', kind: 'private', title: 'One', from: owner });
      expect(inv.expires - inv.at).toBe(DAY);
      expect(Math.abs(inv.at - Date.now())).toBeLessThan(5000);
      expect(await b.access.invited('p--one')).toEqual([bob]);
      expect(await b.access.pending(owner.id)).toEqual([]);
      await b.access.offer(bob, { room: 'p--one', kind: 'private', title: 'One', from: owner }, limits);
      const again = await a.access.pending(bob.id);
      expect(again).toHaveLength(1);
      expect(again[0].at).toBeGreaterThan(inv.at);
      await eventually(() => seen.length >= 2);
      await sleep(50);
      expect(seen).toEqual([{ entry: 'u', kind: 'rooms', member: bob.id }, { entry: 'u', kind: 'rooms', member: bob.id }]);
    });

    it('keeps at most max per account, newest first: the oldest go from both sides', async () => {
      const a = await f.server('A');
      for (let i = 1; i <= 5; i++) {
        await a.access.offer(bob, { room: `p--r${i}`, kind: 'private', title: `R${i}`, from: owner }, limits);
      }
      await a.access.offer(bob, { room: 'dm--x', kind: 'dm', title: '', from: carol }, limits);
      const list = await a.access.pending(bob.id);
      expect(list.map((i) => i.room)).toEqual(['dm--x', 'p--r5', 'p--r4']);
      expect(list[0]).toMatchObject({ kind: 'dm', title: '', from: carol });
      expect(await a.access.invited('p--r1')).toEqual([]);
      expect(await a.access.invited('p--r3')).toEqual([]);
      expect(await a.access.invited('p--r4')).toEqual([bob]);
      // Another account's invites are its own.
      await a.access.offer(carol, { room: 'p--r4', kind: 'private', title: 'R4', from: owner }, limits);
      expect(await a.access.invited('p--r4')).toEqual([bob, carol]);
      expect((await a.access.pending(bob.id)).length).toBe(3);
    });

    it('take removes the invite from both sides and returns it (once); u only when there was one', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const seen = record(a);
      await a.access.offer(bob, { room: 'p--one', kind: 'private', title: 'One', from: owner }, limits);
      await settled(seen, 1);
      const got = await b.access.take('p--one', bob.id);
      expect(got).toMatchObject({ room: 'p--one', kind: 'private', title: 'One', from: owner });
      expect(await b.access.take('p--one', bob.id)).toBeNull();
      expect(await a.access.take('p--none', bob.id)).toBeNull();
      expect(await a.access.pending(bob.id)).toEqual([]);
      expect(await a.access.invited('p--one')).toEqual([]);
      await eventually(() => seen.length >= 1);
      await sleep(50);
      expect(seen).toEqual([{ entry: 'u', kind: 'rooms', member: bob.id }]);
    });

    it('an invite lapses at its expiry: neither pending nor taken', async () => {
      const a = await f.server('A');
      await a.access.offer(bob, { room: 'p--one', kind: 'private', title: 'One', from: owner }, { max: 3, ttlMs: 300 });
      expect(await a.access.pending(bob.id)).toHaveLength(1);
      await sleep(450);
      expect(await a.access.pending(bob.id)).toEqual([]);
      expect(await a.access.invited('p--one')).toEqual([]);
      expect(await a.access.take('p--one', bob.id)).toBeNull();
    });

    it('part: a member goes (x then u, off its room list); the owner only last, and the room goes with it', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const seen = record(b);
      await a.access.create('p--one', 'One', owner);
      await a.access.invite('p--one', bob, 10);
      await a.access.openDm('dm--ob', owner, bob);
      await settled(seen, 4);
      expect(await a.access.part('p--one', owner.id)).toBe(false);
      expect(await a.access.part('p--one', carol.id)).toBe(false);
      expect(await a.access.part('dm--ob', bob.id)).toBe(false);
      expect(await a.access.part('p--none', bob.id)).toBeNull();
      expect(await a.access.part('p--one', bob.id)).toBe(true);
      expect(await b.access.isMember('p--one', bob.id)).toBe(false);
      expect(await b.accounts.rooms(bob.id)).toEqual(['dm--ob']);
      await a.access.offer(carol, { room: 'p--one', kind: 'private', title: 'One', from: owner }, limits);
      expect(await b.access.part('p--one', owner.id)).toBe(true);
      expect(await b.access.get('p--one')).toBeNull();
      expect(await b.access.invited('p--one')).toEqual([]);
      expect(await b.accounts.rooms(owner.id)).toEqual(['dm--ob']);
      await eventually(() => seen.length >= 5);
      await sleep(50);
      expect(seen).toEqual([
        { entry: 'x', kind: 'removed', room: 'p--one', member: bob.id },
        { entry: 'u', kind: 'rooms', member: bob.id },
        { entry: 'u', kind: 'rooms', member: carol.id },
        { entry: 'x', kind: 'removed', room: 'p--one', member: owner.id },
        { entry: 'u', kind: 'rooms', member: owner.id },
      ]);
    });

    it('invite keys expire (Redis: every key has a TTL)', async () => {
      const a = await f.server('A');
      await a.access.offer(bob, { room: 'p--one', kind: 'private', title: 'One', from: owner }, limits);
      const url = f.redisUrl?.();
      if (!url) return;
      const ttls = await keyTtls(url);
      const ours = [...ttls].filter(([k]) => k.includes('uinv') || k.endsWith(':acli'));
      expect(ours).toHaveLength(2);
      for (const [, ttl] of ours) expect(ttl).toBeGreaterThan(DAY / 1000 - 60);
    });
  });
}
