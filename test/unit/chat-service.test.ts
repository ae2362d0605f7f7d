// ChatService over the memory backend with history/presence calls the test can fail or block: join rollback, ack order, error paths.
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../app/src/backends.js';
import { Metrics } from '../../app/src/metrics.js';
import { ERROR_MESSAGES } from '../../app/src/protocol/errors.js';
import type { Request } from '../../app/src/protocol/messages.js';
import { chatHarness, faulty, type TestFrame as Frame } from '../helpers/chat-harness.js';

const metrics = new Metrics('t');
const settle = () => new Promise((r) => setImmediate(r));

function gate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => { open = r; });
  return { promise, open };
}

const everyFrame: string[] = [];

function setup() {
  let history!: ReturnType<typeof faulty<Backend['history']>>;
  let presence!: ReturnType<typeof faulty<Backend['presence']>>;
  const h = chatHarness({
    env: { APPID: '1000', MAX_ROOMS_PER_CONNECTION: '2' },
    metrics,
    onWrite: (text) => everyFrame.push(text),
    backend: (base) => {
      history = faulty(base.history);
      presence = faulty(base.presence);
      return { ...base, history: history.proxy, presence: presence.proxy };
    },
  });
  /** Who the cluster-wide presence lists in the room. */
  const listed = async (room: string) => (await h.base.presence.snapshot(room, 100)).members.map((m) => m.name);
  return { chat: h.chat, history, presence, client: () => h.client(), member: h.member, listed };
}

const unavailable = { type: 'error', code: 'unavailable', message: ERROR_MESSAGES.unavailable, retryAfterMs: 1000 };

afterEach(() => {
  for (const text of everyFrame.splice(0)) {
    const f = JSON.parse(text) as unknown;
    expect(typeof (f as Frame).type, text).toBe('string');
  }
});

describe('ChatService: requests before hello and outside rooms', () => {
  it('anything but hello before hello gets not_identified', async () => {
    const { client } = setup();
    const { take, req, c } = client();
    for (const r of [{ type: 'join', room: 'r' }, { type: 'ping' }, { type: 'history', room: 'r' }] as Request[]) await req(r);
    const error = { type: 'error', code: 'not_identified', message: ERROR_MESSAGES.not_identified };
    expect(take()).toEqual([error, error, error]);
    expect(c.member).toBeNull();
  });

  // docs/protocol.md: an error answering a `send` carries its cid, not_identified too.
  it('not_identified for a send carries its cid', async () => {
    const { client } = setup();
    const { take, req } = client();
    await req({ type: 'send', room: 'r', text: 'x', cid: 'n1' });
    expect(take()).toEqual([{ type: 'error', code: 'not_identified', message: ERROR_MESSAGES.not_identified, cid: 'n1' }]);
  });

  it('send, history and members for a room not joined get not_joined (send with its cid)', async () => {
    const { member } = setup();
    const alice = await member('Alice');
    await alice.req({ type: 'send', room: 'r', text: 'x', cid: 'c1' });
    await alice.req({ type: 'history', room: 'r' });
    await alice.req({ type: 'members', room: 'r' });
    await alice.req({ type: 'ping' });
    const notJoined = { type: 'error', code: 'not_joined', message: ERROR_MESSAGES.not_joined };
    expect(alice.take()).toEqual([{ ...notJoined, cid: 'c1' }, notJoined, notJoined, { type: 'pong' }]);
  });

  it('a join past the room limit gets bad_request and enters nothing', async () => {
    const { member, chat } = setup();
    const alice = await member('Alice');
    for (const room of ['a', 'b', 'c']) await alice.req({ type: 'join', room });
    expect(alice.take().map((f) => f.type)).toEqual(['joined', 'presence', 'joined', 'presence', 'error']);
    expect(chat.rooms.has(alice.c, 'c')).toBe(false);
  });
});

