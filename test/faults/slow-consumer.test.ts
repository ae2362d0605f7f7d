/**
 * A client that never reads (its socket paused: the kernel buffers fill, then the server's) is
 * closed with 1013 once its unsent bytes pass SLOW_CONSUMER_BYTES; server memory stays bounded and
 * another client's round trips stay fast throughout. Real server process and Redis.
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { httpGet, startServer, waitFor, type ServerProc } from '../helpers/server-proc.js';
import { TestClient } from '../helpers/ws-client.js';
import { sample } from './lib/metrics.js';

const socketOf = (c: TestClient) => (c.ws as unknown as { _socket: Socket })._socket;

describe('slow consumer (real server process, Redis)', () => {
  let redis: TestRedis;
  let srv: ServerProc;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    srv = await startServer({
      appId: 'slow-1', redisUrl: redis.url,
      env: { SLOW_CONSUMER_BYTES: String(256 * 1024), RATE_LIMIT_BURST: '5000', RATE_LIMIT_PER_SEC: '5000' },
    });
  });
  afterAll(async () => {
    for (const c of clients) c.terminate();
    await srv?.kill('SIGKILL');
    await redis?.stop();
  });

  async function joined(name: string, room: string): Promise<TestClient> {
    const c = await TestClient.connect(srv.url);
    clients.push(c);
    await c.hello(name);
    await c.request({ type: 'join', room }, 'joined');
    return c;
  }

  /** Round trip of one message from `a` to `b` through the server and Redis, in ms. */
  async function roundTrip(a: TestClient, b: TestClient, room: string, cid: string): Promise<number> {
    const t = performance.now();
    a.send({ type: 'send', room, text: 'tick', cid });
    await b.next((f) => f.type === 'message' && f.cid === cid, 5000);
    return performance.now() - t;
  }

  it('a reader that stops reading live fan-out is closed with 1013; a bystander stays fast; memory bounded', async () => {
    const room = 'firehose';
    const slow = await joined('Sloth', room);
    const writer = await joined('Writer', room);
    const a = await joined('Quick', 'quiet');
    const b = await joined('Quicker', 'quiet');
    const baseline: number[] = [];
    for (let i = 0; i < 10; i++) baseline.push(await roundTrip(a, b, 'quiet', `base-${i}`));

    socketOf(slow).pause();
    const rssBefore = sample((await httpGet(`${srv.httpUrl}/metrics`)).body, 'process_resident_memory_bytes');
    // ~4 KB per message: enough to fill loopback socket buffers many times over.
    const text = 'w'.repeat(3900);
    let sent = 0;
    const during: number[] = [];
    const blast = (async () => {
      for (let burst = 0; burst < 40 && srv.alive; burst++) {
        for (let i = 0; i < 100; i++) writer.send({ type: 'send', room, text, cid: `w-${burst}-${i}` });
        sent += 100;
        await writer.next((f) => f.type === 'ack' && f.cid === `w-${burst}-99`, 10_000);
        const m = await sampleMetric('livechat_slow_consumers_closed_total');
        if (m >= 1) break;
      }
    })();
    const probe = (async () => {
      for (let i = 0; i < 20; i++) during.push(await roundTrip(a, b, 'quiet', `during-${i}`));
    })();
    await Promise.all([blast, probe]);
    await waitFor('slow consumer closed (metric)', async () => (await sampleMetric('livechat_slow_consumers_closed_total')) >= 1, 10_000);
    const rssAfter = sample((await httpGet(`${srv.httpUrl}/metrics`)).body, 'process_resident_memory_bytes');

    // Reading again, the client finds what was queued, then the close frame.
    socketOf(slow).resume();
    expect(await slow.closed).toBe(1013);
    expect(sample((await httpGet(`${srv.httpUrl}/metrics`)).body, 'livechat_closes_total', 'code="1013"')).toBe(1);
    expect(srv.log()).toMatch(/slow consumer closed/);

    // Everyone else was unaffected: still connected, still fast.
    expect(writer.closeCode).toBeNull();
    expect(a.closeCode).toBeNull();
    const p = (xs: number[], q: number) => [...xs].sort((x, y) => x - y)[Math.floor(q * (xs.length - 1))];
    expect(p(during, 0.5)).toBeLessThan(Math.max(50, p(baseline, 0.5) * 10));
    expect(Math.max(...during)).toBeLessThan(500);
    // Bounded memory: the server dropped the reader instead of queueing megabytes for it.
    expect(rssAfter - rssBefore).toBeLessThan(150 * 1024 * 1024);
    expect(sent).toBeLessThanOrEqual(4000);
  });

  it('a reader that asks for history and never reads the answers is closed with 1013 too', async () => {
    const room = 'archive';
    const writer = await joined('Archivist', room);
    const text = 'h'.repeat(3900);
    for (let i = 0; i < 200; i++) writer.send({ type: 'send', room, text, cid: `h-${i}` });
    await writer.next((f) => f.type === 'ack' && f.cid === 'h-199', 10_000);
    const before = await sampleMetric('livechat_slow_consumers_closed_total');
    const slow = await joined('Hoarder', room);
    socketOf(slow).pause();
    // Each answer is ~800 KB; the client keeps asking without reading.
    for (let i = 0; i < 40; i++) slow.send({ type: 'history', room, limit: 200 });
    await waitFor('second slow consumer closed', async () => (await sampleMetric('livechat_slow_consumers_closed_total')) > before, 10_000);
    socketOf(slow).resume();
    expect(await slow.closed).toBe(1013);
    expect(writer.closeCode).toBeNull();
  });

  async function sampleMetric(name: string): Promise<number> {
    return sample((await httpGet(`${srv.httpUrl}/metrics`)).body, name);
  }
});
