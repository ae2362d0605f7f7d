// Accounts on one ChatService over the memory backend (the embedded node's stores): what the cluster
// test cannot arrange — the KDF's bounds, the same work for unknown and known usernames, a removal
// that lands while a join is reading the access list.
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../app/src/backends.js';
import { chatHarness } from '../helpers/chat-harness.js';

function setup(env: Record<string, string> = {}) {
  // The bus as pub/sub can be: entries lost while the subscription is down, and the resubscribe after.
  let lose: ((payload: string) => boolean) | null = null;
  const resubscribed: Array<() => void> = [];
  let isMemberGate: Promise<void> | null = null;
  const h = chatHarness({
    env,
    backend: (base): Backend => {
      const bus = {
        subscribe: (handler: (p: string) => void) => base.bus.subscribe((p) => { if (!lose?.(p)) handler(p); }),
        onResubscribed: (cb: () => void) => { resubscribed.push(cb); },
        publishTransient: (p: string) => base.bus.publishTransient(p),
      };
      const access = new Proxy(base.access, {
        get(t, key, recv) {
          const v = Reflect.get(t, key, recv);
          if (key !== 'isMember') return typeof v === 'function' ? v.bind(t) : v;
          return async (...args: [string, string]) => {
            const answer = await t.isMember(...args);
            if (isMemberGate) await isMemberGate;
            return answer;
          };
        },
      });
      return { ...base, access, bus };
    },
  });
  return {
    chat: h.chat, base: h.base, client: h.client, account: h.account,
    gateIsMember: (p: Promise<void> | null) => { isMemberGate = p; },
    /** Entries matching `pred` never reach the server (until `resubscribe`). */
    loseEntries: (pred: ((payload: string) => boolean) | null) => { lose = pred; },
    resubscribe: () => { lose = null; for (const cb of resubscribed) cb(); },
  };
}

