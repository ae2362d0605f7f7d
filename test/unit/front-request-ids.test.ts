// Request ids in the page (shared/PROTOCOL.md "Request ids"): every request goes out with a fresh
// `rid`, answers come back with the request they answer (requests.ts), and the controller acts on an
// `error` by the request its rid names — a refused join and a refused revoke in flight at the same time
// each get their own handling — while an `error` without a rid (or with an unknown one) is a notice.
// From a server that does not echo rids, the page reads errors as it always did.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatMessage, Member, ServerMessage } from '@livechat/protocol';
import { Connection, State } from '../../chat-front/src/connection.js';
import { ChatController } from '../../chat-front/src/controller.js';
import { readServerMessage } from '../../chat-front/src/frames.js';
import { inFlightOf, MAX_IN_FLIGHT, RequestTable, type InFlight } from '../../chat-front/src/requests.js';
import { errorText } from '../../chat-front/src/texts.js';
import { FakeSocket } from './front-fake-socket.js';

const ann: Member = { id: 'u_ann', name: 'Ann' };
const bob: Member = { id: 'u_bob', name: 'Bob' };
const tick = () => Promise.resolve();

beforeEach(() => { FakeSocket.reset(); vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('RequestTable', () => {
  it('gives fresh rids, hands each request back once for its answer, and forgets everything on reset', () => {
    const t = new RequestTable();
    const join: InFlight = { type: 'join', room: 'lobby' };
    const r1 = t.add({ type: 'hello' });
    const r2 = t.add(join);
    expect([r1, r2]).toEqual(['r1', 'r2']);
    expect(t.answer(r2)).toBe(join);
    expect(t.answer(r2)).toBeUndefined(); // answered once
    expect(t.answer(undefined)).toBeUndefined();
    expect(t.answer('r99')).toBeUndefined();
    t.reset();
    expect(t.answer(r1)).toBeUndefined();
    expect(t.add({ type: 'ping' })).toBe('r3'); // never reused
  });

  it('keeps nothing for a server that does not echo rids, and stays bounded for one that loses answers', () => {
    const t = new RequestTable();
    t.add({ type: 'hello' });
    t.welcomed(false);
    expect(t.echoed).toBe(false);
    expect(t.size).toBe(0);
    t.add({ type: 'rooms' });
    expect(t.size).toBe(0);
    t.reset();
    t.welcomed(true);
    for (let i = 0; i < MAX_IN_FLIGHT + 5; i++) t.add({ type: 'rooms' });
    expect(t.size).toBe(MAX_IN_FLIGHT);
    expect(t.answer('r1')).toBeUndefined(); // the oldest went first
  });

  it('remembers what a request names, never a password or a message text', () => {
    expect(inFlightOf({ type: 'signin', username: 'ann', password: 'secret words' })).toEqual({ type: 'signin' });
    expect(inFlightOf({ type: 'send', room: 'lobby', text: 'hi', cid: 'c1' })).toEqual({ type: 'send', room: 'lobby', cid: 'c1' });
    expect(inFlightOf({ type: 'history', room: 'lobby', after: 5 })).toEqual({ type: 'history', room: 'lobby', dir: 'newer' });
    expect(inFlightOf({ type: 'history', room: 'lobby', before: 5 })).toEqual({ type: 'history', room: 'lobby', dir: 'older' });
    expect(inFlightOf({ type: 'revoke', session: 's1' })).toEqual({ type: 'revoke', session: 's1' });
    expect(inFlightOf({ type: 'revoke' })).toEqual({ type: 'revoke' });
  });
});

describe('Connection with request ids', () => {
  it('sends every request (hello and ping too) with a fresh rid and hands an answer on with its request', () => {
    const got: Array<[ServerMessage, InFlight | undefined]> = [];
    const conn = new Connection({
      url: 'ws://h/ws', WebSocket: FakeSocket, hello: () => ({ type: 'hello', name: 'Ann' }),
      onMessage: (m, req) => got.push([m, req]), random: () => 0,
    });
    conn.connect();
    const ws = FakeSocket.last();
    ws.open();
    expect(ws.rids).toEqual(['r1']);
    ws.receive({ type: 'welcome', appId: '1', session: 's', member: ann, rid: 'r1' });
    expect(conn.echoesRids).toBe(true);
    expect(got[0][1]).toEqual({ type: 'hello' });
    conn.send({ type: 'join', room: 'lobby' });
    conn.send({ type: 'history', room: 'lobby', before: 9 }, { type: 'history', room: 'lobby', dir: 'latest' });
    expect(ws.rids).toEqual(['r1', 'r2', 'r3']);
    ws.receive({ type: 'history', room: 'lobby', messages: [], rid: 'r3' });
    ws.receive({ type: 'presence', room: 'lobby', event: 'count', count: 3 }); // pushed: no rid
    ws.receive({ type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [], last: 0, rid: 'r2' });
    ws.receive({ type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [], last: 0, rid: 'r2' }); // answered already
    expect(got.slice(1).map(([m, req]) => [m.type, req])).toEqual([
      ['history', { type: 'history', room: 'lobby', dir: 'latest' }],
      ['presence', undefined],
      ['joined', { type: 'join', room: 'lobby' }],
      ['joined', undefined],
    ]);
    vi.advanceTimersByTime(20_000);
    expect(ws.sentOfType('ping')).toHaveLength(1);
    expect(ws.rids.at(-1)).toBe('r4');
  });

  it('a socket that closes takes its requests with it; a server without rids is recognised by its welcome', () => {
    const got: Array<InFlight | undefined> = [];
    const conn = new Connection({
      url: 'ws://h/ws', WebSocket: FakeSocket, hello: () => ({ type: 'hello', name: 'Ann' }),
      onMessage: (_m, req) => got.push(req), random: () => 0,
    });
    conn.connect();
    let ws = FakeSocket.last();
    ws.open();
    ws.receive({ type: 'welcome', appId: '1', session: 's', member: ann, rid: 'r1' });
    conn.send({ type: 'rooms' });
    ws.drop();
    vi.advanceTimersByTime(1);
    ws = FakeSocket.last();
    ws.open();
    expect(ws.rids).toEqual(['r3']);
    ws.receive({ type: 'welcome', appId: '2', session: 's', member: ann }); // an older server
    expect(conn.echoesRids).toBe(false);
    ws.receive({ type: 'rooms', rooms: [], rid: 'r2' }); // the lost socket's request: not waited for here
    expect(got).toEqual([{ type: 'hello' }, undefined, undefined]);
  });
});

function setup() {
  const routes: Array<[string, string]> = [];
  const c = new ChatController({
    url: 'ws://h/ws', WebSocket: FakeSocket, storage: null, onChange: () => {}, random: () => 0.5,
    newCid: (() => { let n = 0; return () => `cid-${++n}`; })(),
    onRoute: (room, how) => routes.push([room, how]),
  });
  return { c, routes };
}

/** Signed in as Ann in `room` on a server that echoes rids; the welcome and `joined` carry theirs. */
async function signedIn(c: ChatController, room = 'lobby', messages: ChatMessage[] = []): Promise<FakeSocket> {
  c.signIn('signin', 'Ann', 'correct horse', room);
  const ws = FakeSocket.last();
  ws.open();
  ws.receive({ type: 'welcome', appId: '1000', session: 'acct', member: ann, account: { username: 'Ann' }, rid: ws.ridOf('signin') });
  await tick();
  ws.receive({ type: 'joined', room, count: 2, members: [ann, bob], messages, last: messages.at(-1)?.id ?? 0, rid: ws.ridOf('join') });
  return ws;
}

const mine = { id: 'mine', created: 3, current: true };
const old = { id: 'old', created: 1, current: false };
const phone = { id: 'phone', created: 2, current: false };

describe('the controller matches answers to requests by rid', () => {
  it('a refused revoke and a refused join in flight at the same time each get their own handling', async () => {
    const { c, routes } = setup();
    const ws = await signedIn(c);
    c.requestSessions();
    ws.receive({ type: 'sessions', sessions: [mine, old, phone], rid: ws.ridOf('sessions') });
    expect(c.revokeSession('old')).toBe(true);
    expect(c.switchRoom('p--secret')).toBe(true);
    const revokeRid = ws.ridOf('revoke');
    const joinRid = ws.ridOf('join');
    expect(revokeRid).not.toBe(joinRid);

    // The revoke's refusal first: its row is settled; the join waiting is not touched (no retry, no lobby).
    ws.receive({ type: 'error', code: 'rate_limited', message: 'too many requests, slow down', retryAfterMs: 500, rid: revokeRid });
    expect(c.state.account!.revoking).toEqual([]);
    expect(c.state.room).toBe('p--secret');
    expect(c.state.notice).toBe('too many requests, slow down');
    vi.advanceTimersByTime(1000);
    expect(ws.sentOfType('join')).toHaveLength(2); // lobby, p--secret: nothing retried
    expect(ws.sentOfType('sessions')).toHaveLength(1); // nothing revoked: the list is not asked for again

    // Then the join's: back to the lobby, saying why.
    ws.receive({ type: 'error', code: 'forbidden', message: 'you are not allowed to do that here', rid: joinRid });
    expect(c.state.room).toBe('lobby');
    expect(c.state.notice).toBe('You cannot open that room: it is private, and you are not a member.');
    expect(routes).toEqual([['lobby', 'replace']]);
    expect(c.state.account!.revoking).toEqual([]);
  });

  it('the same two refusals the other way round: the join goes back to the lobby, the revoke row still waits until its own answer', async () => {
    const { c } = setup();
    const ws = await signedIn(c);
    c.requestSessions();
    ws.receive({ type: 'sessions', sessions: [mine, old, phone], rid: ws.ridOf('sessions') });
    c.revokeSession('old');
    c.revokeSession('phone');
    c.switchRoom('p--secret');
    ws.receive({ type: 'error', code: 'forbidden', message: 'no', rid: ws.ridOf('join') });
    expect(c.state.room).toBe('lobby');
    expect(c.state.account!.revoking).toEqual(['old', 'phone']);
    // `revoked` answers one revoke: only its row settles, and the list is asked for again.
    const [oldRid, phoneRid] = ws.rids.filter((_, i) => ws.sent[i].type === 'revoke');
    ws.receive({ type: 'revoked', count: 1, rid: phoneRid });
    expect(c.state.account!.revoking).toEqual(['old']);
    expect(ws.sent.at(-1)).toEqual({ type: 'sessions' });
    ws.receive({ type: 'error', code: 'unavailable', message: 'store down', rid: oldRid });
    expect(c.state.account!.revoking).toEqual([]);
  });

  it('a failed history page stops only the history; the member page in flight still waits', async () => {
    const { c } = setup();
    const ws = await signedIn(c, 'lobby', [{ type: 'message', room: 'lobby', id: 80, ts: 1, from: bob, text: 'x', cid: 'x80', via: '1' }]);
    ws.receive({ type: 'presence', room: 'lobby', event: 'count', count: 300 }); // turned large: a first page is asked for
    expect(c.state.roster.inFlight).not.toBeNull();
    c.loadOlder();
    expect(c.state.history.loading).toBe(true);
    ws.receive({ type: 'error', code: 'unavailable', message: 'store down', rid: ws.ridOf('history') });
    expect(c.state.history.loading).toBe(false);
    expect(c.state.roster.inFlight).not.toBeNull();
    ws.receive({ type: 'error', code: 'unavailable', message: 'store down', retryAfterMs: 200, rid: ws.ridOf('members') });
    expect(c.state.roster.inFlight).toBeNull();
    vi.advanceTimersByTime(200);
    expect(ws.sentOfType('members')).toHaveLength(2);
  });

  it('a `room` answer opens the page only when it answers the create or dm waiting', async () => {
    const { c } = setup();
    const ws = await signedIn(c, 'p--mine');
    expect(c.invite('Bob')).toBeNull();
    expect(c.createRoom('Team')).toBeNull();
    // The invite's answer is a private room's details too: by its rid it is not the create's.
    ws.receive({ type: 'room', room: 'p--mine', kind: 'private', title: 'Mine', owner: ann.id, members: [ann, bob], rid: ws.ridOf('invite') });
    ws.receive({ type: 'room', room: 'p--other', kind: 'private', title: 'Other', owner: ann.id, members: [ann], rid: ws.ridOf('room') });
    expect(c.state.room).toBe('p--mine');
    ws.receive({ type: 'room', room: 'p--team', kind: 'private', title: 'Team', owner: ann.id, members: [ann], rid: ws.ridOf('create') });
    expect(c.state.room).toBe('p--team');
  });

  it('a send refused without its cid is still the send its rid names', async () => {
    const { c } = setup();
    const ws = await signedIn(c);
    c.send('hello');
    ws.receive({ type: 'error', code: 'bad_request', message: 'text too long', rid: ws.ridOf('send') });
    expect(c.state.outbox).toMatchObject([{ cid: 'cid-1', status: 'failed', error: 'text too long' }]);
  });

  it('a refused hello goes back to the form with the text for that request', () => {
    const { c } = setup();
    c.start('Ann', 'lobby');
    const ws = FakeSocket.last();
    ws.open();
    ws.receive({ type: 'error', code: 'name_taken', message: 'that name is a registered username', rid: ws.ridOf('hello') });
    expect(c.state).toMatchObject({ phase: 'login', loginError: 'That name belongs to an account: sign in, or pick another name.' });
    expect(c.conn.state).toBe(State.Disconnected);
  });

  it('an error with no rid, or an unknown one, is a notice for the moment and answers nothing in flight', async () => {
    const { c } = setup();
    const ws = await signedIn(c);
    c.switchRoom('quiet');
    ws.receive({ type: 'error', code: 'rate_limited', message: 'slow down', retryAfterMs: 100 });
    expect(c.state.notice).toBe('slow down');
    ws.receive({ type: 'error', code: 'unavailable', message: 'store down', rid: 'r999' });
    expect(c.state.notice).toBe('store down');
    vi.advanceTimersByTime(1000);
    expect(ws.sentOfType('join').at(-1)).toEqual({ type: 'join', room: 'quiet' });
    expect(ws.sentOfType('join')).toHaveLength(2); // the join still waits for its own answer: no retry
    vi.advanceTimersByTime(10_000);
    expect(c.state.notice).toBeNull();
    ws.receive({ type: 'joined', room: 'quiet', count: 1, members: [ann], messages: [], last: 0, rid: ws.ridOf('join') });
    expect(c.state.joined).toBe(true);
  });
});

describe('the controller with a server that does not echo rids', () => {
  it('an error without a rid still shows a notice, and is read as it always was (the join waiting retries)', async () => {
    const { c } = setup();
    c.start('Ann', 'lobby');
    const ws = FakeSocket.last();
    ws.open();
    ws.receive({ type: 'welcome', appId: '1000', session: 's', member: ann });
    await tick();
    expect(c.conn.echoesRids).toBe(false);
    ws.receive({ type: 'error', code: 'unavailable', message: 'store down', retryAfterMs: 300 });
    expect(c.state.notice).toBe('store down');
    vi.advanceTimersByTime(300);
    expect(ws.sentOfType('join')).toHaveLength(2);
    vi.advanceTimersByTime(10_000);
    expect(c.state.notice).toBeNull();
  });
});

describe('frames and texts', () => {
  it('a frame keeps a well-formed rid and loses a malformed one (the frame still counts)', () => {
    expect(readServerMessage({ type: 'pong', rid: 'r1' })).toEqual({ type: 'pong', rid: 'r1' });
    expect(readServerMessage({ type: 'error', code: 'forbidden', message: 'no', rid: 'r2' })).toEqual({ type: 'error', code: 'forbidden', message: 'no', rid: 'r2' });
    for (const rid of ['', 'x'.repeat(65), 7, null, { r: 1 }]) {
      expect(readServerMessage({ type: 'left', room: 'lobby', rid })).toEqual({ type: 'left', room: 'lobby' });
    }
  });

  it('words an error by the request it answers where that matters, else in the server\'s words', () => {
    const forbidden = { type: 'error', code: 'forbidden', message: 'you are not allowed to do that here' } as const;
    expect(errorText(forbidden, { type: 'join', room: 'p--x' })).toMatch(/^You cannot open that room/);
    expect(errorText(forbidden, { type: 'join', room: 'staff' })).toMatch(/^You cannot open #staff/);
    expect(errorText(forbidden, { type: 'invite', room: 'p--x' })).toBe(forbidden.message);
    expect(errorText(forbidden)).toBe(forbidden.message);
    const taken = { type: 'error', code: 'name_taken', message: 'taken' } as const;
    expect(errorText(taken, { type: 'hello' })).toMatch(/belongs to an account/);
    expect(errorText(taken, { type: 'signup' })).toMatch(/username is taken/);
    expect(errorText(taken, { type: 'signin' })).toBe('taken');
  });
});
