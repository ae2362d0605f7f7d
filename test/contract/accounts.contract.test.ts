// Contract of Accounts (app/src/accounts/accounts.ts), run against every implementation; and, on Redis,
// that every key the account, access, session and history stores write expires.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AccountRecord } from '../../app/src/accounts/accounts.js';
import { eventually, factories, keyTtls, record, sleep } from './backends.js';

const rec = (name: string, created = 1_700_000_000_000): AccountRecord =>
  ({ id: `u_${name}-id`, username: name, hash: `$kdf$${name}`, created });

for (const make of factories) {
  const f = make();
  describe(`Accounts contract: ${f.name}`, () => {
    beforeAll(() => f.setup());
    afterAll(() => f.teardown());
    beforeEach(() => f.reset());

    it('creates an account once per username key; any server finds it by key and by id', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const zoe = rec('Zoë');
      expect(await a.accounts.isRegistered('zoë')).toBe(false);
      expect(await a.accounts.create('zoë', zoe)).toBe(true);
      expect(await b.accounts.create('zoë', { ...rec('ZOË'), id: 'u_other' })).toBe(false);
      expect(await b.accounts.find('zoë')).toEqual(zoe);
      expect(await b.accounts.isRegistered('zoë')).toBe(true);
      expect(await b.accounts.byId(zoe.id)).toEqual({ id: zoe.id, name: 'Zoë' });
      // The refused create wrote nothing.
      expect(await b.accounts.byId('u_other')).toBeNull();
      expect(await a.accounts.find('nobody')).toBeNull();
      expect(await a.accounts.byId('u_nobody')).toBeNull();
      expect(await a.accounts.isRegistered('nobody')).toBe(false);
    });

    it('counts failed attempts per key within a window that starts with the first', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      expect(await a.accounts.attempts('ip:1')).toEqual({ count: 0, retryAfterMs: 0 });
      await a.accounts.failed('ip:1', 600);
      await sleep(100);
      await b.accounts.failed('ip:1', 600);
      await b.accounts.failed('acct:zoë', 600);
      const n = await b.accounts.attempts('ip:1');
      expect(n.count).toBe(2);
      expect(n.retryAfterMs).toBeGreaterThan(0);
      expect(n.retryAfterMs).toBeLessThanOrEqual(560);
      expect((await a.accounts.attempts('acct:zoë')).count).toBe(1);
      await sleep(650);
      expect(await a.accounts.attempts('ip:1')).toEqual({ count: 0, retryAfterMs: 0 });
      await a.accounts.failed('ip:1', 600);
      expect((await a.accounts.attempts('ip:1')).count).toBe(1);
    });

    it('replaces an account\'s password hash only while the key is still that account', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const zoe = rec('Zoë');
      await a.accounts.create('zoë', zoe);
      expect(await a.accounts.setHash('zoë', 'u_someone-else', 'scrypt$x')).toBe(false);
      expect(await a.accounts.setHash('nobody', zoe.id, 'scrypt$x')).toBe(false);
      expect((await b.accounts.find('zoë'))?.hash).toBe(zoe.hash);
      expect(await a.accounts.setHash('zoë', zoe.id, 'scrypt$new')).toBe(true);
      expect(await b.accounts.find('zoë')).toEqual({ ...zoe, hash: 'scrypt$new' });
    });

    it('keeps the room list most recent first; re-adding moves a room up; drop takes it off', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const seen = record(b);
      const id = 'u_list';
      expect(await a.accounts.rooms(id)).toEqual([]);
      for (const r of ['one', 'two', 'three']) await a.accounts.addRoom(id, r);
      expect(await b.accounts.rooms(id)).toEqual(['three', 'two', 'one']);
      await a.accounts.addRoom(id, 'one');
      expect(await b.accounts.rooms(id)).toEqual(['one', 'three', 'two']);
      await b.accounts.dropRoom(id, 'three');
      await b.accounts.dropRoom(id, 'not-there');
      expect(await a.accounts.rooms(id)).toEqual(['one', 'two']);
      await a.accounts.markRead(id, 'one', 1); // something that publishes, to know the bus is caught up
      await eventually(() => seen.length >= 1);
      expect(seen).toEqual([{ entry: 'r', kind: 'read', member: id, room: 'one', id: 1 }]);
    });

    it('caps public rooms at accountMaxRooms, oldest first; private rooms and DMs never fall off', async () => {
      const a = await f.server('A', { accountMaxRooms: 3 });
      const me = { id: 'u_me', name: 'Me' };
      const other = { id: 'u_other', name: 'Other' };
      await a.access.create('p--mine', 'Mine', me);
      await a.accounts.addRoom(me.id, 'pub1');
      await a.access.openDm('dm--us', me, other);
      await a.accounts.addRoom(me.id, 'pub2');
      await a.accounts.addRoom(me.id, 'pub3');
      expect(await a.accounts.rooms(me.id)).toEqual(['pub3', 'pub2', 'dm--us', 'pub1', 'p--mine']);
      await a.accounts.addRoom(me.id, 'pub4');
      expect(await a.accounts.rooms(me.id)).toEqual(['pub4', 'pub3', 'pub2', 'dm--us', 'p--mine']);
      await a.accounts.addRoom(me.id, 'pub2');
      await a.accounts.addRoom(me.id, 'pub5');
      expect(await a.accounts.rooms(me.id)).toEqual(['pub5', 'pub2', 'pub4', 'dm--us', 'p--mine']);
    });

    it('moves read markers up only and publishes r on any server only when one moved', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const seen = record(b);
      const id = 'u_reader';
      expect(await a.accounts.reads(id)).toEqual({});
      // Only rooms on the account's list keep a marker (so markers are bounded by the list).
      expect(await a.accounts.markRead(id, 'lobby', 5)).toBe(0);
      await a.accounts.addRoom(id, 'lobby');
      await a.accounts.addRoom(id, 'p--x');
      expect(await a.accounts.markRead(id, 'lobby', 5)).toBe(5);
      expect(await b.accounts.markRead(id, 'lobby', 3)).toBe(5);
      expect(await b.accounts.markRead(id, 'lobby', 5)).toBe(5);
      expect(await a.accounts.markRead(id, 'p--x', 2)).toBe(2);
      expect(await a.accounts.markRead(id, 'lobby', 9)).toBe(9);
      expect(await b.accounts.reads(id)).toEqual({ lobby: 9, 'p--x': 2 });
      await eventually(() => seen.length >= 3);
      await sleep(50);
      expect(seen).toEqual([
        { entry: 'r', kind: 'read', member: id, room: 'lobby', id: 5 },
        { entry: 'r', kind: 'read', member: id, room: 'p--x', id: 2 },
        { entry: 'r', kind: 'read', member: id, room: 'lobby', id: 9 },
      ]);
      // A room taken off the list takes its marker with it.
      await b.accounts.dropRoom(id, 'lobby');
      expect(await a.accounts.reads(id)).toEqual({ 'p--x': 2 });
    });

    it('mentions: the ids of messages that named the account, per room, the newest 20 kept, shared by every server', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const id = 'u_mentioned';
      expect(await a.accounts.mentions(id)).toEqual({});
      for (let i = 1; i <= 25; i++) await (i % 2 ? a : b).accounts.addMention(id, 'lobby', i);
      await a.accounts.addMention(id, 'p--x', 7);
      expect(await b.accounts.mentions(id)).toEqual({ lobby: Array.from({ length: 20 }, (_, i) => i + 6), 'p--x': [7] });
    });

    it('a public room that falls off the capped list loses its marker', async () => {
      const a = await f.server('A', { accountMaxRooms: 1 });
      const id = 'u_capped';
      await a.accounts.addRoom(id, 'old');
      expect(await a.accounts.markRead(id, 'old', 4)).toBe(4);
      await a.accounts.addRoom(id, 'new');
      expect(await a.accounts.rooms(id)).toEqual(['new']);
      expect(await a.accounts.reads(id)).toEqual({});
    });

    it('an account unused for ACCOUNT_TTL_SEC is gone with its room list and read markers', async () => {
      const a = await f.server('A', { accountTtlSec: 1 });
      const zoe = rec('zoe');
      await a.accounts.create('zoe', zoe);
      await a.accounts.addRoom(zoe.id, 'lobby');
      await a.accounts.markRead(zoe.id, 'lobby', 3);
      await sleep(1300);
      expect(await a.accounts.find('zoe')).toBeNull();
      expect(await a.accounts.byId(zoe.id)).toBeNull();
      expect(await a.accounts.isRegistered('zoe')).toBe(false);
      expect(await a.accounts.rooms(zoe.id)).toEqual([]);
      expect(await a.accounts.reads(zoe.id)).toEqual({});
      // The name is free again.
      expect(await a.accounts.create('zoe', rec('zoe'))).toBe(true);
    });

    it('touch keeps the account, its room list and read markers for another ACCOUNT_TTL_SEC', async () => {
      const a = await f.server('A', { accountTtlSec: 2 });
      const zoe = rec('zoe');
      await a.accounts.create('zoe', zoe);
      await a.accounts.addRoom(zoe.id, 'lobby');
      await a.accounts.markRead(zoe.id, 'lobby', 3);
      await sleep(1200);
      await a.accounts.touch(zoe.id, 'zoe');
      await sleep(1200);
      expect(await a.accounts.byId(zoe.id)).toEqual({ id: zoe.id, name: 'zoe' });
      expect(await a.accounts.rooms(zoe.id)).toEqual(['lobby']);
      expect(await a.accounts.reads(zoe.id)).toEqual({ lobby: 3 });
      expect(await a.accounts.find('zoe')).toEqual(zoe);
    });

    it.runIf(f.redisUrl)('every key the account, access, session and history stores write has a TTL', async () => {
      const a = await f.server('A');
      const zoe = rec('zoe');
      const bob = { id: 'u_bob', name: 'Bob' };
      const me = { id: zoe.id, name: zoe.username };
      await a.accounts.create('zoe', zoe);
      await a.accounts.find('zoe');
      await a.accounts.touch(zoe.id, 'zoe');
      await a.accounts.failed('ip:127.0.0.1', 60_000);
      await a.accounts.failed('acct:zoe', 60_000);
      await a.accounts.addRoom(zoe.id, 'lobby');
      await a.accounts.addRoom(zoe.id, 'gone');
      await a.accounts.dropRoom(zoe.id, 'gone');
      await a.accounts.markRead(zoe.id, 'lobby', 4);
      await a.sessions.save('tok-zoe', me);
      await a.sessions.save('tok-zoe-2', me);
      await a.sessions.save('tok-guest', { id: 'guest-1', name: 'G' });
      await a.limits.take('a:127.0.0.1:kdf', { burst: 10, perSec: 0.1 });
      await a.sessions.resolve('tok-zoe');
      await a.sessions.list(zoe.id);
      await a.sessions.revoke(zoe.id, (await a.sessions.list(zoe.id))[1].digest);
      await a.access.create('p--room', 'Room', me);
      await a.access.invite('p--room', bob, 10);
      await a.access.isMember('p--room', bob.id);
      await a.history.append({ room: 'p--room', cid: 'c1', from: bob, text: 'hi', via: 'A', restricted: true });
      await a.access.remove('p--room', bob.id);
      await a.access.openDm('dm--zb', me, bob);
      await a.history.append({ room: 'dm--zb', cid: 'c2', from: me, text: 'hi', via: 'A', restricted: true });
      await a.history.lastIds(['p--room', 'dm--zb', 'lobby']);
      const ttls = await keyTtls(f.redisUrl!());
      const families = new Set([...ttls.keys()].map((k) => k.replace(/^lc:\{[^}]*\}:/, 'lc:{room}:').replace(/^(lc:[a-z]+:).*$/, '$1')));
      for (const k of ['lc:acct:', 'lc:uid:', 'lc:urooms:', 'lc:reads:', 'lc:usess:', 'lc:fail:', 'lc:lim:', 'lc:session:', 'lc:{room}:acl', 'lc:{room}:aclm']) {
        expect(families).toContain(k);
      }
      const forever = [...ttls].filter(([, ttl]) => ttl <= 0).map(([k]) => k);
      expect(forever).toEqual([]);
    });
  });
}