describe('ChatService: join', () => {
  it('answers joined, then its own presence join (as docs/protocol.md shows), then live frames', async () => {
    const { member } = setup();
    const alice = await member('Alice');
    await alice.req({ type: 'join', room: 'r' });
    expect(alice.take()).toEqual([
      { type: 'joined', room: 'r', count: 1, members: [alice.m], messages: [], last: 0, epoch: expect.any(String) },
      { type: 'presence', room: 'r', event: 'join', member: alice.m, count: 1 },
    ]);
    const bob = await member('Bob');
    await bob.req({ type: 'join', room: 'r' });
    expect(alice.take()).toEqual([{ type: 'presence', room: 'r', event: 'join', member: bob.m, count: 2 }]);
    expect(bob.take()).toEqual([
      { type: 'joined', room: 'r', count: 2, members: [alice.m, bob.m].sort((a, b) => (a.id < b.id ? -1 : 1)), messages: [], last: 0, epoch: expect.any(String) },
      { type: 'presence', room: 'r', event: 'join', member: bob.m, count: 2 },
    ]);
  });

  it('a message sent while the join reads history comes after joined, once', async () => {
    const { member, history } = setup();
    const alice = await member('Alice');
    const bob = await member('Bob');
    await alice.req({ type: 'join', room: 'r' });
    await alice.req({ type: 'send', room: 'r', text: 'one', cid: 'a1' });
    const g = gate();
    history.next('resume', { after: g.promise }); // reads [1], then waits
    const joining = bob.req({ type: 'join', room: 'r' });
    await settle();
    await alice.req({ type: 'send', room: 'r', text: 'two', cid: 'a2' });
    expect(bob.take()).toEqual([]);
    g.open();
    await joining;
    const frames = bob.take();
    expect(frames.map((f) => [f.type, f.last ?? f.id])).toEqual([['joined', 1], ['presence', undefined], ['message', 2]]);
    expect((frames[0].messages as Frame[]).map((m) => m.text)).toEqual(['one']);
  });

  it('presence failing: unavailable, not in the room, not listed', async () => {
    const { member, presence, chat, listed } = setup();
    const alice = await member('Alice');
    presence.next('join', { fail: true });
    await alice.req({ type: 'join', room: 'r' });
    expect(alice.take()).toEqual([unavailable]);
    expect(chat.rooms.has(alice.c, 'r')).toBe(false);
    expect([...chat.rooms.localMembers()]).toEqual([]);
    await settle();
    expect(await listed('r')).toEqual([]);
    await alice.req({ type: 'join', room: 'r' }); // a retry works
    expect(alice.take()).toMatchObject([{ type: 'joined', room: 'r', count: 1 }, { type: 'presence', event: 'join' }]);
  });

  for (const [store, method] of [['history', 'resume'], ['presence', 'snapshot']] as const) {
    it(`${store}.${method} failing after presence was joined: unavailable, and the member leaves presence again`, async () => {
      const s = setup();
      const bob = await s.member('Bob');
      await bob.req({ type: 'join', room: 'r' });
      bob.take();
      const alice = await s.member('Alice');
      if (store === 'history') s.history.next('resume', { fail: true });
      else s.presence.next('snapshot', { fail: true });
      await alice.req({ type: 'join', room: 'r' });
      await settle();
      expect(alice.take()).toEqual([unavailable]);
      expect(s.chat.rooms.has(alice.c, 'r')).toBe(false);
      expect(await s.listed('r')).toEqual(['Bob']);
      expect(bob.take()).toEqual([
        { type: 'presence', room: 'r', event: 'join', member: alice.m, count: 2 },
        { type: 'presence', room: 'r', event: 'leave', member: alice.m, count: 1 },
      ]);
    });
  }

  it('a failing re-join keeps the earlier membership and order', async () => {
    const { member, history, chat, listed } = setup();
    const alice = await member('Alice');
    const bob = await member('Bob');
    await alice.req({ type: 'join', room: 'r' });
    await bob.req({ type: 'join', room: 'r' });
    await bob.req({ type: 'send', room: 'r', text: 'one', cid: 'b1' });
    alice.take();
    const g = gate();
    history.next('resume', { before: g.promise, fail: true });
    const rejoin = alice.req({ type: 'join', room: 'r', after: 0 });
    await settle();
    await bob.req({ type: 'send', room: 'r', text: 'two', cid: 'b2' }); // held by the pending re-join
    expect(alice.take()).toEqual([]);
    g.open();
    await rejoin;
    await bob.req({ type: 'send', room: 'r', text: 'three', cid: 'b3' });
    // The rollback releases what the re-join held before the error is written.
    expect(alice.take().map((f) => [f.type, f.id ?? f.code])).toEqual([['message', 2], ['error', 'unavailable'], ['message', 3]]);
    expect(chat.rooms.has(alice.c, 'r')).toBe(true);
    expect((await listed('r')).sort()).toEqual(['Alice', 'Bob']);
  });

  it('a connection closed during its join is not left in the room or in presence', async () => {
    const { member, presence, chat, listed } = setup();
    const alice = await member('Alice');
    const g = gate();
    presence.next('join', { after: g.promise });
    const joining = alice.req({ type: 'join', room: 'r' });
    await settle();
    chat.disconnect(alice.c);
    g.open();
    await joining;
    await settle();
    expect(alice.take()).toEqual([]);
    expect(chat.rooms.has(alice.c, 'r')).toBe(false);
    expect(await listed('r')).toEqual([]);
  });
});

