/**
 * Internals stay inside.
 *  - HAProxy's public frontend passes only /ws: /metrics, /readyz, /healthz and anything else get its
 *    own 404 and never reach a server; its frontend for nginx and its stats page listen on
 *    127.0.0.1 only; the stats page asks for a password when one is set (compose generates one).
 *  - Redis with a password (compose always, the native runner on request): the servers log in as
 *    user `livechat` through REDIS_URL and chat as usual; a connection without the password may run
 *    nothing, not even PING; the servers' user cannot run dangerous commands; maxmemory is set, with
 *    noeviction.
 *  - Compose's one-shot secrets script creates the passwords once and renders the same ACL as the runner.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../scripts/lib/cluster.js';
import { REDIS_USER, renderRedisAcl } from '../../scripts/lib/configs.js';
import { findBinary, freePort, spawnLogged, stopChild, until } from '../../scripts/lib/procs.js';
import { startProxyStack, type ProxyStack } from '../helpers/proxy-stack.js';
import { TestClient } from '../helpers/ws-client.js';

/** Test clients fail at once instead of reconnecting forever. */
const NO_RETRY = { reconnectStrategy: false as const };

/** Whether a TCP connection from 127.0.0.1 to `host:port` is accepted. */
const accepts = (host: string, port: number) => new Promise<boolean>((resolve) => {
  const s = net.connect({ host, port });
  s.setTimeout(1000, () => { s.destroy(); resolve(false); });
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
});

async function get(url: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await fetch(url, { method, headers, signal: AbortSignal.timeout(3000) });
  return { status: res.status, body: await res.text(), backend: res.headers.get('x-fake-backend') === '1' };
}

describe('HAProxy frontends and stats page', () => {
  let stack: ProxyStack;
  beforeAll(async () => { stack = await startProxyStack(); });
  afterAll(async () => { await stack?.stop(); });

  it('the public frontend answers 404 itself for everything but /ws; no server sees those requests', async () => {
    for (const path of ['/metrics', '/readyz', '/healthz', '/', '/ws/../metrics', '/metrics?/ws', '/WS', '/ws/x']) {
      for (const method of ['GET', 'POST']) {
        const r = await get(`http://127.0.0.1:${stack.lbPort}${path}`, {}, method);
        expect(r.status, `${method} ${path}`).toBe(404);
        expect(r.backend, `${method} ${path}`).toBe(false);
      }
    }
    expect(stack.backend.requests).toEqual([]);
    const c = await TestClient.connect(`ws://127.0.0.1:${stack.lbPort}/ws`);
    c.close();
    await expect(TestClient.connect(`ws://127.0.0.1:${stack.lbPort}/metrics`)).rejects.toThrow(/404/);
  });

  it('nginx passes only /ws on to HAProxy', async () => {
    for (const path of ['/metrics', '/readyz', '/healthz']) {
      const r = await get(`http://127.0.0.1:${stack.webPort}${path}`);
      expect(r.status, path).toBe(404);
      expect(r.backend).toBe(false);
    }
    expect(stack.backend.requests).toEqual([]);
  });

  it('the frontend for nginx listens on 127.0.0.1 only, answers /healthz, and refuses a request without one X-Forwarded-For', async () => {
    expect(await accepts('127.0.0.1', stack.pagePort)).toBe(true);
    expect(await accepts('127.0.0.2', stack.pagePort)).toBe(false);
    expect(await get(`http://127.0.0.1:${stack.pagePort}/healthz`)).toMatchObject({ status: 200, body: 'ok', backend: false });
    expect((await get(`http://127.0.0.1:${stack.pagePort}/metrics`, { 'X-Forwarded-For': '127.0.0.1' })).status).toBe(404);
    await expect(TestClient.connect(`ws://127.0.0.1:${stack.pagePort}/ws`)).rejects.toThrow(/400/);
    await expect(TestClient.connect(`ws://127.0.0.1:${stack.pagePort}/ws`, { headers: { 'X-Forwarded-For': '1.2.3.4, 5.6.7.8' } })).rejects.toThrow(/400/);
    await expect(TestClient.connect(`ws://127.0.0.1:${stack.pagePort}/ws`, { headers: { 'X-Forwarded-For': 'nonsense' } })).rejects.toThrow(/400/);
  });

  it('the stats page listens on 127.0.0.1 only (no password natively)', async () => {
    expect((await get(`http://127.0.0.1:${stack.statsPort}/`)).status).toBe(200);
    expect(await accepts('127.0.0.2', stack.statsPort)).toBe(false);
  });
});

