/**
 * Reads HAProxy's runtime state over its admin socket (`show stat`), so the runner knows when
 * HAProxy itself — not just our own probe — considers each server UP.
 */
import net from 'node:net';

export interface ServerStat { svname: string; status: string; checkStatus: string }

/** Sends one command to the stats socket and resolves with the whole answer. */
export function haproxyCommand(socketPath: string, command: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketPath);
    let out = '';
    s.setEncoding('utf8');
    s.setTimeout(timeoutMs, () => { s.destroy(); reject(new Error(`haproxy socket ${socketPath}: timeout`)); });
    s.once('connect', () => s.write(`${command}\n`));
    s.on('data', (d: string) => { out += d; });
    s.once('end', () => resolve(out));
    s.once('error', reject);
  });
}

/** Parses `show stat` CSV into the rows of one backend's servers. */
export function parseShowStat(csv: string, backend: string): ServerStat[] {
  const lines = csv.split('\n').filter(Boolean);
  const header = (lines.shift() ?? '').replace(/^#\s*/, '').split(',');
  const col = (name: string) => header.indexOf(name);
  const [px, sv, st, ck] = [col('pxname'), col('svname'), col('status'), col('check_status')];
  if (px < 0 || sv < 0 || st < 0) throw new Error('unexpected show stat output');
  return lines.map((l) => l.split(','))
    .filter((f) => f[px] === backend && f[sv] !== 'BACKEND' && f[sv] !== 'FRONTEND')
    .map((f) => ({ svname: f[sv], status: f[st], checkStatus: ck >= 0 ? f[ck] : '' }));
}
