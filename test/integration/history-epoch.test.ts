/**
 * A room's history lost for good (issue 24; docs/protocol.md "History epoch"): two nodes sharing a real
 * Redis; the room's keys go with FLUSHALL (as Redis restarted without AOF would lose them). A client that
 * rejoins with `after` and the `epoch` it saw is told (`joined.reset`, a new `epoch`, a fresh window); the
 * next send is id 1 of the new epoch and reaches it. A client still connected in the room on a node whose
 * feed delivered the old ids is closed with 1013 once a join there finds the history restarted, or a message
 * of the new history arrives there, and is told when it rejoins. A client that sends no epoch is answered as before. And the page's own controller, over
 * a real WebSocket, drops the old messages, says so, and shows the new message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient } from 'redis';
import { State, type SocketCtor } from '../../chat-front/src/connection.js';
import { ChatController } from '../../chat-front/src/controller.js';
import { startNodes, type Nodes } from '../helpers/nodes.js';
import { TestClient } from '../helpers/ws-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(20);
  }
}

type Frame = { type: string; [k: string]: any };

describe('a room history lost by Redis (FLUSHALL): epochs and reset', () => {
  let env: Nodes;
  const clients: TestClient[] = [];
  const flushAll = async () => {
    const admin = createClient({ url: env.redis!.url });
    await admin.connect();
    await admin.flushAll();
    await admin.close();
  };
  async function user(name: string, server: number) {
    const c = await TestClient.connect(env.urls[server]);
    clients.push(c);
    await c.hello(name);
    return c;
  }

  beforeAll(async () => { env = await startNodes('redis', 2); });
  afterAll(async () => {
    for (const c of clients) c.terminate();
    await env.stop();
  });

  it('a resume with the old epoch is told; the next send is id 1 of the new epoch; old clients are answered as before', async () => {
    const room = 'lost-room';
    const ann = await user('Ann', 0);
    const first = await ann.request<any>({ type: 'join', room }, 'joined');
    expect(first.epoch).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    for (let i = 1; i <= 3; i++) expect(await ann.request<any>({ type: 'send', room, text: `old ${i}`, cid: `o${i}` }, 'ack')).toMatchObject({ id: i });
    // The same epoch on the other node; a resume within it is an ordinary one.
    const bob = await user('Bob', 1);
    const same = await bob.request<any>({ type: 'join', room, after: 2, epoch: first.epoch }, 'joined');
    expect(same).toMatchObject({ epoch: first.epoch, last: 3 });
    expect(same.reset).toBeUndefined();
    expect(same.messages.map((m: Frame) => m.id)).toEqual([3]);
    ann.terminate();
    bob.terminate();
    await sleep(200);

    await flushAll();

    const again = await user('Ann', 1);
    const told = await again.request<any>({ type: 'join', room, after: 3, epoch: first.epoch }, 'joined');
    expect(told).toMatchObject({ type: 'joined', room, messages: [], last: 0, truncated: true, reset: true });
    expect(told.epoch).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    expect(told.epoch).not.toBe(first.epoch);
    const ack = await again.request<any>({ type: 'send', room, text: 'after the loss', cid: 'n1' }, 'ack');
    expect(ack.id).toBe(1);
    expect(await again.next<any>((f) => f.type === 'message' && f.cid === 'n1')).toMatchObject({ id: 1, text: 'after the loss' });

    // An old client (no epoch) gets what it always got: the entries after its `after`, no reset.
    const old = await user('Old', 0);
    const plain = await old.request<any>({ type: 'join', room, after: 3 }, 'joined');
    expect(plain).toMatchObject({ messages: [], last: 1, epoch: told.epoch });
    expect(plain.reset).toBeUndefined();
    expect(plain.truncated).toBeUndefined();
    // A malformed epoch is a bad request.
    expect(await old.request<any>({ type: 'join', room: 'other', after: 1, epoch: 7 }, 'joined')).toMatchObject({ type: 'error', code: 'bad_request' });
  });

  it('a member still connected where the old ids were delivered is closed (1013) by the next join there, and told on its rejoin', async () => {
    const room = 'kept-open';
    const ann = await user('Ann', 0);
    const { epoch } = await ann.request<any>({ type: 'join', room }, 'joined');
    for (let i = 1; i <= 2; i++) await ann.request({ type: 'send', room, text: `old ${i}`, cid: `k${i}` }, 'ack');
    await ann.next((f) => f.type === 'message' && f.cid === 'k2');

    await flushAll();

    // Someone joins on the same node: the store's log is behind what this node delivered.
    const cat = await user('Cat', 0);
    expect(await cat.request<any>({ type: 'join', room }, 'joined')).toMatchObject({ last: 0, messages: [] });
    await until(() => ann.closeCode !== null);
    expect(ann.closeCode).toBe(1013);
    // Cat is on the new history: its first message is id 1 and reaches Cat.
    expect(await cat.request<any>({ type: 'send', room, text: 'new 1', cid: 'c1' }, 'ack')).toMatchObject({ id: 1 });
    await cat.next((f) => f.type === 'message' && f.cid === 'c1');
    const back = await user('Ann', 0);
    const told = await back.request<any>({ type: 'join', room, after: 2, epoch }, 'joined');
    expect(told).toMatchObject({ reset: true, last: 1 });
    expect(told.messages.map((m: Frame) => m.text)).toEqual(['new 1']);
  });

  it('a member still connected where the old ids were delivered is closed (1013) when a message of the new history arrives there', async () => {
    const room = 'live-loss';
    const ann = await user('Ann', 0);
    const { epoch } = await ann.request<any>({ type: 'join', room }, 'joined');
    for (let i = 1; i <= 3; i++) await ann.request({ type: 'send', room, text: `old ${i}`, cid: `l${i}` }, 'ack');
    await ann.next((f) => f.type === 'message' && f.cid === 'l3');

    await flushAll();

    // Cat, on the other node, starts the new history: its id 1 reaches Ann's node, which has delivered up to 3.
    const cat = await user('Cat', 1);
    await cat.request({ type: 'join', room }, 'joined');
    expect(await cat.request<any>({ type: 'send', room, text: 'new 1', cid: 'n1' }, 'ack')).toMatchObject({ id: 1 });
    await until(() => ann.closeCode !== null);
    expect(ann.closeCode).toBe(1013);
    expect(ann.messages(room).map((m) => m.text)).toEqual(['old 1', 'old 2', 'old 3']);
    const back = await user('Ann', 0);
    const told = await back.request<any>({ type: 'join', room, after: 3, epoch }, 'joined');
    expect(told).toMatchObject({ reset: true, last: 1 });
    expect(told.messages.map((m: any) => m.text)).toEqual(['new 1']);
    // The node delivers the new history from there on.
    await cat.request({ type: 'send', room, text: 'new 2', cid: 'n2' }, 'ack');
    expect(await back.next<any>((f) => f.type === 'message' && f.cid === 'n2')).toMatchObject({ id: 2 });
  });

  it('the page: rejoins with after and epoch, drops the old messages, says so, and shows the new history', async () => {
    const room = 'page-room';
    const sockets: WebSocket[] = [];
    // The page's Connection over the ws package (the browser's WebSocket API: onopen, onmessage, …).
    const Ctor = class extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        sockets.push(this);
      }
    } as unknown as SocketCtor;
    let cid = 0;
    const c = new ChatController({ url: env.urls[0], WebSocket: Ctor, storage: null, onChange: () => {}, newCid: () => `page-${++cid}` });
    try {
      c.start('Pat', room);
      await until(() => c.state.joined);
      const epoch = c.state.epoch;
      expect(epoch).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
      c.send('before the loss');
      c.send('also before');
      await until(() => c.state.messages.length === 2);
      expect(c.state.lastId).toBe(2);

      await flushAll();
      // The connection drops (a server restart, a network blip): the page reconnects and resumes.
      sockets[sockets.length - 1].terminate();
      // (The reconnect may be over before a poll sees it: wait for the rejoin on the new socket.)
      await until(() => sockets.length === 2 && c.state.conn === State.Connected && c.state.joined && c.state.lastId === 0, 10_000);
      expect(c.state.historyLost).toBe(true);
      expect(c.state.messages).toEqual([]);
      expect(c.state.epoch).not.toBe(epoch);
      expect(c.state.epoch).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
      expect(sockets.length).toBe(2);

      c.send('after the loss');
      await until(() => c.state.messages.length === 1);
      expect(c.state.messages.map((m) => [m.id, m.text])).toEqual([[1, 'after the loss']]);
      expect(c.state.outbox).toEqual([]);
    } finally {
      c.stop();
      for (const s of sockets) s.terminate();
    }
  });
});