describe('ChatService: send', () => {
  it('the ack comes before the own message even when the bus delivers it first', async () => {
    const { member, history } = setup();
    const alice = await member('Alice');
    const bob = await member('Bob');
    await alice.req({ type: 'join', room: 'r' });
    await bob.req({ type: 'join', room: 'r' });
    alice.take();
    bob.take();
    const g = gate();
    history.next('append', { after: g.promise }); // stored and published; the answer is late
    const sending = alice.req({ type: 'send', room: 'r', text: 'hi', cid: 'a1' });
    await settle();
    expect(bob.take().map((f) => [f.type, f.id])).toEqual([['message', 1]]);
    await bob.req({ type: 'send', room: 'r', text: 'yo', cid: 'b1' });
    expect(alice.take()).toEqual([]); // its own message and everything after wait for the ack
    g.open();
    await sending;
    const frames = alice.take();
    expect(frames.map((f) => [f.type, f.cid])).toEqual([['ack', 'a1'], ['message', 'a1'], ['message', 'b1']]);
    expect(frames[0]).toEqual({ type: 'ack', cid: 'a1', room: 'r', id: 1, ts: frames[1].ts });
  });

  it('a failed append answers unavailable with the cid and holds nothing back', async () => {
    const { member, history } = setup();
    const alice = await member('Alice');
    const bob = await member('Bob');
    await alice.req({ type: 'join', room: 'r' });
    await bob.req({ type: 'join', room: 'r' });
    alice.take();
    history.next('append', { fail: true });
    await alice.req({ type: 'send', room: 'r', text: 'hi', cid: 'a1' });
    await bob.req({ type: 'send', room: 'r', text: 'yo', cid: 'b1' });
    expect(alice.take().map((f) => [f.type, f.code ?? f.cid])).toEqual([['error', 'unavailable'], ['message', 'b1']]);
    await alice.req({ type: 'send', room: 'r', text: 'hi', cid: 'a1' }); // the retry is stored once
    expect(alice.take().map((f) => [f.type, f.id])).toEqual([['ack', 2], ['message', 2]]);
  });

  it('a repeated cid is acked again with the same id and not delivered twice', async () => {
    const { member } = setup();
    const alice = await member('Alice');
    await alice.req({ type: 'join', room: 'r' });
    alice.take();
    await alice.req({ type: 'send', room: 'r', text: 'hi', cid: 'a1' });
    await alice.req({ type: 'send', room: 'r', text: 'hi', cid: 'a1' });
    expect(alice.take().map((f) => [f.type, f.id])).toEqual([['ack', 1], ['message', 1], ['ack', 1]]);
  });
});