describe('HAProxy stats page with a password (the compose form)', () => {
  let stack: ProxyStack;
  beforeAll(async () => { stack = await startProxyStack({ haproxyEnv: { LC_STATS_PASSWORD: 'p4ss-word' } }); });
  afterAll(async () => { await stack?.stop(); });

  it('asks for user admin and its password', async () => {
    const url = `http://127.0.0.1:${stack.statsPort}/`;
    expect((await get(url)).status).toBe(401);
    expect((await get(url, { Authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` })).status).toBe(401);
    const ok = await get(url, { Authorization: `Basic ${Buffer.from('admin:p4ss-word').toString('base64')}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('ws_servers');
  });
});

describe('native cluster with a Redis password', () => {
  const password = 'test-password-0123456789abcdef';
  let cluster: Cluster;
  const open: TestClient[] = [];
  beforeAll(async () => {
    cluster = await startCluster({ servers: 2, haproxyCheckInterMs: 300, redisPassword: password, redisMaxmemory: '64mb' });
  });
  afterAll(async () => {
    for (const c of open) c.terminate();
    await cluster?.stop();
  });

  it('the servers log in as livechat and chat as usual, through HAProxy and through nginx', async () => {
    expect(cluster.redisUrl).toBe(`redis://${REDIS_USER}:${password}@127.0.0.1:${cluster.redisPort}`);
    const a = await TestClient.connect(cluster.wsUrl);
    const b = await TestClient.connect(cluster.pageWsUrl, { headers: { Origin: `http://127.0.0.1:${cluster.webPort}` } });
    open.push(a, b);
    const wa = await a.hello('alice');
    const wb = await b.hello('bob');
    expect(new Set([wa.appId, wb.appId])).toEqual(new Set(['1000', '2000']));
    await a.request({ type: 'join', room: 'acl' }, 'joined');
    await b.request({ type: 'join', room: 'acl' }, 'joined');
    const ack = await a.request({ type: 'send', room: 'acl', text: 'through the ACL', cid: 'acl-1' }, 'ack');
    expect(ack.type).toBe('ack');
    expect(await b.next((f) => f.type === 'message' && f.cid === 'acl-1')).toMatchObject({ text: 'through the ACL' });
    // Every server's /metrics (read with the servers' Redis user) answers, and no server logged a refused command.
    for (const s of cluster.servers) expect((await get(`http://127.0.0.1:${s.port}/metrics`)).status).toBe(200);
    for (const s of cluster.servers) expect(readFileSync(s.logFile, 'utf8')).not.toMatch(/NOPERM|NOAUTH|WRONGPASS/);
  });

  it('without the password Redis runs nothing, not even PING; the servers user cannot run dangerous commands', async () => {
    // A bare socket: a client library may send commands of its own on connect.
    const anon = (cmd: string) => new Promise<string>((resolve, reject) => {
      const s = net.connect(cluster.redisPort, '127.0.0.1');
      let buf = '';
      s.setTimeout(3000, () => { s.destroy(); reject(new Error(`no answer to ${cmd}`)); });
      s.once('connect', () => s.write(`${cmd}\r\n`));
      s.on('data', (d) => { buf += d.toString(); if (buf.includes('\r\n')) { s.destroy(); resolve(buf.split('\r\n')[0]); } });
      s.once('error', reject);
    });
    for (const cmd of ['PING', 'GET x', 'KEYS *', 'FLUSHALL']) expect(await anon(cmd), cmd).toMatch(/^-NOAUTH/);
    expect(await anon('AUTH default x')).toMatch(/^-WRONGPASS/);
    const wrong = createClient({ url: `redis://${REDIS_USER}:nope@127.0.0.1:${cluster.redisPort}`, socket: NO_RETRY });
    wrong.on('error', () => {});
    await expect(wrong.connect()).rejects.toThrow(/WRONGPASS/);

    const app = createClient({ url: cluster.redisUrl, socket: NO_RETRY });
    app.on('error', () => {});
    await app.connect();
    try {
      for (const cmd of [['CONFIG', 'GET', 'maxmemory'], ['FLUSHALL'], ['KEYS', '*'], ['ACL', 'LIST'], ['SHUTDOWN'], ['REPLICAOF', 'NO', 'ONE']]) {
        await expect(app.sendCommand(cmd), cmd.join(' ')).rejects.toThrow(/NOPERM/);
      }
      const info = String(await app.sendCommand(['INFO', 'memory']));
      expect(info).toMatch(/^maxmemory:67108864\r?$/m);
      expect(info).toMatch(/^maxmemory_policy:noeviction\r?$/m);
    } finally {
      app.destroy();
    }
  });

  it('HAProxy keeps /metrics inside; the stats page is on 127.0.0.1 only', async () => {
    expect((await get(`http://127.0.0.1:${cluster.lbPort}/metrics`)).status).toBe(404);
    expect((await get(`http://127.0.0.1:${cluster.webPort}/metrics`)).status).toBe(404);
    expect((await get(`http://127.0.0.1:${cluster.statsPort}/`)).status).toBe(200);
    expect(await accepts('127.0.0.2', cluster.statsPort)).toBe(false);
    expect(await accepts('127.0.0.2', cluster.lbPagePort)).toBe(false);
  });
});

describe('compose secrets (redis/init-secrets.sh)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'livechat-secrets-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = () => execFileSync('sh', ['redis/init-secrets.sh'], {
    env: { PATH: process.env.PATH, LC_SECRETS_DIR: dir, LC_ACL_TEMPLATE: 'redis/users.acl.template' }, encoding: 'utf8',
  });
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');

  it('generates the Redis and stats passwords once, and keeps them on the next run', () => {
    expect(run()).toContain('generated');
    const names = ['users.acl', 'ws.env', 'haproxy.env', 'redis-admin.env'];
    const first = names.map(read);
    expect(first[1]).toMatch(/^export REDIS_URL=redis:\/\/livechat:[0-9a-f]{48}@redis:6379\n$/);
    expect(first[2]).toMatch(/^export LC_STATS_PASSWORD=[0-9a-f]{48}\n$/);
    expect(first[3]).toMatch(/^export REDIS_ADMIN_URL=redis:\/\/admin:[0-9a-f]{48}@redis:6379\n$/);
    expect(run()).toContain('kept');
    expect(names.map(read)).toEqual(first);
    // users.acl is rendered again on every run (a newer template applies), with the kept passwords.
    rmSync(join(dir, 'users.acl'));
    expect(run()).toContain('kept');
    expect(names.map(read)).toEqual(first);
  });

  it('writes the same ACL as the runner renders, with the password only as its SHA-256; Redis accepts it', async () => {
    const password = /livechat:([0-9a-f]+)@/.exec(read('ws.env'))?.[1] ?? '';
    const adminPassword = /admin:([0-9a-f]+)@/.exec(read('redis-admin.env'))?.[1] ?? '';
    const acl = read('users.acl');
    expect(acl).toBe(renderRedisAcl(readFileSync('redis/users.acl.template', 'utf8'), password, adminPassword));
    expect(acl).not.toContain(password);
    expect(acl).not.toContain(adminPassword);
    expect(acl).not.toMatch(/^#/m);

    const port = await freePort();
    const child = spawnLogged('redis', findBinary('redis-server', 'redis-server'), ['redis/redis.conf', '--port', String(port),
      '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--aclfile', join(dir, 'users.acl'), '--daemonize', 'no'],
    join(dir, 'redis.log'), { PATH: process.env.PATH }, process.cwd());
    try {
      await until('redis', async () => accepts('127.0.0.1', port), 5000, () => (child.done ? readFileSync(join(dir, 'redis.log'), 'utf8') : null));
      const app = createClient({ url: `redis://livechat:${password}@127.0.0.1:${port}`, socket: NO_RETRY });
      app.on('error', () => {});
      await app.connect();
      expect(await app.set('lc:k', 'v')).toBe('OK');
      await expect(app.set('k', 'v')).rejects.toThrow(/NOPERM/);
      const info = String(await app.sendCommand(['INFO', 'memory']));
      expect(info).toMatch(/^maxmemory:268435456\r?$/m); // redis.conf's default, 256mb
      app.destroy();
    } finally {
      await stopChild(child, 'SIGTERM', 3000);
    }
  });
});