describe('AccountService', () => {
  it('a sign-in with an unknown username does the same work and gets the same answer as a wrong password', async () => {
    const { chat, client, account } = setup();
    await chat.features.signIn.hasher.prepare();
    await account('Ann');
    const hasher = chat.features.signIn.hasher;
    const before = hasher.derivations;
    const wrong = client();
    await wrong.req({ type: 'signin', username: 'ann', password: 'wrong-password' });
    const afterWrong = hasher.derivations;
    const unknown = client();
    await unknown.req({ type: 'signin', username: 'nobody', password: 'wrong-password' });
    // One scrypt each: the dummy hash was made once, before (prepare, which every sign-in calls first).
    expect(afterWrong - before).toBe(1);
    expect(hasher.derivations - afterWrong).toBe(1);
    expect(unknown.take()).toEqual(wrong.take());
  });

  it('"sign out" (revoke current): the connection gets its `revoked` answer, then is closed 1008 "signed out"', async () => {
    const { account } = setup();
    const ann = await account('Ann');
    await ann.req({ type: 'revoke', session: 'current', rid: 'bye' });
    expect(ann.take()).toEqual([{ type: 'revoked', count: 1, rid: 'bye' }]);
    expect(ann.closed).toEqual([[1008, 'signed out']]);
  });

  it('hashing is bounded per server: past concurrency + queue, sign-ins get rate_limited', async () => {
    const { client, account } = setup({ KDF_CONCURRENCY: '1', KDF_QUEUE: '0', SCRYPT_LOG2_N: '14' });
    await account('Bob');
    const a = client();
    const b = client();
    await Promise.all([
      a.req({ type: 'signin', username: 'bob', password: 'password-1234' }),
      b.req({ type: 'signin', username: 'bob', password: 'password-1234' }),
    ]);
    const answers = [...a.take(), ...b.take()];
    expect(answers.map((f) => f.type).sort()).toEqual(['error', 'welcome']);
    expect(answers.find((f) => f.type === 'error')).toMatchObject({ code: 'rate_limited', retryAfterMs: 1000 });
  });

  it('failed sign-ins per address are limited whatever the username', async () => {
    const { client } = setup({ SIGNIN_ADDRESS_LIMIT: '3' });
    for (let i = 0; i < 3; i++) {
      const c = client('10.9.9.9');
      await c.req({ type: 'signin', username: `user${i}`, password: 'wrong-password' });
      expect(c.take()).toMatchObject([{ code: 'auth_failed' }]);
    }
    const c = client('10.9.9.9');
    await c.req({ type: 'signin', username: 'someone', password: 'wrong-password' });
    expect(c.take()).toMatchObject([{ code: 'rate_limited' }]);
    const elsewhere = client('10.9.9.10');
    await elsewhere.req({ type: 'signin', username: 'someone', password: 'wrong-password' });
    expect(elsewhere.take()).toMatchObject([{ code: 'auth_failed' }]);
  });

  it('REQUIRE_ACCOUNTS: a guest hello is forbidden, an account session is welcome', async () => {
    const { client, account } = setup({ REQUIRE_ACCOUNTS: 'true' });
    const guest = client();
    await guest.req({ type: 'hello', name: 'Guest' });
    expect(guest.take()).toMatchObject([{ type: 'error', code: 'forbidden' }]);
    const ann = await account('Ann');
    const again = client();
    await again.req({ type: 'hello', name: 'x', session: ann.c.session });
    expect(again.take()).toMatchObject([{ type: 'welcome', member: ann.m, account: { username: 'Ann' } }]);
  });

  it('signup and signin are refused once identified', async () => {
    const { client } = setup();
    const g = client();
    await g.req({ type: 'hello', name: 'Guest' });
    g.take();
    await g.req({ type: 'signin', username: 'x', password: 'password-1234' });
    expect(g.take()).toMatchObject([{ type: 'error', code: 'bad_request' }]);
  });

  it('a removal that lands while a join reads the access list: no joined, not in the room, not listed', async () => {
    const { account, gateIsMember, base } = setup();
    const owner = await account('Owner');
    const bob = await account('Bob');
    await owner.req({ type: 'create', title: 'T' });
    const room = owner.take()[0].room as string;
    await owner.req({ type: 'invite', room, username: 'bob' });
    await bob.req({ type: 'accept', room });
    await owner.req({ type: 'join', room });
    owner.take();
    let open!: () => void;
    gateIsMember(new Promise<void>((r) => { open = r; }));
    // Bob's join has entered the room and read "member" — the answer is held back while the owner removes him.
    const join = bob.req({ type: 'join', room });
    await new Promise((r) => setImmediate(r));
    gateIsMember(null);
    await owner.req({ type: 'remove', room, member: bob.m.id });
    open();
    await join;
    const frames = bob.take();
    expect(frames.some((f) => f.type === 'joined')).toBe(false);
    expect(frames).toContainEqual({ type: 'left', room, reason: 'removed' });
    await owner.req({ type: 'send', room, text: 'after', cid: 'a1' });
    expect(bob.take().some((f) => f.type === 'message')).toBe(false);
    expect((await base.presence.snapshot(room, 10)).members.map((m) => m.name)).toEqual(['Owner']);
  });

  it('a guest cannot DM, create, or be DMed; a DM has one room id from both sides', async () => {
    const { client, account } = setup();
    const g = client();
    await g.req({ type: 'hello', name: 'Guest' });
    const guestId = g.c.member!.id;
    g.take();
    await g.req({ type: 'create', title: 'x' });
    expect(g.take()).toMatchObject([{ code: 'forbidden' }]);
    const a = await account('Ann');
    const b = await account('Bea');
    await a.req({ type: 'dm', member: guestId });
    expect(a.take()).toMatchObject([{ code: 'bad_request' }]);
    await a.req({ type: 'dm', member: b.m.id });
    await b.req({ type: 'dm', member: a.m.id });
    const [ra] = a.take().filter((f) => f.type === 'room');
    const [rb] = b.take().filter((f) => f.type === 'room');
    expect(ra.room).toBe(rb.room);
    expect([ra.title, rb.title]).toEqual(['Bea', 'Ann']);
  });

  describe('when the bus lost the removal or the revocation (pub/sub is at most once)', () => {
    async function privateRoomWithBob(env: Record<string, string> = {}) {
      const t = setup(env);
      const owner = await t.account('Owner');
      const bob = await t.account('Bob');
      await owner.req({ type: 'create', title: 'T' });
      const room = owner.take()[0].room as string;
      await owner.req({ type: 'invite', room, username: 'bob' });
    await bob.req({ type: 'accept', room });
      for (const x of [owner, bob]) await x.req({ type: 'join', room });
      owner.take();
      bob.take();
      t.loseEntries((p) => p.startsWith('x ') || p.startsWith('k '));
      await owner.req({ type: 'remove', room, member: bob.m.id });
      owner.take();
      expect(bob.take()).toEqual([]); // the removal never arrived: Bob is still subscribed here
      return { ...t, owner, bob, room };
    }
    const settle = () => new Promise((r) => setTimeout(r, 20));

    it('a re-join refused by the list takes the member out of the room', async () => {
      const { owner, bob, room } = await privateRoomWithBob();
      await bob.req({ type: 'join', room });
      expect(bob.take()).toEqual([
        expect.objectContaining({ type: 'error', code: 'forbidden' }),
        { type: 'left', room, reason: 'removed' },
      ]);
      await owner.req({ type: 'send', room, text: 'after', cid: 'a1' });
      expect(bob.take()).toEqual([]);
    });

    it('a send refused inside the append takes the member out of the room', async () => {
      const { owner, bob, room } = await privateRoomWithBob();
      await bob.req({ type: 'send', room, text: 'still here?', cid: 'b1' });
      expect(bob.take()).toEqual([
        { type: 'left', room, reason: 'removed' },
        expect.objectContaining({ type: 'error', code: 'forbidden', cid: 'b1' }),
      ]);
      await owner.req({ type: 'send', room, text: 'after', cid: 'a2' });
      expect(bob.take()).toEqual([]);
    });

    it('a history page read for a removed member is refused, and takes it out', async () => {
      const { bob, room } = await privateRoomWithBob();
      await bob.req({ type: 'history', room });
      const frames = bob.take();
      expect(frames.some((f) => f.type === 'history')).toBe(false);
      expect(frames).toContainEqual({ type: 'left', room, reason: 'removed' });
    });

    it('after the resubscribe every private room member and every account session is checked again', async () => {
      const { owner, bob, room, resubscribe, client, base } = await privateRoomWithBob();
      // Bob's other device, whose session is then revoked with the entry lost as well.
      const device = client();
      await device.req({ type: 'hello', name: 'x', session: bob.c.session });
      device.take();
      await base.sessions.revoke(bob.m.id);
      expect(device.closed).toEqual([]);
      resubscribe();
      await settle();
      expect(bob.take()).toContainEqual({ type: 'left', room, reason: 'removed' });
      expect(device.closed).toEqual([[1008, 'signed out']]);
      expect(bob.closed).toEqual([[1008, 'signed out']]);
      await owner.req({ type: 'send', room, text: 'after', cid: 'a3' });
      expect(owner.take().some((f) => f.type === 'ack')).toBe(true);
    });
  });

  it('a session revoked just before its connection attached is closed at once', async () => {
    const { account, client, base, chat } = setup();
    const ann = await account('Ann');
    const c = client();
    // The hello resolved the session; the revocation's entry passes before the connection is attached.
    const resolved = await base.sessions.resolve(ann.c.session);
    await base.sessions.revoke(ann.m.id);
    c.c.session = ann.c.session;
    expect(chat.links.attach(c.c, resolved!)).toBe(false);
    expect(c.closed).toEqual([[1008, 'signed out']]);
  });

  it('concurrent wrong passwords cannot all pass the per-(account, address) limit while their hashes run', async () => {
    const { client, account } = setup({ SIGNIN_PAIR_LIMIT: '5', KDF_QUEUE: '1000' });
    await account('Cat');
    const tries = Array.from({ length: 30 }, () => client());
    await Promise.all(tries.map((t) => t.req({ type: 'signin', username: 'cat', password: 'wrong-password' })));
    const codes = tries.flatMap((t) => t.take()).map((f) => f.code);
    expect(codes.filter((c) => c === 'auth_failed')).toHaveLength(5);
    expect(codes.filter((c) => c === 'rate_limited')).toHaveLength(25);
  });

  it('a success is not counted as a failure', async () => {
    const { client, account } = setup({ SIGNIN_PAIR_LIMIT: '2' });
    await account('Dot');
    for (let i = 0; i < 5; i++) {
      const c = client();
      await c.req({ type: 'signin', username: 'dot', password: 'password-1234' });
      expect(c.take()).toMatchObject([{ type: 'welcome' }]);
    }
  });

  it('guest hellos that hit registered names are counted per address', async () => {
    const { client, account } = setup({ SIGNIN_ADDRESS_LIMIT: '2' });
    await account('Eve');
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = client('10.7.7.7');
      await c.req({ type: 'hello', name: 'EVE' });
      codes.push(c.take()[0].code);
    }
    expect(codes).toEqual(['name_taken', 'name_taken', 'rate_limited']);
  });

  it('past the address limit, one answer before any name is looked up: hello with a registered or a free name, and invite', async () => {
    const { client, account } = setup({ SIGNIN_ADDRESS_LIMIT: '2' });
    await account('Eve');
    // The owner of a private room, on the address that will be locked (10.0.0.1, the harness's default).
    const owner = await account('Own');
    await owner.req({ type: 'create', title: 'Team' });
    const room = (owner.take().find((f) => f.type === 'room') as unknown as { room: string }).room;
    for (let i = 0; i < 2; i++) {
      const c = client();
      await c.req({ type: 'hello', name: 'EVE' });
      expect(c.take()[0].code).toBe('name_taken');
    }
    const answers = [];
    for (const name of ['Eve', 'Nobody-free']) {
      const c = client();
      await c.req({ type: 'hello', name });
      answers.push(c.take());
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]).toMatchObject([{ type: 'error', code: 'rate_limited' }]);
    await owner.req({ type: 'invite', room, username: 'eve' });
    const known = owner.take();
    await owner.req({ type: 'invite', room, username: 'nobody-at-all' });
    expect(owner.take()).toEqual(known);
    expect(known).toMatchObject([{ type: 'error', code: 'rate_limited' }]);
  });

  it('a read marker never goes past the room\'s newest message', async () => {
    const { account } = setup();
    const ann = await account('Ann');
    await ann.req({ type: 'join', room: 'lobby' });
    await ann.req({ type: 'send', room: 'lobby', text: 'one', cid: 'r1' });
    ann.take();
    await new Promise((r) => setTimeout(r, 10)); // the room list write of the join
    await ann.req({ type: 'read', room: 'lobby', id: 999_999_999_999_999 });
    expect(ann.take()).toContainEqual({ type: 'read', room: 'lobby', id: 1 });
  });
});
