// The page's pure state functions: messages keyed by id in strictly increasing order with duplicates
// ignored, resume merging, history pages, presence (counts, join/leave as set operations, sync), large
// rooms' member paging (first page, next pages, cap, stale answers), and the outbox's
// pending -> sending -> sent -> gone.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChatMessage, Joined, Member, MembersResponse, PresenceChange } from '@livechat/protocol';
import { State } from '../../chat-front/src/connection.js';
import * as R from '../../chat-front/src/roster.js';
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
  return S.applyJoined(s, { type: 'joined', room: 'lobby', count: 2, members: [ann, bob], messages, last: n });
}
const ids = (s: S.ChatState) => s.messages.map((m) => m.id);

/** Member ids that sort as the server sorts them; id(0) is Ann, the page's own member. */
const id = (i: number) => (i === 0 ? ann.id : `m${String(i).padStart(5, '0')}`);
const person = (i: number): Member => (i === 0 ? ann : { id: id(i), name: `P${i}` });
const en = (n: number) => n.toLocaleString('en-US');
/** A `members` answer with members [from, to). */
const page = (from: number, to: number, next?: string): MembersResponse => ({
  type: 'members', room: 'lobby', members: Array.from({ length: to - from }, (_, i) => person(from + i)), ...(next ? { next } : {}),
});
const largeJoinedFrame = (count: number, listed: number): Joined => ({
  type: 'joined', room: 'lobby', count, members: page(0, listed).members, membersTruncated: true, messages: [], last: 0,
});
/** Ann has joined a large room of `count` members; joined listed the first `listed`. */
function largeJoined(count: number, listed: number): S.ChatState {
  let s = S.startChat(S.initialState('lobby'), 'lobby');
  s = S.applyWelcome(s, { type: 'welcome', appId: '1000', session: 's', member: ann });
  s = S.applyConnState(s, State.Connected);
  return S.applyJoined(s, largeJoinedFrame(count, listed));
}

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
    s = S.applyJoined(s, { type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [msg(3), msg(4), msg(5)], last: 5 });
    expect(ids(s)).toEqual([1, 2, 3, 4, 5]);
    expect(s.lastId).toBe(5);
    expect(Object.keys(s.roster.members)).toEqual(['a']);
    expect(s.roster.count).toBe(1);
  });

  it('a room whose history restarted below our last id is taken afresh', () => {
    let s = joinedWith(5);
    s = S.applyJoined(s, { type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [msg(1)], last: 1 });
    expect(ids(s)).toEqual([1]);
    expect(s.lastId).toBe(1);
  });

  it('says so when a resume was truncated', () => {
    let s = joinedWith(2);
    s = S.applyJoined(s, { type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [msg(900)], last: 900, truncated: true });
    expect(s.notice).toMatch(/no longer kept/);
  });

  it('older history goes in front; complete when a page comes back short', () => {
    let s = S.startChat(S.initialState('lobby'), 'lobby');
    s = S.applyConnState(s, State.Connected);
    s = S.applyJoined(s, { type: 'joined', room: 'lobby', count: 0, members: [], messages: [msg(101), msg(102)], last: 102 });
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

describe('member count and set operations (small rooms)', () => {
  const cy: Member = { id: 'c', name: 'Cy' };
  const presence = (event: 'join' | 'leave', member: Member, count?: number): PresenceChange =>
    (count === undefined ? { type: 'presence', room: 'lobby', event, member } : { type: 'presence', room: 'lobby', event, member, count });

  it('takes the exact count from joined and shows it', () => {
    const s = joinedWith(0);
    expect(s.roster).toMatchObject({ count: 2, large: false });
    expect(R.rosterSummary(s.roster, en)).toEqual({ heading: '2', shown: null });
    expect(S.membersRequest(s, true)).toBeUndefined(); // a small room holds the whole list
  });

  it('a join of a listed member or a leave of an unlisted one changes nothing; the count follows', () => {
    let s = joinedWith(0);
    expect(S.applyPresence(s, presence('join', bob))).toBe(s);
    expect(S.applyPresence(s, presence('leave', cy))).toBe(s);
    s = S.applyPresence(s, presence('join', cy));
    expect(s.roster.count).toBe(3);
    s = S.applyPresence(s, presence('leave', bob, 2));
    expect(S.memberList(s).map((m) => m.id)).toEqual(['a', 'c']);
    expect(s.roster.count).toBe(2);
    // the count an event carries is the cluster's: it wins over the list's length
    s = S.applyPresence(s, presence('join', bob, 4));
    expect(s.roster.count).toBe(4);
  });

  it('join/leave in any order leave exactly the set a model keeps, with the count its size', () => {
    const people = ['b', 'c', 'd', 'e'].map((id) => ({ id, name: id.toUpperCase() }));
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3 })), { maxLength: 60 }), (events) => {
      let s = joinedWith(0);
      const model = new Set(['a', 'b']);
      for (const [join, i] of events) {
        s = S.applyPresence(s, presence(join ? 'join' : 'leave', people[i]));
        if (join) model.add(people[i].id); else model.delete(people[i].id);
      }
      const held = Object.keys(s.roster.members).sort();
      return JSON.stringify(held) === JSON.stringify([...model].sort()) && s.roster.count === model.size;
    }));
  });

  it('a sync replaces the whole list and makes the room small again; join/leave resume', () => {
    let s = largeJoined(1000, 250);
    s = S.applyPresence(s, { type: 'presence', room: 'lobby', event: 'sync', count: 2, members: [cy, ann] });
    expect(s.roster).toMatchObject({ large: false, count: 2, next: null, stale: false });
    expect(S.memberList(s).map((m) => m.id)).toEqual(['a', 'c']);
    s = S.applyPresence(s, presence('join', bob));
    expect(S.memberList(s).map((m) => m.id)).toEqual(['a', 'b', 'c']);
    expect(s.roster.count).toBe(3);
  });

  it('ignores presence of another room', () => {
    const s = joinedWith(0);
    expect(S.applyPresence(s, { type: 'presence', room: 'other', event: 'count', count: 900 })).toBe(s);
  });
});

