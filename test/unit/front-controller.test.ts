// The page's controller end to end over a fake WebSocket with fake timers: resume with after = last id
// after a reconnect, the outbox going out with the same cids, duplicates ignored, retries after
// `unavailable`, and the remembered session used only for the name it belongs to.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatMessage, Member } from '@livechat/protocol';
import { State } from '../../chat-front/src/connection.js';
import { ChatController, checkName, normaliseRoom, type KeyValueStore } from '../../chat-front/src/controller.js';
import { FakeSocket } from './front-fake-socket.js';

const ann: Member = { id: 'a', name: 'Ann' };
const bob: Member = { id: 'b', name: 'Bob' };
const msg = (id: number, from: Member, cid: string, room = 'lobby'): ChatMessage =>
  ({ type: 'message', room, id, ts: id, from, text: `t${id}`, cid, via: '1000' });

class MemoryStore implements KeyValueStore {
  map = new Map<string, string>();
  getItem(k: string) { return this.map.get(k) ?? null; }
  setItem(k: string, v: string) { this.map.set(k, v); }
  removeItem(k: string) { this.map.delete(k); }
}

const tick = () => Promise.resolve();

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
    ws1.receive({ type: 'joined', room: 'lobby', members: [ann, bob], messages: [msg(1, bob, 'x1'), msg(2, bob, 'x2')], last: 2 });
    ws1.receive(msg(3, bob, 'x3'));
    expect(c.state.appId).toBe('1000');

    ws1.drop(1006);
    expect(c.state.conn).toBe(State.Reconnecting);
    vi.advanceTimersByTime(250);
    const ws2 = await welcome('2000');
    expect(ws2.sent).toEqual([{ type: 'hello', name: 'Ann', session: 'sess-1' }, { type: 'join', room: 'lobby', after: 3 }]);
    ws2.receive({ type: 'joined', room: 'lobby', members: [ann, bob], messages: [msg(4, bob, 'x4')], last: 4 });
    expect(c.state.messages.map((m) => m.id)).toEqual([1, 2, 3, 4]);
    expect(c.state.appId).toBe('2000');
    expect(c.state.conn).toBe(State.Connected);
  });

  it('keeps what was typed while disconnected and sends it with the same cid once rejoined; no doubles', async () => {
    const { c } = setup();
    c.start('Ann', 'lobby');
    const ws1 = await welcome('1000');
    ws1.receive({ type: 'joined', room: 'lobby', members: [ann], messages: [], last: 0 });
    c.send('before');
    expect(ws1.sentOfType('send')).toEqual([{ type: 'send', room: 'lobby', text: 'before', cid: 'cid-1' }]);
    ws1.drop(); // lost before the ack: cid-1 goes back to pending

    c.send('  while away  ');
    expect(c.state.outbox.map((o) => [o.cid, o.status])).toEqual([['cid-1', 'pending'], ['cid-2', 'pending']]);

    vi.advanceTimersByTime(250);
    const ws2 = await welcome('2000');
    expect(ws2.sentOfType('send')).toEqual([]); // not before joined
    // The server had stored cid-1 before dying: the resume brings it.
    ws2.receive({ type: 'joined', room: 'lobby', members: [ann], messages: [msg(1, ann, 'cid-1')], last: 1 });
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
    ws1.receive({ type: 'joined', room: 'lobby', members: [ann], messages: [], last: 0 });
    c.send('hello');
    ws1.drop();
    vi.advanceTimersByTime(250);
    const ws2 = await welcome('3000');
    expect(ws2.sentOfType('join')).toEqual([{ type: 'join', room: 'lobby', after: 0 }]);
    ws2.receive({ type: 'joined', room: 'lobby', members: [ann], messages: [], last: 0 });
    expect(ws2.sentOfType('send')).toEqual([{ type: 'send', room: 'lobby', text: 'hello', cid: 'cid-1' }]);
  });

  it('retries the same cid after unavailable, once retryAfterMs has passed', async () => {
    const { c } = setup();
    c.start('Ann', 'lobby');
    const ws = await welcome('1000');
    ws.receive({ type: 'joined', room: 'lobby', members: [ann], messages: [], last: 0 });
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

  it('switches rooms: leaves the old one and joins the new one afresh', async () => {
    const { c } = setup();
    c.start('Ann', 'lobby');
    const ws = await welcome('1000');
    ws.receive({ type: 'joined', room: 'lobby', members: [ann], messages: [msg(1, ann, 'q')], last: 1 });
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
    ws.receive({ type: 'joined', room: 'lobby', members: [ann], messages: [msg(60, bob, 'a'), msg(61, bob, 'b')], last: 61 });
    c.loadOlder();
    c.loadOlder(); // already loading: no second request
    expect(ws.sentOfType('history')).toEqual([{ type: 'history', room: 'lobby', before: 60, limit: 50 }]);
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
    expect(checkName('  Ann\u0000 ')).toEqual({ ok: true, name: 'Ann' });
    expect(checkName('   ').ok).toBe(false);
    expect(checkName('x'.repeat(33)).ok).toBe(false);
    expect(normaliseRoom('#Lobby')).toBe('lobby');
    expect(normaliseRoom('no spaces')).toBeNull();
  });
});
