/**
 * Issue 23 ("Hostile internet II"): any account invited anyone, and an invite was membership. 500
 * invites filled the victim's private-room quota — its own `create` and a `dm` to it then failed, and
 * each `rooms` read 500 access lists. Invites are now pending until accepted, bounded per account
 * (ACCOUNT_MAX_INVITES, the oldest dropped) and expire; a member can decline, and part a room.
 * One hostile account, from one address, against a real server process on Redis.
 */
import { describe, expect, it } from 'vitest';
import { TestClient } from '../helpers/ws-client.js';
import { useTarget } from './lib/target.js';

type Frame = Record<string, unknown>;
let rids = 0;

/** Sends `obj` with a fresh rid and waits for the answer carrying it (its reply or an error). */
async function ask(c: TestClient, obj: Frame, timeoutMs = 5000): Promise<Frame> {
  const rid = `r${++rids}`;
  c.send({ ...obj, rid });
  return c.next((f) => f.rid === rid, timeoutMs) as Promise<Frame>;
}

describe('invites (real server process, Redis)', () => {
  const t = useTarget({
    appId: 'sec-invites',
    env: {
      SCRYPT_LOG2_N: '10',
      RATE_LIMIT_BURST: '5000', RATE_LIMIT_PER_SEC: '5000',
      JOIN_RATE_BURST: '2000', JOIN_RATE_PER_SEC: '1000',
      ROOM_CREATE_RATE_BURST: '1000', ROOM_CREATE_RATE_PER_SEC: '1000',
    },
  });

  async function account(username: string): Promise<{ c: TestClient; id: string }> {
    const c = await TestClient.connect(t.srv.url);
    t.open.push(c);
    const w = await ask(c, { type: 'signup', username, password: 'correct horse battery' });
    expect(w).toMatchObject({ type: 'welcome' });
    return { c, id: (w.member as { id: string }).id };
  }

  it('500 hostile invites change nothing for the victim: create, dm and rooms work; it can decline and part', async () => {
    const mallory = await account('mallory');
    const victim = await account('victim');
    const friend = await account('friend');

    const hostile: string[] = [];
    for (let i = 0; i < 500; i++) {
      const r = await ask(mallory.c, { type: 'create', title: `spam ${i}` });
      expect(r).toMatchObject({ type: 'room' });
      hostile.push(r.room as string);
      const inv = await ask(mallory.c, { type: 'invite', room: r.room, username: 'victim' });
      expect(inv.type, JSON.stringify(inv)).toBe('room');
    }

    // The victim's rooms: no hostile room joined; at most ACCOUNT_MAX_INVITES (50) pending, the newest.
    const started = Date.now();
    const rooms = await ask(victim.c, { type: 'rooms' });
    const took = Date.now() - started;
    expect(rooms.type).toBe('rooms');
    expect((rooms.rooms as Frame[]).filter((r) => hostile.includes(r.room as string))).toEqual([]);
    const invites = rooms.invites as Array<{ room: string; from: { id: string; name: string }; title: string; at: number }>;
    expect(invites.length).toBe(50);
    expect(invites[0]).toMatchObject({ room: hostile[499], title: 'spam 499', from: { id: mallory.id, name: 'mallory' } });
    expect(invites.every((i) => i.from.id === mallory.id)).toBe(true);
    expect(took).toBeLessThan(1000);

    // Not a member: it cannot read or send in a room it was only invited to.
    expect(await ask(victim.c, { type: 'join', room: hostile[499] })).toMatchObject({ type: 'error', code: 'forbidden' });
    expect(await ask(victim.c, { type: 'send', room: hostile[499], text: 'hi', cid: 'c1' })).toMatchObject({ type: 'error' });

    // Its own create works, and so does a DM with a friend it shares a room with.
    const own = await ask(victim.c, { type: 'create', title: 'Mine' });
    expect(own).toMatchObject({ type: 'room', kind: 'private', title: 'Mine' });
    expect(await ask(victim.c, { type: 'invite', room: own.room, username: 'friend' })).toMatchObject({ type: 'room' });
    const acc = await ask(friend.c, { type: 'accept', room: own.room });
    expect(acc).toMatchObject({ type: 'room', room: own.room });
    expect((acc.members as Array<{ id: string }>).map((m) => m.id).sort()).toEqual([friend.id, victim.id].sort());
    const dm = await ask(victim.c, { type: 'dm', member: friend.id });
    expect(dm).toMatchObject({ type: 'room', kind: 'dm' });
    expect((dm.members as unknown[]).length).toBe(2);

    // A DM from the stranger is an invite, not a room.
    const strangerDm = await ask(mallory.c, { type: 'dm', member: victim.id });
    expect(strangerDm).toMatchObject({ type: 'room', kind: 'dm', members: [{ id: mallory.id }] });
    expect(await ask(mallory.c, { type: 'join', room: strangerDm.room })).toMatchObject({ type: 'error', code: 'forbidden' });

    // Decline one: it is gone from the list, and the victim never joined.
    expect(await ask(victim.c, { type: 'decline', room: hostile[499] })).toMatchObject({ type: 'rooms' });
    const after = await ask(victim.c, { type: 'rooms' });
    expect((after.invites as Array<{ room: string }>).some((i) => i.room === hostile[499])).toBe(false);
    // Declining again (nothing pending) is refused.
    expect(await ask(victim.c, { type: 'decline', room: hostile[499] })).toMatchObject({ type: 'error', code: 'bad_request' });

    // Accept one, then part it: gone from the list, forbidden again.
    const taken = await ask(victim.c, { type: 'accept', room: hostile[498] });
    expect(taken).toMatchObject({ type: 'room', room: hostile[498] });
    expect(await ask(victim.c, { type: 'join', room: hostile[498] })).toMatchObject({ type: 'joined' });
    expect(await ask(victim.c, { type: 'part', room: hostile[498] })).toMatchObject({ type: 'rooms' });
    // Taken out of the live room too (the `left` may come before the answer).
    for (let i = 0; i < 50 && !victim.c.frames.some((f) => f.type === 'left' && f.room === hostile[498]); i++) await new Promise((r) => setTimeout(r, 20));
    expect(victim.c.frames.find((f) => f.type === 'left' && f.room === hostile[498])).toMatchObject({ reason: 'removed' });
    const last = await ask(victim.c, { type: 'rooms' });
    expect((last.rooms as Frame[]).some((r) => r.room === hostile[498])).toBe(false);
    expect(await ask(victim.c, { type: 'join', room: hostile[498] })).toMatchObject({ type: 'error', code: 'forbidden' });
    await t.by.stillChats();
  }, 120_000);
});
