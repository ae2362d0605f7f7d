/**
 * Runs the load tool as a child process (a fresh heap and event loop per measurement, exactly what a
 * user runs) and reads back its JSON report. Bounded: the child is SIGKILLed past its own time budget.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/lib/configs.js';
import type { LoadOptions, LoadReport } from './load.js';

export type ChildLoad = Partial<Omit<LoadOptions, 'onProgress'>> & Pick<LoadOptions, 'url' | 'clients'>;

/** Runs `node dist/loadtest.js` with these options; resolves with its report (even when it exits 1). */
export async function runLoadChild(o: ChildLoad): Promise<LoadReport> {
  const dir = mkdtempSync(join(tmpdir(), 'livechat-load-'));
  const out = join(dir, 'report.json');
  const args = [join(repoRoot(), 'dist/loadtest.js'), '--out', out, '--quiet'];
  const flag = (name: string, v: unknown) => { if (v !== undefined) args.push(`--${name}`, Array.isArray(v) ? v.join(',') : String(v)); };
  flag('url', o.url); flag('clients', o.clients); flag('senders', o.senders); flag('rate', o.rate); flag('duration', o.duration);
  flag('rooms', o.rooms); flag('ramp', o.ramp); flag('size', o.size); flag('drain', o.drain); flag('settle', o.settle);
  flag('connect-timeout', o.connectTimeout); flag('wire', o.wire); flag('local-ips', o.localIps); flag('room-prefix', o.roomPrefix || undefined);
  flag('warmup', o.warmup || undefined); flag('propagation-window', o.propagationWindow);
  if (o.probe) args.push('--probe');
  if (o.probeUrls?.length) flag('probe-urls', o.probeUrls);
  if (o.pids?.length) flag('pids', o.pids);
  if (o.metrics?.length) flag('metrics', o.metrics);
  // The probe: quiet wait (≤ 30 s), then a few requests of up to connect-timeout each (join, pages, one join per server).
  const probeS = o.probe ? 30 + (o.propagationWindow ?? 3) + 4 * (o.connectTimeout ?? 20) : 0;
  const warmupS = o.warmup ? o.warmup + (o.connectTimeout ?? 20) + 10 : 0;
  const budgetMs = (warmupS + (o.ramp ?? 0) + (o.connectTimeout ?? 20) + (o.settle ?? 1) + probeS + (o.duration ?? 10) + (o.drain ?? 5) + 30) * 1000;
  try {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
      const timer = setTimeout(() => child.kill('SIGKILL'), budgetMs);
      child.on('exit', (c) => { clearTimeout(timer); resolve({ code: c, output }); });
    });
    if (code !== 0 && code !== 1) throw new Error(`loadtest exited with ${code}:\n${output.slice(-2000)}`);
    return JSON.parse(readFileSync(out, 'utf8')) as LoadReport;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
