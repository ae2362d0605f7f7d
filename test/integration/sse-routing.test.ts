/**
 * POST routing of the SSE fallback at the node level: 4 nodes in this process on one real Redis.
 * A request POSTed to any node reaches the stream's holder (relayed over `livechat:srv:<instance>`
 * unless it is the holder), is answered 202 only once queued there — so POSTs made one after another
 * keep their order even when each lands on another node — and a stream that is gone, or a server that
 * is, gets 404. Streams share the WebSocket rules: cut-off (1013), drain (1001), the stream's rate
 * bucket over every POST wherever it lands, MAX_CONNECTIONS over both transports. The embedded node
 * (memory backend) holds and routes everything itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatNode } from '../../app/src/node.js';
import { startNodes, type Nodes } from '../helpers/nodes.js';
import { SseClient } from '../helpers/sse-client.js';
import { TestClient } from '../helpers/ws-client.js';

const httpBase = (n: ChatNode) => {
  const addr = n.server.http.address();
  return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/sse`;
};

/** livechat_sse_posts_total of one node, by label. */
async function posts(n: ChatNode, routed: 'yes' | 'no', status = '202'): Promise<number> {
  const m = await n.metrics.ssePosts.get();
  return m.values.find((v) => v.labels.routed === routed && v.labels.status === status)?.value ?? 0;
}

