/**
 * Every request, answer, error and guarantee of shared/PROTOCOL.md, run against the embedded node
 * (memory backend) and against three nodes sharing a real Redis. The native-cluster suite
 * (cluster-guarantees.test.ts) repeats the cross-server ones through HAProxy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v4 as uuidv4 } from 'uuid';
import { startNodes, type Nodes } from '../helpers/nodes.js';
import { TestClient } from '../helpers/ws-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const kind of ['memory', 'redis'] as const) {
  describe(`protocol guarantees: ${kind}`, () => {
    let env: Nodes;
    const clients: TestClient[] = [];
    let roomSeq = 0;
    const room = () => `r${++roomSeq}-${kind}`;

    beforeAll(async () => { env = await startNodes(kind, 3); });
    afterAll(async () => {
      for (const c of clients) c.terminate();
      await env.stop();
    });

    async function user(name: string, server = 0, session?: string) {
      const c = await TestClient.connect(env.urls[server % env.urls.length]);
      clients.push(c);
      const welcome = await c.hello(name, session);
      return { c, welcome };
    }

    it('hello gives welcome with the server\'s APPID, a session and a member; names are cleaned', async () => {
      const { welcome } = await user(' Ann\u200bie ');
      expect(welcome).toMatchObject({ type: 'welcome', appId: env.nodes[0].config.appId, member: { name: 'Annie' } });
      expect(typeof welcome.session).toBe('string');
      expect(typeof welcome.member.id).toBe('string');
    });

    it('answers errors with the exact codes', async () => {
      const c = await TestClient.connect(env.urls[0]);
      clients.push(c);
      expect(await c.request({ type: 'join', room: 'x' }, 'joined')).toMatchObject({ type: 'error', code: 'not_identified' });
      expect(await c.request({ type: 'ping' }, 'pong')).toMatchObject({ type: 'error', code: 'not_identified' });
      expect(await c.request({ type: 'hello', name: '' }, 'welcome')).toMatchObject({ code: 'bad_request' });
      await c.hello('Err');
      expect(await c.request({ type: 'send', room: 'nojoin', text: 'x', cid: 'c1' }, 'ack')).toMatchObject({ code: 'not_joined', cid: 'c1' });
      expect(await c.request({ type: 'history', room: 'nojoin' }, 'history')).toMatchObject({ code: 'not_joined' });
      expect(await c.request({ type: 'frobnicate' }, 'x')).toMatchObject({ code: 'bad_request' });
      expect(await c.request({ type: 'join', room: 'Bad Room' }, 'joined')).toMatchObject({ code: 'bad_request' });
      expect(await c.request({ type: 'ping' }, 'pong')).toEqual({ type: 'pong' });
      c.send('not json');
      expect(await c.next('error')).toMatchObject({ code: 'bad_request' });
    });

    it('request ids: every answer and error carries the request\'s rid; frames pushed to others never do', async () => {
      const r = room();
      const c = await TestClient.connect(env.urls[0]);
      clients.push(c);
      // Before hello, malformed, unknown type, a bad rid: the error names the rid when it was usable.
      expect(await c.request({ type: 'join', room: r, rid: 'a1' }, 'joined')).toMatchObject({ code: 'not_identified', rid: 'a1' });
      expect(await c.request({ type: 'join', room: 'Bad Room', rid: 'a2' }, 'joined')).toMatchObject({ code: 'bad_request', rid: 'a2' });
      expect(await c.request({ type: 'frobnicate', rid: 'a3' }, 'x')).toMatchObject({ code: 'bad_request', rid: 'a3' });
      const badRid = await c.request({ type: 'ping', rid: 'x'.repeat(65) }, 'pong');
      expect(badRid).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/rid/) });
      expect(badRid).not.toHaveProperty('rid');
      expect(await c.request({ type: 'hello', name: 'Rid', rid: 'h1' }, 'welcome')).toMatchObject({ type: 'welcome', rid: 'h1' });
      expect(await c.request({ type: 'ping', rid: 'p1' }, 'pong')).toEqual({ type: 'pong', rid: 'p1' });
      expect(await c.request({ type: 'ping' }, 'pong')).toEqual({ type: 'pong' });
      const other = await user('Other', 1);
      await other.c.request({ type: 'join', room: r }, 'joined');
      expect(await c.request({ type: 'join', room: r, rid: 'j1' }, 'joined')).toMatchObject({ type: 'joined', room: r, rid: 'j1' });
      const ack = await c.request({ type: 'send', room: r, text: 'hi', cid: 'rid-c1', rid: 's1' }, 'ack');
      expect(ack).toMatchObject({ type: 'ack', cid: 'rid-c1', rid: 's1' });
      const own = await c.next((f) => f.type === 'message' && f.cid === 'rid-c1');
      expect(own).not.toHaveProperty('rid');
      const theirs = await other.c.next((f) => f.type === 'message' && f.cid === 'rid-c1');
      expect(theirs).not.toHaveProperty('rid');
      expect(await c.request({ type: 'history', room: r, rid: 'h2' }, 'history')).toMatchObject({ type: 'history', rid: 'h2' });
      expect(await c.request({ type: 'members', room: r, rid: 'm1' }, 'members')).toMatchObject({ type: 'members', rid: 'm1' });
      expect(await c.request({ type: 'send', room: 'nojoin', text: 'x', cid: 'c9', rid: 's2' }, 'ack'))
        .toMatchObject({ code: 'not_joined', cid: 'c9', rid: 's2' });
      expect(await c.request({ type: 'rooms', rid: 'g1' }, 'rooms')).toMatchObject({ code: 'forbidden', rid: 'g1' });
      expect(await c.request({ type: 'leave', room: r, rid: 'l1' }, 'left')).toEqual({ type: 'left', room: r, rid: 'l1' });
      // The other member saw this one come and go: pushed presence frames carry no rid.
      const pushed = other.c.frames.filter((f) => f.type === 'presence');
      expect(pushed.length).toBeGreaterThan(0);
      for (const f of pushed) expect(f).not.toHaveProperty('rid');
    });

    it('join -> joined with members and last; send -> ack, then message to every member on every server', async () => {
      const r = room();
      const a = await user('A', 0);
      const b = await user('B', 1);
      const ja = await a.c.request({ type: 'join', room: r }, 'joined');
      expect(ja).toMatchObject({ type: 'joined', room: r, last: 0, messages: [] });
      const jb = await b.c.request({ type: 'join', room: r }, 'joined');
      expect((jb.members as Array<{ name: string }>).map((m) => m.name).sort()).toEqual(['A', 'B']);
      a.c.send({ type: 'send', room: r, text: '  hello  ', cid: 'cid-1' });
      const ack = await a.c.next((f) => f.type === 'ack' || f.type === 'message');
      expect(ack).toMatchObject({ type: 'ack', cid: 'cid-1', room: r, id: 1 });
      const mine = await a.c.next('message');
      const theirs = await b.c.next('message');
      for (const m of [mine, theirs]) {
        expect(m).toMatchObject({ type: 'message', room: r, id: 1, text: 'hello', cid: 'cid-1', via: env.nodes[0].config.appId, from: { id: a.welcome.member.id, name: 'A' } });
        expect(m.ts).toBe(ack.ts);
      }
    });

    it('concurrent senders on every server: all clients see the same contiguous ids in order', async () => {
      const r = room();
      const users = await Promise.all([0, 1, 2, 0, 1, 2].map((s, i) => user(`U${i}`, s)));
      for (const u of users) await u.c.request({ type: 'join', room: r }, 'joined');
      const perSender = 20;
      await Promise.all(users.map(async (u, i) => {
        for (let k = 0; k < perSender; k++) u.c.send({ type: 'send', room: r, text: `m${i}-${k}`, cid: `${i}-${k}` });
      }));
      const total = perSender * users.length;
      for (const u of users) {
        await u.c.next((f) => f.type === 'message' && f.id === total, 10_000);
        const ids = u.c.messages(r).map((m) => m.id);
        expect(ids).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      }
    });

    it('a send retried with the same cid on another server is acked with the same id and delivered once', async () => {
      const r = room();
      const a = await user('A', 0);
      const b = await user('B', 1, a.welcome.session);
      const watcher = await user('W', 2);
      for (const u of [a, b, watcher]) await u.c.request({ type: 'join', room: r }, 'joined');
      const first = await a.c.request({ type: 'send', room: r, text: 'once', cid: 'retry-me' }, 'ack');
      const again = await b.c.request({ type: 'send', room: r, text: 'once', cid: 'retry-me' }, 'ack');
      expect(again).toMatchObject({ type: 'ack', id: first.id, ts: first.ts, cid: 'retry-me' });
      await watcher.c.request({ type: 'send', room: r, text: 'after', cid: 'after-1' }, 'ack');
      await watcher.c.next((f) => f.type === 'message' && f.cid === 'after-1');
      expect(watcher.c.messages(r).map((m) => m.cid)).toEqual(['retry-me', 'after-1']);
    });

    it('resume: a client that missed messages rejoins elsewhere with after=N and gets each once, then live', async () => {
      const r = room();
      const sender = await user('S', 0);
      await sender.c.request({ type: 'join', room: r }, 'joined');
      const reader = await user('R', 1);
      await reader.c.request({ type: 'join', room: r }, 'joined');
      for (let i = 0; i < 5; i++) await sender.c.request({ type: 'send', room: r, text: `a${i}`, cid: `a${i}` }, 'ack');
      await reader.c.next((f) => f.type === 'message' && f.id === 5);
      reader.c.terminate();
      for (let i = 0; i < 7; i++) await sender.c.request({ type: 'send', room: r, text: `b${i}`, cid: `b${i}` }, 'ack');
      const back = await user('R', 2, reader.welcome.session);
      // Keep sending while the rejoin happens: no gap, no duplicate across the joined/live boundary.
      const flood = (async () => {
        for (let i = 0; i < 10; i++) await sender.c.request({ type: 'send', room: r, text: `c${i}`, cid: `c${i}` }, 'ack');
      })();
      const joined = await back.c.request({ type: 'join', room: r, after: 5 }, 'joined');
      expect((joined.messages as Array<{ id: number }>)[0].id).toBe(6);
      await flood;
      await back.c.next((f) => f.type === 'message' && f.id === 22, 5000);
      expect(back.c.messages(r).map((m) => m.id)).toEqual(Array.from({ length: 17 }, (_, i) => i + 6));
    });

    it('join without after holds the latest 50; history pages with before/after; truncated when after is too old', async () => {
      const r = room();
      const a = await user('A');
      await a.c.request({ type: 'join', room: r }, 'joined');
      for (let i = 1; i <= 60; i++) a.c.send({ type: 'send', room: r, text: `t${i}`, cid: `h${i}` });
      await a.c.next((f) => f.type === 'ack' && f.id === 60, 10_000);
      const b = await user('B', 1);
      const j = await b.c.request({ type: 'join', room: r }, 'joined');
      expect((j.messages as Array<{ id: number }>).map((m) => m.id)).toEqual(Array.from({ length: 50 }, (_, i) => i + 11));
      expect(j.last).toBe(60);
      expect(j.truncated).toBeUndefined();
      const older = await b.c.request({ type: 'history', room: r, before: 11, limit: 5 }, 'history');
      expect((older.messages as Array<{ id: number }>).map((m) => m.id)).toEqual([6, 7, 8, 9, 10]);
      const newer = await b.c.request({ type: 'history', room: r, after: 58 }, 'history');
      expect((newer.messages as Array<{ id: number }>).map((m) => m.id)).toEqual([59, 60]);
    });

    it('session: hello with the session on another server restores the same member id and name', async () => {
      const a = await user('Original', 0);
      const b = await user('Other name', 1, a.welcome.session);
      expect(b.welcome.member).toEqual(a.welcome.member);
      expect(b.welcome.session).toBe(a.welcome.session);
      const fresh = await user('New', 2, 'not-a-real-session');
      expect(fresh.welcome.member.id).not.toBe(a.welcome.member.id);
    });

    it('presence: same members on every server; two connections listed once; leave after the last closes', async () => {
      const r = room();
      const a1 = await user('Alice', 0);
      const a2 = await user('Alice', 1, a1.welcome.session);
      const bob = await user('Bob', 2);
      await bob.c.request({ type: 'join', room: r }, 'joined');
      await a1.c.request({ type: 'join', room: r }, 'joined');
      await a2.c.request({ type: 'join', room: r }, 'joined');
      const lists = await Promise.all([a1, a2, bob].map(async (u) => {
        const v = await TestClient.connect(env.urls[[a1, a2, bob].indexOf(u)]);
        clients.push(v);
        await v.hello('viewer');
        const j = await v.request({ type: 'join', room: r }, 'joined');
        v.close();
        return (j.members as Array<{ id: string; name: string }>).filter((m) => m.name !== 'viewer').map((m) => m.name).sort();
      }));
      for (const l of lists) expect(l).toEqual(['Alice', 'Bob']);
      expect(bob.c.frames.filter((f) => f.type === 'presence' && f.event === 'join' && (f.member as { name: string }).name === 'Alice')).toHaveLength(1);
      a1.c.close();
      await sleep(800);
      expect(bob.c.frames.some((f) => f.type === 'presence' && f.event === 'leave' && (f.member as { name: string }).name === 'Alice')).toBe(false);
      a2.c.close();
      await bob.c.next((f) => f.type === 'presence' && f.event === 'leave' && (f.member as { name: string }).name === 'Alice', 5000);
    });

    it('presence: a reconnect within the grace period makes no leave/join flicker', async () => {
      const r = room();
      const bob = await user('Bob', 0);
      await bob.c.request({ type: 'join', room: r }, 'joined');
      const a = await user('Flick', 1);
      await a.c.request({ type: 'join', room: r }, 'joined');
      await bob.c.next((f) => f.type === 'presence' && f.event === 'join' && (f.member as { name: string }).name === 'Flick');
      a.c.terminate();
      const again = await user('Flick', 2, a.welcome.session);
      await again.c.request({ type: 'join', room: r }, 'joined');
      await sleep(1500);
      const flicker = bob.c.frames.filter((f) => f.type === 'presence' && (f.member as { name: string }).name === 'Flick');
      expect(flicker.map((f) => f.event)).toEqual(['join']);
    });

    it('leave -> left; the room then refuses send with not_joined', async () => {
      const r = room();
      const a = await user('A');
      await a.c.request({ type: 'join', room: r }, 'joined');
      expect(await a.c.request({ type: 'leave', room: r }, 'left')).toEqual({ type: 'left', room: r });
      expect(await a.c.request({ type: 'send', room: r, text: 'x', cid: uuidv4() }, 'ack')).toMatchObject({ code: 'not_joined' });
    });

    it('a connection may be in at most MAX_ROOMS_PER_CONNECTION rooms (default 100); re-joining one it is in still works', async () => {
      const a = await user('Many');
      const base = room();
      for (let i = 0; i < 100; i++) {
        if (i % 25 === 24) await sleep(600); // stay inside the token bucket (burst 100, 50/s)
        expect(await a.c.request({ type: 'join', room: `${base}-${i}` }, 'joined')).toMatchObject({ type: 'joined' });
      }
      expect(await a.c.request({ type: 'join', room: `${base}-100` }, 'joined')).toMatchObject({ type: 'error', code: 'bad_request' });
      expect(await a.c.request({ type: 'join', room: `${base}-7` }, 'joined')).toMatchObject({ type: 'joined', room: `${base}-7` });
      await a.c.request({ type: 'leave', room: `${base}-0` }, 'left');
      expect(await a.c.request({ type: 'join', room: `${base}-100` }, 'joined')).toMatchObject({ type: 'joined' });
    });
  });
}
