// The page's controller end to end over a fake WebSocket with fake timers: resume with after = last id
// after a reconnect, the outbox going out with the same cids, duplicates ignored, retries after
// `unavailable`, the remembered session used only for the name it belongs to, and a large room's
// member list paged with `members` requests (reset by a room turning large, a reconnect, a room switch).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatMessage, Member } from '@livechat/protocol';
import { State } from '../../chat-front/src/connection.js';
import { ChatController, checkName, normaliseRoom } from '../../chat-front/src/controller.js';
import { FakeSocket, MemoryStore, tick } from './front-fake-socket.js';

const ann: Member = { id: 'a', name: 'Ann' };
const bob: Member = { id: 'b', name: 'Bob' };
const msg = (id: number, from: Member, cid: string, room = 'lobby'): ChatMessage =>
  ({ type: 'message', room, id, ts: id, from, text: `t${id}`, cid, via: '1000' });

function setup(store = new MemoryStore()) {
  let n = 0;
  const c = new ChatController({
    url: 'ws://h/ws', WebSocket: FakeSocket, storage: store, onChange: () => {},
    newCid: () => `cid-${++n}`, random: () => 0.5, now: () => Date.now(),
  });
  return { c, store };
}

/** Opens the latest socket, answers hello with welcome, and lets the controller send its join. */
async function welcome(appId: string, member = ann, session = 'sess-1'): Promise<FakeSocket> {
  const ws = FakeSocket.last();
  ws.open();
  ws.receive({ type: 'welcome', appId, session, member });
  await tick();
  return ws;
}

