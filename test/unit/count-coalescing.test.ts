// RoomFeed in large rooms: `c` entries coalesced to at most one `count` frame per interval per room,
// the same bytes to every local member; a `p` or `s` entry carries its own count and cancels a pending one.
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { countEntry, presenceEntry } from '../../app/src/bus/envelope.js';
import { PreparedFrame } from '../../app/src/chat/prepared-frame.js';
import { RoomFeed } from '../../app/src/chat/room-feed.js';
import { RoomRegistry } from '../../app/src/chat/rooms.js';
import type { History } from '../../app/src/history/history.js';
import { Metrics } from '../../app/src/metrics.js';
import { presenceFrame } from '../../app/src/protocol/encode.js';
import { linkedClient } from '../helpers/chat-harness.js';

const member = { id: 'm1', name: 'Ann' };
const noHistory = {} as History;

function setup() {
  const rooms = new RoomRegistry(0, { onMemberGone: () => {} });
  const feed = new RoomFeed(rooms, noHistory, pino({ level: 'silent' }), new Metrics('t'), 1000);
  const join = (id: string) => {
    const { c, link } = linkedClient(id);
    const written = link.writes;
    rooms.enter('big', c, { id, name: id });
    rooms.open('big', c, 0);
    feed.seed('big', 0);
    const counts = () => written.map((f) => JSON.parse(f instanceof PreparedFrame ? f.payload.toString() : String(f)))
      .filter((f) => f.type === 'presence').map((f) => (f.event === 'count' ? f.count : `${f.event}:${f.count}`));
    return { c, written, counts };
  };
  return { feed, join, rooms };
}

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('count coalescing', () => {
  it('writes the first count at once, then at most one per second with the newest count', () => {
    const { feed, join } = setup();
    const a = join('a');
    const b = join('b');
    feed.onBusPayload(countEntry('big', 201));
    expect(a.counts()).toEqual([201]);
    for (let n = 202; n <= 260; n++) feed.onBusPayload(countEntry('big', n));
    vi.advanceTimersByTime(999);
    expect(a.counts()).toEqual([201]);
    vi.advanceTimersByTime(1);
    expect(a.counts()).toEqual([201, 260]);
    expect(b.counts()).toEqual([201, 260]);
    // one shared frame object for every member
    expect(a.written.at(-1)).toBe(b.written.at(-1));
    vi.advanceTimersByTime(5000);
    expect(a.counts()).toEqual([201, 260]); // nothing new, nothing written
  });

  it('a count back to the one already written is not written again', () => {
    const { feed, join } = setup();
    const a = join('a');
    feed.onBusPayload(countEntry('big', 300));
    feed.onBusPayload(countEntry('big', 301));
    feed.onBusPayload(countEntry('big', 300));
    vi.advanceTimersByTime(1000);
    expect(a.counts()).toEqual([300]);
  });

  it('a sync (small again) cancels the pending count: no stale count after the list', () => {
    const { feed, join } = setup();
    const a = join('a');
    feed.onBusPayload(countEntry('big', 250));
    feed.onBusPayload(countEntry('big', 181));
    const sync = presenceFrame({ type: 'presence', room: 'big', event: 'sync', count: 180, members: [member] });
    feed.onBusPayload(presenceEntry('s', 'big', 180, sync));
    vi.advanceTimersByTime(3000);
    expect(a.counts()).toEqual([250, 'sync:180']);
  });

  it('a room whose last member left stops its timer', () => {
    const { feed, join, rooms } = setup();
    const a = join('a');
    feed.onBusPayload(countEntry('big', 500));
    feed.onBusPayload(countEntry('big', 501));
    expect(vi.getTimerCount()).toBe(1);
    rooms.leave('big', a.c, { id: 'a', name: 'a' }, 0);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(2000);
    expect(a.counts()).toEqual([500]);
  });
});
