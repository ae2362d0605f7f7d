/**
 * Server-side cost, read from outside: CPU time (utime + stime) and resident memory of given pids
 * from /proc, or the same two figures scraped from Prometheus `/metrics` endpoints
 * (process_cpu_seconds_total, process_resident_memory_bytes). Sums over all processes of a system.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSec = 0;
function clockTicks(): number {
  if (!ticksPerSec) {
    try {
      ticksPerSec = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSec = 100;
    }
  }
  return ticksPerSec;
}

export interface ProcSample {
  /** CPU ms (user + system) per pid; missing when the process is gone. */
  cpuMs: Record<number, number>;
  rssKB: Record<number, number>;
  at: number;
}

/** utime + stime of a pid in ms, or null when it cannot be read. */
export function cpuMsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces: split after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // fields 14 and 15 of the full line
    return (ticks * 1000) / clockTicks();
  } catch {
    return null;
  }
}

/** VmRSS of a pid in KiB, or null. */
export function rssKBOf(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export function sampleProcs(pids: number[]): ProcSample {
  const s: ProcSample = { cpuMs: {}, rssKB: {}, at: performance.now() };
  for (const pid of pids) {
    const c = cpuMsOf(pid);
    const r = rssKBOf(pid);
    if (c !== null) s.cpuMs[pid] = c;
    if (r !== null) s.rssKB[pid] = r;
  }
  return s;
}

/** Sum of CPU ms spent between two samples, by pid and in total (pids present in both). */
export function cpuDelta(a: ProcSample, b: ProcSample): { total: number; byPid: Record<number, number> } {
  const byPid: Record<number, number> = {};
  let total = 0;
  for (const k of Object.keys(b.cpuMs)) {
    const pid = Number(k);
    if (a.cpuMs[pid] === undefined) continue;
    byPid[pid] = b.cpuMs[pid] - a.cpuMs[pid];
    total += byPid[pid];
  }
  return { total, byPid };
}

export const rssSumKB = (s: ProcSample) => Object.values(s.rssKB).reduce((x, y) => x + y, 0);

/** Sums process_cpu_seconds_total (as ms) and process_resident_memory_bytes (as KiB) over endpoints. */
export async function scrapeMetrics(urls: string[]): Promise<{ cpuMs: number; rssKB: number; ok: number }> {
  let cpuMs = 0;
  let rssKB = 0;
  let ok = 0;
  await Promise.all(urls.map(async (url) => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const text = await res.text();
      const cpu = metricValue(text, 'process_cpu_seconds_total');
      const rss = metricValue(text, 'process_resident_memory_bytes');
      if (cpu !== null) cpuMs += cpu * 1000;
      if (rss !== null) rssKB += rss / 1024;
      ok++;
    } catch {
      // endpoint down: counted by `ok`
    }
  }));
  return { cpuMs, rssKB, ok };
}

/** The value of an unlabelled-or-labelled sample `name` in Prometheus text format, or null. */
export function metricValue(text: string, name: string): number | null {
  const re = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+([0-9.eE+-]+)`, 'm');
  const m = re.exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * A short name for a process: `server 1000` for a livechat or comparison server (its APPID from the
 * environment or `--app-id`), else the command name (`haproxy`, `redis-server`, `nginx`, …).
 */
export function procLabel(pid: number): string {
  let comm = '';
  try {
    comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return `pid ${pid}`;
  }
  if (comm === 'node' || comm.startsWith('node')) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const k = args.indexOf('--app-id');
      if (k >= 0 && args[k + 1]) return `server ${args[k + 1]}`;
    } catch { /* gone */ }
    try {
      const m = /(?:^|\0)APPID=([^\0]*)/.exec(readFileSync(`/proc/${pid}/environ`, 'utf8'));
      if (m) return `server ${m[1]}`;
    } catch { /* not ours to read */ }
  }
  return comm;
}

/** The kind of process behind a label, for grouping: servers, haproxy, redis, nginx, or the label itself. */
export function procKind(label: string): string {
  if (label.startsWith('server ')) return 'servers';
  if (label.startsWith('redis')) return 'redis';
  if (label.startsWith('haproxy')) return 'haproxy';
  if (label.startsWith('nginx')) return 'nginx';
  return label;
}
