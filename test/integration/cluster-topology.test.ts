/**
 * The topology itself, on the native cluster (real redis-server, 4 node servers, HAProxy, nginx, on
 * free ports): round-robin spreads clients over every APPID, fan-out over Redis reaches every server,
 * a stopped or killed server leaves rotation, the page and /ws work through nginx, and the CLI runs
 * and stops the whole thing without orphans.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../scripts/lib/cluster.js';
import { findBinary, freePort } from '../../scripts/lib/procs.js';
import { TestClient } from '../helpers/ws-client.js';

const isAlive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

describe('native cluster topology (4 servers, HAProxy, nginx, Redis)', () => {
  let cluster: Cluster;
  const open: TestClient[] = [];
  const connect = async (url: string, opts?: Parameters<typeof TestClient.connect>[1]) => {
    const c = await TestClient.connect(url, opts);
    open.push(c);
    return c;
  };
  /** n fresh connections through `url`: the APPID each landed on. */
  const landings = async (n: number, url: string) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const c = await connect(url);
      ids.push((await c.hello(`probe${i}`)).appId);
      c.close();
    }
    return ids;
  };

  beforeAll(async () => {
    cluster = await startCluster({ servers: 4, haproxyCheckInterMs: 300 });
  });
  afterAll(async () => {
    for (const c of open) c.terminate();
    const pids = cluster?.pids() ?? [];
    await cluster?.stop();
    for (const pid of pids) expect(isAlive(pid), `pid ${pid} still running after stop()`).toBe(false);
  });

  it('starts one process per server with APPIDs 1000..4000, all UP in HAProxy', async () => {
    expect(cluster.servers.map((s) => s.appId)).toEqual(['1000', '2000', '3000', '4000']);
    for (const s of cluster.servers) expect(s.alive && isAlive(s.pid)).toBe(true);
    await cluster.waitForHaproxy((st) => Object.values(st).filter((v) => v === 'UP').length === 4, 2000);
  });

  it('8 clients through HAProxy land on 4 distinct APPIDs, and a message from one reaches all four servers', async () => {
    const clients = [];
    for (let i = 0; i < 8; i++) {
      const c = await connect(cluster.wsUrl);
      clients.push({ c, w: await c.hello(`user${i}`) });
    }
    const appIds = clients.map((x) => x.w.appId);
    expect(new Set(appIds)).toEqual(new Set(['1000', '2000', '3000', '4000']));
    for (const { c } of clients) await c.request({ type: 'join', room: 'topology' }, 'joined');
    const sender = clients[0];
    const ack = await sender.c.request({ type: 'send', room: 'topology', text: 'hello everyone', cid: 'topo-1' }, 'ack');
    expect(ack.type).toBe('ack');
    for (const { c } of clients) {
      const m = await c.next((f) => f.type === 'message' && f.cid === 'topo-1');
      expect(m).toMatchObject({ room: 'topology', text: 'hello everyone', via: sender.w.appId, id: ack.id });
    }
  });

  it('a SIGTERMed server exits, leaves rotation, and new connections go to the others', async () => {
    const code = await cluster.killServer('1000', 'SIGTERM');
    expect(code).toBe(0);
    expect(cluster.servers.find((s) => s.appId === '1000')?.alive).toBe(false);
    await cluster.waitForHaproxy((st) => st['1000'] === 'DOWN' && ['2000', '3000', '4000'].every((id) => st[id] === 'UP'));
    const ids = await landings(9, cluster.wsUrl);
    expect(ids).not.toContain('1000');
    expect(new Set(ids)).toEqual(new Set(['2000', '3000', '4000']));
  });

  it('a SIGKILLed server leaves rotation too, and a restarted one comes back into it', async () => {
    expect(await cluster.killServer('2000', 'SIGKILL')).toBeNull();
    // Even before HAProxy marks it DOWN, a refused connection is redispatched to a live server.
    const early = await landings(4, cluster.wsUrl);
    expect(early).not.toContain('2000');
    await cluster.waitForHaproxy((st) => st['2000'] === 'DOWN');
    const s = await cluster.startServer('1000');
    expect(s.alive && isAlive(s.pid)).toBe(true);
    const ids = await landings(9, cluster.wsUrl);
    expect(new Set(ids)).toEqual(new Set(['1000', '3000', '4000']));
  });

  it('nginx serves the page with the CSP and security headers', async () => {
    const res = await fetch(cluster.pageUrl);
    // The CSP goes on every answer, even an error page.
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.status, existsSync('chat-front/dist/index.html') ? 'GET /' : 'chat-front/dist/index.html missing: the page is not built').toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${cluster.webPort} wss://127.0.0.1:${cluster.webPort}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBeTruthy();
  });

  it('/ws works through nginx for the page origin and refuses a foreign origin with 403', async () => {
    const origin = `http://127.0.0.1:${cluster.webPort}`;
    const c = await connect(cluster.pageWsUrl, { headers: { Origin: origin } });
    const w = await c.hello('via-nginx');
    expect(['1000', '3000', '4000']).toContain(w.appId);
    expect((await c.request({ type: 'ping' }, 'pong')).type).toBe('pong');
    await expect(TestClient.connect(cluster.pageWsUrl, { headers: { Origin: 'http://evil.example' } })).rejects.toThrow(/403/);
  });
});

