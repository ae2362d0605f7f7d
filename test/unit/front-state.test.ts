// The page's pure state functions: messages keyed by id in strictly increasing order with duplicates
// ignored, resume merging, history pages, presence, and the outbox's pending -> sending -> sent -> gone.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChatMessage, Member } from '@livechat/protocol';
import { State } from '../../chat-front/src/connection.js';
import * as S from '../../chat-front/src/state.js';

const ann: Member = { id: 'a', name: 'Ann' };
const bob: Member = { id: 'b', name: 'Bob' };
const msg = (id: number, from = bob, room = 'lobby', cid = `c${id}`): ChatMessage =>
  ({ type: 'message', room, id, ts: 1_000 + id, from, text: `text ${id}`, cid, via: '1000' });

/** A state that has joined `lobby` as Ann with messages 1..n. */
function joinedWith(n: number): S.ChatState {
  let s = S.startChat(S.initialState('lobby'), 'lobby');
  s = S.applyWelcome(s, { type: 'welcome', appId: '1000', session: 's', member: ann });
  s = S.applyConnState(s, State.Connected);
  const messages = Array.from({ length: n }, (_, i) => msg(i + 1));
  return S.applyJoined(s, { type: 'joined', room: 'lobby', members: [ann, bob], messages, last: n });
}
const ids = (s: S.ChatState) => s.messages.map((m) => m.id);

describe('messages', () => {
  it('joined without resume takes the latest page; history is complete when it starts at 1', () => {
    const s = joinedWith(3);
    expect(ids(s)).toEqual([1, 2, 3]);
    expect(s.lastId).toBe(3);
    expect(s.joined).toBe(true);
    expect(s.history.complete).toBe(true);
    expect(S.joinAfter(s)).toBe(3);
  });

  it('a live message is appended once; a duplicate changes nothing', () => {
    let s = joinedWith(2);
    s = S.applyMessage(s, msg(3));
    const again = S.applyMessage(s, msg(3));
    expect(again).toBe(s);
    expect(ids(S.applyMessage(s, msg(2)))).toEqual([1, 2, 3]);
  });

  it('ignores messages of other rooms', () => {
    const s = joinedWith(1);
    expect(S.applyMessage(s, msg(2, bob, 'other'))).toBe(s);
  });

  it('a resume merges joined.messages after what it holds, without doubles', () => {
    let s = joinedWith(3);
    s = S.applyConnState(s, State.Reconnecting);
    expect(s.joined).toBe(false);
    s = S.applyConnState(s, State.Connected);
    s = S.applyJoined(s, { type: 'joined', room: 'lobby', members: [ann], messages: [msg(3), msg(4), msg(5)], last: 5 });
    expect(ids(s)).toEqual([1, 2, 3, 4, 5]);
    expect(s.lastId).toBe(5);
    expect(Object.keys(s.members)).toEqual(['a']);
  });

  it('a room whose history restarted below our last id is taken afresh', () => {
    let s = joinedWith(5);
    s = S.applyJoined(s, { type: 'joined', room: 'lobby', members: [ann], messages: [msg(1)], last: 1 });
    expect(ids(s)).toEqual([1]);
    expect(s.lastId).toBe(1);
  });

  it('says so when a resume was truncated', () => {
    let s = joinedWith(2);
    s = S.applyJoined(s, { type: 'joined', room: 'lobby', members: [ann], messages: [msg(900)], last: 900, truncated: true });
    expect(s.notice).toMatch(/no longer kept/);
  });

  it('older history goes in front; complete when a page comes back short', () => {
    let s = S.startChat(S.initialState('lobby'), 'lobby');
    s = S.applyConnState(s, State.Connected);
    s = S.applyJoined(s, { type: 'joined', room: 'lobby', members: [], messages: [msg(101), msg(102)], last: 102 });
    expect(s.history.complete).toBe(false);
    expect(S.olderBefore(s)).toBe(101);
    s = S.markHistoryLoading(s);
    expect(S.olderBefore(s)).toBeUndefined();
    s = S.applyHistory(s, { type: 'history', room: 'lobby', messages: Array.from({ length: 50 }, (_, i) => msg(51 + i)) }, 50);
    expect(ids(s)[0]).toBe(51);
    expect(s.history).toEqual({ loading: false, complete: false });
    s = S.applyHistory(s, { type: 'history', room: 'lobby', messages: [msg(49), msg(50)] }, 50);
    expect(s.history.complete).toBe(true);
    expect(S.olderBefore(s)).toBeUndefined();
    expect(s.lastId).toBe(102);
  });

  it('whatever order and repetition frames arrive in, ids stay strictly increasing and unique', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 120 }), fc.integer({ min: 0, max: 10 }), (arrivals, joinedUpTo) => {
      let s = joinedWith(joinedUpTo);
      for (const id of arrivals) {
        s = id % 3 === 0
          ? S.applyHistory(s, { type: 'history', room: 'lobby', messages: [msg(id)] }, 50)
          : S.applyMessage(s, msg(id));
      }
      const list = ids(s);
      for (let i = 1; i < list.length; i++) if (list[i] <= list[i - 1]) return false;
      const expected = new Set([...Array.from({ length: joinedUpTo }, (_, i) => i + 1), ...arrivals]);
      return list.length === expected.size && s.lastId === Math.max(0, ...list);
    }));
  });

  it('mergeMessages keeps the first copy of an id', () => {
    const a = [msg(1), msg(3)];
    const b = [{ ...msg(3), text: 'other' }, msg(2)];
    const merged = S.mergeMessages(a, b);
    expect(merged.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(merged[2].text).toBe('text 3');
  });
});

