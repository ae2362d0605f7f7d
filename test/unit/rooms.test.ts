// RoomRegistry: per-subscription order (join buffering, no duplicate, no step back), re-join and rollback, presence grace.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PreparedFrame } from '../../app/src/chat/prepared-frame.js';
import { RoomRegistry } from '../../app/src/chat/rooms.js';
import { asFrame } from '../../app/src/protocol/encode.js';
import type { Member } from '../../app/src/protocol/messages.js';
import { linkedClient } from '../helpers/chat-harness.js';

const alice: Member = { id: 'a', name: 'Alice' };
const bob: Member = { id: 'b', name: 'Bob' };

function client(id: string) {
  const { c, link } = linkedClient(id);
  return { c, written: link.texts };
}

function registry(graceMs = 1000) {
  const gone: Array<[string, string]> = [];
  const rooms = new RoomRegistry(graceMs, { onMemberGone: (room, m) => gone.push([room, m.id]) });
  /** Delivers message `id` (0: a presence frame) to the room's local subscribers. */
  const deliver = (room: string, id: number, cid: string | undefined = id ? `c${id}` : undefined) =>
    rooms.get(room)!.deliver(id, cid, new PreparedFrame(asFrame(id ? `m${id}` : 'presence')));
  const members = () => [...rooms.localMembers()].map(([room, ms]) => [room, ms.map((m) => m.id)]);
  return { rooms, gone, deliver, members };
}

afterEach(() => { vi.useRealTimers(); });

