// The router's table (every request type has a row naming the feature module that answers it) and
// request ids (shared/PROTOCOL.md "Request ids"): every answer to a request — its reply frame or an
// error — carries the request's rid; frames pushed to anyone never do; without a rid, no answer has one.
// Also RoomEvents.publish, the published-only path: over two servers sharing one memory world.
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { createMemoryWorld, type Backend } from '../../app/src/backends.js';
import { transientEntry } from '../../app/src/bus/envelope.js';
import { RoomEvents } from '../../app/src/chat/room-events.js';
import type { Features } from '../../app/src/chat/router.js';
import { TEXTS } from '../../app/src/chat/texts.js';
import { asFrame } from '../../app/src/protocol/encode.js';
import { ERROR_MESSAGES } from '../../app/src/protocol/errors.js';
import type { Request, RequestType } from '../../app/src/protocol/messages.js';
import { validateRequest } from '../../app/src/protocol/parse.js';
import { ForbiddenError, StoreUnavailableError } from '../../app/src/store/errors.js';
import { chatHarness, type ChatHarness, type Conn, type HarnessOptions, type TestFrame } from '../helpers/chat-harness.js';

const RID = 'rid-42';
const PASSWORD = 'password-1234';
const PRIVATE = 'p--0123456789abcdef';
/** Long enough for the setImmediate push of a changed room list and the background store writes. */
const settle = () => new Promise((r) => setTimeout(r, 10));

/** The request types the parser knows: the cases of its switch over `type`. */
const PARSED_TYPES = (() => {
  const source = readFileSync(new URL('../../app/src/protocol/parse.ts', import.meta.url), 'utf8');
  const body = source.slice(source.indexOf('function validateBody('));
  return [...body.matchAll(/case '([a-z]+)':/g)].map((m) => m[1]).sort();
})();

/** One valid request of every type (the compiler refuses a list that misses one). */
const SAMPLES: { [T in RequestType]: Extract<Request, { type: T }> } = {
  hello: { type: 'hello', name: 'Ann' },
  ping: { type: 'ping' },
  signup: { type: 'signup', username: 'Ann', password: PASSWORD },
  signin: { type: 'signin', username: 'Ann', password: PASSWORD },
  sessions: { type: 'sessions' },
  revoke: { type: 'revoke' },
  password: { type: 'password', old: PASSWORD, new: `${PASSWORD} 2` },
  join: { type: 'join', room: 'r' },
  leave: { type: 'leave', room: 'r' },
  members: { type: 'members', room: 'r' },
  send: { type: 'send', room: 'r', text: 'hi', cid: 'c1' },
  history: { type: 'history', room: 'r' },
  rooms: { type: 'rooms' },
  create: { type: 'create', title: 'Team' },
  room: { type: 'room', room: PRIVATE },
  invite: { type: 'invite', room: PRIVATE, username: 'Bob' },
  remove: { type: 'remove', room: PRIVATE, member: 'u_x' },
  dm: { type: 'dm', member: 'u_x' },
  accept: { type: 'accept', room: PRIVATE },
  decline: { type: 'decline', room: PRIVATE },
  part: { type: 'part', room: PRIVATE },
  read: { type: 'read', room: 'r', id: 1 },
  edit: { type: 'edit', room: 'r', id: 1, text: 'hi!', cid: 'c1' },
  delete: { type: 'delete', room: 'r', id: 1, cid: 'c1' },
  react: { type: 'react', room: 'r', id: 1, emoji: '👍', on: true, cid: 'c1' },
  typing: { type: 'typing', room: 'r' },
  upload: { type: 'upload', room: 'r', name: 'cat.png', mime: 'image/png', size: 1000, cid: 'u1' },
};
const cidOf = (req: Request) => ('cid' in req ? { cid: req.cid } : {});
const TYPES = Object.keys(SAMPLES).sort() as RequestType[];
/** The router's table (the same for every server). */
const ROUTES = chatHarness().chat.routes;

const withRid = (req: Request, rid: string | undefined): Request => (rid === undefined ? { ...req } : { ...req, rid });

/**
 * The frames a connection got for one request: with a rid, exactly one carries a `rid` — the answer,
 * matching `answer`, with that rid — and no other frame has the key; without one, no frame has the
 * key and the answer is among them.
 */
function expectAnswer(frames: TestFrame[], rid: string | undefined, answer: Record<string, unknown> | null): void {
  const withKey = frames.filter((f) => 'rid' in f);
  if (answer === null) {
    // A request without an answer (typing): nothing carries its rid.
    expect(withKey).toEqual([]);
  } else if (rid === undefined) {
    expect(withKey).toEqual([]);
    expect(frames).toContainEqual(expect.objectContaining(answer));
  } else {
    expect(withKey).toEqual([expect.objectContaining({ ...answer, rid })]);
  }
}

