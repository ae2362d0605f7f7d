// The page and the room's history epoch (docs/protocol.md, "History epoch"): the epoch of `joined` is
// remembered with the room's last id and sent with `after` on a rejoin; a `joined` saying the history was
// lost (`reset`, or another epoch) drops the room's old messages and ids, shows the log's status line, and
// the new history goes on from its fresh window (ids from 1 again, no old one taken for a duplicate).
// A server without epochs (no `epoch` in `joined`) is resumed exactly as before.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatMessage, Joined, Member } from '@livechat/protocol';
import { State } from '../../chat-front/src/connection.js';
import { ChatController } from '../../chat-front/src/controller.js';
import { readServerFrame } from '../../chat-front/src/frames.js';
import * as S from '../../chat-front/src/state.js';
import { TEXT } from '../../chat-front/src/texts.js';
import { FakeSocket, MemoryStore, tick } from './front-fake-socket.js';

const ann: Member = { id: 'a', name: 'Ann' };
const bob: Member = { id: 'b', name: 'Bob' };
const msg = (id: number, from = bob, text = `text ${id}`, cid = `c${id}-${text}`): ChatMessage =>
  ({ type: 'message', room: 'lobby', id, ts: 1_000 + id, from, text, cid, via: '1000' });
const joined = (messages: ChatMessage[], last: number, extra: Partial<Joined> = {}): Joined =>
  ({ type: 'joined', room: 'lobby', count: 2, members: [ann, bob], messages, last, ...extra });
const ids = (s: S.ChatState) => s.messages.map((m) => m.id);

/** Ann in `lobby`, joined with messages 1..n in epoch `epoch`. */
function joinedWith(n: number, epoch?: string): S.ChatState {
  let s = S.startChat(S.initialState('lobby'), 'lobby');
  s = S.applyWelcome(s, { type: 'welcome', appId: '1000', session: 's', member: ann });
  s = S.applyConnState(s, State.Connected);
  return S.applyJoined(s, joined(Array.from({ length: n }, (_, i) => msg(i + 1)), n, epoch ? { epoch } : {}));
}
/** The connection dropped and came back: the state a rejoin starts from. */
const reconnected = (s: S.ChatState) => S.applyConnState(S.applyConnState(s, State.Reconnecting), State.Connected);

