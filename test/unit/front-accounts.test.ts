// The page's account side without a browser: the room list's pure functions (account.ts: read markers
// only move up, unread counts, grouping, titles), the new frames checked by frames.ts, and the
// controller over a fake WebSocket — signin/signup instead of hello, the account session kept and used
// on reconnect, 1008 "signed out" and an expired session back to the login view, `rooms` asked for and
// polled, `read` debounced and only when it moves, DMs and created rooms opened from their `room`
// answer, removal and a forbidden join back to the lobby.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Member, RoomSummary } from '@livechat/protocol';
import { State } from '../../chat-front/src/connection.js';
import {
  ChatController, READ_DEBOUNCE_MS, ROOMS_POLL_MS, authErrorText, credentialsProblem,
} from '../../chat-front/src/controller.js';
import { readServerFrame } from '../../chat-front/src/frames.js';
import * as A from '../../chat-front/src/account.js';
import { FakeSocket, MemoryStore, tick } from './front-fake-socket.js';

const ann: Member = { id: 'u_ann', name: 'Ann' };
const bob: Member = { id: 'u_bob', name: 'Bob' };
const guest: Member = { id: '3f2a9c1e-0000-4000-8000-000000000001', name: 'Gus' };
const entry = (room: string, kind: RoomSummary['kind'], last: number, read: number, title = room): RoomSummary =>
  ({ room, kind, title, last, read, unread: Math.max(0, last - read) });

describe('account.ts', () => {
  it('keeps the highest read marker: a late `rooms` cannot bring an unread count back', () => {
    let a = A.newAccount('Ann');
    a = A.applyRooms(a, { type: 'rooms', rooms: [entry('lobby', 'public', 10, 4), entry('dm--x', 'dm', 3, 0, 'Bob')] });
    expect(a.rooms!.map((r) => r.unread)).toEqual([6, 3]);
    a = A.applyRead(a, { room: 'lobby', id: 10 });
    expect(a.rooms![0]).toMatchObject({ read: 10, unread: 0 });
    a = A.applyRooms(a, { type: 'rooms', rooms: [entry('lobby', 'public', 12, 4)] });
    expect(a.rooms![0]).toMatchObject({ last: 12, read: 10, unread: 2 });
    expect(A.applyRead(a, { room: 'lobby', id: 9 })).toBe(a); // never down
  });

  it('counts what the page saw in the room shown, and in a joined room between two lists', () => {
    let a = A.applyRooms(A.newAccount('Ann'), { type: 'rooms', rooms: [entry('lobby', 'public', 5, 5)] }, { room: 'lobby', lastId: 8 });
    expect(a.rooms![0]).toMatchObject({ last: 8, unread: 3 });
    a = A.applyLast(a, 'lobby', 9);
    expect(a.rooms![0].unread).toBe(4);
    expect(A.applyLast(a, 'lobby', 2)).toBe(a);
    expect(A.applyLast(a, 'elsewhere', 50)).toBe(a);
  });

  it('sends a read marker only when it moves', () => {
    let a = A.newAccount('Ann');
    expect(A.readToSend(a, 'lobby', 0)).toBeUndefined();
    expect(A.readToSend(a, 'lobby', 7)).toBe(7);
    a = A.applyRead(a, { room: 'lobby', id: 7 });
    expect(A.readToSend(a, 'lobby', 7)).toBeUndefined();
    expect(A.readToSend(a, 'lobby', 8)).toBe(8);
  });

  it('groups, totals and names rooms: a DM by the other member, a private room by its title', () => {
    let a = A.applyRooms(A.newAccount('Ann'), { type: 'rooms', rooms: [
      entry('lobby', 'public', 3, 0), entry('p--1', 'private', 2, 1, 'Team'), entry('dm--1', 'dm', 4, 0, 'Bob'),
    ] });
    const g = A.groupRooms(a.rooms);
    expect([g.public.length, g.private.length, g.dm.length]).toEqual([1, 1, 1]);
    expect(A.totalUnread(a.rooms)).toBe(8);
    expect(A.unreadLabel(3)).toBe('3 unread');
    expect(A.unreadLabel(120)).toBe('99+ unread');
    expect(A.roomTitle(a, 'p--1', 'private', ann.id)).toBe('Team');
    expect(A.roomTitle(a, 'lobby', 'public', ann.id)).toBe('lobby');
    a = A.applyRoomDetails(a, { type: 'room', room: 'dm--2', kind: 'dm', title: 'whatever', members: [ann, bob] });
    expect(A.roomTitle(a, 'dm--2', 'dm', ann.id)).toBe('Bob');
    expect(A.roomTitle(a, 'p--unknown', 'private', ann.id)).toBe('Private room');
  });

  it('offers invite and remove only to the owner of a private room; a removal forgets the room', () => {
    let a = A.applyRoomDetails(A.newAccount('Ann'), { type: 'room', room: 'p--1', kind: 'private', title: 'Team', owner: ann.id, members: [ann, bob] });
    a = A.applyRooms(a, { type: 'rooms', rooms: [entry('p--1', 'private', 1, 0, 'Team')] });
    expect(A.ownedDetails(a, 'p--1', ann.id)?.title).toBe('Team');
    expect(A.ownedDetails(a, 'p--1', bob.id)).toBeUndefined();
    expect(A.ownedDetails(null, 'p--1', ann.id)).toBeUndefined();
    a = A.forgetRoom(a, 'p--1');
    expect(a.rooms).toEqual([]);
    expect(A.ownedDetails(a, 'p--1', ann.id)).toBeUndefined();
  });
});

