// Contract of Access (app/src/access/access.ts), run against every implementation.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually, factories, record, sleep } from './backends.js';

const owner = { id: 'u_owner', name: 'Owner' };
const bob = { id: 'u_bob', name: 'Bob' };
const carol = { id: 'u_carol', name: 'Carol' };
const dave = { id: 'u_dave', name: 'Dave' };

for (const make of factories) {
  const f = make();
  describe(`Access contract: ${f.name}`, () => {
    beforeAll(() => f.setup());
    afterAll(() => f.teardown());
    beforeEach(() => f.reset());

    it('creates a private room owned by its first member, once; every server sees it', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const seen = record(b);
      const acl = await a.access.create('p--one', 'Plans <b>', owner);
      const want = { room: 'p--one', kind: 'private', title: 'Plans <b>', owner: owner.id, members: [owner] };
      expect(acl).toEqual(want);
      expect(await b.access.get('p--one')).toEqual(want);
      await expect(b.access.create('p--one', 'Again', bob)).rejects.toThrow();
      expect(await a.access.get('p--one')).toEqual(want);
      expect(await b.accounts.rooms(owner.id)).toEqual(['p--one']);
      expect(await b.accounts.rooms(bob.id)).toEqual([]);
      expect(await a.access.isMember('p--one', owner.id)).toBe(true);
      expect(await a.access.isMember('p--one', bob.id)).toBe(false);
      expect(await a.access.isMember('p--none', owner.id)).toBe(false);
      expect(await a.access.get('p--none')).toBeNull();
      await eventually(() => seen.length >= 1);
      await sleep(50);
      expect(seen).toEqual([{ entry: 'u', kind: 'rooms', member: owner.id }]);
    });

    it('opens a DM once (u for both only then); members in ascending id, no owner, no title', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const seen = record(a);
      const first = await a.access.openDm('dm--cb', carol, bob);
      const want = { room: 'dm--cb', kind: 'dm', title: '', members: [bob, carol] };
      expect(first).toEqual(want);
      expect(await b.access.openDm('dm--cb', bob, carol)).toEqual(want);
      expect(await b.access.get('dm--cb')).toEqual(want);
      expect(await a.accounts.rooms(bob.id)).toEqual(['dm--cb']);
      expect(await a.accounts.rooms(carol.id)).toEqual(['dm--cb']);
      expect(await b.access.isMember('dm--cb', bob.id)).toBe(true);
      expect(await b.access.isMember('dm--cb', dave.id)).toBe(false);
      // A DM takes no invitations and no removals.
      expect(await a.access.invite('dm--cb', dave, 10)).toEqual(want);
      expect(await a.access.remove('dm--cb', bob.id)).toEqual(want);
      await eventually(() => seen.length >= 2);
      await sleep(50);
      expect(seen).toEqual([
        { entry: 'u', kind: 'rooms', member: carol.id },
        { entry: 'u', kind: 'rooms', member: bob.id },
      ]);
    });

    it('invites up to maxMembers, publishing u for each member added', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const seen = record(b);
      await a.access.create('p--cap', 'Cap', owner);
      expect((await a.access.invite('p--cap', carol, 3))?.members).toEqual([carol, owner]);
      // Already on: nothing changes, nothing published.
      expect((await b.access.invite('p--cap', carol, 3))?.members).toEqual([carol, owner]);
      expect((await b.access.invite('p--cap', bob, 3))?.members).toEqual([bob, carol, owner]);
      // Full: the list as it is.
      const full = await a.access.invite('p--cap', dave, 3);
      expect(full).toEqual({ room: 'p--cap', kind: 'private', title: 'Cap', owner: owner.id, members: [bob, carol, owner] });
      expect(await a.access.isMember('p--cap', dave.id)).toBe(false);
      expect(await a.accounts.rooms(dave.id)).toEqual([]);
      expect(await a.accounts.rooms(bob.id)).toEqual(['p--cap']);
      expect(await a.access.invite('p--none', dave, 3)).toBeNull();
      await eventually(() => seen.length >= 3);
      await sleep(50);
      expect(seen).toEqual([
        { entry: 'u', kind: 'rooms', member: owner.id },
        { entry: 'u', kind: 'rooms', member: carol.id },
        { entry: 'u', kind: 'rooms', member: bob.id },
      ]);
    });

    it('removes a member: x then u on every server, off the list and the room list; the owner stays', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const seen = record(b);
      await a.access.create('p--rm', 'Rm', owner);
      await a.access.invite('p--rm', bob, 10);
      await a.accounts.addRoom(bob.id, 'lobby');
      const after = await a.access.remove('p--rm', bob.id);
      expect(after).toEqual({ room: 'p--rm', kind: 'private', title: 'Rm', owner: owner.id, members: [owner] });
      expect(await b.access.isMember('p--rm', bob.id)).toBe(false);
      expect(await b.accounts.rooms(bob.id)).toEqual(['lobby']);
      // Not on the list: nothing published.
      expect((await b.access.remove('p--rm', bob.id))?.members).toEqual([owner]);
      expect((await b.access.remove('p--rm', owner.id))?.members).toEqual([owner]);
      expect(await b.accounts.rooms(owner.id)).toEqual(['p--rm']);
      expect(await a.access.remove('p--none', bob.id)).toBeNull();
      // Invited again: back on.
      await a.access.invite('p--rm', bob, 10);
      expect(await b.access.isMember('p--rm', bob.id)).toBe(true);
      await eventually(() => seen.length >= 5);
      await sleep(50);
      expect(seen).toEqual([
        { entry: 'u', kind: 'rooms', member: owner.id },
        { entry: 'u', kind: 'rooms', member: bob.id },
        { entry: 'x', kind: 'removed', room: 'p--rm', member: bob.id },
        { entry: 'u', kind: 'rooms', member: bob.id },
        { entry: 'u', kind: 'rooms', member: bob.id },
      ]);
    });

    it('an access list expires ROOM_TTL_SEC after its last use; isMember renews it', async () => {
      const a = await f.server('A', { roomTtlSec: 2 });
      await a.access.create('p--ttl', 'T', owner);
      await a.access.openDm('dm--ttl', owner, bob);
      await sleep(1200);
      expect(await a.access.isMember('p--ttl', owner.id)).toBe(true);
      await sleep(1200);
      expect(await a.access.get('p--ttl')).not.toBeNull();
      expect(await a.access.get('dm--ttl')).toBeNull();
      expect(await a.access.isMember('dm--ttl', owner.id)).toBe(false);
      await sleep(2100);
      expect(await a.access.get('p--ttl')).toBeNull();
      expect(await a.access.isMember('p--ttl', owner.id)).toBe(false);
      expect(await a.access.invite('p--ttl', bob, 10)).toBeNull();
      // The name can be made again.
      expect((await a.access.create('p--ttl', 'New', bob)).owner).toBe(bob.id);
    });
  });
}