describe('SSE POST routing across 4 nodes (real Redis)', () => {
  let world: Nodes;
  const open: SseClient[] = [];
  const connect = async (url: string) => {
    const c = await SseClient.connect(url);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    world = await startNodes('redis', 4);
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await world?.stop();
  });

  it('a POST to each node reaches the stream on the holder; only the others relay', async () => {
    const [holder, ...others] = world.nodes;
    const c = await connect(httpBase(holder));
    expect(c.stream.startsWith(`${holder.server.sse.instance}.`)).toBe(true);
    const before = await Promise.all(world.nodes.map((n) => Promise.all([posts(n, 'no'), posts(n, 'yes')])));
    await c.hello('Router');
    for (const [i, n] of world.nodes.entries()) {
      expect(await c.post({ type: 'ping', rid: `via-${i}` }, { base: httpBase(n) })).toBe(202);
      await c.next((f) => f.type === 'pong' && f.rid === `via-${i}`);
    }
    const after = await Promise.all(world.nodes.map((n) => Promise.all([posts(n, 'no'), posts(n, 'yes')])));
    // The holder took the hello and its own ping locally; each other node relayed exactly its one.
    expect(after[0][0] - before[0][0]).toBe(2);
    expect(after[0][1] - before[0][1]).toBe(0);
    for (let i = 1; i < 4; i++) expect([after[i][0] - before[i][0], after[i][1] - before[i][1]], `node ${i + 1}`).toEqual([0, 1]);
    expect(others.every((n) => n.server.sse.size === 0)).toBe(true);
  });

  it('requests POSTed one after another keep their order, whichever node each lands on', async () => {
    const c = await connect(httpBase(world.nodes[2]));
    await c.hello('Orderly');
    const n = 40;
    for (let i = 0; i < n; i++) expect(await c.post({ type: 'ping', rid: String(i) }, { base: httpBase(world.nodes[i % 4]) })).toBe(202);
    const rids: string[] = [];
    for (let i = 0; i < n; i++) rids.push(String((await c.next('pong')).rid));
    expect(rids).toEqual(Array.from({ length: n }, (_, i) => String(i)));
  });

  it('404 for a stream that closed (on the holder and elsewhere), for a server that is gone, and for a token that is not one', async () => {
    const c = await connect(httpBase(world.nodes[1]));
    await c.hello('Leaver');
    c.close();
    await c.ended;
    await new Promise((r) => setTimeout(r, 100));
    for (const n of world.nodes) expect(await c.post({ type: 'ping' }, { base: httpBase(n) }), `via ${n.config.appId}`).toBe(404);
    // A well-formed token naming an instance no server has: nobody hears the relay (PUBLISH reaches 0).
    const stranger = `${'0'.repeat(16)}.${'A'.repeat(22)}`;
    const post = (base: string, token: string) => fetch(`${base}/${token}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"type":"ping"}' });
    expect((await post(httpBase(world.nodes[0]), stranger)).status).toBe(404);
    expect((await post(httpBase(world.nodes[0]), 'not-a-token')).status).toBe(404);
    expect((await world.nodes[0].metrics.ssePosts.get()).values.some((v) => v.labels.routed === 'yes' && v.labels.status === '404')).toBe(true);
  });

  it('the holder applies the stream\'s limits to relayed requests: a malformed body is a bad_request on the stream', async () => {
    const c = await connect(httpBase(world.nodes[0]));
    await c.hello('Sloppy');
    expect(await c.post('{"type":', { base: httpBase(world.nodes[3]) })).toBe(202);
    expect(await c.next('error')).toMatchObject({ code: 'bad_request' });
  });

  it('a server cut off from the store ends its streams with 1013 and opens none until it is back', async () => {
    const node = world.nodes[2];
    const c = await connect(httpBase(node));
    await c.hello('Stranded');
    node.server.setCutOff(true);
    try {
      await c.ended;
      expect(c.closeEvent).toEqual({ code: 1013, reason: 'try again later' });
      await expect(SseClient.connect(httpBase(node))).rejects.toThrow(/503/);
    } finally {
      node.server.setCutOff(false);
    }
    await connect(httpBase(node));
  });

  it('a server that shuts down ends its streams with a close event 1001; their POSTs elsewhere then get 404', async () => {
    const leaving = world.nodes[3];
    const c = await connect(httpBase(leaving));
    await c.hello('Evacuee');
    await leaving.stop();
    await c.ended;
    expect(c.closeEvent).toEqual({ code: 1001, reason: 'server going away' });
    expect(await c.post({ type: 'ping' }, { base: httpBase(world.nodes[0]) })).toBe(404);
  });
});

describe('SSE clients count as WebSocket ones (2 nodes, real Redis)', () => {
  let world: Nodes;
  beforeAll(async () => {
    world = await startNodes('redis', 2, { RATE_LIMIT_BURST: '3', RATE_LIMIT_PER_SEC: '1', MAX_CONNECTIONS: '2' });
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('the holder applies the stream\'s rate bucket to every POST, relayed or not', async () => {
    const c = await SseClient.connect(httpBase(world.nodes[0]));
    try {
      await c.hello('Hasty');
      // The hello took one token of 3; of the next 4 pings (half of them relayed) two pass.
      for (let i = 0; i < 4; i++) expect(await c.post({ type: 'ping', rid: `p${i}` }, { base: httpBase(world.nodes[i % 2]) })).toBe(202);
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await c.next((f) => f.rid === `p${i}`));
      expect(answers.map((f) => (f.type === 'error' ? f.code : f.type))).toEqual(['pong', 'pong', 'rate_limited', 'rate_limited']);
    } finally {
      c.close();
    }
  });

  it('MAX_CONNECTIONS counts streams and WebSockets together', async () => {
    const node = world.nodes[1];
    const addr = node.server.http.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const s = await SseClient.connect(httpBase(node));
    const w = await TestClient.connect(`ws://127.0.0.1:${port}/ws`);
    try {
      await expect(SseClient.connect(httpBase(node))).rejects.toThrow(/503/);
      await expect(TestClient.connect(`ws://127.0.0.1:${port}/ws`)).rejects.toThrow(/503/);
    } finally {
      s.close();
      w.terminate();
    }
  });
});

describe('SSE on the embedded node (memory backend): everything local', () => {
  let world: Nodes;
  beforeAll(async () => {
    world = await startNodes('memory', 1);
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('opens a stream, takes POSTs, 404s an unknown stream', async () => {
    const base = httpBase(world.nodes[0]);
    const c = await SseClient.connect(base);
    try {
      const w = await c.hello('Solo');
      expect(w.appId).toBe('embedded1');
      expect(await c.post({ type: 'join', room: 'solo' })).toBe(202);
      await c.next('joined');
      const stranger = `${'0'.repeat(16)}.${'A'.repeat(22)}`;
      expect((await fetch(`${base}/${stranger}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status).toBe(404);
    } finally {
      c.close();
    }
  });
});