const error = (code: keyof typeof ERROR_MESSAGES, extra: Record<string, unknown> = {}) => ({ type: 'error', code, ...extra });

/** A request made in a prepared situation: who makes it, what answers it, who gets frames pushed by it. */
interface Scene {
  who: Conn;
  req: Request;
  /** null: the request has no answer (typing). */
  answer: Record<string, unknown> | null;
  /** Connections that get frames pushed because of it (the requester may be one), and those frames' types. */
  pushes?: Array<[Conn, string[]]>;
}

async function privateRoom(h: ChatHarness) {
  const owner = await h.account('Owner');
  await owner.req({ type: 'create', title: 'Team' });
  const room = owner.take()[0].room as string;
  return { owner, room };
}

async function inRoom(h: ChatHarness, name: string, room = 'r') {
  const m = await h.member(name);
  await m.req({ type: 'join', room });
  return m;
}

/** Every request type answered with success, set up on a fresh harness. */
const SCENES: { [T in RequestType]: (h: ChatHarness) => Promise<Scene> } = {
  hello: async (h) => ({ who: h.client(), req: { type: 'hello', name: 'Ann' }, answer: { type: 'welcome' } }),
  ping: async (h) => ({ who: await h.member('Ann'), req: { type: 'ping' }, answer: { type: 'pong' } }),
  signup: async (h) => ({
    who: h.client(), req: { type: 'signup', username: 'Ann', password: PASSWORD }, answer: { type: 'welcome', account: { username: 'Ann' } },
  }),
  signin: async (h) => {
    await h.account('Ann');
    return { who: h.client(), req: { type: 'signin', username: 'ann', password: PASSWORD }, answer: { type: 'welcome', account: { username: 'Ann' } } };
  },
  sessions: async (h) => ({ who: await h.account('Ann'), req: { type: 'sessions' }, answer: { type: 'sessions' } }),
  revoke: async (h) => {
    const ann = await h.account('Ann');
    const device = h.client();
    await device.req({ type: 'signin', username: 'ann', password: PASSWORD });
    await ann.req({ type: 'sessions' });
    const other = (ann.take()[0].sessions as Array<{ id: string; current: boolean }>).find((s) => !s.current)!;
    return { who: ann, req: { type: 'revoke', session: other.id }, answer: { type: 'revoked', count: 1 } };
  },
  password: async (h) => ({ who: await h.account('Ann'), req: { type: 'password', old: PASSWORD, new: `${PASSWORD} 2` }, answer: { type: 'password', revoked: 0 } }),
  join: async (h) => {
    const alice = await inRoom(h, 'Alice');
    const bob = await h.member('Bob');
    return { who: bob, req: { type: 'join', room: 'r' }, answer: { type: 'joined', room: 'r' }, pushes: [[alice, ['presence']], [bob, ['presence']]] };
  },
  leave: async (h) => {
    const alice = await inRoom(h, 'Alice');
    const bob = await inRoom(h, 'Bob');
    return { who: bob, req: { type: 'leave', room: 'r' }, answer: { type: 'left', room: 'r' }, pushes: [[alice, ['presence']]] };
  },
  members: async (h) => ({ who: await inRoom(h, 'Alice'), req: { type: 'members', room: 'r' }, answer: { type: 'members', room: 'r' } }),
  send: async (h) => {
    const alice = await inRoom(h, 'Alice');
    const bob = await inRoom(h, 'Bob');
    return {
      who: bob, req: { type: 'send', room: 'r', text: 'hi', cid: 'b1' }, answer: { type: 'ack', cid: 'b1' },
      pushes: [[alice, ['message']], [bob, ['message']]],
    };
  },
  history: async (h) => {
    const alice = await inRoom(h, 'Alice');
    await alice.req({ type: 'send', room: 'r', text: 'one', cid: 'a1' });
    return { who: alice, req: { type: 'history', room: 'r' }, answer: { type: 'history', room: 'r' } };
  },
  rooms: async (h) => ({ who: await h.account('Ann'), req: { type: 'rooms' }, answer: { type: 'rooms' } }),
  create: async (h) => {
    const ann = await h.account('Ann');
    return { who: ann, req: { type: 'create', title: 'Team' }, answer: { type: 'room', kind: 'private', title: 'Team' }, pushes: [[ann, ['rooms']]] };
  },
  room: async (h) => {
    const { owner, room } = await privateRoom(h);
    return { who: owner, req: { type: 'room', room }, answer: { type: 'room', room } };
  },
  invite: async (h) => {
    const { owner, room } = await privateRoom(h);
    const bob = await h.account('Bob');
    return { who: owner, req: { type: 'invite', room, username: 'bob' }, answer: { type: 'room', room }, pushes: [[bob, ['rooms']]] };
  },
  remove: async (h) => {
    const { owner, room } = await privateRoom(h);
    const bob = await h.account('Bob');
    await owner.req({ type: 'invite', room, username: 'bob' });
    await bob.req({ type: 'accept', room });
    for (const x of [owner, bob]) await x.req({ type: 'join', room });
    return {
      who: owner, req: { type: 'remove', room, member: bob.m.id }, answer: { type: 'room', room },
      pushes: [[bob, ['left', 'rooms']], [owner, ['presence']]],
    };
  },
  accept: async (h) => {
    const { owner, room } = await privateRoom(h);
    const bob = await h.account('Bob');
    await owner.req({ type: 'invite', room, username: 'bob' });
    return { who: bob, req: { type: 'accept', room }, answer: { type: 'room', room }, pushes: [[bob, ['rooms']]] };
  },
  decline: async (h) => {
    const { owner, room } = await privateRoom(h);
    const bob = await h.account('Bob');
    await owner.req({ type: 'invite', room, username: 'bob' });
    return { who: bob, req: { type: 'decline', room }, answer: { type: 'rooms', invites: [] }, pushes: [[bob, ['rooms']]] };
  },
  part: async (h) => {
    const { owner, room } = await privateRoom(h);
    const bob = await h.account('Bob');
    await owner.req({ type: 'invite', room, username: 'bob' });
    await bob.req({ type: 'accept', room });
    for (const x of [owner, bob]) await x.req({ type: 'join', room });
    return { who: bob, req: { type: 'part', room }, answer: { type: 'rooms', rooms: [] }, pushes: [[bob, ['left', 'rooms']], [owner, ['presence']]] };
  },
  dm: async (h) => {
    const ann = await h.account('Ann');
    const bea = await h.account('Bea');
    return { who: ann, req: { type: 'dm', member: bea.m.id }, answer: { type: 'room', kind: 'dm', title: 'Bea' }, pushes: [[bea, ['rooms']]] };
  },
  read: async (h) => {
    const ann = await h.account('Ann');
    await ann.req({ type: 'join', room: 'lobby' });
    await ann.req({ type: 'send', room: 'lobby', text: 'one', cid: 'a1' });
    const device = h.client();
    await device.req({ type: 'hello', name: 'x', session: ann.c.session });
    return { who: ann, req: { type: 'read', room: 'lobby', id: 1 }, answer: { type: 'read', room: 'lobby', id: 1 }, pushes: [[device, ['read']]] };
  },
  edit: async (h) => {
    const alice = await inRoom(h, 'Alice');
    const bob = await inRoom(h, 'Bob');
    await alice.req({ type: 'send', room: 'r', text: 'helo', cid: 'a1' });
    return { who: alice, req: { type: 'edit', room: 'r', id: 1, text: 'hello', cid: 'e1' }, answer: { type: 'ack', cid: 'e1', id: 2 }, pushes: [[alice, ['update']], [bob, ['update']]] };
  },
  delete: async (h) => {
    const alice = await inRoom(h, 'Alice');
    const bob = await inRoom(h, 'Bob');
    await alice.req({ type: 'send', room: 'r', text: 'oops', cid: 'a1' });
    return { who: alice, req: { type: 'delete', room: 'r', id: 1, cid: 'd1' }, answer: { type: 'ack', cid: 'd1', id: 2 }, pushes: [[alice, ['update']], [bob, ['update']]] };
  },
  react: async (h) => {
    const alice = await inRoom(h, 'Alice');
    const bob = await inRoom(h, 'Bob');
    await alice.req({ type: 'send', room: 'r', text: 'yay', cid: 'a1' });
    return { who: bob, req: { type: 'react', room: 'r', id: 1, emoji: '🎉', on: true, cid: 'r1' }, answer: { type: 'ack', cid: 'r1', id: 2 }, pushes: [[alice, ['update']], [bob, ['update']]] };
  },
  typing: async (h) => {
    const alice = await inRoom(h, 'Alice');
    const bob = await inRoom(h, 'Bob');
    return { who: bob, req: { type: 'typing', room: 'r' }, answer: null, pushes: [[alice, ['typing']], [bob, ['typing']]] };
  },
  upload: async (h) => ({
    who: await inRoom(h, 'Alice'), req: { type: 'upload', room: 'r', name: 'cat.png', mime: 'image/png', size: 1000, cid: 'u1' },
    answer: { type: 'upload', cid: 'u1', key: expect.any(String) },
  }),
};