describe('the history epoch in the page state', () => {
  it('remembers the epoch of joined with the last id, and resumes with both', () => {
    const s = reconnected(joinedWith(3, 'E1'));
    expect(s.epoch).toBe('E1');
    expect(S.joinAfter(s)).toBe(3);
    expect(S.joinEpoch(s)).toBe('E1');
    // A first join sends neither.
    const fresh = S.switchRoom(s, 'other');
    expect(fresh.epoch).toBeNull();
    expect(S.joinAfter(fresh)).toBeUndefined();
    expect(S.joinEpoch(fresh)).toBeUndefined();
  });

  it('an ordinary resume in the same epoch merges as before; no status line', () => {
    let s = reconnected(joinedWith(3, 'E1'));
    s = S.applyJoined(s, joined([msg(4)], 4, { epoch: 'E1' }));
    expect(ids(s)).toEqual([1, 2, 3, 4]);
    expect(s.historyLost).toBe(false);
    expect(s.epoch).toBe('E1');
  });

  it('a reset drops the old messages and ids, says so in the log, and takes the fresh window of the new epoch', () => {
    let s = reconnected(joinedWith(57, 'E1'));
    s = S.applyJoined(s, joined([], 0, { epoch: 'E2', reset: true, truncated: true }));
    expect(s.messages).toEqual([]);
    expect([s.lastId, s.lastEntry]).toEqual([0, 0]);
    expect(s.epoch).toBe('E2');
    expect(s.historyLost).toBe(true);
    // Not the "messages from while you were away" notice: the status line says what happened.
    expect(s.notice).toBeNull();
    expect(TEXT.historyLost(s.room)).toBe('Earlier messages in #lobby were lost by the server; the conversation continues below.');
    // The new history's message 1 is a new message, not message 1 of before.
    s = S.applyMessage(s, msg(1, bob, 'after the loss'));
    expect(s.messages.map((m) => [m.id, m.text])).toEqual([[1, 'after the loss']]);
    expect(S.joinEpoch(reconnected(s))).toBe('E2');
    expect(S.joinAfter(reconnected(s))).toBe(1);
  });

  it('a reset whose fresh window has messages of the new epoch shows them, with ids that were ours before', () => {
    let s = reconnected(joinedWith(5, 'E1'));
    s = S.applyJoined(s, joined([msg(1, bob, 'new one'), msg(2, bob, 'new two')], 2, { epoch: 'E2', reset: true, truncated: true }));
    expect(s.messages.map((m) => m.text)).toEqual(['new one', 'new two']);
    expect(s.lastId).toBe(2);
    expect(s.historyLost).toBe(true);
    // A later ordinary rejoin keeps the line and the messages.
    s = S.applyJoined(reconnected(s), joined([msg(3, bob, 'three')], 3, { epoch: 'E2' }));
    expect(ids(s)).toEqual([1, 2, 3]);
    expect(s.historyLost).toBe(true);
    // Another room starts without it.
    expect(S.switchRoom(s, 'other').historyLost).toBe(false);
  });

  it('another epoch without the flag is a loss too (no old id is taken for a new message)', () => {
    let s = reconnected(joinedWith(5, 'E1'));
    s = S.applyJoined(s, joined([msg(6, bob, 'other history')], 6, { epoch: 'E9' }));
    expect(s.messages.map((m) => m.text)).toEqual(['other history']);
    expect(s.historyLost).toBe(true);
  });

  it('a server without epochs: no epoch remembered or sent, resumes merge as before', () => {
    let s = reconnected(joinedWith(3));
    expect(s.epoch).toBeNull();
    expect(S.joinEpoch(s)).toBeUndefined();
    s = S.applyJoined(s, joined([msg(4)], 4));
    expect(ids(s)).toEqual([1, 2, 3, 4]);
    expect(s.historyLost).toBe(false);
  });

  it('reads epoch and reset from the joined frame; ignores malformed ones', () => {
    const base = { type: 'joined', room: 'lobby', count: 1, members: [], messages: [], last: 0 };
    expect(readServerFrame(JSON.stringify({ ...base, epoch: 'E2', reset: true }))).toMatchObject({ epoch: 'E2', reset: true });
    const bad = readServerFrame(JSON.stringify({ ...base, epoch: 42, reset: 'yes' })) as Joined;
    expect(bad.epoch).toBeUndefined();
    expect(bad.reset).toBeUndefined();
  });
});

describe('the controller and a lost history', () => {
  beforeEach(() => { FakeSocket.reset(); vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('rejoins with after and epoch; told of the loss, shows the new history only and reports its messages', async () => {
    const arrivals: Array<[number[], boolean]> = [];
    const c = new ChatController({
      url: 'ws://h/ws', WebSocket: FakeSocket, storage: new MemoryStore(), onChange: () => {},
      newCid: () => 'cid', random: () => 0.5, now: () => Date.now(),
      onArrivals: (ms, live) => arrivals.push([ms.map((m) => m.id), live]),
    });
    c.start('Ann', 'lobby');
    const ws1 = FakeSocket.last();
    ws1.open();
    ws1.receive({ type: 'welcome', appId: '1000', session: 's1', member: ann });
    await tick();
    expect(ws1.sentOfType('join')).toEqual([{ type: 'join', room: 'lobby' }]);
    ws1.receive(joined([msg(56), msg(57)], 57, { epoch: 'E1' }));
    ws1.drop(1006);
    vi.advanceTimersByTime(300);
    const ws2 = FakeSocket.last();
    ws2.open();
    ws2.receive({ type: 'welcome', appId: '2000', session: 's1', member: ann, rid: ws2.ridOf('hello') });
    await tick();
    expect(ws2.sentOfType('join')).toEqual([{ type: 'join', room: 'lobby', after: 57, epoch: 'E1' }]);
    ws2.receive({ ...joined([msg(1, bob, 'fresh')], 1, { epoch: 'E2', reset: true, truncated: true }), rid: ws2.ridOf('join') });
    expect(c.state.messages.map((m) => [m.id, m.text])).toEqual([[1, 'fresh']]);
    expect(c.state.historyLost).toBe(true);
    expect(arrivals).toEqual([[[1], false]]);
    ws2.receive(msg(2, bob, 'live'));
    expect(c.state.messages.map((m) => m.id)).toEqual([1, 2]);
  });
});
