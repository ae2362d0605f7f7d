// RoomFeed: bus payloads fanned out in order; gaps repaired from a fake History (retries, backlog, overflow, resync);
// a room history lost by the store noticed (a live id already passed, a repair or join reading another epoch).
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  fillEntry, messageEntryTemplate, presenceEntry, storedEntry, type StoredEntry,
} from '../../app/src/bus/envelope.js';
import { RoomFeed } from '../../app/src/chat/room-feed.js';
import { RoomRegistry } from '../../app/src/chat/rooms.js';
import type { History, ResumeResult } from '../../app/src/history/history.js';
import { Metrics } from '../../app/src/metrics.js';
import { presenceFrame } from '../../app/src/protocol/encode.js';
import type { Member } from '../../app/src/protocol/messages.js';
import { FakeLink, linkedClient, silent } from '../helpers/chat-harness.js';

const alice: Member = { id: 'a', name: 'Alice' };
const metrics = new Metrics('t');

/** History whose stored messages the test writes, and whose `resume` it can fail or block. */
class FakeHistory implements History {
  readonly rooms = new Map<string, StoredEntry[]>();
  readonly calls: Array<[string, number | undefined, number]> = [];
  /** The next `failures` calls throw. */
  failures = 0;
  /** While set, calls wait for it (they read what was stored when they were made). */
  gate: Promise<void> | null = null;

  store(room: string, id: number): string {
    const entry = fillEntry(messageEntryTemplate(room, alice, `text ${id}`, `c${id}`, '1000'), id, 1_700_000_000_000 + id);
    const list = this.rooms.get(room) ?? [];
    list.push(storedEntry(entry)!);
    this.rooms.set(room, list);
    return entry;
  }

  /** The room's history epoch a join's (or repair's) resume reads (undefined: none). */
  epoch: string | undefined = undefined;

  async resume(room: string, after: number | undefined, latest: number, join?: object): Promise<ResumeResult> {
    this.calls.push([room, after, latest]);
    const all = this.rooms.get(room) ?? [];
    const messages = all.filter((m) => m.id > (after ?? 0));
    const last = all.at(-1)?.id ?? 0;
    if (this.gate) await this.gate;
    if (this.failures > 0) {
      this.failures--;
      throw new Error('history unavailable');
    }
    return join && this.epoch ? { entries: messages, last, truncated: false, epoch: this.epoch } : { entries: messages, last, truncated: false };
  }

  append(): never { throw new Error('not used'); }
  page(): never { throw new Error('not used'); }
  countAfter(): never { throw new Error('not used'); }

  async lastIds(rooms: string[]): Promise<number[]> {
    return rooms.map((r) => this.rooms.get(r)?.at(-1)?.id ?? 0);
  }
}

/** A real ChatClient over a link that records the message ids (0 for other frames) and the frame objects written. */
function client(id: string) {
  const ids: number[] = [];
  const link = new FakeLink((text) => {
    const json = JSON.parse(text) as { type: string; id?: number };
    ids.push(json.type === 'message' ? json.id! : 0);
  });
  const { c } = linkedClient(id, { link, slowConsumerBytes: 1 << 30 });
  return { c, ids, objects: link.writes, closes: link.closes };
}

function setup() {
  const history = new FakeHistory();
  const rooms = new RoomRegistry(0, { onMemberGone: () => {} });
  const feed = new RoomFeed(rooms, history, silent, metrics);
  /** A client in the room from message `last` on, as after a join. */
  const member = (room: string, last: number, id = 'c1') => {
    const cl = client(id);
    rooms.enter(room, cl.c, alice);
    rooms.open(room, cl.c, last);
    feed.seed(room, last);
    return cl;
  };
  /** Stores messages in history only (the bus lost them); `publish` also delivers them from the bus. */
  const stored = (room: string, ids: number[]) => ids.map((id) => history.store(room, id));
  const publish = (room: string, ids: number[]) => { for (const e of stored(room, ids)) feed.onBusPayload(e); };
  return { history, rooms, feed, member, stored, publish };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const settle = () => new Promise((r) => setImmediate(r));

function gate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => { open = r; });
  return { promise, open };
}

afterEach(() => { vi.useRealTimers(); });

