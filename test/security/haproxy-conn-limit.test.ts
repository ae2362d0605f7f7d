/**
 * Connections per client address, and which address counts: HAProxy and nginx as the native runner
 * configures them (scripts/lib/proxies.ts, the shared haproxy.cfg and nginx template), in front of a
 * fake backend that holds every WebSocket open and records the X-Forwarded-For it receives.
 *  - 60 connections from one loopback address: 50 held (the default LC_MAX_CONN_PER_IP), 10
 *    refused; a second address is unaffected; a forged X-Forwarded-For changes nothing.
 *  - A page user through nginx is counted by the address nginx accepted, in the same table: the
 *    address that holds 50 directly gets no more through nginx, another does.
 *  - nginx's own limit_conn refuses with 429 past its limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../helpers/ws-client.js';
import { startProxyStack, type ProxyStack } from '../helpers/proxy-stack.js';
import { waitFor } from '../helpers/server-proc.js';

/** Opens `n` connections, `batch` at a time; the ones that opened and the errors of the others. */
async function openMany(n: number, url: string, opts: Parameters<typeof TestClient.connect>[1], batch = 100) {
  const opened: TestClient[] = [];
  const refused: string[] = [];
  for (let i = 0; i < n; i += batch) {
    const results = await Promise.allSettled(Array.from({ length: Math.min(batch, n - i) }, () => TestClient.connect(url, opts)));
    for (const r of results) {
      if (r.status === 'fulfilled') opened.push(r.value);
      else refused.push(String((r.reason as Error).message));
    }
  }
  return { opened, refused };
}

const isOpen = (c: TestClient) => c.ws.readyState === c.ws.OPEN;

describe('at most 50 connections per client address by default (HAProxy, keyed on the real address)', () => {
  let stack: ProxyStack;
  const held: TestClient[] = [];
  const ws = () => `ws://127.0.0.1:${stack.lbPort}/ws`;
  const pageWs = () => `ws://127.0.0.1:${stack.webPort}/ws`;

  beforeAll(async () => { stack = await startProxyStack(); });
  afterAll(async () => {
    for (const c of held) c.terminate();
    await stack?.stop();
  });

  it('60 connections from 127.0.0.1: 50 held, 10 refused', async () => {
    const { opened, refused } = await openMany(60, ws(), { localAddress: '127.0.0.1' }, 20);
    held.push(...opened);
    expect(opened.length).toBe(50);
    expect(refused.length).toBe(10);
    // Refused at the TCP level, before any HTTP: the client sees the connection reset or closed.
    expect(refused.every((m) => /ECONNRESET|socket hang up|closed|EPIPE/.test(m)), refused.slice(0, 3).join('; ')).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(opened.filter(isOpen).length).toBe(50);
    expect(stack.backend.open()).toBe(50);
  });

  it('a second address is unaffected', async () => {
    const { opened, refused } = await openMany(20, ws(), { localAddress: '127.0.0.2' });
    held.push(...opened);
    expect(refused).toEqual([]);
    expect(opened.length).toBe(20);
  });

  it('a forged X-Forwarded-For from a direct client does not change the key, and never reaches the server', async () => {
    for (const forged of ['127.0.0.9', '127.0.0.2', '10.1.2.3, 127.0.0.9']) {
      await expect(TestClient.connect(ws(), { localAddress: '127.0.0.1', headers: { 'X-Forwarded-For': forged } }),
        `forged ${forged}`).rejects.toThrow();
    }
    const before = stack.backend.upgrades.length;
    const c = await TestClient.connect(ws(), { localAddress: '127.0.0.2', headers: { 'X-Forwarded-For': '203.0.113.7' } });
    held.push(c);
    await waitFor('the backend to see it', () => stack.backend.upgrades.length > before, 3000);
    expect(stack.backend.upgrades.at(-1)?.xff).toBe('127.0.0.2');
    expect(stack.backend.open()).toBe(71);
  });

  it('through nginx the same address is counted (no more for 127.0.0.1), another address is not, whatever the page user claims', async () => {
    await expect(TestClient.connect(pageWs(), { localAddress: '127.0.0.1' })).rejects.toThrow(/429/);
    await expect(TestClient.connect(pageWs(), { localAddress: '127.0.0.1', headers: { 'X-Forwarded-For': '127.0.0.5' } })).rejects.toThrow(/429/);
    const before = stack.backend.upgrades.length;
    const c = await TestClient.connect(pageWs(), { localAddress: '127.0.0.3', headers: { 'X-Forwarded-For': '127.0.0.1' } });
    held.push(c);
    await waitFor('the backend to see it', () => stack.backend.upgrades.length > before, 3000);
    // nginx passes the address it accepted, HAProxy's frontend for nginx passes exactly that one.
    expect(stack.backend.upgrades.at(-1)?.xff).toBe('127.0.0.3');
  });

  it('a closed connection frees its place', async () => {
    const mine = held.filter((c) => isOpen(c)).slice(0, 10);
    for (const c of mine) c.terminate();
    await waitFor('HAProxy to see them closed', async () => {
      try {
        const c = await TestClient.connect(ws(), { localAddress: '127.0.0.1' });
        held.push(c);
        return true;
      } catch {
        return false;
      }
    }, 5000, 100);
  });
});

