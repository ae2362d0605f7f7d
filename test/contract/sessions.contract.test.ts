// Contract of Sessions (app/src/sessions/sessions.ts), run against every implementation.
import { createClient } from 'redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tokenDigest } from '../../app/src/sessions/sessions.js';
import { eventually, factories, record, sleep } from './backends.js';

const zoe = { id: 'u_zoe', name: 'Zoë' };

for (const make of factories) {
  const f = make();
  describe(`Sessions contract: ${f.name}`, () => {
    beforeAll(() => f.setup());
    afterAll(() => f.teardown());
    beforeEach(() => f.reset());

    it('resolves a saved token to the same member on any server', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      await a.sessions.save('tok-1', { id: 'm1', name: 'Zoë <b>' });
      expect(await b.sessions.resolve('tok-1')).toEqual({ id: 'm1', name: 'Zoë <b>' });
    });

    it('returns null for an unknown token', async () => {
      const a = await f.server('A');
      expect(await a.sessions.resolve('nope')).toBeNull();
    });

    it('forgets a token after its TTL', async () => {
      const a = await f.server('A', { sessionTtlSec: 1 });
      await a.sessions.save('short', { id: 'm2', name: 'x' });
      await sleep(1300);
      expect(await a.sessions.resolve('short')).toBeNull();
    });

    it('lists an account\'s sessions oldest first by digest and created time; guests are not listed', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const before = Date.now();
      await a.sessions.save('tok-a', zoe);
      await sleep(5);
      await b.sessions.save('tok-b', zoe);
      await a.sessions.save('tok-guest', { id: 'guest-1', name: 'G' });
      const list = await b.sessions.list(zoe.id);
      expect(list.map((s) => s.digest)).toEqual([tokenDigest('tok-a'), tokenDigest('tok-b')]);
      for (const s of list) {
        expect(s.created).toBeGreaterThanOrEqual(before - 1000);
        expect(s.created).toBeLessThanOrEqual(Date.now() + 1000);
      }
      expect(list[0].created).toBeLessThanOrEqual(list[1].created);
      expect(await a.sessions.list('guest-1')).toEqual([]);
      expect(await a.sessions.list('u_nobody')).toEqual([]);
      expect(await a.sessions.resolve('tok-b')).toEqual(zoe);
    });

    it('drops expired sessions from the list as it is read', async () => {
      const a = await f.server('A', { sessionTtlSec: 3600, sessionFirstTtlSec: 1 });
      await a.sessions.save('tok-short', zoe);
      await sleep(400);
      await a.sessions.save('tok-used', zoe);
      await a.sessions.resolve('tok-used');
      await sleep(1000);
      expect((await a.sessions.list(zoe.id)).map((s) => s.digest)).toEqual([tokenDigest('tok-used')]);
      expect(await a.sessions.revoke(zoe.id, tokenDigest('tok-short').slice(0, 12))).toEqual([]);
    });

    it('keeps at most accountMaxSessions per account: one more revokes the oldest, published as k', async () => {
      const a = await f.server('A', { accountMaxSessions: 2 });
      const b = await f.server('B', { accountMaxSessions: 2 });
      const seen = record(b);
      await a.sessions.save('tok-1', zoe);
      await sleep(3);
      await b.sessions.save('tok-2', zoe);
      await sleep(3);
      await a.sessions.save('tok-g', { id: 'guest-1', name: 'G' });
      await a.sessions.save('tok-3', zoe);
      expect((await b.sessions.list(zoe.id)).map((s) => s.digest)).toEqual([tokenDigest('tok-2'), tokenDigest('tok-3')]);
      expect(await b.sessions.resolve('tok-1')).toBeNull();
      expect(await b.sessions.resolve('tok-3')).toEqual(zoe);
      expect(await b.sessions.resolve('tok-g')).toEqual({ id: 'guest-1', name: 'G' });
      await eventually(() => seen.some((e) => e.entry === 'k' && e.session === tokenDigest('tok-1')));
      expect(seen.filter((e) => e.entry === 'k')).toHaveLength(1);
    });

    it('never renews a session past sessionMaxAgeSec after it was made, however often it is used', async () => {
      const a = await f.server('A', { sessionTtlSec: 3600, sessionMaxAgeSec: 1 });
      await a.sessions.save('tok-old', zoe);
      await a.sessions.save('tok-guest', { id: 'g', name: 'G' });
      for (let i = 0; i < 3; i++) {
        await sleep(250);
        expect(await a.sessions.resolve('tok-old')).toEqual(zoe);
        expect(await a.sessions.resolve('tok-guest')).toEqual({ id: 'g', name: 'G' });
      }
      await sleep(450);
      expect(await a.sessions.resolve('tok-old')).toBeNull();
      expect(await a.sessions.resolve('tok-guest')).toBeNull();
      expect(await a.sessions.list(zoe.id)).toEqual([]);
    });

    it('revokes every session but one; rename keeps the member id and the session\'s creation time', async () => {
      const a = await f.server('A');
      for (const t of ['tok-1', 'tok-2', 'tok-3']) await a.sessions.save(t, zoe);
      const keep = tokenDigest('tok-2');
      expect((await a.sessions.revoke(zoe.id, undefined, keep)).sort()).toEqual([tokenDigest('tok-1'), tokenDigest('tok-3')].sort());
      expect((await a.sessions.list(zoe.id)).map((s) => s.digest)).toEqual([keep]);
      expect(await a.sessions.resolve('tok-2')).toEqual(zoe);
      expect(await a.sessions.rename('tok-unknown', 'X')).toBe(false);
    });

    it('a renamed session still ends at its absolute lifetime (rename does not make it new)', async () => {
      const a = await f.server('A', { sessionTtlSec: 3600, sessionMaxAgeSec: 1 });
      const b = await f.server('B', { sessionTtlSec: 3600, sessionMaxAgeSec: 1 });
      await a.sessions.save('tok-g', { id: 'g1', name: 'Old' });
      await sleep(600);
      expect(await b.sessions.rename('tok-g', 'New')).toBe(true);
      expect(await a.sessions.resolve('tok-g')).toEqual({ id: 'g1', name: 'New' });
      await sleep(600);
      expect(await a.sessions.resolve('tok-g')).toBeNull();
    });

    it('revokes one session by a unique digest prefix, publishing k; an unknown or ambiguous prefix revokes nothing', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const seen = record(b);
      await a.sessions.save('tok-1', zoe);
      await a.sessions.save('tok-2', zoe);
      await a.sessions.save('tok-3', zoe);
      const d2 = tokenDigest('tok-2');
      expect(await b.sessions.revoke(zoe.id, '')).toEqual([]);
      expect(await b.sessions.revoke(zoe.id, 'not-hex')).toEqual([]);
      expect(await b.sessions.revoke('u_other', d2)).toEqual([]);
      expect(await b.sessions.revoke(zoe.id, d2.slice(0, 16))).toEqual([d2]);
      expect(await a.sessions.resolve('tok-2')).toBeNull();
      expect(await a.sessions.resolve('tok-1')).toEqual(zoe);
      expect((await a.sessions.list(zoe.id)).map((s) => s.digest)).toEqual([tokenDigest('tok-1'), tokenDigest('tok-3')]);
      expect(await b.sessions.revoke(zoe.id, d2)).toEqual([]);
      await eventually(() => seen.length >= 1);
      await sleep(50);
      expect(seen).toEqual([{ entry: 'k', kind: 'revoked', member: zoe.id, session: d2 }]);
    });

    it('revokes every session of the account when no prefix is given, one k each', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const seen = record(b);
      await a.sessions.save('tok-1', zoe);
      await a.sessions.save('tok-2', zoe);
      await a.sessions.save('tok-other', { id: 'u_other', name: 'O' });
      const revoked = await a.sessions.revoke(zoe.id);
      const want = [tokenDigest('tok-1'), tokenDigest('tok-2')];
      expect([...revoked].sort()).toEqual([...want].sort());
      expect(await b.sessions.resolve('tok-1')).toBeNull();
      expect(await b.sessions.resolve('tok-2')).toBeNull();
      expect(await b.sessions.resolve('tok-other')).toEqual({ id: 'u_other', name: 'O' });
      expect(await b.sessions.list(zoe.id)).toEqual([]);
      expect(await b.sessions.revoke(zoe.id)).toEqual([]);
      await eventually(() => seen.length >= 2);
      await sleep(50);
      expect(seen).toEqual(revoked.map((d) => ({ entry: 'k', kind: 'revoked', member: zoe.id, session: d })));
    });

    it.runIf(f.redisUrl)('a session in use is put back in its account\'s index should the index have gone', async () => {
      const a = await f.server('A');
      await a.sessions.save('tok-kept', zoe);
      const [before] = await a.sessions.list(zoe.id);
      const admin = createClient({ url: f.redisUrl!() });
      await admin.connect();
      try {
        await admin.del(`lc:usess:${zoe.id}`);
        expect(await a.sessions.list(zoe.id)).toEqual([]);
        expect(await a.sessions.resolve('tok-kept')).toEqual(zoe);
        expect(await a.sessions.list(zoe.id)).toEqual([before]);
        expect(await admin.ttl(`lc:usess:${zoe.id}`)).toBeGreaterThan(0);
      } finally {
        await admin.close();
      }
    });

    it.runIf(f.redisUrl)('still resolves a session stored before `created` existed', async () => {
      const a = await f.server('A');
      const admin = createClient({ url: f.redisUrl!() });
      await admin.connect();
      try {
        await admin.set(`lc:session:${tokenDigest('old-tok')}`, JSON.stringify({ id: 'm-old', name: 'Old' }), { EX: 60 });
      } finally {
        await admin.close();
      }
      expect(await a.sessions.resolve('old-tok')).toEqual({ id: 'm-old', name: 'Old' });
    });
  });
}
