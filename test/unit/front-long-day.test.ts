// The page over a long day: a bounded window of messages (live messages drop the oldest, scrolling up
// drops the newest and scrolling down or "New messages" brings them back, a resume while reading old
// pages does not tear a gap), messages of others reported once as they arrive (never a join's history),
// and no frame a server could send — garbage, hostile or out of order — makes the controller throw.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatMessage, Member } from '@livechat/protocol';
import { ChatController } from '../../chat-front/src/controller.js';
import * as S from '../../chat-front/src/state.js';
import { FakeSocket } from './front-fake-socket.js';

const W = S.MESSAGE_WINDOW;
const ann: Member = { id: 'a0000000-0000-4000-8000-000000000001', name: 'Ann' };
const bob: Member = { id: 'b0000000-0000-4000-8000-000000000002', name: 'Bob' };
const msg = (id: number, from: Member = bob, cid = `c${id}`): ChatMessage =>
  ({ type: 'message', room: 'lobby', id, ts: 1_000 + id, from, text: `t${id}`, cid, via: '1000' });
const range = (from: number, to: number, from_: Member = bob) => Array.from({ length: to - from + 1 }, (_, i) => msg(from + i, from_));
const ids = (s: S.ChatState) => s.messages.map((m) => m.id);
const tick = () => Promise.resolve();

beforeEach(() => { FakeSocket.reset(); vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); vi.restoreAllMocks(); });

function setup() {
  const arrivals: Array<{ ids: number[]; live: boolean }> = [];
  let n = 0;
  const c = new ChatController({
    url: 'ws://h/ws', WebSocket: FakeSocket, storage: null, onChange: () => {}, newCid: () => `cid-${++n}`,
    random: () => 0.5, now: () => Date.now(),
    onArrivals: (list, live) => arrivals.push({ ids: list.map((m) => m.id), live }),
  });
  return { c, arrivals };
}

async function joined(c: ChatController, messages: ChatMessage[], last = messages.at(-1)?.id ?? 0): Promise<FakeSocket> {
  c.start('Ann', 'lobby');
  const ws = FakeSocket.last();
  ws.open();
  ws.receive({ type: 'welcome', appId: '1000', session: 's', member: ann });
  await tick();
  ws.receive({ type: 'joined', room: 'lobby', count: 2, members: [ann, bob], messages, last });
  return ws;
}