describe('frames.ts: the account frames', () => {
  it('passes well-formed frames through as the same data', () => {
    const frames = [
      { type: 'welcome', appId: '1000', session: 's', member: ann, account: { username: 'Ann' } },
      { type: 'left', room: 'p--1', reason: 'removed' },
      { type: 'rooms', rooms: [entry('lobby', 'public', 57, 42), entry('dm--0c7', 'dm', 3, 3, 'Bob')] },
      { type: 'room', room: 'p--1', kind: 'private', title: 'Team', owner: ann.id, members: [ann, bob] },
      { type: 'room', room: 'dm--1', kind: 'dm', title: 'Bob', members: [ann, bob] },
      { type: 'rooms', rooms: [], invites: [{ room: 'p--2', kind: 'private', title: 'Team', from: bob, at: 1_795_381_956_277, expires: 1_795_986_756_277 }] },
      { type: 'room', room: 'dm--2', kind: 'dm', title: 'Bob', members: [ann], invited: [bob] },
      { type: 'read', room: 'lobby', id: 57 },
      { type: 'sessions', sessions: [{ id: 'abc', created: 1_795_381_956_277, current: true }] },
      { type: 'revoked', count: 2 },
    ];
    for (const f of frames) expect(readServerFrame(JSON.stringify(f))).toEqual(f);
  });

  it('rebuilds or drops malformed ones', () => {
    expect(readServerFrame(JSON.stringify({ type: 'welcome', appId: '1', session: 's', member: ann, account: { username: 7 } })))
      .toEqual({ type: 'welcome', appId: '1', session: 's', member: ann });
    expect(readServerFrame(JSON.stringify({ type: 'left', room: 'x', reason: 'kicked' }))).toEqual({ type: 'left', room: 'x' });
    expect(readServerFrame('{"type":"rooms","rooms":"no"}')).toBeNull();
    // Invites: a public room, no inviter or no time are dropped; a DM's title is who invited.
    const at = 1_795_381_956_277;
    expect(readServerFrame(JSON.stringify({ type: 'rooms', rooms: [], invites: [
      { room: 'lobby', kind: 'public', title: 'x', from: bob, at }, { room: 'p--1', title: 'T', at }, { room: 'p--2', title: 'T', from: bob },
      { room: 'dm--9', kind: 'dm', title: '<b>', from: bob, at, expires: 'later' },
    ] }))).toEqual({ type: 'rooms', rooms: [], invites: [{ room: 'dm--9', kind: 'dm', title: 'Bob', from: bob, at, expires: at }] });
    expect(readServerFrame(JSON.stringify({ type: 'rooms', rooms: [{ room: 'dm--1', kind: 'weird', last: -1, read: 'x' }, { kind: 'public' }, null] })))
      .toEqual({ type: 'rooms', rooms: [{ room: 'dm--1', kind: 'dm', title: 'dm--1', last: 0, read: 0, unread: 0 }] });
    expect(readServerFrame('{"type":"read","room":"lobby","id":-3}')).toBeNull();
    expect(readServerFrame('{"type":"read","id":3}')).toBeNull();
    expect(readServerFrame('{"type":"room","room":"p--1","members":"x"}')).toBeNull();
    expect(readServerFrame(JSON.stringify({ type: 'room', room: 'p--1', members: [ann, { id: 1 }], owner: 5 })))
      .toEqual({ type: 'room', room: 'p--1', kind: 'private', title: 'p--1', members: [ann] });
    expect(readServerFrame(JSON.stringify({ type: 'sessions', sessions: [{ id: 'a', created: 'x' }, { id: 'b', created: 1 }] })))
      .toEqual({ type: 'sessions', sessions: [{ id: 'b', created: 1, current: false }] });
    expect(readServerFrame('{"type":"revoked"}')).toEqual({ type: 'revoked', count: 0 });
  });
});

