/**
 * Real server processes for security and fault tests: `node dist/server.js` on a free loopback
 * port, its stdout/stderr in a log file (so tests can grep what it logs), stopped by pid only.
 * `startFleet` starts N of them against one private redis-server: the native cluster minus
 * HAProxy, for tests that pick their server explicitly.
 */
import { LOOSE_LIMITS } from './limits.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startRedis, type TestRedis } from './redis-server.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SERVER = join(ROOT, 'dist', 'server.js');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until true; throws naming `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface ServerProc {
  appId: string;
  port: number;
  pid: number;
  url: string;
  httpUrl: string;
  logFile: string;
  process: ChildProcess;
  alive: boolean;
  /** Resolves with the exit code, or the signal name when killed by one. */
  exited: Promise<number | string>;
  /** Sends `signal` and resolves with the exit (code or signal name); SIGKILLs after `graceMs`. */
  kill(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string>;
  /** Everything the server wrote so far. */
  log(): string;
}

export interface ServerOpts {
  appId: string;
  redisUrl?: string;
  env?: Record<string, string>;
  /** Folder for the log file; a fresh temp dir when absent. */
  dir?: string;
  /** Port to listen on; a free one when absent. */
  port?: number;
  /** Keep the server's default per-member rates (abuse tests) instead of the loose test ones. */
  defaultLimits?: boolean;
}

/** Spawns one server and resolves once it answers /healthz. */
export async function startServer(opts: ServerOpts): Promise<ServerProc> {
  const port = opts.port ?? await freePort();
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'livechat-srv-'));
  const logFile = join(dir, `${opts.appId}.log`);
  const fd = openSync(logFile, 'a');
  let proc: ChildProcess;
  try {
    proc = spawn(process.execPath, [SERVER], {
      cwd: ROOT,
      stdio: ['ignore', fd, fd],
      env: {
        PATH: process.env.PATH,
        APPID: opts.appId,
        HOST: '127.0.0.1',
        PORT: String(port),
        STORE: opts.redisUrl ? 'redis' : 'memory',
        REDIS_URL: opts.redisUrl ?? 'redis://127.0.0.1:1',
        LOG_LEVEL: 'info',
        ...(opts.defaultLimits ? {} : LOOSE_LIMITS),
        ...opts.env,
      },
    });
  } finally {
    closeSync(fd);
  }
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const s: ServerProc = {
    appId: opts.appId, port, pid: proc.pid ?? -1, url: '', httpUrl: '', logFile, process: proc, alive: true,
    exited: new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        s.alive = false;
        resolve(code ?? signal ?? -1);
      });
    }),
    async kill(signal = 'SIGTERM', graceMs = 12_000) {
      if (!s.alive) return s.exited;
      proc.kill(signal);
      const t = setTimeout(() => { if (s.alive) proc.kill('SIGKILL'); }, graceMs);
      try {
        return await s.exited;
      } finally {
        clearTimeout(t);
      }
    },
    log,
  };
  s.url = `ws://127.0.0.1:${port}/ws`;
  s.httpUrl = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${opts.appId} to answer /healthz (log: ${logFile})`, async () => {
      if (!s.alive) throw new Error(`${opts.appId} exited at start:\n${log()}`);
      return (await httpGet(`${s.httpUrl}/healthz`, 500).catch(() => ({ status: 0 }))).status === 200;
    }, 15_000, 25);
  } catch (err) {
    await s.kill('SIGKILL');
    throw err;
  }
  return s;
}

export interface Fleet {
  redis: TestRedis;
  servers: ServerProc[];
  dir: string;
  byId(appId: string): ServerProc;
  /** Starts a new server (or restarts a dead one) with the fleet's env. */
  startServer(appId: string): Promise<ServerProc>;
  stop(): Promise<void>;
}

/** N servers (APPIDs s1..sN) on one private redis-server. */
export async function startFleet(opts: { servers: number; env?: Record<string, string>; redisAof?: boolean }): Promise<Fleet> {
  const dir = mkdtempSync(join(tmpdir(), 'livechat-fleet-'));
  const redis = await startRedis({ aof: opts.redisAof ?? true });
  const servers: ServerProc[] = [];
  const fleet: Fleet = {
    redis,
    servers,
    dir,
    byId(appId) {
      const s = servers.find((x) => x.appId === appId);
      if (!s) throw new Error(`no server ${appId}`);
      return s;
    },
    async startServer(appId) {
      const s = await startServer({ appId, redisUrl: redis.url, env: opts.env, dir });
      const i = servers.findIndex((x) => x.appId === appId);
      if (i >= 0) servers[i] = s;
      else servers.push(s);
      return s;
    },
    async stop() {
      await Promise.allSettled(servers.map((s) => s.kill('SIGKILL')));
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(Array.from({ length: opts.servers }, (_, i) => fleet.startServer(`s${i + 1}`)));
    servers.sort((a, b) => a.appId.localeCompare(b.appId, 'en', { numeric: true }));
  } catch (err) {
    await fleet.stop();
    throw err;
  }
  return fleet;
}

/** GET on a server's HTTP port: status and body. */
export async function httpGet(url: string, timeoutMs = 3000): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
}
