/**
 * The operations endpoints of a real server process: /metrics names every metric docs/operations.md
 * lists (no per-room labels); /healthz stays 200 while the process lives; /readyz is 503 while Redis
 * is down and while draining after SIGTERM, which is what takes a server out of HAProxy's rotation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { httpGet, startServer, waitFor, type ServerProc } from '../helpers/server-proc.js';
import { TestClient } from '../helpers/ws-client.js';
import { sample } from './lib/metrics.js';

const METRIC_NAMES = [
  'livechat_connections', 'livechat_connections_total', 'livechat_handshakes_refused_total', 'livechat_requests_total',
  'livechat_messages_in_total', 'livechat_messages_out_total', 'livechat_bus_messages_total',
  'livechat_fanout_latency_seconds', 'livechat_errors_total', 'livechat_rate_limited_total',
  'livechat_slow_consumers_closed_total', 'livechat_closes_total', 'livechat_redis_errors_total',
  'livechat_redis_reconnects_total', 'livechat_redis_cut_off', 'livechat_redis_cut_offs_total', 'livechat_gap_repairs_total',
  'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes',
];

describe('/healthz, /readyz, /metrics (real server process)', () => {
  let redis: TestRedis;
  let srv: ServerProc;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    redis = await startRedis({ aof: true });
    srv = await startServer({ appId: 'ops-1', redisUrl: redis.url, env: { DRAIN_DELAY_MS: '1500', REDIS_TIMEOUT_MS: '500' } });
  });
  afterAll(async () => {
    for (const c of clients) c.terminate();
    await srv?.kill('SIGKILL');
    await redis?.stop();
  });

  it('/metrics exposes every listed metric, in Prometheus text, labelled by appId and never by room', async () => {
    const c = await TestClient.connect(srv.url);
    clients.push(c);
    await c.hello('Metra');
    await c.request({ type: 'join', room: 'metrics-room' }, 'joined');
    await c.request({ type: 'send', room: 'metrics-room', text: 'count me', cid: 'mm-1' }, 'ack');
    await c.next('message');
    c.send('junk');
    await c.next('error');
    const res = await fetch(`${srv.httpUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    // Labelled counters print no sample until first used; every metric has its TYPE line.
    for (const name of METRIC_NAMES) expect(text, name).toMatch(new RegExp(`^# TYPE ${name.replace(/_bucket$/, '')} `, 'm'));
    expect(sample(text, 'livechat_connections')).toBe(1);
    expect(sample(text, 'livechat_messages_in_total')).toBe(1);
    expect(sample(text, 'livechat_messages_out_total')).toBe(1);
    expect(sample(text, 'livechat_errors_total', 'code="bad_request"')).toBe(1);
    expect(sample(text, 'livechat_fanout_latency_seconds_count')).toBe(1);
    expect(text).toContain('appId="ops-1"');
    expect(text).not.toContain('metrics-room');
    expect(text).not.toMatch(/\broom="/);
  });

  it('/readyz is 503 while Redis is down (/healthz stays 200), 200 again once it is back, and Redis errors/reconnects are counted', async () => {
    expect((await httpGet(`${srv.httpUrl}/readyz`)).status).toBe(200);
    await redis.kill('SIGKILL');
    await waitFor('/readyz 503', async () => (await httpGet(`${srv.httpUrl}/readyz`)).status === 503, 5000);
    expect((await httpGet(`${srv.httpUrl}/readyz`)).body).toMatch(/store unavailable/);
    expect((await httpGet(`${srv.httpUrl}/healthz`)).status).toBe(200);
    await redis.restart();
    await waitFor('/readyz 200', async () => (await httpGet(`${srv.httpUrl}/readyz`)).status === 200, 10_000, 100);
    const text = (await httpGet(`${srv.httpUrl}/metrics`)).body;
    expect(sample(text, 'livechat_redis_errors_total')).toBeGreaterThan(0);
    expect(sample(text, 'livechat_redis_reconnects_total')).toBeGreaterThanOrEqual(2); // command + subscriber
  });

  it('on SIGTERM: /readyz 503 "draining" at once, new upgrades refused, clients closed with 1001, exit 0 within 10 s', async () => {
    const c = await TestClient.connect(srv.url);
    clients.push(c);
    await c.hello('Drained');
    const t0 = Date.now();
    srv.process.kill('SIGTERM');
    await waitFor('/readyz 503', async () => (await httpGet(`${srv.httpUrl}/readyz`).catch(() => ({ status: 0 }))).status === 503, 1000, 20);
    expect((await httpGet(`${srv.httpUrl}/readyz`)).body).toMatch(/draining/);
    expect((await httpGet(`${srv.httpUrl}/healthz`)).status).toBe(200);
    await expect(TestClient.connect(srv.url)).rejects.toThrow(/503/);
    expect(await c.closed).toBe(1001);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400); // DRAIN_DELAY_MS gave HAProxy time to see /readyz fail
    expect(await srv.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