describe('the bounded message window', () => {
  it('live messages past the bound drop the oldest; the start is then no longer complete', async () => {
    const { c } = setup();
    const ws = await joined(c, range(1, 50));
    expect(c.state.history.complete).toBe(true);
    for (let id = 51; id <= W + 30; id++) ws.receive(msg(id));
    expect(c.state.messages).toHaveLength(W);
    expect(ids(c.state)[0]).toBe(31);
    expect(c.state.lastId).toBe(W + 30);
    expect(c.state.history.complete).toBe(false);
    c.loadOlder();
    expect(ws.sentOfType('history')).toEqual([{ type: 'history', room: 'lobby', before: 31, limit: 50 }]);
  });

  it('scrolling up past the bound drops the newest; scrolling down loads them again, in order, no gap', async () => {
    const { c } = setup();
    const ws = await joined(c, range(1001, 1050), 1050);
    const last = () => ws.sentOfType('history').at(-1);
    // Read back W + 100 messages: the window keeps W, ending before the newest.
    for (let before = 1001; before > 1001 - W - 100; before -= 50) {
      c.loadOlder();
      expect(last()).toEqual({ type: 'history', room: 'lobby', before, limit: 50 });
      ws.receive({ type: 'history', room: 'lobby', messages: range(before - 50, before - 1) });
    }
    expect(c.state.messages).toHaveLength(W);
    expect(ids(c.state)[0]).toBe(1001 - W - 100);
    expect(S.hasNewer(c.state)).toBe(true);
    expect(S.logItems(c.state)).toHaveLength(W);

    // A live message meanwhile only moves lastId: it loads with the newer pages.
    ws.receive(msg(1051));
    expect(c.state.lastId).toBe(1051);
    expect(c.state.messages).toHaveLength(W);
    ws.receive(msg(1051)); // a duplicate changes nothing
    expect(c.state.lastId).toBe(1051);

    // Scrolling down: pages after the window's end, until it holds the newest again.
    for (let i = 0; S.hasNewer(c.state); i++) {
      expect(i).toBeLessThan(10);
      const after = c.state.messages.at(-1)!.id;
      c.loadNewer();
      expect(last()).toEqual({ type: 'history', room: 'lobby', after, limit: 50 });
      ws.receive({ type: 'history', room: 'lobby', messages: range(after + 1, Math.min(after + 50, 1051)) });
      expect(c.state.messages.length).toBeLessThanOrEqual(W);
      const list = ids(c.state);
      expect(list).toEqual(list.map((_, k) => list[0] + k)); // contiguous
    }
    expect(ids(c.state).at(-1)).toBe(1051);
    c.loadNewer();
    expect(ws.sentOfType('history').filter((h) => 'after' in h).length).toBeGreaterThan(0);
    ws.receive(msg(1052));
    expect(ids(c.state).at(-1)).toBe(1052); // live messages append again
  });

  it('"New messages" while the window ends far back loads the latest page in its place', async () => {
    const { c } = setup();
    const ws = await joined(c, range(2001, 2050), 2050);
    for (let before = 2001; before > 2001 - W - 50; before -= 50) {
      c.loadOlder();
      ws.receive({ type: 'history', room: 'lobby', messages: range(before - 50, before - 1) });
    }
    for (let id = 2051; id <= 2100; id++) ws.receive(msg(id));
    expect(S.hasNewer(c.state)).toBe(true);
    c.jumpToLatest();
    expect(ws.sentOfType('history').at(-1)).toEqual({ type: 'history', room: 'lobby', before: 2101, limit: 50 });
    ws.receive({ type: 'history', room: 'lobby', messages: range(2051, 2100) });
    expect(ids(c.state)).toEqual(range(2051, 2100).map((m) => m.id));
    expect(S.hasNewer(c.state)).toBe(false);
    expect(c.state.history.complete).toBe(false);
  });

  it('a resume while reading old pages advances lastId without tearing a gap into the window', async () => {
    const { c } = setup();
    const ws = await joined(c, range(3001, 3050), 3050);
    for (let before = 3001; before > 3001 - W; before -= 50) {
      c.loadOlder();
      ws.receive({ type: 'history', room: 'lobby', messages: range(before - 50, before - 1) });
    }
    const held = ids(c.state);
    ws.drop();
    vi.advanceTimersByTime(300);
    const ws2 = FakeSocket.last();
    ws2.open();
    ws2.receive({ type: 'welcome', appId: '2000', session: 's', member: ann });
    await tick();
    expect(ws2.sentOfType('join')).toEqual([{ type: 'join', room: 'lobby', after: 3050 }]);
    ws2.receive({ type: 'joined', room: 'lobby', count: 2, members: [ann, bob], messages: range(3051, 3055), last: 3055 });
    expect(ids(c.state)).toEqual(held);
    expect(c.state.lastId).toBe(3055);
  });
});

describe('arrivals (the live region and the unread count)', () => {
  it('reports each new message of others once; never the join\'s history, never one\'s own', async () => {
    const { c, arrivals } = setup();
    const ws = await joined(c, range(1, 20));
    expect(arrivals).toEqual([]);
    ws.receive(msg(21));
    ws.receive(msg(21)); // duplicate
    ws.receive(msg(22, ann));
    c.loadOlder();
    ws.receive({ type: 'history', room: 'lobby', messages: [] });
    expect(arrivals).toEqual([{ ids: [21], live: true }]);
  });

  it('a resume reports what was missed, not live (counted while hidden, not read out one by one)', async () => {
    const { c, arrivals } = setup();
    const ws = await joined(c, range(1, 5));
    ws.drop();
    vi.advanceTimersByTime(300);
    const ws2 = FakeSocket.last();
    ws2.open();
    ws2.receive({ type: 'welcome', appId: '2000', session: 's', member: ann });
    await tick();
    ws2.receive({ type: 'joined', room: 'lobby', count: 2, members: [ann, bob], messages: [msg(6), msg(7, ann), msg(8)], last: 8 });
    expect(arrivals).toEqual([{ ids: [6, 8], live: false }]);
  });
});

