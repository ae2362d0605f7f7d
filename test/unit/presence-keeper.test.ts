// PresenceKeeper over the memory presence: a failed leave is retried until it works (no ghost for the
// server's lifetime); a server counted gone re-asserts as a new owner, so a sweep of its old entries
// cannot unlist its members; a failed re-assert is retried on the next beat.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PresenceKeeper } from '../../app/src/chat/presence-keeper.js';
import { RoomRegistry } from '../../app/src/chat/rooms.js';
import { MemoryPresence, MemoryPresenceState } from '../../app/src/presence/memory-presence.js';
import type { ChatClient } from '../../app/src/chat/client.js';

const settings = { roomTtlSec: 86_400, presenceGraceMs: 0, presenceHeartbeatMs: 1000, presenceTtlMs: 1000 };
const mode = { largeRoomThreshold: 200, smallAgainAt: 180 };
const alice = { id: 'a', name: 'Alice' };
const bob = { id: 'b', name: 'Bob' };

function server(state: MemoryPresenceState, clock: { t: number }, name: string) {
  const presence = new MemoryPresence(() => {}, name, settings.presenceTtlMs, mode, state, () => clock.t);
  let keeper!: PresenceKeeper;
  const rooms = new RoomRegistry(0, { onMemberGone: (room, m) => keeper.memberGone(room, m.id) });
  keeper = new PresenceKeeper(presence, rooms, settings, pino({ level: 'silent' }));
  const client = {} as ChatClient;
  return { presence, rooms, keeper, client };
}
const listed = async (p: MemoryPresence, room = 'r') => (await p.snapshot(room, 10)).members.map((m) => m.name);
const settle = () => new Promise((r) => setImmediate(r));

describe('PresenceKeeper', () => {
  it('retries a failed leave on the next beats until it works', async () => {
    const clock = { t: 1_000_000 };
    const s = server(new MemoryPresenceState(), clock, 'A');
    await s.keeper.beat();
    s.rooms.enter('r', s.client, alice);
    await s.presence.join('r', [alice]);
    const leave = s.presence.leave.bind(s.presence);
    let failures = 2;
    s.presence.leave = async (...args) => {
      if (failures-- > 0) throw new Error('redis is slow');
      return leave(...args);
    };
    s.rooms.leave('r', s.client, alice, 0);
    await settle();
    expect(await listed(s.presence)).toEqual(['Alice']);
    await s.keeper.beat(); // second failure
    await settle();
    expect(await listed(s.presence)).toEqual(['Alice']);
    await s.keeper.beat();
    expect(await listed(s.presence)).toEqual([]);
  });

  it('does not retry the leave of a member that came back meanwhile', async () => {
    const clock = { t: 1_000_000 };
    const s = server(new MemoryPresenceState(), clock, 'A');
    await s.keeper.beat();
    s.rooms.enter('r', s.client, alice);
    await s.presence.join('r', [alice]);
    const leave = s.presence.leave.bind(s.presence);
    let fail = true;
    s.presence.leave = async (...args) => {
      if (fail) { fail = false; throw new Error('down'); }
      return leave(...args);
    };
    s.rooms.leave('r', s.client, alice, 0);
    await settle();
    s.rooms.enter('r', s.client, alice); // back before the retry
    await s.keeper.beat();
    expect(await listed(s.presence)).toEqual(['Alice']);
  });

  it('counted gone: re-asserts as a new owner; the sweep of the old one unlists nobody; the old one goes', async () => {
    const clock = { t: 1_000_000 };
    const state = new MemoryPresenceState();
    const a = server(state, clock, 'A');
    const b = server(state, clock, 'B');
    await a.keeper.beat();
    await b.keeper.beat();
    a.rooms.enter('r', a.client, alice);
    await a.presence.join('r', [alice]);
    b.rooms.enter('r', b.client, bob);
    await b.presence.join('r', [bob]);
    clock.t += 5000; // A stalls past the TTL; B beats on
    await b.presence.heartbeat();
    const before = [...state.beats.keys()];
    await a.keeper.beat(); // A learns it was counted gone: new owner, re-assert, old one retired (and swept)
    await settle();
    await b.presence.sweep();
    expect(await listed(b.presence)).toEqual(['Alice', 'Bob']);
    const after = [...state.beats.keys()];
    expect(after).toHaveLength(2);
    expect(after.filter((o) => o.startsWith('A#'))).not.toEqual(before.filter((o) => o.startsWith('A#')));
    expect([...state.owned.keys()].sort()).toEqual(after.sort());
  });

  it('a re-assert that failed is tried again on the next beat', async () => {
    const clock = { t: 1_000_000 };
    const state = new MemoryPresenceState();
    const a = server(state, clock, 'A');
    await a.keeper.beat();
    a.rooms.enter('r', a.client, alice);
    await a.presence.join('r', [alice]);
    state.rooms.clear(); // Redis lost its data…
    state.owned.clear();
    state.beats.clear();
    const join = a.presence.join.bind(a.presence);
    let fail = true;
    a.presence.join = async (...args) => {
      if (fail) { fail = false; throw new Error('timeout'); }
      return join(...args);
    };
    await a.keeper.beat(); // stale: the re-assert fails
    expect(await listed(a.presence)).toEqual([]);
    await a.keeper.beat();
    expect(await listed(a.presence)).toEqual(['Alice']);
  });
});