describe('the account form', () => {
  it('checks what it can before sending, and words the server\'s refusals', () => {
    expect(credentialsProblem('signin', '  ', 'x')).toMatch(/username/);
    expect(credentialsProblem('signin', 'ann', '')).toBe('Enter your password.');
    expect(credentialsProblem('signin', 'ann', 'short')).toBeNull(); // an old password is the server's to judge
    expect(credentialsProblem('signup', 'ann', 'short')).toMatch(/8-256/);
    expect(credentialsProblem('signup', 'ann', 'long enough')).toBeNull();
    expect(authErrorText({ type: 'error', code: 'auth_failed', message: 'x' }, 'signin')).toBe('Wrong username or password.');
    expect(authErrorText({ type: 'error', code: 'name_taken', message: 'x' }, 'signup')).toMatch(/taken/);
    expect(authErrorText({ type: 'error', code: 'rate_limited', message: 'x', retryAfterMs: 4200 }, 'signin')).toMatch(/5 s/);
  });
});

function setup(store = new MemoryStore()) {
  const routes: Array<[string, string]> = [];
  const passwords: unknown[] = [];
  const c = new ChatController({
    url: 'ws://h/ws', WebSocket: FakeSocket, storage: store, onChange: () => {}, random: () => 0.5,
    onRoute: (room, how) => routes.push([room, how]), onPassword: (r) => passwords.push(r),
  });
  return { c, store, routes, passwords };
}

async function signedIn(c: ChatController, room = 'lobby', member = ann): Promise<FakeSocket> {
  c.signIn('signin', member.name, 'correct horse', room);
  const ws = FakeSocket.last();
  ws.open();
  expect(ws.sent[0]).toEqual({ type: 'signin', username: member.name, password: 'correct horse' });
  ws.receive({ type: 'welcome', appId: '1000', session: 'acct-sess', member, account: { username: member.name } });
  await tick();
  return ws;
}