beforeEach(() => { FakeSocket.reset(); vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('ChatController', () => {
  it('joins after welcome, then after a reconnect says hello with the session and resumes with after = last id', async () => {
    const { c } = setup();
    c.start('Ann', 'lobby');
    const ws1 = await welcome('1000');
    expect(ws1.sent).toEqual([{ type: 'hello', name: 'Ann' }, { type: 'join', room: 'lobby' }]);
    ws1.receive({ type: 'joined', room: 'lobby', count: 2, members: [ann, bob], messages: [msg(1, bob, 'x1'), msg(2, bob, 'x2')], last: 2 });
    ws1.receive(msg(3, bob, 'x3'));
    expect(c.state.appId).toBe('1000');

    ws1.drop(1006);
    expect(c.state.conn).toBe(State.Reconnecting);
    vi.advanceTimersByTime(250);
    const ws2 = await welcome('2000');
    expect(ws2.sent).toEqual([{ type: 'hello', name: 'Ann', session: 'sess-1' }, { type: 'join', room: 'lobby', after: 3 }]);
    ws2.receive({ type: 'joined', room: 'lobby', count: 2, members: [ann, bob], messages: [msg(4, bob, 'x4')], last: 4 });
    expect(c.state.messages.map((m) => m.id)).toEqual([1, 2, 3, 4]);
    expect(c.state.appId).toBe('2000');
    expect(c.state.conn).toBe(State.Connected);
  });

  it('keeps what was typed while disconnected and sends it with the same cid once rejoined; no doubles', async () => {
    const { c } = setup();
    c.start('Ann', 'lobby');
    const ws1 = await welcome('1000');
    ws1.receive({ type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [], last: 0 });
    c.send('before');
    expect(ws1.sentOfType('send')).toEqual([{ type: 'send', room: 'lobby', text: 'before', cid: 'cid-1' }]);
    ws1.drop(); // lost before the ack: cid-1 goes back to pending

    c.send('  while away  ');
    expect(c.state.outbox.map((o) => [o.cid, o.status])).toEqual([['cid-1', 'pending'], ['cid-2', 'pending']]);

    vi.advanceTimersByTime(250);
    const ws2 = await welcome('2000');
    expect(ws2.sentOfType('send')).toEqual([]); // not before joined
    // The server had stored cid-1 before dying: the resume brings it.
    ws2.receive({ type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [msg(1, ann, 'cid-1')], last: 1 });
    expect(ws2.sentOfType('send')).toEqual([{ type: 'send', room: 'lobby', text: 'while away', cid: 'cid-2' }]);
    expect(c.state.outbox.map((o) => [o.cid, o.status])).toEqual([['cid-2', 'sending']]);

    ws2.receive({ type: 'ack', cid: 'cid-2', room: 'lobby', id: 2, ts: 2 });
    expect(c.state.outbox.map((o) => [o.cid, o.status])).toEqual([['cid-2', 'sent']]);
    ws2.receive(msg(2, ann, 'cid-2'));
    ws2.receive(msg(2, ann, 'cid-2')); // duplicate frame
    ws2.receive(msg(1, ann, 'cid-1')); // stale frame
    expect(c.state.outbox).toEqual([]);
    expect(c.state.messages.map((m) => [m.id, m.cid])).toEqual([[1, 'cid-1'], [2, 'cid-2']]);
  });

  it('resends an unacked cid after reconnect when the resume does not hold it', async () => {
    const { c } = setup();
    c.start('Ann', 'lobby');
    const ws1 = await welcome('1000');
    ws1.receive({ type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [], last: 0 });
    c.send('hello');
    ws1.drop();
    vi.advanceTimersByTime(250);
    const ws2 = await welcome('3000');
    expect(ws2.sentOfType('join')).toEqual([{ type: 'join', room: 'lobby', after: 0 }]);
    ws2.receive({ type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [], last: 0 });
    expect(ws2.sentOfType('send')).toEqual([{ type: 'send', room: 'lobby', text: 'hello', cid: 'cid-1' }]);
  });

  it('retries the same cid after unavailable, once retryAfterMs has passed', async () => {
    const { c } = setup();
    c.start('Ann', 'lobby');
    const ws = await welcome('1000');
    ws.receive({ type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [], last: 0 });
    c.send('x');
    ws.receive({ type: 'error', code: 'unavailable', message: 'store down', cid: 'cid-1', retryAfterMs: 1000 });
    expect(c.state.outbox[0].status).toBe('pending');
    vi.advanceTimersByTime(999);
    expect(ws.sentOfType('send')).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(ws.sentOfType('send')).toEqual([
      { type: 'send', room: 'lobby', text: 'x', cid: 'cid-1' },
      { type: 'send', room: 'lobby', text: 'x', cid: 'cid-1' },
    ]);
  });

  it('retries a join the server could not answer', async () => {
    const { c } = setup();
    c.start('Ann', 'lobby');
    const ws = await welcome('1000');
    ws.receive({ type: 'error', code: 'unavailable', message: 'store down', retryAfterMs: 500 });
    vi.advanceTimersByTime(500);
    expect(ws.sentOfType('join')).toHaveLength(2);
  });

  it('remembers name and session; uses the session only when the same name is typed again', async () => {
    const store = new MemoryStore();
    const first = setup(store);
    first.c.start('Ann', 'lobby');
    await welcome('1000', ann, 'sess-ann');
    expect(JSON.parse(store.getItem('livechat.identity')!)).toEqual({ name: 'Ann', session: 'sess-ann' });
    first.c.stop();

    const again = setup(store);
    expect(again.c.storedIdentity()).toEqual({ name: 'Ann', session: 'sess-ann' });
    again.c.start(' Ann ', 'lobby');
    FakeSocket.last().open();
    expect(FakeSocket.last().sent[0]).toEqual({ type: 'hello', name: 'Ann', session: 'sess-ann' });
    again.c.stop();

    const other = setup(store);
    other.c.start('Zed', 'lobby');
    FakeSocket.last().open();
    expect(FakeSocket.last().sent[0]).toEqual({ type: 'hello', name: 'Zed' });
    expect(store.getItem('livechat.identity')).toBeNull();
  });

  it('a resumed guest whose name was registered since: back to the form, and the next Join keeps the session under the new name', async () => {
    const store = new MemoryStore();
    const first = setup(store);
    first.c.start('Ann', 'lobby');
    await welcome('1000', ann, 'sess-ann');
    first.c.stop();

    const again = setup(store);
    again.c.start('Ann', 'lobby');
    const ws = FakeSocket.last();
    ws.open();
    expect(ws.sent[0]).toEqual({ type: 'hello', name: 'Ann', session: 'sess-ann' });
    ws.receive({ type: 'error', code: 'name_taken', message: 'x', rid: ws.ridOf('hello') });
    expect(again.c.state.phase).toBe('login');
    expect(again.c.state.loginError).toMatch(/belongs to an account/);
    again.c.start('Ann 2', 'lobby');
    const ws2 = FakeSocket.last();
    ws2.open();
    expect(ws2.sent[0]).toEqual({ type: 'hello', name: 'Ann 2', session: 'sess-ann' });
    ws2.receive({ type: 'welcome', appId: '1000', session: 'sess-ann', member: { id: ann.id, name: 'Ann 2' }, rid: ws2.ridOf('hello') });
    await tick();
    expect(again.c.state.phase).toBe('chat');

    // The same on a reconnect while chatting: back to the form, the session kept for the next Join.
    ws2.drop(1006);
    vi.advanceTimersByTime(300);
    const ws3 = FakeSocket.last();
    ws3.open();
    expect(ws3.sent[0]).toEqual({ type: 'hello', name: 'Ann 2', session: 'sess-ann' });
    ws3.receive({ type: 'error', code: 'name_taken', message: 'x', rid: ws3.ridOf('hello') });
    expect(again.c.state.phase).toBe('login');
    again.c.start('Ann 3', 'lobby');
    FakeSocket.last().open();
    expect(FakeSocket.last().sent[0]).toEqual({ type: 'hello', name: 'Ann 3', session: 'sess-ann' });
  });

  it('switches rooms: leaves the old one and joins the new one afresh', async () => {
    const { c } = setup();
    c.start('Ann', 'lobby');
    const ws = await welcome('1000');
    ws.receive({ type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [msg(1, ann, 'q')], last: 1 });
    expect(c.switchRoom('#Random')).toBe(true);
    expect(ws.sent.slice(-2)).toEqual([{ type: 'leave', room: 'lobby' }, { type: 'join', room: 'random' }]);
    expect(c.state.messages).toEqual([]);
    ws.receive(msg(2, ann, 'late')); // a lobby frame in flight
    expect(c.state.messages).toEqual([]);
  });

  it('asks for older history before the oldest message shown', async () => {
    const { c } = setup();
    c.start('Ann', 'lobby');
    const ws = await welcome('1000');
    ws.receive({ type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [msg(60, bob, 'a'), msg(61, bob, 'b')], last: 61 });
    c.loadOlder();
    c.loadOlder(); // already loading: no second request
    expect(ws.sentOfType('history')).toEqual([{ type: 'history', room: 'lobby', before: 60, limit: 50 }]);
  });

  describe('large rooms', () => {
    const id = (i: number) => `m${String(i).padStart(5, '0')}`;
    const people = (from: number, to: number): Member[] => Array.from({ length: to - from }, (_, i) => ({ id: id(from + i), name: `P${from + i}` }));
    const largeJoined = (count: number, listed = 200) =>
      ({ type: 'joined', room: 'lobby', count, members: people(0, listed), membersTruncated: true, messages: [], last: 0 });
    const page = (from: number, to: number, next?: string, room = 'lobby') =>
      ({ type: 'members', room, members: people(from, to), ...(next ? { next } : {}) });

    async function inLargeRoom(count = 5000) {
      const { c } = setup();
      c.start('Ann', 'lobby');
      const ws = await welcome('1000');
      ws.receive(largeJoined(count));
      return { c, ws };
    }

    it('pages the list on scroll: after the last id held, one request at a time, until the last page', async () => {
      const { c, ws } = await inLargeRoom(450);
      expect(ws.sentOfType('members')).toEqual([]); // joined brought the first page
      expect(c.state.roster).toMatchObject({ large: true, count: 450 });
      c.loadMoreMembers();
      c.loadMoreMembers(); // in flight: no second request
      expect(ws.sentOfType('members')).toEqual([{ type: 'members', room: 'lobby', after: id(199), limit: 200 }]);
      ws.receive(page(200, 400, id(399), 'other')); // another room's answer
      expect(Object.keys(c.state.roster.members)).toHaveLength(200);
      ws.receive(page(200, 400, id(399)));
      expect(Object.keys(c.state.roster.members)).toHaveLength(400);
      c.loadMoreMembers();
      expect(ws.sentOfType('members').at(-1)).toEqual({ type: 'members', room: 'lobby', after: id(399), limit: 200 });
      ws.receive(page(400, 450)); // the last page: no `next`
      c.loadMoreMembers();
      expect(ws.sentOfType('members')).toHaveLength(2);
      expect(c.state.roster.next).toBeNull();
    });

    it('a room that turns large asks for a fresh first page at once', async () => {
      const { c } = setup();
      c.start('Ann', 'lobby');
      const ws = await welcome('1000');
      ws.receive({ type: 'joined', room: 'lobby', count: 2, members: [ann, bob], messages: [], last: 0 });
      ws.receive({ type: 'presence', room: 'lobby', event: 'count', count: 201 });
      expect(ws.sentOfType('members')).toEqual([{ type: 'members', room: 'lobby', limit: 200 }]);
      ws.receive({ type: 'presence', room: 'lobby', event: 'count', count: 202 });
      expect(ws.sentOfType('members')).toHaveLength(1);
      ws.receive(page(0, 200, id(199)));
      expect(c.state.roster).toMatchObject({ large: true, count: 202, stale: false, next: id(199) });
      expect(Object.keys(c.state.roster.members)).toHaveLength(200);
      // small again: the sync's list replaces it; join/leave apply from here
      ws.receive({ type: 'presence', room: 'lobby', event: 'sync', count: 2, members: [ann, bob] });
      expect(c.state.roster).toMatchObject({ large: false, count: 2 });
      expect(Object.keys(c.state.roster.members)).toEqual(['a', 'b']);
    });

    it('an error answering a members request does not throw; a stale list asks again after retryAfterMs', async () => {
      const { c } = setup();
      c.start('Ann', 'lobby');
      const ws = await welcome('1000');
      ws.receive({ type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [], last: 0 });
      ws.receive({ type: 'presence', room: 'lobby', event: 'count', count: 300 });
      expect(() => ws.receive({ type: 'error', code: 'rate_limited', message: 'slow down', retryAfterMs: 500 })).not.toThrow();
      expect(ws.sentOfType('members')).toHaveLength(1);
      vi.advanceTimersByTime(500);
      expect(ws.sentOfType('members')).toEqual([{ type: 'members', room: 'lobby', limit: 200 }, { type: 'members', room: 'lobby', limit: 200 }]);
      ws.receive({ type: 'error', code: 'not_joined', message: 'join first' });
      expect(c.state.roster.inFlight).toBeNull();
    });

    it('a reconnect resets the paging: the lost answer is not waited for, the rejoin starts over', async () => {
      const { c, ws } = await inLargeRoom();
      c.loadMoreMembers();
      ws.receive(page(200, 400, id(399)));
      c.loadMoreMembers(); // in flight when the socket drops
      ws.drop();
      vi.advanceTimersByTime(250);
      const ws2 = await welcome('2000');
      ws2.receive(largeJoined(5001));
      expect(Object.keys(c.state.roster.members)).toHaveLength(200);
      expect(c.state.roster).toMatchObject({ count: 5001, next: id(199), inFlight: null });
      c.loadMoreMembers();
      expect(ws2.sentOfType('members')).toEqual([{ type: 'members', room: 'lobby', after: id(199), limit: 200 }]);
    });

    it('switching rooms drops the old room\'s paging', async () => {
      const { c, ws } = await inLargeRoom();
      c.loadMoreMembers();
      c.switchRoom('quiet');
      ws.receive(page(200, 400, id(399))); // lobby's answer, late
      expect(c.state.roster.members).toEqual({});
      ws.receive({ type: 'joined', room: 'quiet', count: 1, members: [ann], messages: [], last: 0 });
      expect(c.state.roster).toMatchObject({ large: false, count: 1 });
    });
  });

  it('goes back to the form when hello is refused', async () => {
    const { c } = setup();
    c.start('Ann', 'lobby');
    FakeSocket.last().open();
    FakeSocket.last().receive({ type: 'error', code: 'bad_request', message: 'name must be 1-32 characters' });
    expect(c.state.phase).toBe('login');
    expect(c.state.loginError).toMatch(/name/);
    expect(c.state.conn).toBe(State.Disconnected);
  });

  it('validates names and rooms as the server does', () => {
    expect(checkName('  Ann ')).toEqual({ ok: true, name: 'Ann' });
    expect(checkName('Ann\u0000')).toEqual({ ok: false, error: 'A name cannot contain control characters.' });
    expect(checkName('\u200b\u200e\u3164').ok).toBe(false); // nothing visible
    expect(checkName('   ').ok).toBe(false);
    expect(checkName('x'.repeat(33)).ok).toBe(false);
    expect(normaliseRoom('#Lobby')).toBe('lobby');
    expect(normaliseRoom('no spaces')).toBeNull();
  });
});
