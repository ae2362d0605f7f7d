/**
 * Process plumbing for the native runner: finding system binaries (or naming the Debian package to
 * install), checking and picking ports, spawning a child with its output in a log file and its fd
 * limit raised, and waiting for a port or an exit. Knows nothing about livechat itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { delimiter, join } from 'node:path';

export class MissingBinaryError extends Error {
  override name = 'MissingBinaryError';
  constructor(readonly binary: string, readonly pkg: string) {
    super(`${binary} not found: install the Debian package with "sudo apt-get install ${pkg}" (or run scripts/ensure-deps.sh)`);
  }
}

export class PortBusyError extends Error {
  override name = 'PortBusyError';
  constructor(readonly port: number, readonly flag: string) {
    super(`port ${port} is busy: pass another with ${flag} (e.g. ${flag} ${port + 1})`);
  }
}

/**
 * The absolute path of `binary`, searched on PATH and in the sbin folders (Debian puts haproxy and
 * nginx in /usr/sbin, often not on a user's PATH). Throws MissingBinaryError naming `pkg`.
 */
export function findBinary(binary: string, pkg: string): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new MissingBinaryError(binary, pkg);
}

/** A free TCP port (bind 0 on all interfaces, read it, release it). */
export async function freePort(): Promise<number> {
  // Not from the kernel's ephemeral range (where listen(0) picks): outgoing connections take their
  // source ports there, so a port found free can be taken by any client socket before our server
  // binds it. Below the range only another picker can take it, and a random pick makes that rare.
  const top = ephemeralLow() - 1;
  if (top > 12_000) {
    for (let i = 0; i < 50; i++) {
      const port = 10_000 + Math.floor(Math.random() * (top - 10_000));
      if (await portIsFree(port)) return port;
    }
  }
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The lowest port the kernel hands to outgoing connections (Linux default 32768). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (low > 0) return low;
  } catch {
    // not Linux
  }
  return 32768;
}

/** Whether nothing listens on `port` on any interface (binding 0.0.0.0 fails if 127.0.0.1 is taken). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '0.0.0.0', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** Resolves true once a TCP connection to 127.0.0.1:port succeeds. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.setTimeout(1000, () => { s.destroy(); resolve(false); });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The last lines of a log file, indented, for error messages (a failed start removes its run dir). */
export function lastLines(file: string, n = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).map((l) => `  | ${l}`).join('\n');
  } catch {
    return `  (no ${file})`;
  }
}

/**
 * How long the runners wait for a process they started to answer (redis, a server's /readyz, HAProxy,
 * nginx, a Sentinel). Generous: the test suite starts clusters in parallel on 2 cores beside image
 * builds and Chromium, and a CI run once saw nginx take over 10 s to answer there. A process that
 * exits is reported at once, whatever this says.
 */
export const START_TIMEOUT_MS = 30_000;

/** Polls `check` every `everyMs` until it resolves true; throws `what` on timeout or if `abort()` says why. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs: number,
  abort?: () => string | null, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = abort?.();
    if (reason) throw new Error(`${what}: ${reason}`);
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A child process we started, with a promise of its exit. */
export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  logFile: string;
  /** Resolves with the exit code (null when ended by a signal). */
  exited: Promise<number | null>;
  done: boolean;
}

/**
 * Spawns `bin args` with stdout and stderr appended to `logFile`. The child runs through `sh` only to
 * raise its soft fd limit to the hard one (HAProxy, nginx and servers holding 10k sockets need it),
 * then `exec`s, so the pid is the program's own.
 */
export function spawnLogged(name: string, bin: string, args: string[], logFile: string,
  env: NodeJS.ProcessEnv, cwd: string): Child {
  const fd = openSync(logFile, 'a');
  try {
    const proc = spawn('/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', bin, ...args],
      { stdio: ['ignore', fd, fd], env, cwd });
    const child: Child = {
      name, proc, pid: proc.pid ?? -1, logFile, done: false,
      exited: new Promise((resolve) => {
        proc.once('exit', (code) => { child.done = true; resolve(code); });
        proc.once('error', () => { child.done = true; resolve(-1); });
      }),
    };
    return child;
  } finally {
    closeSync(fd);
  }
}

/** A process's children (Linux /proc): empty when it has none or is gone. */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

/**
 * SIGKILLs a process and the children it started: a master killed alone leaves them running (a CI run
 * left nginx's workers of a failed start holding its port after the test ended).
 */
export function killWithChildren(pid: number): void {
  const kids = childrenOf(pid);
  for (const p of [pid, ...kids]) {
    try { process.kill(p, 'SIGKILL'); } catch { /* already gone */ }
  }
}

/** Sends `signal` and waits for the exit; SIGKILLs it (and its children) after `graceMs`. Resolves with the exit code. */
export async function stopChild(child: Child, signal: NodeJS.Signals = 'SIGTERM', graceMs = 12_000): Promise<number | null> {
  if (!child.done) {
    try { child.proc.kill(signal); } catch { /* already gone */ }
    const timer = setTimeout(() => { if (!child.done) killWithChildren(child.pid); }, graceMs);
    try { return await child.exited; } finally { clearTimeout(timer); }
  }
  return child.exited;
}