describe('nothing a server sends makes the page throw', () => {
  const garbage: unknown[] = [
    'not json', '', '[]', 'null', '{"type":"message"}', '{"type":"joined","room":"lobby"}',
    { type: 'joined', room: 'lobby', members: null, messages: 'x', last: -1 },
    { type: 'joined', room: 'lobby', count: 1e300, members: [{ id: '__proto__', name: 'P' }], messages: [{ id: 'x' }], last: 5 },
    { type: 'message', room: 'lobby', id: 1e20, ts: 1, from: bob, text: 'big id', cid: 'c', via: 1 },
    { type: 'message', room: 'lobby', id: 5, ts: -8.64e15, from: { id: 'x', name: '' }, text: '', cid: '', via: null },
    { type: 'presence', room: 'lobby', event: 'count', count: 10 },
    { type: 'presence', room: 'lobby', event: 'sync', members: [null, 1, bob] },
    { type: 'members', room: 'lobby', members: [bob, bob, { id: 'constructor', name: 'C' }], next: '' },
    { type: 'members', room: 'lobby', members: [], next: 'zzz' },
    { type: 'history', room: 'lobby', messages: [msg(3), msg(3), msg(1), msg(2)] },
    { type: 'ack', cid: 'cid-404', room: 'lobby', id: 9, ts: 9 },
    { type: 'error', code: 'rate_limited', message: 'x', retryAfterMs: 1e12 },
    { type: 'error', code: 42, message: null, cid: 'cid-1' },
    { type: 'welcome', appId: 1, session: 's2', member: bob },
    { type: 'left', room: 'lobby' },
    { type: 'pong', extra: [1, 2, 3] },
  ];

  it('applies a stream of garbage, hostile and out-of-order frames without an exception; the invariants hold', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const frame = fc.oneof(
      fc.constantFrom(...garbage),
      fc.integer({ min: 1, max: 2 * W }).map((id) => msg(id, id % 5 ? bob : ann, id % 7 ? `c${id}` : 'cid-1')),
      fc.jsonValue(),
      fc.record({ type: fc.constantFrom('joined', 'history', 'presence', 'members', 'ack', 'error', 'message'), room: fc.constantFrom('lobby', 'other') }, { requiredKeys: [] }),
    );
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(frame, fc.constantFrom('frame', 'send', 'older', 'newer', 'latest', 'drop')), { maxLength: 80, size: 'max' }), async (steps) => {
      FakeSocket.reset();
      const { c } = setup();
      let ws = await joined(c, range(1, 10));
      for (const [f, action] of steps) {
        if (action === 'send') c.send('hello');
        else if (action === 'older') c.loadOlder();
        else if (action === 'newer') c.loadNewer();
        else if (action === 'latest') c.jumpToLatest();
        else if (action === 'drop') {
          ws.drop();
          vi.advanceTimersByTime(20_000);
          ws = FakeSocket.last();
          ws.open();
          ws.receive({ type: 'welcome', appId: '2000', session: 's', member: ann });
          await tick();
        }
        ws.onmessage?.({ data: typeof f === 'string' ? f : JSON.stringify(f) });
        vi.advanceTimersByTime(100);
      }
      const list = ids(c.state);
      for (let i = 1; i < list.length; i++) expect(list[i]).toBeGreaterThan(list[i - 1]);
      expect(list.length).toBeLessThanOrEqual(W);
      expect(c.state.lastId).toBeGreaterThanOrEqual(list.at(-1) ?? 0);
      S.logItems(c.state);
      S.memberList(c.state);
      c.stop();
    }), { numRuns: 150 });
    expect(errors).not.toHaveBeenCalled();
  });
});