beforeEach(() => { FakeSocket.reset(); vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('ChatController with an account', () => {
  it('signs in instead of hello, keeps the session, asks for its rooms, and says hello with the session on reconnect', async () => {
    const { c, store } = setup();
    expect(c.signIn('signin', 'Ann', 'correct horse', 'lobby')).toBe(true);
    expect(c.state.phase).toBe('login');
    expect(c.state.authBusy).toBe(true);
    const ws = FakeSocket.last();
    ws.open();
    ws.receive({ type: 'welcome', appId: '1000', session: 'acct-sess', member: ann, account: { username: 'Ann' } });
    await tick();
    expect(c.state.phase).toBe('chat');
    expect(c.state.account?.username).toBe('Ann');
    expect(JSON.parse(store.map.get('livechat.account')!)).toEqual({ username: 'Ann', session: 'acct-sess' });
    expect(ws.sent.slice(1)).toEqual([{ type: 'join', room: 'lobby' }, { type: 'rooms' }]);
    vi.advanceTimersByTime(ROOMS_POLL_MS);
    expect(ws.sentOfType('rooms')).toHaveLength(2);

    ws.drop(1006);
    vi.advanceTimersByTime(300);
    const ws2 = FakeSocket.last();
    ws2.open();
    expect(ws2.sent[0]).toEqual({ type: 'hello', name: 'Ann', session: 'acct-sess' });
  });

  it('a refused sign-in stays on the form with the reason, and closes', async () => {
    const { c } = setup();
    c.signIn('signin', 'Ann', 'wrong password', 'lobby');
    const ws = FakeSocket.last();
    ws.open();
    ws.receive({ type: 'error', code: 'auth_failed', message: 'wrong username or password' });
    expect(c.state).toMatchObject({ phase: 'login', authBusy: false, authError: 'Wrong username or password.' });
    expect(ws.closedByClient).not.toBeNull();
    expect(c.conn.state).toBe(State.Disconnected);
  });

  it('resumes a stored account session on load; a welcome without the account means signed out', async () => {
    const store = new MemoryStore();
    store.setItem('livechat.account', JSON.stringify({ username: 'Ann', session: 'old' }));
    const { c } = setup(store);
    expect(c.resume('lobby')).toBe(true);
    expect(c.state.phase).toBe('chat');
    const ws = FakeSocket.last();
    ws.open();
    expect(ws.sent[0]).toEqual({ type: 'hello', name: 'Ann', session: 'old' });
    ws.receive({ type: 'welcome', appId: '1000', session: 'fresh', member: guest });
    expect(c.state.phase).toBe('login');
    expect(c.state.notice).toBe('You were signed out.');
    expect(store.map.has('livechat.account')).toBe(false);
  });

  it('name_taken on a reconnect hello with the account session means signed out', async () => {
    const { c, store } = setup();
    const ws = await signedIn(c);
    ws.drop(1006);
    vi.advanceTimersByTime(300);
    const ws2 = FakeSocket.last();
    ws2.open();
    ws2.receive({ type: 'error', code: 'name_taken', message: 'that name is a registered username' });
    expect(c.state.phase).toBe('login');
    expect(c.state.notice).toBe('You were signed out.');
    expect(store.map.has('livechat.account')).toBe(false);
  });

  it('1008 "signed out" goes back to the login view and does not reconnect; other 1008s reconnect', async () => {
    const { c, store } = setup();
    let ws = await signedIn(c);
    ws.drop(1008, 'policy violation');
    expect(c.conn.state).toBe(State.Reconnecting);
    vi.advanceTimersByTime(300);
    ws = FakeSocket.last();
    ws.open();
    ws.receive({ type: 'welcome', appId: '1000', session: 'acct-sess', member: ann, account: { username: 'Ann' } });
    await tick();
    c.signOutEverywhere();
    expect(ws.sentOfType('revoke')).toEqual([{ type: 'revoke' }]);
    ws.receive({ type: 'revoked', count: 2 });
    const sockets = FakeSocket.all.length;
    ws.drop(1008, 'signed out');
    expect(c.state.phase).toBe('login');
    expect(c.state.notice).toBe('You were signed out everywhere.');
    expect(c.conn.state).toBe(State.Disconnected);
    vi.advanceTimersByTime(30_000);
    expect(FakeSocket.all.length).toBe(sockets);
    expect(store.map.has('livechat.account')).toBe(false);
  });

  it('sends `read` for the room shown, debounced, only when it moves, and not while the tab is hidden', async () => {
    const { c } = setup();
    const ws = await signedIn(c);
    const msg = (id: number) => ({ type: 'message', room: 'lobby', id, ts: id, from: bob, text: 'x', cid: `c${id}`, via: '1' });
    ws.receive({ type: 'rooms', rooms: [entry('lobby', 'public', 5, 2)] });
    ws.receive({ type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [msg(4), msg(5)], last: 5 });
    expect(ws.sentOfType('read')).toEqual([]);
    vi.advanceTimersByTime(READ_DEBOUNCE_MS);
    expect(ws.sentOfType('read')).toEqual([{ type: 'read', room: 'lobby', id: 5 }]);
    expect(c.state.account!.rooms![0].unread).toBe(0);
    vi.advanceTimersByTime(READ_DEBOUNCE_MS * 3);
    expect(ws.sentOfType('read')).toHaveLength(1);
    c.setVisible(false);
    ws.receive(msg(6));
    ws.receive(msg(7));
    vi.advanceTimersByTime(READ_DEBOUNCE_MS * 3);
    expect(ws.sentOfType('read')).toHaveLength(1);
    expect(c.state.account!.rooms![0].unread).toBe(2);
    c.setVisible(true);
    vi.advanceTimersByTime(READ_DEBOUNCE_MS);
    expect(ws.sentOfType('read')).toEqual([{ type: 'read', room: 'lobby', id: 5 }, { type: 'read', room: 'lobby', id: 7 }]);
    // A read pushed from another tab moves the marker: nothing to send for it.
    ws.receive({ type: 'read', room: 'lobby', id: 9 });
    ws.receive(msg(8));
    vi.advanceTimersByTime(READ_DEBOUNCE_MS);
    expect(ws.sentOfType('read')).toHaveLength(2);
  });

  it('opens a DM from its `room` answer, asks a private room\'s details on join, and creates rooms', async () => {
    const { c, routes } = setup();
    const ws = await signedIn(c);
    ws.receive({ type: 'joined', room: 'lobby', count: 2, members: [ann, bob], messages: [], last: 0 });
    expect(c.openDm(ann.id)).toBe(false); // not with myself
    expect(c.openDm(bob.id)).toBe(true);
    expect(ws.sentOfType('dm')).toEqual([{ type: 'dm', member: bob.id }]);
    ws.receive({ type: 'room', room: 'dm--ab', kind: 'dm', title: 'Bob', members: [ann, bob] });
    expect(c.state.room).toBe('dm--ab');
    expect(routes).toEqual([['dm--ab', 'push']]);
    expect(ws.sentOfType('leave')).toEqual([{ type: 'leave', room: 'lobby' }]);
    expect(ws.sent.at(-1)).toEqual({ type: 'join', room: 'dm--ab' });
    ws.receive({ type: 'joined', room: 'dm--ab', count: 1, members: [ann], messages: [], last: 0 });
    expect(ws.sentOfType('room')).toEqual([{ type: 'room', room: 'dm--ab' }]);
    expect(c.titleOf('dm--ab')).toBe('Bob');

    expect(c.createRoom('   ')).toMatch(/title/);
    expect(c.createRoom('Team')).toBeNull();
    expect(ws.sentOfType('create')).toEqual([{ type: 'create', title: 'Team' }]);
    ws.receive({ type: 'room', room: 'p--1', kind: 'private', title: 'Team', owner: ann.id, members: [ann] });
    expect(c.state.room).toBe('p--1');
    // An answer nobody waits for (an invite's) does not move the page.
    ws.receive({ type: 'joined', room: 'p--1', count: 1, members: [ann], messages: [], last: 0 });
    expect(c.invite('Bob')).toBeNull();
    expect(ws.sentOfType('invite')).toEqual([{ type: 'invite', room: 'p--1', username: 'Bob' }]);
    ws.receive({ type: 'room', room: 'p--1', kind: 'private', title: 'Team', owner: ann.id, members: [ann, bob] });
    expect(c.state.room).toBe('p--1');
    expect(c.state.account!.details['p--1'].members).toHaveLength(2);
    expect(c.removeMember(bob.id)).toBe(true);
    expect(ws.sentOfType('remove')).toEqual([{ type: 'remove', room: 'p--1', member: bob.id }]);
  });

  it('pending invites: listed from `rooms`; Accept opens the room once answered, Decline asks; a stranger\'s DM is only asked; Leave room parts', async () => {
    const { c, routes } = setup();
    const ws = await signedIn(c);
    ws.receive({ type: 'joined', room: 'lobby', count: 2, members: [ann, bob], messages: [], last: 0 });
    const at = 1_795_381_956_277;
    const invites = [
      { room: 'p--2', kind: 'private' as const, title: 'Team', from: bob, at, expires: at + 1 },
      { room: 'p--3', kind: 'private' as const, title: 'Spam', from: bob, at: at - 1, expires: at + 1 },
    ];
    ws.receive({ type: 'rooms', rooms: [entry('lobby', 'public', 0, 0)], invites });
    expect(c.state.account!.invites).toEqual(invites);
    expect(c.answerInvite('p--3', 'decline')).toBe(true);
    expect(ws.sentOfType('decline')).toEqual([{ type: 'decline', room: 'p--3' }]);
    ws.receive({ type: 'rooms', rooms: [entry('lobby', 'public', 0, 0)], invites: [invites[0]], rid: ws.ridOf('decline') });
    expect(c.state.account!.invites).toEqual([invites[0]]);
    expect(c.state.room).toBe('lobby');
    expect(c.answerInvite('p--2', 'accept')).toBe(true);
    expect(ws.sentOfType('accept')).toEqual([{ type: 'accept', room: 'p--2' }]);
    ws.receive({ type: 'room', room: 'p--2', kind: 'private', title: 'Team', owner: bob.id, members: [ann, bob], rid: ws.ridOf('accept') });
    expect(c.state.room).toBe('p--2');
    expect(routes.at(-1)).toEqual(['p--2', 'push']);
    // A DM with someone one shares no private room with: an invite, nothing opens.
    expect(c.openDm(bob.id)).toBe(true);
    ws.receive({ type: 'room', room: 'dm--ab', kind: 'dm', title: 'Bob', members: [ann], invited: [bob], rid: ws.ridOf('dm') });
    expect(c.state.room).toBe('p--2');
    expect(c.state.notice).toBe('Bob was asked to accept your direct message.');
    // Leave room: a part, and its `left` says so.
    ws.receive({ type: 'joined', room: 'p--2', count: 2, members: [ann, bob], messages: [], last: 0 });
    expect(c.answerInvite('p--2', 'part')).toBe(true);
    expect(ws.sentOfType('part')).toEqual([{ type: 'part', room: 'p--2' }]);
    ws.receive({ type: 'left', room: 'p--2', reason: 'removed' });
    expect(c.state.room).toBe('lobby');
    expect(c.state.notice).toBe('You left Team.');
  });

  it('removed from the room shown: back to the lobby without a leave, saying so', async () => {
    const { c, routes } = setup();
    const ws = await signedIn(c, 'p--1', bob);
    ws.receive({ type: 'joined', room: 'p--1', count: 2, members: [ann, bob], messages: [], last: 0 });
    ws.receive({ type: 'room', room: 'p--1', kind: 'private', title: 'Team', owner: ann.id, members: [ann, bob] });
    ws.receive({ type: 'rooms', rooms: [entry('p--1', 'private', 0, 0, 'Team')] });
    ws.receive({ type: 'left', room: 'p--1', reason: 'removed' });
    expect(c.state.room).toBe('lobby');
    expect(c.state.notice).toBe('You were removed from Team.');
    expect(routes).toEqual([['lobby', 'replace']]);
    expect(ws.sentOfType('leave')).toEqual([]);
    expect(ws.sent.at(-1)).toEqual({ type: 'rooms' });
    expect(ws.sentOfType('join').at(-1)).toEqual({ type: 'join', room: 'lobby' });
    expect(c.state.account!.rooms).toEqual([]);
    // The answer to our own leave (no reason) changes nothing.
    ws.receive({ type: 'left', room: 'lobby' });
    expect(c.state.room).toBe('lobby');
  });

  it('a join refused with forbidden goes back to the lobby with a notice', async () => {
    const { c, routes } = setup();
    const ws = await signedIn(c, 'p--gone');
    expect(ws.sentOfType('join')).toEqual([{ type: 'join', room: 'p--gone' }]);
    ws.receive({ type: 'error', code: 'forbidden', message: 'you are not allowed to do that here' });
    expect(c.state.room).toBe('lobby');
    expect(c.state.notice).toMatch(/You cannot open that room/);
    expect(routes).toEqual([['lobby', 'replace']]);
    expect(ws.sentOfType('join').at(-1)).toEqual({ type: 'join', room: 'lobby' });
  });

  it('the Sessions panel: asks for the list, keeps it (this device first), revokes another one and asks again', async () => {
    const { c } = setup();
    const ws = await signedIn(c);
    expect(c.state.account!.sessions).toBeNull();
    expect(c.revokeSession('old')).toBe(false); // nothing listed yet
    expect(c.requestSessions()).toBe(true);
    expect(ws.sentOfType('sessions')).toEqual([{ type: 'sessions' }]);
    const mine = { id: 'mine', created: 3_000, current: true };
    const old = { id: 'old', created: 1_000, current: false };
    const phone = { id: 'phone', created: 2_000, current: false };
    ws.receive({ type: 'sessions', sessions: [old, mine, phone] });
    expect(c.state.account!.sessions).toEqual([mine, phone, old]);
    expect(c.revokeSession('mine')).toBe(false); // this device's is "Sign out"
    expect(ws.sentOfType('revoke')).toEqual([]);

    expect(c.revokeSession('old')).toBe(true);
    expect(c.revokeSession('old')).toBe(false); // once
    expect(ws.sentOfType('revoke')).toEqual([{ type: 'revoke', session: 'old' }]);
    expect(c.state.account!.revoking).toEqual(['old']);
    expect(ws.sentOfType('sessions')).toHaveLength(1); // the list is asked for once the server answered
    ws.receive({ type: 'revoked', count: 1 });
    expect(ws.sent.at(-1)).toEqual({ type: 'sessions' });
    expect(ws.sentOfType('sessions')).toHaveLength(2);
    expect(c.state.account!.revoking).toEqual([]);
    ws.receive({ type: 'sessions', sessions: [mine, phone] });
    expect(c.state.account!.sessions).toEqual([mine, phone]);
    expect(c.state.phase).toBe('chat');

    // A reconnect while the list is loaded asks for it again (it may have changed meanwhile).
    ws.drop(1006);
    vi.advanceTimersByTime(300);
    const ws2 = FakeSocket.last();
    ws2.open();
    ws2.receive({ type: 'welcome', appId: '1000', session: 'acct-sess', member: ann, account: { username: 'Ann' } });
    await tick();
    expect(ws2.sentOfType('sessions')).toEqual([{ type: 'sessions' }]);
    // Signed out: the list goes with the account.
    c.signOut();
    expect(c.state.account).toBeNull();
    expect(c.requestSessions()).toBe(false);
  });

  it('changes the password: sends old and new, reports the other sessions signed out, or why not', async () => {
    const { c, passwords } = setup();
    c.signIn('signin', 'Ann', 'correct horse', 'lobby');
    const ws = FakeSocket.last();
    ws.open();
    ws.receive({ type: 'welcome', appId: '1000', session: 'acct-sess', member: ann, account: { username: 'Ann' }, rid: ws.ridOf('signin') });
    await tick();
    expect(c.changePassword('correct horse', 'a new secret')).toBeNull();
    expect(ws.sentOfType('password')).toEqual([{ type: 'password', old: 'correct horse', new: 'a new secret' }]);
    ws.receive({ type: 'password', revoked: 2, rid: ws.ridOf('password') });
    expect(passwords).toEqual([{ revoked: 2 }]);
    expect(c.changePassword('wrong one', 'another secret')).toBeNull();
    ws.receive({ type: 'error', code: 'auth_failed', message: 'x', rid: ws.rids.at(-1) });
    expect(passwords.at(-1)).toEqual({ error: 'The current password is wrong.' });
    expect(c.state.phase).toBe('chat');
  });

  it('sign out revokes this session on the server, forgets it here and closes', async () => {
    const { c, store } = setup();
    const ws = await signedIn(c);
    c.signOut();
    expect(ws.sentOfType('revoke')).toEqual([{ type: 'revoke', session: 'current' }]);
    expect(c.state.phase).toBe('login');
    expect(c.state.account).toBeNull();
    expect(c.conn.state).toBe(State.Disconnected);
    expect(store.map.has('livechat.account')).toBe(false);
    expect(c.storedAccount()).toBeNull();
  });
});
