/**
 * Reading one setting from the environment, validated: each reader throws ConfigError naming the
 * variable and what it expects (config.ts is the only caller).
 */

export interface Rate {
  burst: number;
  perSec: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Env = Record<string, string | undefined>;

export function int(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${key}=${raw}: expected an integer from ${min} to ${max}`);
  }
  return n;
}

/** A token bucket from `<KEY>_BURST` and `<KEY>_PER_SEC` (a decimal, so slow rates like 0.2/s can be set). */
export function rate(env: Env, key: string, burst: number, perSec: number, max = 1_000_000): Rate {
  const raw = env[`${key}_PER_SEC`];
  let ps = perSec;
  if (raw !== undefined && raw !== '') {
    ps = Number(raw);
    if (!Number.isFinite(ps) || ps <= 0 || ps > max) throw new ConfigError(`${key}_PER_SEC=${raw}: expected a number above 0, at most ${max}`);
  }
  return { burst: int(env, `${key}_BURST`, burst, 1, max), perSec: ps };
}

export function ratio(env: Env, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new ConfigError(`${key}=${raw}: expected a number above 0, at most 1`);
  return n;
}

export function bool(env: Env, key: string, fallback: boolean): boolean {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${key}=${raw}: expected true or false`);
}

export function str(env: Env, key: string, fallback: string): string {
  const raw = env[key];
  return raw === undefined || raw === '' ? fallback : raw;
}


export interface SentinelAddress { host: string; port: number }

const HOST_PORT = /^\s*(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})\s*$/;

/** One host:port (IPv6 as [addr]:port), or null. */
function hostPort(part: string): SentinelAddress | null {
  const m = HOST_PORT.exec(part);
  const port = m ? Number(m[3]) : 0;
  return m && port >= 1 && port <= 65535 ? { host: m[1] ?? m[2], port } : null;
}

/** A comma list of host:port (IPv6 as [addr]:port); empty = none. */
export function sentinels(env: Env, key: string): SentinelAddress[] {
  const raw = str(env, key, '').trim();
  if (raw === '') return [];
  return raw.split(',').map((part) => {
    const at = hostPort(part);
    if (!at) throw new ConfigError(`${key}=${raw}: expected host:port[,host:port…], e.g. 127.0.0.1:26379`);
    return at;
  });
}

/** A comma list of `announced=reached` host:port pairs (addresses as others name them → as this process reaches them); empty = none. */
export function addressMap(env: Env, key: string): Array<[SentinelAddress, SentinelAddress]> {
  const raw = str(env, key, '').trim();
  if (raw === '') return [];
  return raw.split(',').map((pair) => {
    const [from, to, extra] = pair.split('=');
    const a = from === undefined ? null : hostPort(from);
    const b = to === undefined ? null : hostPort(to);
    if (!a || !b || extra !== undefined) throw new ConfigError(`${key}=${raw}: expected host:port=host:port[,…], e.g. 10.0.0.5:6379=127.0.0.1:16379`);
    return [a, b];
  });
}