describe('RoomFeed', () => {
  it('fans out in order, one shared frame per payload, to the room it names only', () => {
    const { feed, member, publish, history } = setup();
    const one = member('r', 0, 'c1');
    const two = member('r', 0, 'c2');
    const other = member('s', 0, 'c3');
    publish('r', [1, 2]);
    feed.onBusPayload(presenceEntry('p', 'r', 1, presenceFrame({ type: 'presence', room: 'r', event: 'join', member: alice, count: 1 })));
    feed.onBusPayload(history.store('r', 2)); // a duplicate on the bus
    publish('r', [3]);
    expect(one.ids).toEqual([1, 2, 0, 3]);
    expect(two.ids).toEqual([1, 2, 0, 3]);
    expect(two.objects[0]).toBe(one.objects[0]);
    expect(other.ids).toEqual([]);
    expect(history.calls).toEqual([]);
  });

  it('repairs a gap from history: the missing ids, then the backlog, no duplicates', async () => {
    const { feed, member, stored, publish, history } = setup();
    const { ids } = member('r', 0);
    publish('r', [1, 2]);
    stored('r', [3, 4]); // lost on the bus
    publish('r', [5]);
    expect(ids).toEqual([1, 2]);
    await settle();
    expect(history.calls).toEqual([['r', 2, 0]]);
    expect(ids).toEqual([1, 2, 3, 4, 5]);
    publish('r', [6]);
    expect(ids).toEqual([1, 2, 3, 4, 5, 6]);
    expect(history.calls).toHaveLength(1);
  });

  it('buffers live messages while the repair reads and delivers them after, in id order', async () => {
    const { feed, member, stored, publish, history } = setup();
    const { ids } = member('r', 2);
    stored('r', [3]);
    const g = gate();
    history.gate = g.promise;
    publish('r', [4]); // gap: 3 missing; the read finds 3 and 4, then blocks
    expect(history.calls).toEqual([['r', 2, 0]]);
    history.gate = null;
    const [m5, m6, m7] = stored('r', [5, 6, 7]);
    for (const e of [m6, m5, m7, m5]) feed.onBusPayload(e); // arriving while the read is blocked
    expect(ids).toEqual([]);
    g.open();
    await settle();
    expect(ids).toEqual([3, 4, 5, 6, 7]);
    expect(history.calls).toHaveLength(1);
  });

  it('retries a failed repair with backoff until history answers', async () => {
    vi.useFakeTimers();
    const { member, stored, publish, history } = setup();
    const { ids } = member('r', 1);
    stored('r', [2]);
    history.failures = 2;
    publish('r', [3]);
    await vi.advanceTimersByTimeAsync(0);
    expect(history.calls).toHaveLength(1);
    publish('r', [4]); // buffered meanwhile
    await vi.advanceTimersByTimeAsync(199);
    expect(history.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1); // first retry after 200 ms: fails again
    expect(history.calls).toHaveLength(2);
    expect(ids).toEqual([]);
    await vi.advanceTimersByTimeAsync(399);
    expect(history.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1); // second retry 400 ms later (backoff doubles)
    expect(history.calls).toEqual([['r', 1, 0], ['r', 1, 0], ['r', 1, 0]]);
    expect(ids).toEqual([2, 3, 4]);
  });

  it('reads history again when the backlog overflows during a long repair', async () => {
    const { member, stored, publish, history } = setup();
    const { ids } = member('r', 0);
    stored('r', [1]); // lost
    const g = gate();
    history.gate = g.promise;
    publish('r', [2]); // gap: the repair reads after 0 (it finds 1 and 2) and blocks
    history.gate = null;
    publish('r', range(3, 10_010)); // 10,008 more: past the 10,000 backlog
    g.open();
    await settle();
    await settle();
    // The first read knew only 1 and 2; the overflowed backlog is dropped and history read again after 2.
    expect(history.calls).toEqual([['r', 0, 0], ['r', 2, 0]]);
    expect(ids).toEqual(range(1, 10_010));
  });

  it('resync repairs every room after the bus subscription came back', async () => {
    const { feed, member, stored, publish, history } = setup();
    const r = member('r', 0, 'c1');
    const s = member('s', 0, 'c2');
    publish('r', [1]);
    publish('s', [1, 2]);
    stored('r', [2, 3]); // published during the outage
    stored('s', [3]);
    feed.resync();
    await settle();
    expect(history.calls.sort()).toEqual([['r', 1, 0], ['s', 2, 0]]);
    expect(r.ids).toEqual([1, 2, 3]);
    expect(s.ids).toEqual([1, 2, 3]);
    publish('r', [4]);
    expect(r.ids).toEqual([1, 2, 3, 4]);
  });

  // Once a bug: after a repair the backlog was fanned out without a gap check, and resync() skipped a room
  // whose repair was in flight, so what the bus lost while that read was in flight was never delivered.
  it('a resync during a repair still recovers what the bus lost meanwhile', async () => {
    const { feed, member, stored, publish, history } = setup();
    const { ids } = member('r', 0);
    publish('r', [1]);
    stored('r', [2]);
    const g = gate();
    history.gate = g.promise;
    publish('r', [3]); // gap: reads after 1 (finds 2, 3) and blocks
    history.gate = null;
    stored('r', [4]); // the subscription dropped: lost
    feed.resync(); // it came back
    publish('r', [5]);
    g.open();
    await settle();
    await settle();
    expect(ids).toEqual([1, 2, 3, 4, 5]);
  });

  // Once a bug: a new room's first bus message became its baseline unchecked, and the join's `last` (seed)
  // was ignored once one arrived; a message the bus lost just before it never reached the joiner.
  it('a message lost while the first join of a room reads history is still delivered', async () => {
    const { feed, rooms, stored, publish } = setup();
    const { c, ids } = client('c1');
    stored('r', [1, 2, 3, 4, 5]);
    rooms.enter('r', c, alice); // the join reads history: last = 5
    stored('r', [6]); // lost on the bus
    publish('r', [7]);
    feed.seed('r', 5);
    rooms.open('r', c, 5);
    await settle();
    expect(ids).toEqual([6, 7]);
  });

  it('ignores unreadable payloads', () => {
    const { feed, member, publish, history } = setup();
    const { ids } = member('r', 0);
    publish('r', [1]);
    for (const p of ['', 'garbage', 'm r 2', 'm r x 5 "c"\n{}', 'm r 2 5 c\n{}', 'p r x\n{}', 'q r 1\n{}', 'c r']) {
      expect(() => feed.onBusPayload(p)).not.toThrow();
    }
    publish('r', [2]);
    expect(ids).toEqual([1, 2]);
    expect(history.calls).toEqual([]);
  });

  it('drops payloads for rooms without local members, gaps included', async () => {
    const { feed, rooms, member, stored, history } = setup();
    const { ids } = member('r', 0);
    const [, m5] = stored('elsewhere', [1, 5]);
    feed.onBusPayload(m5);
    await settle();
    expect(rooms.get('elsewhere')).toBeUndefined();
    expect(history.calls).toEqual([]);
    expect(ids).toEqual([]);
  });

  describe('a room history lost by the store (docs/protocol.md, "History epoch")', () => {
    it('a live entry with an id already passed, the store\'s last id below it: the room\'s connections are closed (1013), the feed follows the new history', async () => {
      const { member, publish, history } = setup();
      const old = member('r', 0, 'c1');
      publish('r', [1, 2, 3]);
      history.rooms.set('r', []); // lost
      publish('r', [1]);
      await settle();
      expect(old.ids).toEqual([1, 2, 3]);
      expect(old.closes).toEqual([[1013, 'room history was lost: rejoin']]);
      const fresh = member('r', 1, 'c2');
      publish('r', [2]);
      expect(fresh.ids).toEqual([2]);
      // A plain duplicate (the store is ahead) closes nothing.
      publish('r', [2]);
      await settle();
      expect(fresh.closes).toEqual([]);
      expect(fresh.ids).toEqual([2]);
    });

    it('a gap repair that finds another epoch does not fill the gap with the new history: it closes the room\'s connections', async () => {
      const { feed, member, stored, publish, history } = setup();
      history.epoch = 'E1';
      const m = member('r', 0);
      feed.seed('r', 0, 'E1');
      publish('r', [1, 2, 3]);
      history.rooms.set('r', []);
      history.epoch = 'E2';
      stored('r', [1, 2, 3, 4]); // the new history, its first ids missed on the bus
      publish('r', [5]);
      await settle();
      expect(history.calls).toEqual([['r', 3, 0]]);
      expect(m.ids).toEqual([1, 2, 3]);
      expect(m.closes).toEqual([[1013, 'room history was lost: rejoin']]);
    });

    it('a join racing the room\'s traffic (its read of last below what was fanned out since, the same epoch) closes nothing', () => {
      const { feed, member, publish } = setup();
      const a = member('r', 0, 'c1');
      feed.seed('r', 0, 'E1');
      publish('r', [1, 2, 3]);
      // A second join read last = 1 before entries 2 and 3 went out here (a reconnect storm under traffic).
      const b = member('r', 1, 'c2');
      feed.seed('r', 1, 'E1');
      expect([a.closes, b.closes]).toEqual([[], []]);
      publish('r', [4]);
      expect(a.ids).toEqual([1, 2, 3, 4]);
    });

    it('a join that reads another epoch closes the room\'s other connections', () => {
      const { feed, member, publish, history } = setup();
      const a = member('r', 0, 'c1');
      feed.seed('r', 0, 'E1');
      publish('r', [1, 2]);
      const b = member('r', 2, 'c2');
      feed.seed('r', 2, 'E1'); // the same epoch: nothing
      expect([a.closes, b.closes]).toEqual([[], []]);
      history.rooms.set('r', []);
      feed.seed('r', 2, 'E2');
      expect(a.closes).toEqual([[1013, 'room history was lost: rejoin']]);
      expect(b.closes).toEqual([[1013, 'room history was lost: rejoin']]);
    });
  });
});