describe('RoomRegistry', () => {
  it('holds live frames during a join, then writes them in order without those already in joined', () => {
    const { rooms, deliver } = registry();
    const { c, written } = client('c1');
    expect(rooms.enter('r', c, alice)).toEqual({ isNewMember: true, previousLastId: null });
    deliver('r', 3);
    deliver('r', 4);
    deliver('r', 0);
    deliver('r', 5);
    expect(written).toEqual([]);
    rooms.open('r', c, 4); // joined carried up to 4
    expect(written).toEqual(['presence', 'm5']);
    for (const id of [5, 4, 6, 6, 0, 7]) deliver('r', id);
    expect(written).toEqual(['presence', 'm5', 'm6', 'presence', 'm7']);
  });

  it('keeps each subscription in its own order', () => {
    const { rooms, deliver } = registry();
    const one = client('c1');
    const two = client('c2');
    rooms.enter('r', one.c, alice);
    rooms.open('r', one.c, 0);
    deliver('r', 1);
    rooms.enter('r', two.c, bob);
    deliver('r', 2);
    deliver('r', 3);
    rooms.open('r', two.c, 2);
    deliver('r', 4);
    expect(one.written).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(two.written).toEqual(['m3', 'm4']);
  });

  it('a re-join keeps the membership; its rollback goes back to the earlier order', () => {
    const { rooms, gone, deliver, members } = registry();
    const { c, written } = client('c1');
    rooms.enter('r', c, alice);
    rooms.open('r', c, 0);
    deliver('r', 1);
    deliver('r', 2);
    const entry = rooms.enter('r', c, alice);
    expect(entry).toEqual({ isNewMember: false, previousLastId: 2 });
    expect(rooms.countOf(c)).toBe(1);
    deliver('r', 3); // held while the re-join reads history
    expect(written).toEqual(['m1', 'm2']);
    rooms.rollback('r', c, alice, entry);
    expect(written).toEqual(['m1', 'm2', 'm3']);
    deliver('r', 2);
    deliver('r', 4);
    expect(written).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(rooms.has(c, 'r')).toBe(true);
    expect(members()).toEqual([['r', ['a']]]);
    expect(gone).toEqual([]);
  });

  it('a successful re-join goes on from the new `last`', () => {
    const { rooms, deliver } = registry();
    const { c, written } = client('c1');
    rooms.enter('r', c, alice);
    rooms.open('r', c, 0);
    deliver('r', 1);
    rooms.enter('r', c, alice);
    deliver('r', 2);
    deliver('r', 3);
    rooms.open('r', c, 2);
    expect(written).toEqual(['m1', 'm3']);
  });

  it('a failed first join leaves at once, without the grace period', () => {
    const { rooms, gone, deliver, members } = registry(60_000);
    const { c, written } = client('c1');
    const entry = rooms.enter('r', c, alice);
    deliver('r', 1);
    rooms.rollback('r', c, alice, entry);
    expect(gone).toEqual([['r', 'a']]);
    expect(written).toEqual([]);
    expect(rooms.has(c, 'r')).toBe(false);
    expect(rooms.countOf(c)).toBe(0);
    expect(members()).toEqual([]);
    expect(rooms.get('r')).toBeUndefined();
  });

  it('a member with two connections leaves only after the last one and the grace period', () => {
    vi.useFakeTimers();
    const { rooms, gone, members } = registry(1000);
    const one = client('c1');
    const two = client('c2');
    expect(rooms.enter('r', one.c, alice).isNewMember).toBe(true);
    expect(rooms.enter('r', two.c, alice).isNewMember).toBe(false);
    rooms.open('r', one.c, 0);
    rooms.open('r', two.c, 0);
    expect(members()).toEqual([['r', ['a']]]);
    rooms.leave('r', one.c, alice);
    vi.advanceTimersByTime(5000);
    expect(gone).toEqual([]);
    rooms.leave('r', two.c, alice);
    expect(gone).toEqual([]);
    vi.advanceTimersByTime(999);
    expect(gone).toEqual([]);
    expect(members()).toEqual([['r', ['a']]]); // still listed during the grace period
    vi.advanceTimersByTime(1);
    expect(gone).toEqual([['r', 'a']]);
    expect(members()).toEqual([]);
    expect(rooms.get('r')).toBeUndefined();
    vi.advanceTimersByTime(10_000);
    expect(gone).toHaveLength(1);
  });

  it('entering again within the grace period cancels the leave', () => {
    vi.useFakeTimers();
    const { rooms, gone, members } = registry(1000);
    const one = client('c1');
    const two = client('c2');
    rooms.enter('r', one.c, alice);
    rooms.open('r', one.c, 0);
    rooms.leave('r', one.c, alice);
    vi.advanceTimersByTime(500);
    expect(rooms.enter('r', two.c, alice)).toEqual({ isNewMember: false, previousLastId: null });
    rooms.open('r', two.c, 0);
    vi.advanceTimersByTime(5000);
    expect(gone).toEqual([]);
    expect(members()).toEqual([['r', ['a']]]);
    rooms.leave('r', two.c, alice); // at 5500: the first leave's timer (due at 1000) must not count
    vi.advanceTimersByTime(999);
    expect(gone).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(gone).toEqual([['r', 'a']]);
  });

  it('a stale leave timer never cuts a later grace period short', () => {
    vi.useFakeTimers();
    const { rooms, gone } = registry(1000);
    const one = client('c1');
    rooms.enter('r', one.c, alice);
    rooms.leave('r', one.c, alice); // due at 1000
    vi.advanceTimersByTime(500);
    rooms.enter('r', one.c, alice);
    vi.advanceTimersByTime(100);
    rooms.leave('r', one.c, alice); // at 600: due at 1600
    vi.advanceTimersByTime(999);
    expect(gone).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(gone).toEqual([['r', 'a']]);
  });

  it('leaveAll takes the client out of every room, each after the grace period (or the one given)', () => {
    vi.useFakeTimers();
    const { rooms, gone, members } = registry(1000);
    const one = client('c1');
    const two = client('c2');
    for (const r of ['r1', 'r2', 'r3']) {
      rooms.enter(r, one.c, alice);
      rooms.open(r, one.c, 0);
    }
    rooms.enter('r2', two.c, bob);
    rooms.open('r2', two.c, 0);
    expect(rooms.countOf(one.c)).toBe(3);
    rooms.leaveAll(one.c, alice);
    expect(rooms.countOf(one.c)).toBe(0);
    expect(['r1', 'r2', 'r3'].map((r) => rooms.has(one.c, r))).toEqual([false, false, false]);
    expect(gone).toEqual([]);
    vi.advanceTimersByTime(1000);
    expect(gone.sort()).toEqual([['r1', 'a'], ['r2', 'a'], ['r3', 'a']]);
    expect(members()).toEqual([['r2', ['b']]]);
    rooms.leaveAll(two.c, bob, 0);
    expect(gone).toContainEqual(['r2', 'b']);
    expect(members()).toEqual([]);
    rooms.leaveAll(two.c, bob, 0); // nothing left: no-op
    expect(gone).toHaveLength(4);
  });

  it('has and countOf follow enter and leave; leaving a room not entered does nothing', () => {
    const { rooms, gone } = registry(0);
    const { c } = client('c1');
    expect(rooms.has(c, 'r1')).toBe(false);
    expect(rooms.countOf(c)).toBe(0);
    rooms.enter('r1', c, alice);
    expect(rooms.has(c, 'r1')).toBe(true); // from enter on, even before open
    rooms.enter('r2', c, alice);
    rooms.enter('r2', c, alice); // a re-join is not a second room
    expect(rooms.countOf(c)).toBe(2);
    rooms.leave('r3', c, alice);
    rooms.leave('r1', client('c2').c, alice);
    expect(rooms.countOf(c)).toBe(2);
    expect(gone).toEqual([]);
    rooms.leave('r1', c, alice);
    expect(rooms.has(c, 'r1')).toBe(false);
    expect(rooms.has(c, 'r2')).toBe(true);
    expect(rooms.countOf(c)).toBe(1);
    expect(gone).toEqual([['r1', 'a']]);
  });
});

describe('RoomRegistry.ensureListed', () => {
  it('a second connection waits for the first one\'s presence write; a failed write is tried again by the next join', async () => {
    const { rooms } = registry();
    const one = client('c1');
    const two = client('c2');
    rooms.enter('r', one.c, alice);
    rooms.enter('r', two.c, alice);
    let calls = 0;
    let fail!: (e: Error) => void;
    const first = rooms.ensureListed('r', alice.id, () => { calls++; return new Promise<void>((_, reject) => { fail = reject; }); });
    const second = rooms.ensureListed('r', alice.id, async () => { calls++; });
    fail(new Error('redis timeout'));
    await expect(first).rejects.toThrow('redis timeout');
    await expect(second).rejects.toThrow('redis timeout'); // it did not assume the member listed
    expect(calls).toBe(1);
    await rooms.ensureListed('r', alice.id, async () => { calls++; });
    await rooms.ensureListed('r', alice.id, async () => { calls++; });
    expect(calls).toBe(2); // written once more, then known to be listed
  });
});