describe('the CLI (node dist/cluster.js)', () => {
  it('prints a line per server, then "cluster ready"; SIGTERM stops it and every child', async () => {
    const [lb, web, redis, stats] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const cli = spawn(process.execPath, ['dist/cluster.js', '--servers', '2', '--lb-port', String(lb), '--web-port', String(web),
      '--redis-port', String(redis), '--stats-port', String(stats), '--check-inter-ms', '300'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    const lines: string[] = [];
    let stderr = '';
    cli.stderr.on('data', (d) => { stderr += d; });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no "cluster ready" in 60 s:\n${lines.join('\n')}\n${stderr}`)), 60_000);
      createInterface({ input: cli.stdout }).on('line', (l) => {
        lines.push(l);
        if (l.includes('cluster ready')) { clearTimeout(t); resolve(); }
      });
      void exited.then((c) => reject(new Error(`exited with ${c} before ready:\n${lines.join('\n')}\n${stderr}`)));
    });
    const serverLines = lines.filter((l) => /APPID=\d+ pid=\d+ port=\d+/.test(l));
    expect(serverLines.map((l) => /APPID=(\d+)/.exec(l)?.[1])).toEqual(['1000', '2000']);
    const pids = lines.flatMap((l) => [...l.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])));
    expect(pids.length).toBe(5); // redis, 2 servers, haproxy, nginx
    for (const pid of pids) expect(isAlive(pid)).toBe(true);

    const c = await TestClient.connect(`ws://127.0.0.1:${web}/ws`);
    expect(['1000', '2000']).toContain((await c.hello('cli')).appId);
    c.terminate();

    cli.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of pids) expect(isAlive(pid), `pid ${pid} outlived the runner`).toBe(false);
  });

  it('names the Debian package to install when a binary is missing', () => {
    expect(() => findBinary('livechat-no-such-binary', 'some-package')).toThrow('sudo apt-get install some-package');
    expect(findBinary('haproxy', 'haproxy')).toMatch(/haproxy$/);
  });

  it('fails at once, naming the port and the flag, when a port is busy', async () => {
    const holder = net.createServer().listen(0);
    await new Promise((r) => holder.once('listening', r));
    const busy = (holder.address() as net.AddressInfo).port;
    try {
      const cli = spawn(process.execPath, ['dist/cluster.js', '--redis-port', String(busy), '--lb-port', String(await freePort()),
        '--web-port', String(await freePort()), '--stats-port', String(await freePort())], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      cli.stderr.on('data', (d) => { err += d; });
      const code = await new Promise((r) => cli.once('exit', r));
      expect(code).toBe(1);
      expect(err).toContain(`port ${busy} is busy`);
      expect(err).toContain('--redis-port');
    } finally {
      holder.close();
    }
  });
});
