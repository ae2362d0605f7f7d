/**
 * Rates sized for people, at their defaults, against a real server process on Redis: per member and
 * per kind (send, join, history/members pages), rooms created per member, sessions created per source
 * address; and a cid that one member cannot replay for another. Each asserts the error code with
 * `retryAfterMs` (and the cid for sends), that waiting that long works again, and that bystanders chat on.
 */
import { v4 as uuidv4 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { sleep, startServer } from '../helpers/server-proc.js';
import { TestClient } from '../helpers/ws-client.js';
import { useTarget } from './lib/target.js';

describe('rates per member, per kind and per address (defaults, real server process)', () => {
  const t = useTarget({ appId: 'sec-rates', defaultLimits: true, env: { SESSION_CREATE_RATE_BURST: '1000' } });
  const client = t.client;

  /** Sends n requests at once and collects the answers of the given type or errors. */
  async function burst(c: TestClient, n: number, make: (i: number) => Record<string, unknown>, ...answers: string[]) {
    const before = c.frames.length;
    for (let i = 0; i < n; i++) c.send(make(i));
    const deadline = Date.now() + 5000;
    const got = () => c.frames.slice(before).filter((f) => answers.includes(f.type) || f.type === 'error');
    while (got().length < n && Date.now() < deadline) await sleep(20);
    // Move the client's read cursor past these answers (a ping's pong comes after all of them).
    c.send({ type: 'ping' });
    await c.next('pong');
    return got().filter((f) => f.type !== 'pong');
  }

  it('sends: a burst of 20 then 5 a second per member, shared by its connections; refusals name the cid', async () => {
    const a = await client('Flooder');
    await a.request({ type: 'join', room: 'flood' }, 'joined');
    const answers = await burst(a, 40, (i) => ({ type: 'send', room: 'flood', text: `m${i}`, cid: `s${i}` }), 'ack');
    const acked = answers.filter((f) => f.type === 'ack').length;
    expect(acked).toBeGreaterThanOrEqual(20);
    expect(acked).toBeLessThan(25);
    const refused = answers.filter((f) => f.type === 'error');
    expect(refused.every((f) => f.code === 'rate_limited' && typeof f.cid === 'string' && (f.retryAfterMs as number) > 0)).toBe(true);
    // A second connection of the same member shares the bucket.
    const b = await TestClient.connect(t.srv.url);
    t.open.push(b);
    await b.hello('Flooder', (a.frames.find((f) => f.type === 'welcome') as { session: string }).session);
    await b.request({ type: 'join', room: 'flood' }, 'joined');
    expect(await b.request({ type: 'send', room: 'flood', text: 'x', cid: 'other-conn' }, 'ack')).toMatchObject({ code: 'rate_limited', cid: 'other-conn' });
    await sleep((refused[0].retryAfterMs as number) + 50);
    expect((await a.request({ type: 'send', room: 'flood', text: 'later', cid: 'later' }, 'ack')).type).toBe('ack');
    await t.by.stillChats();
  });

  it('a message that mentions (looked up in the store first) takes one send token, not two', async () => {
    const m = await client('Mentioner');
    await m.request({ type: 'join', room: 'mentions' }, 'joined');
    const answers = await burst(m, 30, (i) => ({ type: 'send', room: 'mentions', text: `@nobody ${i}`, cid: `at${i}` }), 'ack');
    const acked = answers.filter((f) => f.type === 'ack').length;
    expect(acked).toBeGreaterThanOrEqual(20);
    expect(acked).toBeLessThan(25);
    expect(answers.filter((f) => f.type === 'error').every((f) => f.code === 'rate_limited' && typeof f.cid === 'string')).toBe(true);
  });

  it('edits and reactions: buckets of their own (20 then 2/s; 30 then 5/s), taken with the store quotas; refusals name the cid', async () => {
    const e = await client('Editor');
    await e.request({ type: 'join', room: 'edits' }, 'joined');
    const sent = await e.request({ type: 'send', room: 'edits', text: 'v0', cid: 'e0' }, 'ack');
    const id = sent.id as number;
    const edits = await burst(e, 30, (i) => ({ type: 'edit', room: 'edits', id, text: `v${i + 1}`, cid: `ed${i}` }), 'ack');
    const edited = edits.filter((f) => f.type === 'ack').length;
    expect(edited).toBeGreaterThanOrEqual(20);
    expect(edited).toBeLessThan(24);
    const refusedEdits = edits.filter((f) => f.type === 'error');
    expect(refusedEdits.every((f) => f.code === 'rate_limited' && typeof f.cid === 'string' && (f.retryAfterMs as number) > 0 && f.message === 'too many requests, slow down')).toBe(true);
    const reacts = await burst(e, 40, (i) => ({ type: 'react', room: 'edits', id, emoji: '👍', on: i % 2 === 0, cid: `rx${i}` }), 'ack');
    const reacted = reacts.filter((f) => f.type === 'ack').length;
    expect(reacted).toBeGreaterThanOrEqual(30);
    expect(reacted).toBeLessThan(35);
    expect(reacts.filter((f) => f.type === 'error').every((f) => f.code === 'rate_limited' && typeof f.cid === 'string')).toBe(true);
    // Sending is a bucket of its own still.
    expect((await e.request({ type: 'send', room: 'edits', text: 'after', cid: 'e-after' }, 'ack')).type).toBe('ack');
    await t.by.stillChats();
  });

  it('joins and pages have buckets of their own', async () => {
    const c = await client('Pager');
    await c.request({ type: 'join', room: 'pages' }, 'joined');
    const pages = await burst(c, 60, (i) => (i % 2 ? { type: 'history', room: 'pages' } : { type: 'members', room: 'pages' }), 'history', 'members');
    expect(pages.length).toBe(60);
    const served = pages.filter((f) => f.type !== 'error').length;
    expect(served).toBeGreaterThanOrEqual(30);
    expect(served).toBeLessThan(36);
    expect(pages.filter((f) => f.type === 'error').every((f) => f.code === 'rate_limited')).toBe(true);
    // Pages spent, sending still works (a different bucket).
    const sent = await c.request({ type: 'send', room: 'pages', text: 'hi', cid: 'after-pages' }, 'ack');
    expect(sent, JSON.stringify(sent)).toMatchObject({ type: 'ack' });
    const d = await client('Joiner');
    const joins = await burst(d, 30, () => ({ type: 'join', room: 'lobby' }), 'joined');
    expect(joins.length).toBe(30);
    expect(joins.filter((f) => f.type === 'joined').length).toBe(20);
    expect(joins.filter((f) => f.type === 'error').every((f) => f.code === 'rate_limited')).toBe(true);
    await t.by.stillChats();
  });

  it('a member creating rooms faster than a person could is refused, and is not left in them', async () => {
    const c = await client('Roomer');
    const answers: Array<Record<string, unknown>> = [];
    const rooms = Array.from({ length: 14 }, (_, i) => `new-${uuidv4().slice(0, 8)}-${i}`);
    for (const room of rooms) answers.push(await c.request({ type: 'join', room }, 'joined'));
    expect(answers.filter((f) => f.type === 'joined').length).toBe(10);
    const refused = answers.filter((f) => f.type === 'error');
    expect(refused).toHaveLength(4);
    expect(refused.every((f) => f.code === 'rate_limited' && (f.retryAfterMs as number) > 1000)).toBe(true);
    // Not left in a refused room: sending there is not_joined, and nobody is listed in it.
    const refusedRoom = rooms[answers.findIndex((f) => f.type === 'error')];
    expect(await c.request({ type: 'send', room: refusedRoom, text: 'x', cid: 'nope' }, 'ack')).toMatchObject({ code: 'not_joined' });
    const peek = await client('Peek');
    expect(await peek.request({ type: 'join', room: 'lobby' }, 'joined')).toMatchObject({ type: 'joined' });
    // Joining an existing room is not creating one.
    expect((await c.request({ type: 'join', room: 'lobby' }, 'joined')).type).toBe('joined');
    await t.by.stillChats();
  });

  it('one member cannot replay another member\'s cid: each gets its own message', async () => {
    const a = await client('A');
    const b = await client('B');
    await a.request({ type: 'join', room: 'cids' }, 'joined');
    await b.request({ type: 'join', room: 'cids' }, 'joined');
    const ackA = await a.request({ type: 'send', room: 'cids', text: 'from a', cid: 'same-cid' }, 'ack');
    const ackB = await b.request({ type: 'send', room: 'cids', text: 'from b', cid: 'same-cid' }, 'ack');
    expect(ackA.type).toBe('ack');
    expect(ackB.type).toBe('ack');
    expect(ackB.id).toBe((ackA.id as number) + 1);
    await t.by.stillChats();
  });

  it('sessions per source address: a loop of fresh hellos is refused past the burst; with a session it still works', async () => {
    const tight = await startServer({ appId: 'sec-sessions', redisUrl: t.redis.url, defaultLimits: true, env: { SESSION_CREATE_RATE_BURST: '10', SESSION_CREATE_RATE_PER_SEC: '1' } });
    try {
      const answers: Array<Record<string, unknown>> = [];
      let session = '';
      for (let i = 0; i < 15; i++) {
        const c = await TestClient.connect(tight.url);
        t.open.push(c);
        const w = await c.request({ type: 'hello', name: `n${i}` }, 'welcome');
        answers.push(w);
        if (w.type === 'welcome') session = w.session as string;
        c.terminate();
      }
      expect(answers.filter((f) => f.type === 'welcome').length).toBe(10);
      expect(answers.filter((f) => f.type === 'error').every((f) => f.code === 'rate_limited')).toBe(true);
      const back = await TestClient.connect(tight.url);
      t.open.push(back);
      expect((await back.request({ type: 'hello', name: 'n9', session }, 'welcome')).type).toBe('welcome');
    } finally {
      await tight.kill('SIGKILL');
    }
    await t.by.stillChats();
  });
});
