/**
 * The SSE fallback on the native cluster (4 servers, HAProxy, nginx, Redis), through both entry
 * points: the stream event first; the chat over SSE, mixed with WebSocket clients; POSTs spread
 * round-robin over every server and relayed to the holder (the servers' own counters say so); 404 for
 * unknown streams; heartbeats; the hello timeout; a reader that stops reading dropped; and the holder
 * SIGKILLed under traffic — its clients open streams elsewhere and resume, nothing lost or doubled.
 */
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { dialSse } from '../faults/lib/client-transport.js';
import { sample } from '../faults/lib/metrics.js';
import { audit, Ledger, ResumingClient } from '../faults/lib/resuming-client.js';
import { settle, sleep, startTraffic } from '../faults/lib/traffic.js';
import { LOOSE_LIMITS } from '../helpers/limits.js';
import { httpGet, waitFor } from '../helpers/server-proc.js';
import { SseClient } from '../helpers/sse-client.js';
import { useCluster } from '../helpers/use-cluster.js';
import { TestClient } from '../helpers/ws-client.js';

describe('SSE fallback on the native cluster (4 servers, HAProxy, nginx, Redis)', () => {
  const stage = useCluster({
    servers: 4,
    haproxyCheckInterMs: 300,
    env: {
      ...LOOSE_LIMITS, HELLO_TIMEOUT_MS: '2000', SLOW_CONSUMER_BYTES: String(256 * 1024), RATE_LIMIT_BURST: '5000', RATE_LIMIT_PER_SEC: '5000',
      PRESENCE_TTL_MS: '3000', PRESENCE_HEARTBEAT_MS: '1000', PRESENCE_GRACE_MS: '500',
    },
  });
  const streams: SseClient[] = [];
  const resuming: ResumingClient[] = [];
  afterAll(() => {
    for (const c of streams) c.close();
    for (const c of resuming) c.stop();
  });

  const viaHaproxy = () => `http://127.0.0.1:${stage.cluster.lbPort}/sse`;
  const viaNginx = () => `http://127.0.0.1:${stage.cluster.webPort}/sse`;
  const direct = (appId: string) => `http://127.0.0.1:${stage.cluster.servers.find((s) => s.appId === appId)!.port}/sse`;
  const entries = () => [['nginx', viaNginx()], ['HAProxy', viaHaproxy()]] as const;
  const open = async (url: string) => {
    const c = await SseClient.connect(url);
    streams.push(c);
    return c;
  };
  const ws = async (url: string) => {
    const c = await TestClient.connect(url);
    stage.clients.push(c);
    return c;
  };
  const metrics = (port: number) => httpGet(`http://127.0.0.1:${port}/metrics`).then((r) => r.body);
  /** livechat_sse_posts_total{routed} summed over statuses, per server (by APPID). */
  const postCounts = async (routed: 'yes' | 'no') => Object.fromEntries(await Promise.all(stage.cluster.servers.filter((s) => s.alive)
    .map(async (s) => [s.appId, sample(await metrics(s.port), 'livechat_sse_posts_total', `routed="${routed}",status="202"`) || 0] as const)));

  it('GET /sse answers an event stream whose first event names the stream (both entry points)', async () => {
    for (const [name, url] of entries()) {
      const c = await open(url);
      expect(c.headers['content-type'], name).toMatch(/^text\/event-stream/);
      expect(c.headers['cache-control'], name).toMatch(/no-cache/);
      expect(c.stream, name).toMatch(/^[0-9a-f]{16}\.[A-Za-z0-9_-]{22}$/);
      c.close();
    }
    // Only /ws, /sse and /sse/* pass HAProxy.
    expect((await httpGet(`http://127.0.0.1:${stage.cluster.lbPort}/metrics`)).status).toBe(404);
    expect((await httpGet(`http://127.0.0.1:${stage.cluster.lbPort}/ssex`)).status).toBe(404);
  });

  it('hello, join, send, ack and message over SSE; a WebSocket client in the room sees it and is seen (both entry points)', async () => {
    for (const [name, url] of entries()) {
      const room = `mixed-${name.toLowerCase()}`;
      const s = await open(url);
      const w = await s.hello(`Sse${name}`);
      expect(w.type, name).toBe('welcome');
      expect((await s.request({ type: 'join', room }, 'joined')).type).toBe('joined');
      const peer = await ws(name === 'nginx' ? stage.cluster.pageWsUrl : stage.cluster.wsUrl);
      await peer.hello(`Ws${name}`);
      await peer.request({ type: 'join', room }, 'joined');
      const ack = await s.request({ type: 'send', room, text: 'from sse', cid: `sse-${name}` }, 'ack');
      expect(ack).toMatchObject({ type: 'ack', cid: `sse-${name}`, room });
      expect(await s.next((f) => f.type === 'message' && f.cid === `sse-${name}`)).toMatchObject({ id: ack.id, text: 'from sse' });
      expect(await peer.next((f) => f.type === 'message' && f.cid === `sse-${name}`)).toMatchObject({ id: ack.id, from: w.member });
      const back = await peer.request({ type: 'send', room, text: 'from ws', cid: `ws-${name}` }, 'ack');
      expect(await s.next((f) => f.type === 'message' && f.cid === `ws-${name}`)).toMatchObject({ id: back.id, text: 'from ws' });
      // A retried POST of the same send (same cid) is acked again with the same id and not delivered twice.
      const again = await s.request({ type: 'send', room, text: 'from sse', cid: `sse-${name}` }, 'ack');
      expect(again.id).toBe(ack.id);
      await s.request({ type: 'ping' }, 'pong');
      expect(s.messages(room).filter((m) => m.cid === `sse-${name}`)).toHaveLength(1);
    }
  });

  it('POSTs land on all 4 servers round-robin and are relayed to the holder (both entry points)', async () => {
    for (const [name, url] of entries()) {
      const s = await open(url);
      const w = await s.hello(`Spread${name}`);
      const [routedBefore, localBefore] = [await postCounts('yes'), await postCounts('no')];
      const roundTrips: number[] = [];
      for (let i = 0; i < 16; i++) {
        const t0 = performance.now();
        expect(await s.post({ type: 'ping', rid: `r${i}` })).toBe(202);
        await s.next((f) => f.type === 'pong' && f.rid === `r${i}`);
        roundTrips.push(performance.now() - t0);
      }
      // A frame crosses the proxies at once (HAProxy's http-no-delay: else ~200 ms each).
      expect([...roundTrips].sort((a, b) => a - b)[8], `${name}: median POST -> answer ms`).toBeLessThan(150);
      const [routed, local] = [await postCounts('yes'), await postCounts('no')];
      // The holder (the APPID of the welcome) took some itself; every other server relayed some.
      expect(local[w.appId] - localBefore[w.appId], name).toBeGreaterThan(0);
      for (const id of ['1000', '2000', '3000', '4000'].filter((x) => x !== w.appId)) {
        expect(routed[id] - routedBefore[id], `${name}: server ${id} relayed`).toBeGreaterThan(0);
        expect(local[id] - localBefore[id], `${name}: server ${id} holds no stream of this client`).toBe(0);
      }
    }
  });

  it('404 for an unknown stream, 415 for another content type, 413 past the request limit', async () => {
    const stranger = `${'0'.repeat(16)}.${'A'.repeat(22)}`;
    const s = await open(viaHaproxy());
    const post = (url: string, body: string, type = 'application/json') => fetch(url, { method: 'POST', headers: { 'Content-Type': type }, body });
    for (const [name, url] of entries()) {
      expect((await post(`${url}/${stranger}`, '{"type":"ping"}')).status, name).toBe(404);
      expect((await post(`${url}/${s.stream.slice(0, 17)}${'B'.repeat(22)}`, '{"type":"ping"}')).status, name).toBe(404);
      expect((await post(`${url}/${s.stream}`, '{"type":"ping"}', 'text/plain')).status, name).toBe(415);
      // The 413 reaches a client that is still writing its body (the server reads the rest before it answers).
      for (const pad of [70_000, 300_000, 900_000]) {
        expect((await post(`${url}/${s.stream}`, JSON.stringify({ type: 'ping', pad: 'x'.repeat(pad) }))).status, `${name} ${pad}`).toBe(413);
      }
    }
  });

  it('a 413 survives a client that writes its whole body before it reads (no reset destroys the answer)', async () => {
    const s = await open(viaHaproxy());
    const port = (url: string) => Number(new URL(url).port);
    for (const [name, at] of [['HAProxy', port(viaHaproxy())], ['a server', port(direct('1000'))]] as const) {
      for (const size of [100_000, 900_000]) expect(await postUnread(at, `/sse/${s.stream}`, size), `${name} ${size}`).toMatch(/^HTTP\/1\.1 413 /);
    }
  });

  it('a heartbeat comment arrives within 10 s (through nginx)', async () => {
    const s = await open(viaNginx());
    await s.hello('Quiet');
    const t0 = Date.now();
    await waitFor('a heartbeat', () => s.heartbeats.some((t) => t >= t0), 10_000, 100);
  });

  it('a stream that says no hello in time is ended with a close event 1008', async () => {
    const s = await open(viaHaproxy());
    await s.ended;
    expect(s.closeEvent).toEqual({ code: 1008, reason: 'policy violation' });
  });

  it('a stream that stops reading is dropped (slow consumer)', async () => {
    const victim = stage.cluster.servers[1];
    const room = 'firehose';
    const slow = await open(direct(victim.appId));
    await slow.hello('Sloth');
    await slow.request({ type: 'join', room }, 'joined');
    const writer = await ws(`ws://127.0.0.1:${victim.port}/ws`);
    await writer.hello('Blaster');
    await writer.request({ type: 'join', room }, 'joined');
    slow.pause();
    const dropped = async () => sample(await metrics(victim.port), 'livechat_slow_consumers_closed_total') >= 1;
    const text = 'w'.repeat(3900);
    for (let burst = 0; burst < 40 && !(await dropped()); burst++) {
      for (let i = 0; i < 100; i++) writer.send({ type: 'send', room, text, cid: `w-${burst}-${i}` });
      await writer.next((f) => f.type === 'ack' && f.cid === `w-${burst}-99`, 10_000);
    }
    await waitFor('the slow stream dropped', dropped, 10_000);
    slow.resume();
    await slow.ended;
    expect(writer.closeCode).toBeNull();
  });

  it('the holder SIGKILLed: its SSE clients open streams elsewhere and resume — 0 lost, 0 duplicated', async () => {
    const room = 'sse-crash';
    const victim = '3000';
    const ledger = new Ledger();
    let first = true;
    // SSE clients start on the victim, then come back through HAProxy or nginx; WebSocket ones talk with them.
    for (let i = 0; i < 6; i++) {
      const back = i % 2 === 0 ? viaHaproxy() : viaNginx();
      resuming.push(new ResumingClient(`s${i}`, [room], () => (first ? direct(victim) : back), ledger, { dial: dialSse }));
    }
    await Promise.all(resuming.map((c) => c.start()));
    first = false;
    for (let i = 0; i < 4; i++) resuming.push(new ResumingClient(`sh${i}`, [room], viaHaproxy, ledger, { dial: dialSse }));
    for (let i = 0; i < 4; i++) resuming.push(new ResumingClient(`w${i}`, [room], () => stage.cluster.wsUrl, ledger));
    await Promise.all(resuming.slice(6).map((c) => c.start()));
    expect(resuming.slice(0, 6).every((c) => c.appId === victim)).toBe(true);

    const traffic = startTraffic(resuming, room, 60);
    await sleep(1000);
    expect(await stage.cluster.killServer(victim, 'SIGKILL')).toBeNull();
    await sleep(2500);
    await traffic.stop();
    await settle(resuming, ledger, room);
    expect(resuming.slice(0, 6).every((c) => c.appId !== victim && c.stats.connects >= 2)).toBe(true);
    expect(ledger.ids(room).length).toBeGreaterThan(50);
    expect(audit(ledger, resuming, room)).toEqual([]);
  });
});

/**
 * POSTs a `size`-byte JSON body in one write and reads nothing for 300 ms: a server that answered and
 * closed on the unread body has reset the connection by then, and the reset discards the answer.
 * Resolves with what was read (or the socket's error code).
 */
async function postUnread(port: number, path: string, size: number): Promise<string> {
  const sock = net.connect(port, '127.0.0.1');
  let got = '';
  const done = new Promise<string>((resolve) => {
    sock.on('data', (d: Buffer) => { got += d.toString('latin1'); });
    sock.on('error', (e: NodeJS.ErrnoException) => resolve(got || String(e.code)));
    sock.on('close', () => resolve(got || 'closed'));
  });
  await once(sock, 'connect');
  sock.pause();
  sock.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`);
  sock.write(Buffer.alloc(size, 0x20));
  await sleep(300);
  sock.resume();
  const timer = setTimeout(() => sock.destroy(), 5_000);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
    sock.destroy();
  }
}
