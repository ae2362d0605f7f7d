/**
 * `npm run cluster -- --servers N --lb-port P --web-port P --redis-port P [--stats-port P] [--lb-page-port P] [--keep-run-dir] [--redis-ha]`
 * (--redis-ha: a primary on the Redis port, two replicas and three Sentinels; the servers follow failovers.)
 * Runs the compose topology natively in the foreground: prints one line per server (APPID, pid, port),
 * then `cluster ready` once nginx, HAProxy and every server answer and HAProxy reports every server UP.
 * SIGINT/SIGTERM stops everything it started. Servers get the livechat settings found in this
 * process's environment (e.g. RATE_LIMIT_BURST=500 npm run cluster); HAProxy and nginx get
 * LC_MAX_CONN_PER_IP, LC_MAX_CONN_RATE, LC_WS_PATH; Redis gets REDIS_MAXMEMORY and the compose ACL (the
 * servers log in as user livechat with LC_REDIS_PASSWORD, else a random password; operators as admin, whose
 * URL is in <run dir>/redis-admin.url).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MissingBinaryError, PortBusyError, startCluster, type Cluster } from './lib/cluster.js';
import { repoRoot } from './lib/configs.js';

const USAGE = 'usage: npm run cluster -- [--servers 4] [--lb-port 8080] [--web-port 8000] [--redis-port 6379] [--stats-port 8404] '
  + '[--lb-page-port 0 (free)] [--check-inter-ms 2000] [--keep-run-dir] [--redis-ha]';

/** APPID, PORT, HOST, STORE, REDIS_URL (and with --redis-ha where the Sentinels are) are the runner's. */
const RUNNER_OWNED = new Set(['APPID', 'PORT', 'HOST', 'STORE', 'REDIS_URL', 'REDIS_SENTINELS', 'REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD']);
/** Settings of app/src/config.ts a user may set for every server. */
const KNOWN_ENV = ['ALLOWED_ORIGINS', 'MAX_PAYLOAD', 'PING_INTERVAL_MS', 'RATE_LIMIT_BURST', 'RATE_LIMIT_PER_SEC',
  'BAD_REQUEST_LIMIT', 'HISTORY_MAX', 'JOIN_HISTORY', 'PRESENCE_TTL_MS', 'PRESENCE_HEARTBEAT_MS', 'PRESENCE_GRACE_MS',
  'SESSION_TTL_SEC', 'DEDUP_TTL_SEC', 'SLOW_CONSUMER_BYTES', 'REDIS_TIMEOUT_MS', 'DRAIN_DELAY_MS', 'SHUTDOWN_TIMEOUT_MS',
  'LOG_LEVEL', 'MAX_CONNECTIONS',
  // Node's own options for the servers (a V8 tuning knob, or --cpu-prof to profile them: docs/performance.md).
  'NODE_OPTIONS'];

/** Every setting name app/src/config.ts reads (`int(env, 'X'`, `str(env, 'X'`, `rate(env, 'X'` = X_BURST, X_PER_SEC), plus the known ones. */
function serverSettings(): string[] {
  const names = new Set(KNOWN_ENV);
  try {
    const src = ['app/src/config.ts', 'app/src/files/files-config.ts', 'app/src/store/redis-settings.ts'].map((f) => readFileSync(join(repoRoot(), f), 'utf8')).join('\n');
    for (const m of src.matchAll(/\b(int|str|bool|rate|get|httpUrl)\(env, '([A-Z][A-Z0-9_]*)'/g)) {
      if (m[1] === 'rate') { names.add(`${m[2]}_BURST`); names.add(`${m[2]}_PER_SEC`); } else names.add(m[2]);
    }
  } catch {
    // no sources beside the bundle: the known list
  }
  return [...names].filter((n) => !RUNNER_OWNED.has(n));
}

function parseArgs(argv: string[]) {
  const out = { servers: 4, lbPort: 8080, webPort: 8000, redisPort: 6379, statsPort: 8404, lbPagePort: 0, checkInterMs: 2000, keepRunDir: false, redisHa: false };
  const numeric: Record<string, keyof typeof out> = {
    '--servers': 'servers', '--lb-port': 'lbPort', '--web-port': 'webPort', '--redis-port': 'redisPort',
    '--stats-port': 'statsPort', '--lb-page-port': 'lbPagePort', '--check-inter-ms': 'checkInterMs',
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    if (flag === '--keep-run-dir') { out.keepRunDir = true; continue; }
    if (flag === '--redis-ha') { out.redisHa = true; continue; }
    if (flag === '--help' || flag === '-h') { console.log(USAGE); process.exit(0); }
    const key = numeric[flag];
    const raw = inline ?? argv[++i];
    const n = Number(raw);
    if (!key || !Number.isInteger(n) || n < 0 || n > 65535) {
      console.error(`${key ? `${flag}: expected a number, got ${raw}` : `unknown option ${argv[i]}`}\n${USAGE}`);
      process.exit(2);
    }
    (out as Record<string, number | boolean>)[key] = n;
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
const env: Record<string, string> = { LOG_LEVEL: 'info' };
for (const k of serverSettings()) if (process.env[k]) env[k] = process.env[k] as string;

let cluster: Cluster | null = null;
let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping the cluster`);
  if (!cluster) return; // still starting: the start sequence below stops it as soon as it returns
  await cluster.stop();
  console.log('cluster stopped');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  cluster = await startCluster({
    servers: args.servers, lbPort: args.lbPort, webPort: args.webPort, redisPort: args.redisPort, statsPort: args.statsPort,
    lbPagePort: args.lbPagePort, redisPassword: process.env.LC_REDIS_PASSWORD || undefined,
    haproxyCheckInterMs: args.checkInterMs, keepRunDir: args.keepRunDir, redisHa: args.redisHa, env, log: (line) => console.log(line),
  });
} catch (err) {
  const e = err as Error;
  console.error(e instanceof MissingBinaryError || e instanceof PortBusyError ? e.message : `cluster failed to start: ${e.stack ?? e}`);
  process.exit(1);
}
if (stopping) {
  await cluster.stop();
  console.log('cluster stopped');
  process.exit(0);
} else {
  console.log(`cluster ready: page ${cluster.pageUrl}  ws ${cluster.wsUrl} (HAProxy)  stats http://127.0.0.1:${cluster.statsPort}/  `
    + `redis ${cluster.redisUrl.replace(/\/\/[^@]*@/, '//livechat:***@')} (admin: redis-cli -u "$(cat ${cluster.runDir}/redis-admin.url)")  `
    + `logs ${cluster.runDir}  (Ctrl-C stops)`);
}