describe('nginx limit_conn per address', () => {
  let stack: ProxyStack;
  const held: TestClient[] = [];
  beforeAll(async () => { stack = await startProxyStack({ nginxMaxConnPerIp: 5 }); });
  afterAll(async () => {
    for (const c of held) c.terminate();
    await stack?.stop();
  });

  it('refuses the 6th WebSocket from one address with 429 while another address connects', async () => {
    const url = `ws://127.0.0.1:${stack.webPort}/ws`;
    const { opened, refused } = await openMany(8, url, { localAddress: '127.0.0.1' }, 1);
    held.push(...opened);
    expect(opened.length).toBe(5);
    expect(refused).toEqual(['handshake refused: 429', 'handshake refused: 429', 'handshake refused: 429']);
    const other = await TestClient.connect(url, { localAddress: '127.0.0.2' });
    held.push(other);
    // The page itself is a request too, but it is over at once: it is served.
    expect((await fetch(`http://127.0.0.1:${stack.webPort}/`)).status).toBeLessThan(500);
  });
});

describe('LC_LOAD_TEST=1: the one switch for load tests lifts the per-address limits of HAProxy and nginx', () => {
  let stack: ProxyStack;
  const held: TestClient[] = [];
  // Limits of 5 that the switch must lift: 30 connections from one address, directly and through nginx.
  beforeAll(async () => { stack = await startProxyStack({ haproxyEnv: { LC_MAX_CONN_PER_IP: '5', LC_MAX_CONN_RATE: '5', LC_LOAD_TEST: '1' } }); });
  afterAll(async () => {
    for (const c of held) c.terminate();
    await stack?.stop();
  });

  it('30 connections from one address, directly and through nginx, all held', async () => {
    const direct = await openMany(30, `ws://127.0.0.1:${stack.lbPort}/ws`, { localAddress: '127.0.0.1' }, 10);
    const page = await openMany(30, `ws://127.0.0.1:${stack.webPort}/ws`, { localAddress: '127.0.0.1' }, 10);
    held.push(...direct.opened, ...page.opened);
    expect([direct.refused, page.refused]).toEqual([[], []]);
    await waitFor('the backend to hold all 60', () => stack.backend.open() === 60, 5000);
  });
});

describe('LC_MAX_CONN_PER_IP above what nginx takes (100000): nginx still starts, at its largest limit', () => {
  it('the stack starts and serves', async () => {
    const stack = await startProxyStack({ haproxyEnv: { LC_MAX_CONN_PER_IP: '100000' } });
    try {
      const c = await TestClient.connect(`ws://127.0.0.1:${stack.webPort}/ws`, { localAddress: '127.0.0.1' });
      c.terminate();
    } finally {
      await stack.stop();
    }
  });
});
