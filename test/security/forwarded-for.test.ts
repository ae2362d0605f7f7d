/**
 * Issue 23: a forged X-Forwarded-For cannot choose the address the servers count a client under.
 * The per-address limit used to see it: sessions created per source address (SESSION_CREATE_RATE,
 * burst 3 here, next token in ~100 s). A client that gets a 4th session while forging a new address
 * each time was believed; one refused was counted under its real address.
 *   - directly on a server port: X-Forwarded-For is believed only from TRUSTED_PROXIES (the runner:
 *     127.0.0.1, HAProxy's address); nothing is trusted by default, loopback included;
 *   - through the native nginx -> HAProxy -> server chain and HAProxy -> server: whatever the client
 *     sends, the server counts its socket address (nginx and HAProxy replace the header).
 * Source addresses 127.0.0.x stand for different clients (Linux routes all of 127/8 to loopback).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../scripts/lib/cluster.js';
import { startServer, type ServerProc } from '../helpers/server-proc.js';
import { TestClient } from '../helpers/ws-client.js';

const LIMIT = { SESSION_CREATE_RATE_BURST: '3', SESSION_CREATE_RATE_PER_SEC: '0.01' };
const open: TestClient[] = [];
afterAll(() => { for (const c of open) c.terminate(); });

/** A fresh hello (a new session) from `from`, sending `xff` when given: 'welcome' or the error code. */
async function freshHello(url: string, from: string, xff?: string): Promise<string> {
  const c = await TestClient.connect(url, { localAddress: from, headers: xff ? { 'X-Forwarded-For': xff } : {} });
  open.push(c);
  const answer = await c.request({ type: 'hello', name: 'Forger' }, 'welcome');
  c.terminate();
  return answer.type === 'welcome' ? 'welcome' : String(answer.code);
}

const forged = (i: number) => `198.51.100.${i}`;

describe('directly on a server port', () => {
  let behind: ServerProc;
  let bare: ServerProc;
  beforeAll(async () => {
    [behind, bare] = await Promise.all([
      startServer({ appId: 'sec-xff-proxied', defaultLimits: true, env: { ...LIMIT, TRUSTED_PROXIES: '127.0.0.1' } }),
      startServer({ appId: 'sec-xff-default', defaultLimits: true, env: LIMIT }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([behind?.kill('SIGKILL'), bare?.kill('SIGKILL')]);
  });

  it('from an address that is not a trusted proxy, a forged X-Forwarded-For is ignored: the real address hits the limit', async () => {
    const answers: string[] = [];
    for (let i = 1; i <= 5; i++) answers.push(await freshHello(behind.url, '127.0.0.2', forged(i)));
    expect(answers).toEqual(['welcome', 'welcome', 'welcome', 'rate_limited', 'rate_limited']);
    // The limit is 127.0.0.2's, not everyone's: another real address starts afresh.
    expect(await freshHello(behind.url, '127.0.0.3', forged(1))).toBe('welcome');
  });

  it('from the trusted proxy the forwarded address counts (each its own limit), and a chain is read from the right', async () => {
    const answers: string[] = [];
    for (let i = 0; i < 4; i++) answers.push(await freshHello(behind.url, '127.0.0.1', forged(20)));
    expect(answers).toEqual(['welcome', 'welcome', 'welcome', 'rate_limited']);
    expect(await freshHello(behind.url, '127.0.0.1', forged(21))).toBe('welcome');
    // A client's own entry (left) behind the address the proxy vouched for (right) changes nothing.
    expect(await freshHello(behind.url, '127.0.0.1', `${forged(22)}, ${forged(20)}`)).toBe('rate_limited');
  });

  it('with TRUSTED_PROXIES unset nothing is trusted, not even loopback', async () => {
    const answers: string[] = [];
    for (let i = 1; i <= 4; i++) answers.push(await freshHello(bare.url, '127.0.0.1', forged(30 + i)));
    expect(answers).toEqual(['welcome', 'welcome', 'welcome', 'rate_limited']);
  });
});

describe('through the native nginx -> HAProxy -> server chain', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ servers: 1, haproxyCheckInterMs: 300, env: LIMIT });
  });
  afterAll(async () => {
    for (const c of open) c.terminate();
    await cluster?.stop();
  });

  it('through nginx a forged X-Forwarded-For is ignored: the browser\'s address hits the limit', async () => {
    const answers: string[] = [];
    for (let i = 1; i <= 4; i++) answers.push(await freshHello(cluster.pageWsUrl, '127.0.0.4', forged(40 + i)));
    expect(answers).toEqual(['welcome', 'welcome', 'welcome', 'rate_limited']);
    expect(await freshHello(cluster.pageWsUrl, '127.0.0.5', forged(41))).toBe('welcome');
  });

  it('straight to HAProxy the same; both ways in count one address together', async () => {
    const answers: string[] = [];
    for (let i = 1; i <= 4; i++) answers.push(await freshHello(cluster.wsUrl, '127.0.0.6', `${forged(50 + i)}, 10.0.0.${i}`));
    expect(answers).toEqual(['welcome', 'welcome', 'welcome', 'rate_limited']);
    expect(await freshHello(cluster.wsUrl, '127.0.0.7', forged(51))).toBe('welcome');
    expect(await freshHello(cluster.pageWsUrl, '127.0.0.7', forged(52))).toBe('welcome');
    expect(await freshHello(cluster.wsUrl, '127.0.0.7', forged(53))).toBe('welcome');
    expect(await freshHello(cluster.pageWsUrl, '127.0.0.7', forged(54))).toBe('rate_limited');
  });
});