/** Runs the scene's request (after its setup settled and its frames were taken); the frames each connection got. */
async function play(scene: Scene, rid: string | undefined, times = 1): Promise<Map<Conn, TestFrame[]>> {
  const conns = new Set([scene.who, ...(scene.pushes ?? []).map(([c]) => c)]);
  await settle();
  for (const c of conns) c.take();
  for (let i = 0; i < times; i++) await scene.who.req(withRid(scene.req, rid));
  await settle();
  return new Map([...conns].map((c) => [c, c.take()]));
}

/** Every store method rejects with StoreUnavailableError while `down.on` (the bus stays up). */
function failing(base: Backend, down: { on: boolean }): Backend {
  const wrap = <T extends object>(store: T): T => new Proxy(store, {
    get(t, key, recv) {
      const v: unknown = Reflect.get(t, key, recv);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => (down.on ? Promise.reject(new StoreUnavailableError(`${String(key)} failed (test)`)) : v.apply(t, args));
    },
  });
  return { ...base, history: wrap(base.history), presence: wrap(base.presence), sessions: wrap(base.sessions), accounts: wrap(base.accounts), access: wrap(base.access), uploads: wrap(base.uploads) };
}

/** The store refuses every append as the sender's removal from a private room would (ForbiddenError). */
function refusingAppend(base: Backend): Backend {
  const history = new Proxy(base.history, {
    get(t, key, recv) {
      if (key === 'append') return () => Promise.reject(new ForbiddenError('not a member (test)'));
      const v: unknown = Reflect.get(t, key, recv);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
  return { ...base, history };
}

interface ErrorCase {
  name: string;
  options?: HarnessOptions;
  make(h: ChatHarness): Promise<{ who: Conn; req: Request }>;
  error: Record<string, unknown>;
}

/** Refusals made by the feature modules (and the router's ForbiddenError path). */
const ERROR_CASES: ErrorCase[] = [
  {
    name: 'join past MAX_ROOMS_PER_CONNECTION: bad_request',
    options: { env: { MAX_ROOMS_PER_CONNECTION: '1' } },
    make: async (h) => ({ who: await inRoom(h, 'Alice', 'a'), req: { type: 'join', room: 'b' } }),
    error: error('bad_request', { message: TEXTS.tooManyRooms(1) }),
  },
  {
    name: 'join of a new room past ROOM_CREATE_RATE: rate_limited',
    options: { env: { ROOM_CREATE_RATE_BURST: '1', ROOM_CREATE_RATE_PER_SEC: '0.001' } },
    make: async (h) => ({ who: await inRoom(h, 'Alice', 'a'), req: { type: 'join', room: 'b' } }),
    error: error('rate_limited', { message: TEXTS.tooManyNewRooms }),
  },
  {
    name: 'join of a private room by a non-member: forbidden',
    make: async (h) => {
      const { room } = await privateRoom(h);
      return { who: await h.account('Bob'), req: { type: 'join', room } };
    },
    error: error('forbidden', { message: TEXTS.privateRoom }),
  },
  {
    name: 'history of a private room by a non-member: forbidden',
    make: async (h) => {
      const { room } = await privateRoom(h);
      return { who: await h.account('Bob'), req: { type: 'history', room } };
    },
    error: error('forbidden', { message: TEXTS.privateRoom }),
  },
  {
    name: 'send past MAX_MESSAGE_BYTES: bad_request with the cid',
    options: { env: { MAX_MESSAGE_BYTES: '1024' } },
    make: async (h) => ({ who: await inRoom(h, 'Alice'), req: { type: 'send', room: 'r', text: 'x'.repeat(1100), cid: 'big' } }),
    error: error('bad_request', { cid: 'big' }),
  },
  {
    name: 'send refused by the store (ForbiddenError): forbidden with the cid',
    options: { backend: refusingAppend },
    make: async (h) => ({ who: await inRoom(h, 'Alice'), req: { type: 'send', room: 'r', text: 'hi', cid: 'f1' } }),
    error: error('forbidden', { cid: 'f1', message: TEXTS.privateRoom }),
  },
  {
    name: 'hello past SESSION_CREATE_RATE from one address: rate_limited',
    options: { env: { SESSION_CREATE_RATE_BURST: '1', SESSION_CREATE_RATE_PER_SEC: '0.001' } },
    make: async (h) => {
      await h.member('Alice');
      return { who: h.client(), req: { type: 'hello', name: 'Bob' } };
    },
    error: error('rate_limited', { message: TEXTS.tooManySessions }),
  },
  {
    name: 'signup past SESSION_CREATE_RATE from one address: rate_limited',
    options: { env: { SESSION_CREATE_RATE_BURST: '1', SESSION_CREATE_RATE_PER_SEC: '0.001' } },
    make: async (h) => {
      await h.account('Ann');
      return { who: h.client(), req: { type: 'signup', username: 'Bob', password: PASSWORD } };
    },
    error: error('rate_limited', { message: TEXTS.tooManySignins }),
  },
  {
    name: 'hello with a registered username as a guest name: name_taken',
    make: async (h) => {
      await h.account('Ann');
      return { who: h.client(), req: { type: 'hello', name: 'ANN' } };
    },
    error: error('name_taken'),
  },
  {
    name: 'hello with REQUIRE_ACCOUNTS: forbidden',
    options: { env: { REQUIRE_ACCOUNTS: 'true' } },
    make: async (h) => ({ who: h.client(), req: { type: 'hello', name: 'Guest' } }),
    error: error('forbidden', { message: TEXTS.accountsRequired }),
  },
  {
    name: 'signup with a taken username: name_taken',
    make: async (h) => {
      await h.account('Ann');
      return { who: h.client(), req: { type: 'signup', username: 'ann', password: PASSWORD } };
    },
    error: error('name_taken'),
  },
  {
    name: 'signup once identified: bad_request',
    make: async (h) => ({ who: await h.member('Guest'), req: { type: 'signup', username: 'Ann', password: PASSWORD } }),
    error: error('bad_request', { message: TEXTS.alreadyIdentifiedSignup }),
  },
  {
    name: 'signin with a wrong password: auth_failed',
    make: async (h) => {
      await h.account('Ann');
      return { who: h.client(), req: { type: 'signin', username: 'ann', password: 'wrong-password' } };
    },
    error: error('auth_failed'),
  },
  {
    name: 'signin past SIGNIN_PAIR_LIMIT: rate_limited',
    options: { env: { SIGNIN_PAIR_LIMIT: '1' } },
    make: async (h) => {
      await h.account('Ann');
      await h.client().req({ type: 'signin', username: 'ann', password: 'wrong-password' });
      return { who: h.client(), req: { type: 'signin', username: 'ann', password: 'wrong-password' } };
    },
    error: error('rate_limited', { message: TEXTS.tooManyFailedSignins }),
  },
  {
    name: 'signin once identified: bad_request',
    make: async (h) => ({ who: await h.account('Ann'), req: { type: 'signin', username: 'ann', password: PASSWORD } }),
    error: error('bad_request', { message: TEXTS.alreadyIdentifiedSignin }),
  },
  {
    name: 'create past ACCOUNT_MAX_PRIVATE_ROOMS: bad_request',
    options: { env: { ACCOUNT_MAX_PRIVATE_ROOMS: '1' } },
    make: async (h) => ({ who: (await privateRoom(h)).owner, req: { type: 'create', title: 'Two' } }),
    error: error('bad_request', { message: TEXTS.tooManyPrivateRooms(1) }),
  },
  {
    name: 'room by a non-member: forbidden',
    make: async (h) => {
      const { room } = await privateRoom(h);
      return { who: await h.account('Bob'), req: { type: 'room', room } };
    },
    error: error('forbidden', { message: TEXTS.notRoomMember }),
  },
  {
    name: 'invite by a non-owner: forbidden',
    make: async (h) => {
      const { room } = await privateRoom(h);
      await h.account('Cat');
      return { who: await h.account('Bob'), req: { type: 'invite', room, username: 'cat' } };
    },
    error: error('forbidden', { message: TEXTS.ownerOnly }),
  },
  {
    name: 'invite of an unknown username: bad_request',
    make: async (h) => {
      const { owner, room } = await privateRoom(h);
      return { who: owner, req: { type: 'invite', room, username: 'nobody' } };
    },
    error: error('bad_request', { message: TEXTS.noSuchUsername }),
  },
  {
    name: 'accept by an account in too many private rooms: bad_request (the invite stays)',
    options: { env: { ACCOUNT_MAX_PRIVATE_ROOMS: '1' } },
    make: async (h) => {
      const { owner, room } = await privateRoom(h);
      const bob = await h.account('Bob');
      await bob.req({ type: 'create', title: 'Own' });
      await owner.req({ type: 'invite', room, username: 'bob' });
      return { who: bob, req: { type: 'accept', room } };
    },
    error: error('bad_request', { message: TEXTS.tooManyPrivateRooms(1) }),
  },
  {
    name: 'accept without a pending invite: bad_request',
    make: async (h) => {
      const { room } = await privateRoom(h);
      return { who: await h.account('Bob'), req: { type: 'accept', room } };
    },
    error: error('bad_request', { message: TEXTS.noInvite }),
  },
  {
    name: 'part by the owner while others remain: bad_request',
    make: async (h) => {
      const { owner, room } = await privateRoom(h);
      const bob = await h.account('Bob');
      await owner.req({ type: 'invite', room, username: 'bob' });
      await bob.req({ type: 'accept', room });
      return { who: owner, req: { type: 'part', room } };
    },
    error: error('bad_request', { message: TEXTS.ownerPartsLast }),
  },
  {
    name: 'remove of the owner: bad_request',
    make: async (h) => {
      const { owner, room } = await privateRoom(h);
      return { who: owner, req: { type: 'remove', room, member: owner.m.id } };
    },
    error: error('bad_request', { message: TEXTS.ownerStays }),
  },
  {
    name: 'dm with oneself: bad_request',
    make: async (h) => {
      const ann = await h.account('Ann');
      return { who: ann, req: { type: 'dm', member: ann.m.id } };
    },
    error: error('bad_request', { message: TEXTS.dmSelf }),
  },
  {
    name: 'dm with a guest: bad_request',
    make: async (h) => {
      const guest = await h.member('Guest');
      return { who: await h.account('Ann'), req: { type: 'dm', member: guest.m.id } };
    },
    error: error('bad_request', { message: TEXTS.dmGuest }),
  },
];

describe('router: the table', () => {
  it('the parser knows the request types of messages.ts, and parses a sample of each', () => {
    expect(PARSED_TYPES).toEqual(TYPES);
    for (const t of TYPES) expect(validateRequest(SAMPLES[t]), t).toMatchObject({ ok: true, value: SAMPLES[t] });
  });

  it('every request type has a row naming one of the feature modules', () => {
    const { chat } = chatHarness();
    expect(Object.keys(chat.routes).sort()).toEqual(PARSED_TYPES);
    const modules = Object.keys(chat.features);
    for (const t of PARSED_TYPES) {
      const route = chat.routes[t as RequestType];
      expect(modules, t).toContain(route.module);
      expect(typeof route.handle, t).toBe('function');
    }
  });

  it('docs/protocol.md documents every request type in a request table (a row starting `{"type":"<type>"…`)', () => {
    const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
    const documented = new Set([...doc.matchAll(/^\| `\{"type":"([a-z]+)"[,}]/gm)].map((m) => m[1]));
    expect(PARSED_TYPES.filter((t) => !documented.has(t))).toEqual([]);
  });

  for (const t of TYPES) {
    it(`${t} is answered by the module its row names, and by no other`, async () => {
      const h = chatHarness();
      const scene = await SCENES[t](h);
      await settle();
      const called = new Set<string>();
      for (const [name, feature] of Object.entries(h.chat.features) as Array<[keyof Features, object]>) {
        for (const method of Object.getOwnPropertyNames(Object.getPrototypeOf(feature))) {
          if (method === 'constructor') continue;
          vi.spyOn(feature as Record<string, (...a: unknown[]) => unknown>, method).mockImplementation(function (this: unknown, ...args: unknown[]) {
            called.add(name);
            return (Object.getPrototypeOf(feature) as Record<string, (...a: unknown[]) => unknown>)[method].apply(feature, args);
          });
        }
      }
      await scene.who.req(scene.req);
      expect([...called]).toEqual([h.chat.routes[t].module]);
    });
  }
});

describe('request ids', () => {
  for (const rid of [RID, undefined]) {
    const tag = rid === undefined ? 'without rid: no answer has one' : 'with rid: the answer carries it';

    describe(`success answers, ${tag}; pushed frames never carry one`, () => {
      for (const t of TYPES) {
        it(t, async () => {
          const scene = await SCENES[t](chatHarness());
          const seen = await play(scene, rid);
          expectAnswer(seen.get(scene.who)!, rid, scene.answer);
          for (const [conn, types] of scene.pushes ?? []) {
            const frames = seen.get(conn)!;
            const pushed = frames.filter((f) => !('rid' in f));
            expect(pushed.map((f) => f.type)).toEqual(expect.arrayContaining(types));
            if (conn !== scene.who) expect(frames.filter((f) => 'rid' in f)).toEqual([]);
          }
        });
      }
    });

    describe(`error answers, ${tag}`, () => {
      for (const t of TYPES.filter((x) => !['hello', 'signup', 'signin'].includes(x))) {
        it(`${t} before hello: not_identified`, async () => {
          const who = chatHarness().client();
          await who.req(withRid(SAMPLES[t], rid));
          const cid = cidOf(SAMPLES[t]);
          expect(who.take()).toEqual([{ ...error('not_identified', cid), message: ERROR_MESSAGES.not_identified, ...(rid === undefined ? {} : { rid }) }]);
        });
      }

      const accountOnly = TYPES.filter((t) => ROUTES[t].account);
      it('the account-only rows are the account requests of docs/protocol.md (and `room`)', () => {
        expect(accountOnly).toEqual(['accept', 'create', 'decline', 'dm', 'invite', 'part', 'password', 'read', 'remove', 'revoke', 'room', 'rooms', 'sessions']);
      });
      for (const t of accountOnly) {
        it(`${t} by a guest: forbidden`, async () => {
          const guest = await chatHarness().member('Guest');
          await guest.req(withRid(SAMPLES[t], rid));
          expect(guest.take()).toEqual([{ ...error('forbidden'), message: TEXTS.needsAccount, ...(rid === undefined ? {} : { rid }) }]);
        });
      }

      for (const t of ['send', 'history', 'members', 'read', 'edit', 'delete', 'react', 'typing', 'upload'] as const) {
        it(`${t} for a room not joined: not_joined`, async () => {
          const who = await chatHarness().account('Ann');
          await who.req(withRid(SAMPLES[t], rid));
          const cid = cidOf(SAMPLES[t]);
          expect(who.take()).toEqual([{ ...error('not_joined', cid), message: ERROR_MESSAGES.not_joined, ...(rid === undefined ? {} : { rid }) }]);
        });
      }

      /** Rates of every per-member bucket: two, then (in a test's time) none. */
      const LOW_RATES = Object.fromEntries(['SEND_RATE', 'JOIN_RATE', 'PAGE_RATE', 'ROOM_CREATE_RATE', 'EDIT_RATE', 'DELETE_RATE', 'REACT_RATE', 'TYPING_RATE', 'UPLOAD_RATE']
        .flatMap((k) => [[`${k}_BURST`, '2'], [`${k}_PER_SEC`, '0.001']]));
      for (const t of TYPES.filter((x) => ROUTES[x].bucket !== undefined)) {
        it(`${t} past its rate bucket: rate_limited`, async () => {
          const scene = await SCENES[t](chatHarness({ env: LOW_RATES }));
          const frames = (await play(scene, rid, 3)).get(scene.who)!;
          const answers = frames.filter((f) => 'rid' in f);
          if (rid === undefined) expect(answers).toEqual([]);
          // Each request answered (typing: only the refused one).
          else expect(answers.map((f) => f.rid)).toEqual(scene.answer === null ? [rid] : [rid, rid, rid]);
          expect(frames).toContainEqual(expect.objectContaining({ ...error('rate_limited'), retryAfterMs: expect.any(Number) }));
        });
      }

      // (typing reads no store: it is published on the bus, which stays up here.)
      for (const t of TYPES.filter((x) => !['ping', 'leave', 'typing'].includes(x))) {
        it(`${t} while the store is down: unavailable`, async () => {
          const down = { on: false };
          const h = chatHarness({ backend: (base) => failing(base, down) });
          const scene = await SCENES[t](h);
          await settle();
          scene.who.take();
          down.on = true;
          await scene.who.req(withRid(scene.req, rid));
          down.on = false;
          const cid = cidOf(scene.req);
          expectAnswer(scene.who.take(), rid, { ...error('unavailable', cid), message: ERROR_MESSAGES.unavailable, retryAfterMs: 1000 });
        });
      }

      for (const c of ERROR_CASES) {
        it(c.name, async () => {
          const h = chatHarness(c.options);
          const { who, req } = await c.make(h);
          await settle();
          who.take();
          await who.req(withRid(req, rid));
          await settle();
          expectAnswer(who.take(), rid, c.error);
        });
      }
    });
  }

  it('a send: the ack carries the rid; the room\'s message, the sender\'s copy included, does not', async () => {
    const h = chatHarness();
    const alice = await inRoom(h, 'Alice');
    const bob = await inRoom(h, 'Bob');
    alice.take();
    bob.take();
    await bob.req({ type: 'send', room: 'r', text: 'hi', cid: 'b1', rid: RID });
    const [ack, own] = bob.take();
    expect(ack).toEqual({ type: 'ack', cid: 'b1', room: 'r', id: 1, ts: own.ts, rid: RID });
    expect(own).toEqual({ type: 'message', room: 'r', id: 1, ts: ack.ts, from: bob.m, text: 'hi', cid: 'b1', via: 't' });
    expect(alice.take()).toEqual([own]);
  });

  it('a request with a rid, then one without: only the first answer carries it', async () => {
    const alice = await chatHarness().member('Alice');
    await alice.req({ type: 'ping', rid: RID });
    await alice.req({ type: 'ping' });
    expect(alice.take()).toEqual([{ type: 'pong', rid: RID }, { type: 'pong' }]);
  });
});

describe('pushed frames never carry the rid of the request that caused them', () => {
  it('a removal: the removed member\'s left and rooms, the owner\'s presence leave', async () => {
    const h = chatHarness();
    const scene = await SCENES.remove(h);
    const seen = await play(scene, RID);
    const [bob] = scene.pushes![0];
    expect(seen.get(bob)).toEqual(expect.arrayContaining([{ type: 'left', room: (scene.req as { room: string }).room, reason: 'removed' }]));
    expect(seen.get(bob)!.filter((f) => 'rid' in f)).toEqual([]);
    expect(seen.get(scene.who)!.filter((f) => 'rid' in f)).toEqual([expect.objectContaining({ type: 'room', rid: RID })]);
  });

  it('a store refusal of a send: the sender\'s own `left` (removed) is not the answer and carries no rid', async () => {
    const h = chatHarness({ backend: refusingAppend });
    const alice = await inRoom(h, 'Alice');
    alice.take();
    await alice.req({ type: 'send', room: 'r', text: 'hi', cid: 'f1', rid: RID });
    expect(alice.take()).toEqual([
      { type: 'left', room: 'r', reason: 'removed' },
      { type: 'error', code: 'forbidden', message: TEXTS.privateRoom, cid: 'f1', rid: RID },
    ]);
  });
});

describe('RoomEvents.publish: a room event published only', () => {
  async function cluster() {
    const world = createMemoryWorld();
    const one = chatHarness({ world, env: { APPID: 'one' } });
    const two = chatHarness({ world, env: { APPID: 'two' } });
    const a1 = await inRoom(one, 'A1');
    const b1 = await inRoom(one, 'B1');
    const a2 = await inRoom(two, 'A2');
    const s1 = await inRoom(one, 'S1', 's');
    const s2 = await inRoom(two, 'S2', 's');
    const lonely = await inRoom(two, 'T2', 't');
    await settle();
    const all = [a1, b1, a2, s1, s2, lonely];
    for (const c of all) c.take();
    const events = new RoomEvents(one.backend.history, one.backend.bus);
    return { one, two, a1, b1, a2, s1, s2, lonely, all, events };
  }
  const typing = (room: string) => asFrame(JSON.stringify({ type: 'typing', room, members: [{ id: 'x', name: 'X' }], count: 1 }));

  it('reaches the room\'s members on both servers, once per local member, as published (no id); no other room, nothing stored', async () => {
    const { one, two, a1, b1, a2, s1, s2, lonely, events } = await cluster();
    const frame = typing('r');
    await events.publish('r', frame);
    for (const c of [a1, b1, a2]) {
      expect(c.link.texts.slice(-1)).toEqual([frame]);
      expect(c.take()).toEqual([JSON.parse(frame)]);
    }
    expect(JSON.parse(frame)).not.toHaveProperty('id');
    // Prepared once per server: the same object written to both local members of server one.
    expect(a1.link.writes.at(-1)).toBe(b1.link.writes.at(-1));
    for (const c of [s1, s2, lonely]) expect(c.take()).toEqual([]);
    // Never stored: the room's log has no entry, and the next message takes id 1.
    expect(await one.base.history.lastIds(['r'])).toEqual([0]);
    await a1.req({ type: 'send', room: 'r', text: 'hi', cid: 'a1' });
    expect(a2.take()).toMatchObject([{ type: 'message', id: 1 }]);
    expect(two.chat.rooms.get('r')?.feed.lastId).toBe(1);
  });

  it('a `t` entry for a room nobody is in here is dropped', async () => {
    const { one, two, all, lonely, events } = await cluster();
    // Room `t` has a member on server two only: server one drops it, two delivers it.
    const frame = typing('t');
    await events.publish('t', frame);
    expect(lonely.take()).toEqual([JSON.parse(frame)]);
    expect(one.chat.rooms.get('t')).toBeUndefined();
    // A room nobody is in anywhere: nobody gets anything, no room is made.
    await events.publish('ghost', typing('ghost'));
    one.chat.feed.onBusPayload(transientEntry('ghost', typing('ghost')));
    for (const c of all) expect(c.take()).toEqual([]);
    expect(one.chat.rooms.get('ghost')).toBeUndefined();
    expect(two.chat.rooms.get('ghost')).toBeUndefined();
  });
});
