/**
 * The Docker side of the compose and Swarm tests: run docker with a bound on every call, check the
 * engine and the host ports first (failing with what to do), make the base images
 * (scripts/docker/base-images.sh: pulled, or local stand-ins where no registry answers), and read
 * HAProxy's view of its servers. Nothing here removes what it did not create.
 *
 * SKIP_DOCKER_TESTS=1 skips these tests (a developer's machine without Docker). It is off by default:
 * CI, as root, gets the engine from scripts/ensure-deps.sh, and a missing engine fails the tests.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
export const SKIP_DOCKER = process.env.SKIP_DOCKER_TESTS === '1';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Environment for docker commands: the caller's, minus the stack's settings (the defaults must hold). */
export function dockerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(LC_|REDIS_MAXMEMORY$|COMPOSE_|DOCKER_HOST$|DOCKER_CONTEXT$)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** Runs a command with a time bound; never throws (see `must`). */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? dockerEnv(), timeout: opts.timeoutMs ?? 60_000, killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
      let code = 0;
      if (e) code = typeof e.code === 'number' ? e.code : e.killed ? 124 : 1;
      if (e?.killed) stderr += `\n(killed after ${opts.timeoutMs ?? 60_000} ms)`;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const tail = (s: string, lines = 30) => s.trim().split('\n').slice(-lines).join('\n');

/** Runs a command and throws, with its output, unless it exits 0. */
export async function must(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`\`${cmd} ${args.join(' ')}\` exited ${r.code}:\n${tail(r.stderr || r.stdout)}`);
  return r.stdout;
}

export const docker = (args: string[], timeoutMs = 60_000) => must('docker', args, { timeoutMs });

/** The engine answers and `docker compose` is v2; else an error that says what to do. */
export async function requireDocker(): Promise<void> {
  const hint = 'run `sudo bash scripts/ensure-deps.sh` (installs docker.io, starts dockerd, installs the Compose v2 plugin), ' +
    'or set SKIP_DOCKER_TESTS=1 on a machine without Docker';
  const info = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 });
  if (info.code !== 0) throw new Error(`the Docker engine does not answer (docker info: ${tail(info.stderr, 3)}): ${hint}`);
  const v = await run('docker', ['compose', 'version', '--short'], { timeoutMs: 20_000 });
  if (v.code !== 0 || !/^v?[2-9]\./.test(v.stdout.trim())) throw new Error(`no Compose v2 (docker compose version: ${tail(v.stdout + v.stderr, 2)}): ${hint}`);
}

/** Fails at once, naming the port and its owner, when a port the stack publishes is taken. */
export async function requirePortsFree(ports: number[]): Promise<void> {
  for (const port of ports) {
    for (const host of ['0.0.0.0', '127.0.0.1']) {
      const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
        const srv = net.createServer();
        srv.once('error', (e) => resolve(e as NodeJS.ErrnoException));
        srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(null)));
      });
      if (err) {
        const who = (await run('ss', ['-Hltnp', `sport = :${port}`], { timeoutMs: 5000 })).stdout.trim();
        throw new Error(`port ${port} on ${host} is busy (${err.code}): the Docker tests publish 8000, 8080 and 8404; stop what holds it${who ? `: ${who}` : ''}`);
      }
    }
  }
}

/** node:24-slim, redis:7-alpine, haproxy:2.9-alpine, nginx:alpine: present, pulled, or local stand-ins. */
export async function ensureBaseImages(): Promise<void> {
  const script = join(ROOT, 'scripts', 'docker', 'base-images.sh');
  if (!existsSync(script)) throw new Error(`${script} is missing`);
  const out = await must('bash', [script], { timeoutMs: 8 * 60_000 });
  process.stdout.write(out.split('\n').filter(Boolean).map((l) => `  ${l}\n`).join(''));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns a truthy value (returned) or `timeoutMs` passes (throws naming `what` and the last value). */
export async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs: number, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
      last = v;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await sleep(everyMs);
  }
}

/** HAProxy's servers in backend ws_servers from its stats CSV: slot name -> { status, addr }. */
export function parseStatsCsv(csv: string): Record<string, { status: string; addr: string }> {
  const lines = csv.trim().split('\n');
  const head = lines[0].replace(/^# /, '').split(',');
  const col = (n: string) => head.indexOf(n);
  const out: Record<string, { status: string; addr: string }> = {};
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    if (f[col('pxname')] !== 'ws_servers' || ['BACKEND', 'FRONTEND'].includes(f[col('svname')])) continue;
    out[f[col('svname')]] = { status: f[col('status')], addr: f[col('addr')] ?? '' };
  }
  return out;
}

/** Addresses of the servers HAProxy has UP. */
export const upServers = (stats: Record<string, { status: string; addr: string }>) =>
  Object.values(stats).filter((s) => s.status.startsWith('UP')).map((s) => s.addr);