describe('large rooms: paging the member list', () => {
  it('joined with membersTruncated: large, the first page held, the next page after its last id', () => {
    const s = largeJoined(8001, 200);
    expect(s.roster).toMatchObject({ large: true, count: 8001, next: id(199), stale: false, inFlight: null });
    expect(S.memberList(s)).toHaveLength(200);
    expect(S.membersRequest(s, false)).toBeUndefined(); // nothing is due until the person scrolls
    expect(S.membersRequest(s, true)).toEqual({ after: id(199), limit: 200 });
    expect(R.rosterSummary(s.roster, en)).toEqual({ heading: '8,001 members', shown: 'Showing 200 of 8,001' });
  });

  it('the next page is appended without duplicates; the last page (no next) stops loading', () => {
    let s = S.markMembersLoading(largeJoined(450, 200), id(199));
    expect(S.membersRequest(s, true)).toBeUndefined(); // one request at a time
    s = S.applyMembers(s, page(200, 400, id(399)));
    expect(Object.keys(s.roster.members)).toHaveLength(400);
    expect(s.roster).toMatchObject({ next: id(399), inFlight: null });
    expect(S.memberList(s).map((m) => m.id)).toEqual(Array.from({ length: 400 }, (_, i) => id(i))); // me (id 0) first, then page order
    s = S.applyMembers(S.markMembersLoading(s, id(399)), page(400, 450));
    expect(s.roster.next).toBeNull();
    expect(S.membersRequest(s, true)).toBeUndefined();
    expect(R.hasMorePages(s.roster)).toBe(false);
    expect(R.rosterSummary(s.roster, en).shown).toBe('Showing 450 of 450');
  });

  it('a page holding members already held adds each of them once', () => {
    const held = { ...S.markMembersLoading(largeJoined(1000, 200), id(199)).roster };
    held.members = { ...held.members, [id(250)]: person(250) }; // held already, however it got there
    const r = R.applyPage(held, page(200, 400, id(399)));
    expect(Object.keys(r.members)).toHaveLength(400);
    expect(R.rosterList(r, ann.id).filter((m) => m.id === id(250))).toHaveLength(1);
  });

  it('stops at the cap: the last request asks only for what fits, and no more after it', () => {
    let s = largeJoined(9000, 200);
    for (let from = 200; from < 1800; from += 200) {
      const req = S.membersRequest(s, true)!;
      expect(req).toEqual({ after: id(from - 1), limit: 200 });
      s = S.applyMembers(S.markMembersLoading(s, req.after), page(from, from + 200, id(from + 199)));
    }
    expect(Object.keys(s.roster.members)).toHaveLength(1800);
    // an oversized answer is cut at the cap
    s = S.applyMembers(S.markMembersLoading(s, id(1799)), page(1800, 2300, id(2299)));
    expect(Object.keys(s.roster.members)).toHaveLength(R.ROSTER_CAP);
    expect(s.roster.next).toBeNull();
    expect(S.membersRequest(s, true)).toBeUndefined();
    expect(R.rosterSummary(s.roster, en).shown).toBe('Showing 2,000 of 9,000');
  });

  it('ignores answers for another room, answers nobody asked for, and answers to a stale cursor', () => {
    const s0 = largeJoined(1000, 200);
    expect(S.applyMembers(s0, page(200, 400, id(399)))).toBe(s0); // not asked for
    const s = S.markMembersLoading(s0, id(199));
    expect(S.applyMembers(s, { ...page(200, 400), room: 'other' })).toBe(s);
    // starts before the cursor: an answer to an earlier request; dropped, and the next scroll asks again
    const dropped = S.applyMembers(s, page(100, 300, id(299)));
    expect(Object.keys(dropped.roster.members)).toHaveLength(200);
    expect(dropped.roster.inFlight).toBeNull();
    expect(S.membersRequest(dropped, true)).toEqual({ after: id(199), limit: 200 });
  });

  it('a count event turns a small room large: the list held is stale and a fresh first page is due', () => {
    let s = joinedWith(0);
    s = S.applyPresence(s, { type: 'presence', room: 'lobby', event: 'count', count: 320 });
    expect(s.roster).toMatchObject({ large: true, count: 320, stale: true });
    expect(S.memberList(s)).toEqual([]);
    expect(R.rosterSummary(s.roster, en)).toEqual({ heading: '320 members', shown: 'Loading members…' });
    const req = S.membersRequest(s, false);
    expect(req).toEqual({ limit: 200 }); // no `after`: from the start
    s = S.markMembersLoading(s, req!.after);
    expect(S.membersRequest(s, false)).toBeUndefined();
    // a count while large changes only the count
    const counted = S.applyPresence(s, { type: 'presence', room: 'lobby', event: 'count', count: 321 });
    expect(counted.roster).toMatchObject({ count: 321, stale: true, inFlight: R.FIRST_PAGE });
    s = S.applyMembers(counted, page(0, 200, id(199)));
    expect(s.roster).toMatchObject({ stale: false, next: id(199), inFlight: null });
    expect(S.memberList(s)).toHaveLength(200);
  });

  it('an answer asked for before the list went stale is dropped; then the first page is due', () => {
    let s = S.markMembersLoading(largeJoined(500, 200), id(199));
    s = S.applyPresence(s, { type: 'presence', room: 'lobby', event: 'sync', count: 2, members: [ann, bob] });
    s = S.applyPresence(s, { type: 'presence', room: 'lobby', event: 'count', count: 400 });
    s = S.applyMembers(s, page(200, 400, id(399)));
    expect(s.roster).toMatchObject({ stale: true, inFlight: null });
    expect(S.memberList(s)).toEqual([]);
    expect(S.membersRequest(s, false)).toEqual({ limit: 200 });
  });

  it('a reconnect abandons the request in flight; the rejoin starts the paging afresh', () => {
    let s = S.markMembersLoading(largeJoined(1000, 200), id(199));
    s = S.applyMembers(s, page(200, 400, id(399)));
    s = S.markMembersLoading(s, id(399));
    s = S.applyConnState(s, State.Reconnecting);
    expect(s.roster.inFlight).toBeNull();
    expect(S.membersRequest(s, true)).toBeUndefined(); // not connected
    expect(S.applyMembers(s, page(400, 600, id(599)))).toBe(s); // the lost answer, were it to come
    s = S.applyConnState(s, State.Connected);
    s = S.applyJoined(s, largeJoinedFrame(1001, 200));
    expect(Object.keys(s.roster.members)).toHaveLength(200);
    expect(s.roster).toMatchObject({ count: 1001, next: id(199), inFlight: null });
  });

  it('an error that is not a send\'s leaves no members request waiting', () => {
    const s = S.markMembersLoading(largeJoined(1000, 200), id(199));
    const e = S.applyError(s, { type: 'error', code: 'rate_limited', message: 'slow down', retryAfterMs: 100 }, 1);
    expect(e.roster.inFlight).toBeNull();
    expect(S.membersRequest(e, true)).toEqual({ after: id(199), limit: 200 });
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
    s = S.applyJoined(s, { type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [], last: 0 });
    expect(S.dueSends(s, 10).map((o) => o.cid)).toEqual(['x']);
  });

  it('a resume that already holds our message settles the item', () => {
    let s = S.markSending(enqueued(joinedWith(1), 'x'), ['x']);
    s = S.applyConnState(s, State.Reconnecting);
    s = S.applyJoined(s, { type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [msg(2, ann, 'lobby', 'x')], last: 2 });
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
