// The memory stores' TTLs on an injected clock (the contract suites check the same rules against real time).
import { describe, expect, it } from 'vitest';
import { MemoryAccess, MemoryAccessState } from '../../app/src/access/memory-access.js';
import { MemoryAccounts, MemoryAccountsState } from '../../app/src/accounts/memory-accounts.js';
import { MemoryHistory, MemoryHistoryState } from '../../app/src/history/memory-history.js';
import { MemorySessions, MemorySessionsState } from '../../app/src/sessions/memory-sessions.js';
import { ForbiddenError } from '../../app/src/store/errors.js';

function world() {
  const clock = { t: 1_000_000 };
  const now = () => clock.t;
  const published: string[] = [];
  const publish = (p: string) => { published.push(p); };
  const accountsState = new MemoryAccountsState();
  const accessState = new MemoryAccessState();
  return {
    clock,
    published,
    accounts: new MemoryAccounts(publish, { accountTtlMs: 10_000, maxRooms: 2 }, accountsState, now),
    access: new MemoryAccess(publish, { roomTtlMs: 5_000, accountTtlMs: 10_000 }, accessState, accountsState, now),
    sessions: new MemorySessions(publish, { ttlMs: 8_000, firstTtlMs: 1_000, accountTtlMs: 10_000 }, new MemorySessionsState(), accountsState, now),
    history: new MemoryHistory(publish, { max: 100, maxBytes: 1 << 20, dedupTtlMs: 60_000 }, new MemoryHistoryState(), accessState, now),
  };
}

const rec = { id: 'u_z', username: 'Zoe', hash: 'h', created: 1 };

describe('memory account stores on a clock', () => {
  it('an account and its lists expire after the TTL unless touched', async () => {
    const w = world();
    await w.accounts.create('zoe', rec);
    await w.accounts.addRoom(rec.id, 'lobby');
    await w.accounts.markRead(rec.id, 'lobby', 2);
    w.clock.t += 9_000;
    await w.accounts.touch(rec.id, 'zoe');
    w.clock.t += 9_000;
    expect(await w.accounts.byId(rec.id)).toEqual({ id: rec.id, name: 'Zoe' });
    expect(await w.accounts.rooms(rec.id)).toEqual(['lobby']);
    expect(await w.accounts.reads(rec.id)).toEqual({ lobby: 2 });
    w.clock.t += 1_000;
    expect(await w.accounts.find('zoe')).toBeNull();
    expect(await w.accounts.rooms(rec.id)).toEqual([]);
    expect(await w.accounts.reads(rec.id)).toEqual({});
  });

  it('a failure window starts with the first failure and reports the time left', async () => {
    const w = world();
    await w.accounts.failed('ip:1', 3_000);
    w.clock.t += 1_000;
    await w.accounts.failed('ip:1', 3_000);
    expect(await w.accounts.attempts('ip:1')).toEqual({ count: 2, retryAfterMs: 2_000 });
    w.clock.t += 2_000;
    expect(await w.accounts.attempts('ip:1')).toEqual({ count: 0, retryAfterMs: 0 });
  });

  it('an access list expires ROOM_TTL after its last use; a restricted append renews it and is refused once it is gone', async () => {
    const w = world();
    const me = { id: rec.id, name: 'Zoe' };
    await w.access.create('p--a', 'A', me);
    w.clock.t += 4_000;
    await w.history.append({ room: 'p--a', cid: 'c1', from: me, text: 't', via: 'A', restricted: true });
    w.clock.t += 4_000;
    expect(await w.access.isMember('p--a', me.id)).toBe(true);
    w.clock.t += 5_000;
    expect(await w.access.get('p--a')).toBeNull();
    await expect(w.history.append({ room: 'p--a', cid: 'c2', from: me, text: 't', via: 'A', restricted: true }))
      .rejects.toBeInstanceOf(ForbiddenError);
    expect(await w.history.lastIds(['p--a'])).toEqual([1]);
  });

  it('the session index lists live sessions only; a session in use stays listed', async () => {
    const w = world();
    const me = { id: rec.id, name: 'Zoe' };
    await w.sessions.save('t1', me);
    w.clock.t += 500;
    await w.sessions.save('t2', me);
    await w.sessions.resolve('t2');
    w.clock.t += 600;
    expect((await w.sessions.list(me.id)).map((s) => s.created)).toEqual([1_000_500]);
    // A session in use keeps the index (no touch needed) past the index's first TTL.
    for (let i = 0; i < 4; i++) {
      w.clock.t += 7_000;
      await w.sessions.resolve('t2');
    }
    expect((await w.sessions.list(me.id)).map((s) => s.created)).toEqual([1_000_500]);
    w.clock.t += 8_000;
    expect(await w.sessions.list(me.id)).toEqual([]);
  });
});