describe('members', () => {
  it('follows presence joins and leaves, and lists me first', () => {
    let s = joinedWith(0);
    const cy: Member = { id: 'c', name: 'Cy' };
    s = S.applyPresence(s, { type: 'presence', room: 'lobby', event: 'join', member: cy });
    expect(S.memberList(s).map((m) => m.name)).toEqual(['Ann', 'Bob', 'Cy']);
    s = S.applyPresence(s, { type: 'presence', room: 'lobby', event: 'leave', member: bob });
    expect(S.memberList(s).map((m) => m.name)).toEqual(['Ann', 'Cy']);
    // a join for someone already listed does not double them
    s = S.applyPresence(s, { type: 'presence', room: 'lobby', event: 'join', member: cy });
    expect(S.memberList(s)).toHaveLength(2);
    // a stale leave for myself while I am joined keeps me listed
    s = S.applyPresence(s, { type: 'presence', room: 'lobby', event: 'leave', member: ann });
    expect(S.memberList(s).map((m) => m.name)).toEqual(['Ann', 'Cy']);
  });
});

describe('outbox', () => {
  const enqueued = (s: S.ChatState, cid: string) => S.enqueue(s, { cid, text: `hi ${cid}`, now: 5 });

  it('pending -> sending -> sent on ack -> gone when the message arrives', () => {
    let s = enqueued(joinedWith(2), 'x');
    expect(S.dueSends(s, 10).map((o) => o.cid)).toEqual(['x']);
    s = S.markSending(s, ['x']);
    expect(s.outbox[0].status).toBe('sending');
    expect(S.dueSends(s, 10)).toEqual([]);
    s = S.applyAck(s, { type: 'ack', cid: 'x', room: 'lobby', id: 3, ts: 99 });
    expect(s.outbox[0]).toMatchObject({ status: 'sent', id: 3 });
    s = S.applyMessage(s, msg(3, ann, 'lobby', 'x'));
    expect(s.outbox).toEqual([]);
    expect(ids(s)).toEqual([1, 2, 3]);
  });

  it('an ack for a message already shown drops the item', () => {
    let s = S.markSending(enqueued(joinedWith(2), 'x'), ['x']);
    s = S.applyMessage(s, msg(3, ann, 'lobby', 'x'));
    expect(s.outbox).toEqual([]);
    s = S.applyAck(s, { type: 'ack', cid: 'x', room: 'lobby', id: 3, ts: 99 });
    expect(s.outbox).toEqual([]);
  });

  it('nothing is due while disconnected; in-flight items go back to pending when the connection drops', () => {
    let s = S.markSending(enqueued(joinedWith(0), 'x'), ['x']);
    s = S.applyConnState(s, State.Reconnecting);
    expect(s.outbox[0].status).toBe('pending');
    expect(S.dueSends(s, 10)).toEqual([]);
    s = S.applyConnState(s, State.Connected);
    expect(S.dueSends(s, 10)).toEqual([]); // not joined yet
    s = S.applyJoined(s, { type: 'joined', room: 'lobby', members: [ann], messages: [], last: 0 });
    expect(S.dueSends(s, 10).map((o) => o.cid)).toEqual(['x']);
  });

  it('a resume that already holds our message settles the item', () => {
    let s = S.markSending(enqueued(joinedWith(1), 'x'), ['x']);
    s = S.applyConnState(s, State.Reconnecting);
    s = S.applyJoined(s, { type: 'joined', room: 'lobby', members: [ann], messages: [msg(2, ann, 'lobby', 'x')], last: 2 });
    expect(s.outbox).toEqual([]);
    expect(ids(s)).toEqual([1, 2]);
  });

  it('unavailable / rate_limited: the same cid waits retryAfterMs, then is due again', () => {
    let s = S.markSending(enqueued(joinedWith(0), 'x'), ['x']);
    s = S.applyError(s, { type: 'error', code: 'unavailable', message: 'down', cid: 'x', retryAfterMs: 1000 }, 100);
    expect(s.outbox[0]).toMatchObject({ cid: 'x', status: 'pending', retryAt: 1100 });
    expect(S.dueSends(s, 1099)).toEqual([]);
    expect(S.nextRetryAt(s, 500)).toBe(1100);
    expect(S.dueSends(s, 1100).map((o) => o.cid)).toEqual(['x']);
    s = S.applyError(S.markSending(s, ['x']), { type: 'error', code: 'rate_limited', message: 'slow', cid: 'x' }, 2000);
    expect(s.outbox[0].retryAt).toBe(2000 + S.retryDelay(2));
  });

  it('bad_request fails the item for good; retryItem makes it pending again', () => {
    let s = S.markSending(enqueued(joinedWith(0), 'x'), ['x']);
    s = S.applyError(s, { type: 'error', code: 'bad_request', message: 'nope', cid: 'x' }, 1);
    expect(s.outbox[0]).toMatchObject({ status: 'failed', error: 'nope' });
    expect(S.dueSends(s, 10)).toEqual([]);
    s = S.retryItem(s, 'x');
    expect(S.dueSends(s, 10).map((o) => o.cid)).toEqual(['x']);
  });

  it('an error without a known cid becomes a notice', () => {
    const s = S.applyError(joinedWith(0), { type: 'error', code: 'not_joined', message: 'join first' }, 1);
    expect(s.notice).toBe('join first');
  });

  it('the log shows messages, then this room\'s outbox items', () => {
    let s = enqueued(joinedWith(2), 'x');
    s = S.switchRoom(s, 'other');
    s = S.enqueue(s, { cid: 'y', text: 'there', now: 1 });
    expect(S.logItems(s).map((i) => (i.kind === 'outbox' ? i.o.cid : i.m.id))).toEqual(['y']);
    s = S.switchRoom(s, 'lobby');
    expect(S.logItems(s).map((i) => (i.kind === 'outbox' ? i.o.cid : i.m.id))).toEqual(['x']);
  });
});
