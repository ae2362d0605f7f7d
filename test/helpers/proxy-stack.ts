/**
 * The native runner's HAProxy and nginx (scripts/lib/proxies.ts: the shared configs, rendered the
 * same way) in front of a fake backend that records what reaches it: every WebSocket's headers as
 * the server would see them, and any plain HTTP request. For tests of the proxy configs themselves
 * (limits per address, which paths get through, which address is passed on) without depending on
 * the chat server's own rules. Stops exactly the processes it started.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { repoRoot } from '../../scripts/lib/configs.js';
import { haproxyCommand, parseShowStat } from '../../scripts/lib/haproxy-stats.js';
import { findBinary, freePort, stopChild, until, type Child } from '../../scripts/lib/procs.js';
import { startHaproxy, startNginx } from '../../scripts/lib/proxies.js';

export interface SeenUpgrade { path: string; xff: string | undefined; headers: http.IncomingHttpHeaders }

export interface FakeBackend {
  port: number;
  /** Every WebSocket accepted, in order. */
  upgrades: SeenUpgrade[];
  /** Plain HTTP requests other than HAProxy's /readyz checks. */
  requests: string[];
  /** WebSockets open now. */
  open(): number;
  stop(): Promise<void>;
}

/** A backend that answers /readyz, accepts any WebSocket with livechat.v1 and holds it open. */
export async function startFakeBackend(): Promise<FakeBackend> {
  const sockets = new Set<WebSocket>();
  const raw = new Set<net.Socket>();
  const upgrades: SeenUpgrade[] = [];
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    if (req.url === '/readyz') return void res.writeHead(200).end('ready\n');
    requests.push(req.url ?? '');
    res.writeHead(200, { 'x-fake-backend': '1' }).end(`backend saw ${req.url}\n`);
  });
  server.on('connection', (s) => { raw.add(s); s.once('close', () => raw.delete(s)); });
  const wss = new WebSocketServer({ server, handleProtocols: (p) => (p.has('livechat.v1') ? 'livechat.v1' : false) });
  wss.on('connection', (ws, req) => {
    upgrades.push({ path: req.url ?? '', xff: req.headers['x-forwarded-for'] as string | undefined, headers: req.headers });
    sockets.add(ws);
    ws.on('error', () => {});
    ws.on('close', () => sockets.delete(ws));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port, upgrades, requests,
    open: () => sockets.size,
    async stop() {
      for (const ws of sockets) ws.terminate();
      for (const s of raw) s.destroy();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface ProxyStack {
  backend: FakeBackend;
  /** HAProxy's public frontend, its frontend for nginx, its stats page; nginx. */
  lbPort: number; pagePort: number; statsPort: number; webPort: number;
  runDir: string;
  pids(): number[];
  stop(): Promise<void>;
}

export interface ProxyStackOptions {
  /** HAProxy LC_* overrides (e.g. LC_MAX_CONN_PER_IP). */
  haproxyEnv?: Record<string, string>;
  /** nginx's limit_conn per address (default: HAProxy's). */
  nginxMaxConnPerIp?: number;
}

/** HAProxy (one server: the fake backend, UP) and nginx, on free ports. */
export async function startProxyStack(opts: ProxyStackOptions = {}): Promise<ProxyStack> {
  const backend = await startFakeBackend();
  const runDir = mkdtempSync(join(tmpdir(), 'livechat-proxies-'));
  const children: Child[] = [];
  const stop = async () => {
    await Promise.all(children.map((c) => stopChild(c, 'SIGTERM', 5000)));
    await backend.stop();
    rmSync(runDir, { recursive: true, force: true });
  };
  try {
    const [lbPort, pagePort, statsPort, webPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const base = {
      root: repoRoot(), runDir,
      baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: runDir, TMPDIR: tmpdir() },
      track: (c: Child) => { children.push(c); return c; },
      dead: (c: Child) => () => (c.done ? `${c.name} exited (see ${c.logFile})` : null),
    };
    const asRoot = process.getuid?.() === 0;
    const ha = await startHaproxy({ ...base, haproxyBin: findBinary('haproxy', 'haproxy'), lbPort, pagePort, statsPort,
      servers: [{ name: 'ws-fake', port: backend.port }], checkInterMs: 200, env: opts.haproxyEnv });
    await startNginx({ ...base, nginxBin: findBinary('nginx', 'nginx'), webPort, pagePort, asRoot,
      maxConnPerIp: opts.nginxMaxConnPerIp ?? ha.env.LC_MAX_CONN_PER_IP, loadTest: ha.env.LC_LOAD_TEST === '1' });
    await until('the fake backend UP in HAProxy', async () => {
      try {
        return parseShowStat(await haproxyCommand(ha.socketPath, 'show stat'), 'ws_servers').every((r) => r.status === 'UP');
      } catch {
        return false;
      }
    }, 10_000, base.dead(ha.child), 100);
    return { backend, lbPort, pagePort, statsPort, webPort, runDir, pids: () => children.filter((c) => !c.done).map((c) => c.pid), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
