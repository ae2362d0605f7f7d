/**
 * Starts a private redis-server on a free loopback port for a test file, and stops exactly that
 * process afterwards. Fails with the Debian package name when the binary is missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/lib/procs.js';

export interface TestRedis {
  port: number;
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
  /** Stops the process (like a crash or restart) but keeps the data dir. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts again on the same port and dir. */
  restart(): Promise<void>;
}

/** A free TCP port: the runner's picker (outside the ephemeral range, so client sockets cannot take it first). */
export { freePort };

export function requireBinary(bin: string, pkg: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${bin} || ls /usr/sbin/${bin} 2>/dev/null`], { encoding: 'utf8' });
  const path = r.stdout.trim().split('\n')[0];
  if (!path) throw new Error(`${bin} not found: install it with "apt-get install ${pkg}" (or run scripts/ensure-deps.sh)`);
  return path;
}

async function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} did not open`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

export async function startRedis(opts: { aof?: boolean; maxmemory?: string } = {}): Promise<TestRedis> {
  const bin = requireBinary('redis-server', 'redis-server');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'livechat-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', opts.aof ? 'yes' : 'no', '--appendfsync', 'always', '--daemonize', 'no', '--loglevel', 'warning',
    ...(opts.maxmemory ? ['--maxmemory', opts.maxmemory, '--maxmemory-policy', 'noeviction'] : [])];
  const t: TestRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    process: undefined as unknown as ChildProcess,
    async kill(signal = 'SIGKILL') {
      const p = t.process;
      if (p.exitCode !== null || p.signalCode !== null) return;
      await new Promise<void>((resolve) => { p.once('exit', () => resolve()); p.kill(signal); });
    },
    async restart() {
      t.process = spawn(bin, args, { stdio: 'ignore' });
      await waitForPort(port);
    },
    async stop() {
      await t.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await t.restart();
  return t;
}
