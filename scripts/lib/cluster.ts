/**
 * The native cluster: the compose topology on one machine without Docker — a private redis-server,
 * N node servers (APPIDs 1000, 2000, …), HAProxy and nginx, each configured from the same files as
 * compose (see configs.ts). Used by the CLI (scripts/cluster.ts) and by tests, which start it on free
 * ports. Every process it starts is its own child, logged to a file in the run dir, and stopped by
 * `stop()`; a server that dies is logged and left dead (tests kill servers on purpose).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { appIdOf, REDIS_ADMIN_USER, REDIS_USER, readRepoFile, renderRedisAcl, repoRoot, serverName } from './configs.js';
import { haproxyCommand, parseShowStat } from './haproxy-stats.js';
import { findBinary, freePort, killWithChildren, lastLines, portIsFree, PortBusyError, spawnLogged, START_TIMEOUT_MS, stopChild, until, type Child } from './procs.js';
import { startHaproxy, startNginx, type NginxFilesOptions } from './proxies.js';
import { RedisHa, SENTINEL_NAME } from './redis-ha.js';

export { MissingBinaryError, PortBusyError } from './procs.js';

export interface ClusterOptions {
  /** Number of node servers (default 4). */
  servers?: number;
  /**
   * 0 or omitted = a free port. `lbPort` is HAProxy's public frontend, `lbPagePort` its frontend
   * for nginx only (127.0.0.1), `statsPort` its stats page (127.0.0.1), `webPort` nginx.
   */
  lbPort?: number; webPort?: number; redisPort?: number; statsPort?: number; lbPagePort?: number;
  /** Extra env for every server (e.g. PRESENCE_TTL_MS). LOG_LEVEL defaults to `warn`. */
  env?: Record<string, string>;
  /**
   * Extra env for one server, applied last (it may replace REDIS_URL, e.g. to reach Redis through a
   * test's fault proxy; with redisHa, `ha` names the data nodes and Sentinels); called on every
   * (re)start of that server. Default: none.
   */
  serverEnv?: (appId: string, redis: { url: string; port: number; ha: RedisHa | null }) => Record<string, string> | undefined;
  /** HAProxy health-check interval (default 2000; tests use ~300). */
  haproxyCheckInterMs?: number;
  /** Where configs, logs, pids and Redis data go (default: a new temp dir, removed on stop). */
  runDir?: string;
  /** Keep the run dir on stop (a given runDir is always kept). */
  keepRunDir?: boolean;
  log?: (line: string) => void;
  /** Redis AOF on (default true). */
  redisAof?: boolean;
  /**
   * Extra env for HAProxy, e.g. LC_MAX_CONN_RATE, LC_MAX_CONN_PER_IP (default: those of this
   * process's env). nginx's per-address limit follows LC_MAX_CONN_PER_IP.
   */
  haproxyEnv?: Record<string, string>;
  /**
   * The servers' Redis password. Redis always runs with redis/users.acl.template, as in compose: the
   * servers log in as user `livechat` (REDIS_URL carries both), which may run only the commands, keys
   * and channel they use; operators as `admin` (`redisAdminUrl`); an unauthenticated connection may
   * run nothing. Default: a random one per run (as is the admin password).
   */
  redisPassword?: string;
  /** Redis maxmemory, e.g. '64mb' (default: REDIS_MAXMEMORY of this process's env, else redis.conf's). */
  redisMaxmemory?: string;
  /**
   * A primary (on redisPort), two replicas and three Sentinels instead of one Redis (scripts/lib/redis-ha.ts);
   * the servers get REDIS_SENTINELS and REDIS_WAIT_REPLICAS=1 (opts.env may override the latter).
   */
  redisHa?: boolean;
  /** With redisHa: the Sentinels' down-after-milliseconds (default 1500) and failover-timeout (default 6000). */
  sentinelDownAfterMs?: number; sentinelFailoverTimeoutMs?: number;
}

export interface ServerProc { appId: string; pid: number; port: number; alive: boolean; logFile: string }

export interface Cluster {
  servers: ServerProc[]; lbPort: number; webPort: number; redisPort: number; statsPort: number; lbPagePort: number;
  /** The servers' REDIS_URL: user `livechat` and its password (least privilege). */
  redisUrl: string;
  /** The operators' URL: user `admin`, every right (tests inspect the store with it). */
  redisAdminUrl: string;
  /** Commands, keys and channels Redis refused the servers' user so far (its ACL LOG), one line each. */
  aclDenials(): Promise<string[]>;
  /** ws://127.0.0.1:lbPort/ws (through HAProxy). */ wsUrl: string;
  /** http://127.0.0.1:webPort/ (nginx). */ pageUrl: string;
  /** ws://127.0.0.1:webPort/ws (through nginx). */ pageWsUrl: string;
  runDir: string;
  /** Pids of every process started (redis, servers, haproxy, nginx) that is still running. */
  pids(): number[];
  /** Signals one server (default SIGTERM); resolves with its exit code once it has exited. */
  killServer(appId: string, signal?: NodeJS.Signals): Promise<number | null>;
  /** (Re)starts that server on its port; resolves when HAProxy reports it UP. */
  startServer(appId: string): Promise<ServerProc>;
  /** Stops Redis (SIGTERM) / starts it again on the same port and data dir (the AOF survives). Not with redisHa. */
  stopRedis(): Promise<void>; startRedis(): Promise<void>;
  /** With redisHa: the data nodes and Sentinels (signalNode, startNode, primaryPort, info); else null. */
  ha: RedisHa | null;
  /** Waits until `pred` holds for HAProxy's server states by APPID ('UP', 'DOWN', 'UP 1/2', …; 'INI' before the first check). */
  waitForHaproxy(pred: (states: Record<string, string>) => boolean, timeoutMs?: number): Promise<void>;
  /** Stops everything it started and waits for every exit. Idempotent. */
  stop(): Promise<void>;
}

const BACKEND = 'ws_servers';

/**
 * Starts the whole cluster; on any failure stops what it had started and rethrows. A port picked
 * free can still be taken before its process binds it (tests run in parallel): when a start fails
 * with "address in use", it is tried again (picked ports afresh; at most 3 times).
 */
export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startClusterOnce(opts);
    } catch (err) {
      // A failed attempt has stopped its processes, so given ports are free again; one someone else
      // took meanwhile fails the next attempt's check with PortBusyError, which is not retried.
      if (attempt >= 3 || !/Address already in use|EADDRINUSE/.test(String((err as Error).message))) throw err;
      opts.log?.(`a port was taken during start (attempt ${attempt}); retrying`);
    }
  }
}

async function startClusterOnce(opts: ClusterOptions): Promise<Cluster> {
  const log = opts.log ?? (() => {});
  const count = opts.servers ?? 4;
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new Error(`servers: expected 1-64, got ${count}`);
  const bins = {
    redis: findBinary('redis-server', 'redis-server'),
    haproxy: findBinary('haproxy', 'haproxy'),
    nginx: findBinary('nginx', 'nginx'),
  };
  const port = async (p: number | undefined, flag: string) => {
    if (!p) return freePort();
    if (!(await portIsFree(p))) throw new PortBusyError(p, flag);
    return p;
  };
  const redisPort = await port(opts.redisPort, '--redis-port');
  const lbPort = await port(opts.lbPort, '--lb-port');
  const webPort = await port(opts.webPort, '--web-port');
  const statsPort = await port(opts.statsPort, '--stats-port');
  const lbPagePort = await port(opts.lbPagePort, '--lb-page-port');
  const root = repoRoot();
  if (!existsSync(join(root, 'dist/server.js'))) {
    log('dist/server.js missing: building');
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'ignore' });
  }
  const ownRunDir = !opts.runDir;
  const runDir = opts.runDir ?? mkdtempSync(join(tmpdir(), 'livechat-cluster-'));
  mkdirSync(runDir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chmodSync(runDir, 0o755); // nginx workers run as nobody
  const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? runDir, TMPDIR: tmpdir() };
  const files = filesSetup({ ...baseEnv, ...opts.env }, webPort);
  const redisPassword = opts.redisPassword || randomBytes(24).toString('hex');
  const redisAdminPassword = randomBytes(24).toString('hex');
  const redisUrl = `redis://${REDIS_USER}:${encodeURIComponent(redisPassword)}@127.0.0.1:${redisPort}`;
  const redisAdminUrl = `redis://${REDIS_ADMIN_USER}:${redisAdminPassword}@127.0.0.1:${redisPort}`;
  const children: Child[] = [];
  let stopping = false;
  const watch = (c: Child, onExit?: (code: number | null) => void) => {
    children.push(c);
    void c.exited.then((code) => {
      if (!stopping) log(`${c.name} (pid ${c.pid}) exited with ${code === null ? `signal ${c.proc.signalCode}` : `code ${code}`}; see ${c.logFile}`);
      onExit?.(code);
    });
    return c;
  };
  // Last resort if the owning process exits without stop() (a crashed test worker): no orphans.
  const killOnExit = () => { for (const c of children) if (!c.done) killWithChildren(c.pid); };
  process.on('exit', killOnExit);
  const deadReason = (c: Child) => () => (c.done ? `${c.name} exited:\n${lastLines(c.logFile)}` : null);

  // Redis
  let redis: Child | null = null;
  const redisArgs = [join(root, 'redis/redis.conf'), '--port', String(redisPort), '--bind', '127.0.0.1',
    '--dir', runDir, '--save', '', '--appendonly', opts.redisAof === false ? 'no' : 'yes', '--daemonize', 'no'];
  const maxmemory = opts.redisMaxmemory ?? process.env.REDIS_MAXMEMORY;
  if (maxmemory) redisArgs.push('--maxmemory', maxmemory);
  const acl = join(runDir, 'users.acl');
  writeFileSync(acl, renderRedisAcl(readRepoFile(root, 'redis/users.acl.template'), redisPassword, redisAdminPassword), { mode: 0o600 });
  redisArgs.push('--aclfile', acl);
  writeFileSync(join(runDir, 'redis-admin.url'), `${redisAdminUrl}\n`, { mode: 0o600 });
  const redisHa = opts.redisHa ? new RedisHa({
    root, runDir, redisBin: bins.redis, baseEnv, primaryPort: redisPort, baseAcl: readFileSync(acl, 'utf8'),
    dataArgs: redisArgs.slice(redisArgs.indexOf('--save')).filter((_, i, a) => a[i] !== '--aclfile' && a[i - 1] !== '--aclfile'),
    downAfterMs: opts.sentinelDownAfterMs, failoverTimeoutMs: opts.sentinelFailoverTimeoutMs,
    track: (c) => watch(c), ping: (p) => redisPing(p, redisPassword), dead: deadReason, log,
    adminUrl: (p) => `redis://${REDIS_ADMIN_USER}:${redisAdminPassword}@127.0.0.1:${p}`,
  }) : null;
  const haEnv: Record<string, string> = {};
  const startRedis = async () => {
    if (redisHa) {
      await redisHa.start();
      Object.assign(haEnv, { REDIS_SENTINELS: redisHa.sentinelList, REDIS_SENTINEL_NAME: SENTINEL_NAME, REDIS_WAIT_REPLICAS: '1' });
      return;
    }
    const c = watch(spawnLogged('redis', bins.redis, redisArgs, join(runDir, 'redis.log'), baseEnv, runDir));
    redis = c;
    await until(`redis on port ${redisPort}`, () => redisPing(redisPort, redisPassword), START_TIMEOUT_MS, deadReason(c));
    log(`redis pid=${c.pid} port=${redisPort}`);
  };

  // Servers
  const servers: ServerProc[] = [];
  const serverChildren = new Map<string, Child>();
  const startServerProcess = async (s: ServerProc) => {
    // HAProxy reaches the servers from 127.0.0.1: only its X-Forwarded-For is believed (a test may widen or narrow it).
    const env = { ...baseEnv, LOG_LEVEL: 'warn', TRUSTED_PROXIES: '127.0.0.1', ...files.serverEnv, ...haEnv, ...opts.env, APPID: s.appId, PORT: String(s.port), HOST: '127.0.0.1', STORE: 'redis', REDIS_URL: redisUrl,
      ...opts.serverEnv?.(s.appId, { url: redisUrl, port: redisPort, ha: redisHa }) };
    const c = watch(spawnLogged(`server ${s.appId}`, process.execPath, [join(root, 'dist/server.js')], s.logFile, env, root),
      () => { if (serverChildren.get(s.appId) === c) s.alive = false; });
    serverChildren.set(s.appId, c);
    s.pid = c.pid;
    s.alive = true;
    await until(`server ${s.appId} /readyz on port ${s.port}`, () => httpOk(s.port, '/readyz'), START_TIMEOUT_MS, deadReason(c));
  };

  // HAProxy
  const socketPath = join(runDir, 'haproxy.sock'); // startHaproxy puts it there
  const states = async (): Promise<Record<string, string>> => {
    const rows = parseShowStat(await haproxyCommand(socketPath, 'show stat'), BACKEND);
    return Object.fromEntries(rows.map((r) => [appIdOf(r.svname), r.checkStatus.startsWith('INI') ? 'INI' : r.status]));
  };
  const waitForHaproxy = async (pred: (s: Record<string, string>) => boolean, timeoutMs = 15_000) => {
    let last: Record<string, string> = {};
    try {
      await until('HAProxy server states', async () => {
        try { last = await states(); } catch { return false; }
        return pred(last);
      }, timeoutMs, undefined, 100);
    } catch (err) {
      throw new Error(`${(err as Error).message}; last states ${JSON.stringify(last)}`);
    }
  };

  try {
    await startRedis();
    for (let i = 1; i <= count; i++) {
      const appId = String(i * 1000);
      servers.push({ appId, pid: -1, port: await freePort(), alive: false, logFile: join(runDir, `server-${appId}.log`) });
    }
    await Promise.all(servers.map(startServerProcess));
    for (const s of servers) log(`server APPID=${s.appId} pid=${s.pid} port=${s.port} log=${s.logFile}`);

    const proxyBase = { root, runDir, baseEnv, track: (c: Child) => watch(c), dead: deadReason };
    const ha = await startHaproxy({ ...proxyBase, haproxyBin: bins.haproxy, lbPort, pagePort: lbPagePort, statsPort,
      servers: servers.map((s) => ({ name: serverName(s.appId), port: s.port })),
      checkInterMs: opts.haproxyCheckInterMs, env: opts.haproxyEnv });
    log(`haproxy pid=${ha.child.pid} port=${lbPort} page-frontend=127.0.0.1:${lbPagePort} stats=http://127.0.0.1:${statsPort}/`);
    const nginx = await startNginx({ ...proxyBase, nginxBin: bins.nginx, webPort, pagePort: lbPagePort, asRoot,
      maxConnPerIp: ha.env.LC_MAX_CONN_PER_IP, loadTest: ha.env.LC_LOAD_TEST === '1', log, files: files.nginx });
    log(`nginx pid=${nginx.pid} port=${webPort}`);

    await waitForHaproxy((st) => servers.every((s) => st[s.appId] === 'UP'), 30_000);

    const stopAll = async () => {
      if (stopping) return;
      stopping = true;
      // A stopped (SIGSTOP) data node would not hear SIGTERM.
      for (const c of children) if (c.name.startsWith('redis') && !c.done) try { c.proc.kill('SIGCONT'); } catch { /* gone */ }
      // Front to back, so nothing reconnects into a half-stopped cluster.
      await Promise.all(children.filter((c) => c.name === 'nginx' || c.name === 'haproxy').map((c) => stopChild(c, 'SIGTERM', 5000)));
      await Promise.all(children.filter((c) => c.name.startsWith('server')).map((c) => stopChild(c, 'SIGTERM', 12_000)));
      await Promise.all(children.map((c) => stopChild(c, 'SIGTERM', 5000)));
      process.off('exit', killOnExit);
      if (ownRunDir && !opts.keepRunDir) rmSync(runDir, { recursive: true, force: true });
    };
    const cluster: Cluster = {
      servers, lbPort, webPort, redisPort, statsPort, lbPagePort, redisUrl, redisAdminUrl, runDir,
      aclDenials: () => aclDenials(redisAdminUrl),
      wsUrl: `ws://127.0.0.1:${lbPort}/ws`,
      pageUrl: `http://127.0.0.1:${webPort}/`,
      pageWsUrl: `ws://127.0.0.1:${webPort}/ws`,
      pids: () => children.filter((c) => !c.done).map((c) => c.pid),
      async killServer(appId, signal = 'SIGTERM') {
        const c = serverChildren.get(appId);
        if (!c) throw new Error(`no server ${appId}`);
        return stopChild(c, signal, 15_000);
      },
      async startServer(appId) {
        const s = servers.find((x) => x.appId === appId);
        if (!s) throw new Error(`no server ${appId}`);
        const old = serverChildren.get(appId);
        if (old && !old.done) throw new Error(`server ${appId} is still running (pid ${old.pid})`);
        await startServerProcess(s);
        log(`server APPID=${s.appId} pid=${s.pid} port=${s.port} log=${s.logFile}`);
        await waitForHaproxy((st) => st[appId] === 'UP');
        return s;
      },
      ha: redisHa,
      async stopRedis() {
        if (redisHa) throw new Error('stopRedis: not with redisHa (use cluster.ha.signalNode)');
        if (redis) await stopChild(redis, 'SIGTERM', 5000);
      },
      async startRedis() {
        if (redisHa) throw new Error('startRedis: not with redisHa (use cluster.ha.startNode)');
        if (redis && !redis.done) return;
        await startRedis();
      },
      waitForHaproxy,
      stop: stopAll,
    };
    return cluster;
  } catch (err) {
    stopping = true;
    await Promise.all(children.map((c) => stopChild(c, 'SIGKILL', 2000)));
    process.off('exit', killOnExit);
    if (ownRunDir && !opts.keepRunDir) rmSync(runDir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * True once Redis answers PING with PONG (not LOADING while it replays the AOF). With a password it
 * logs in first (AUTH works while loading; nothing runs before it: redis/users.acl.template).
 */
async function redisPing(port: number, password: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    const replies = 2;
    s.setTimeout(1000, () => { s.destroy(); resolve(false); });
    s.once('connect', () => s.write(`AUTH ${REDIS_USER} ${password}\r\nPING\r\n`));
    s.on('data', (d) => {
      buf += d.toString();
      const lines = buf.split('\r\n');
      if (lines.length > replies) { s.destroy(); resolve(lines[replies - 1].startsWith('+PONG')); }
    });
    s.once('error', () => resolve(false));
  });
}

/** The servers' user's refused commands, keys and channels in Redis's ACL LOG (failed logins aside). */
async function aclDenials(adminUrl: string): Promise<string[]> {
  // RESP2: each entry a flat [field, value, …] array.
  const admin = createClient({ url: adminUrl, RESP: 2, socket: { reconnectStrategy: false, connectTimeout: 2000 } });
  admin.on('error', () => {});
  await admin.connect();
  try {
    const entries = await admin.sendCommand<unknown[]>(['ACL', 'LOG', '1000']);
    return entries.map((e) => {
      const f = e as unknown[];
      const get = (k: string) => String(f[f.indexOf(k) + 1] ?? '');
      return { user: get('username'), reason: get('reason'), object: get('object'), count: get('count') };
    }).filter((e) => e.user === REDIS_USER && e.reason !== 'auth').map((e) => `${e.reason} ${e.object} (x${e.count})`);
  } finally {
    admin.destroy();
  }
}

async function httpStatus(port: number, path: string): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}
const httpOk = async (port: number, path: string) => (await httpStatus(port, path)) === 200;

/**
 * Attachments in the native cluster, as in compose: by default the `local` driver, nginx keeping
 * the files in the run dir and the servers reaching it on the page port, with a secret made for this
 * run; FILES=s3 (with S3_ENDPOINT, S3_BUCKET, …) proxies nginx's /s3/ to the endpoint; FILES=off none.
 */
function filesSetup(env: NodeJS.ProcessEnv, webPort: number): { serverEnv: Record<string, string>; nginx: NginxFilesOptions } {
  const maxBytes = env.FILES_MAX_BYTES ? Number(env.FILES_MAX_BYTES) : undefined;
  const driver = env.FILES || 'local';
  if (driver === 's3') {
    const endpoint = new URL(env.S3_ENDPOINT || 'http://127.0.0.1:9000');
    return { serverEnv: {}, nginx: { driver: 's3', s3Upstream: endpoint.host, maxBytes } };
  }
  if (driver !== 'local') return { serverEnv: {}, nginx: { driver: 'off' } };
  const secret = env.FILES_SECRET || randomBytes(24).toString('base64url');
  return {
    serverEnv: { FILES: 'local', FILES_SECRET: secret, FILES_ORIGIN: `http://127.0.0.1:${webPort}` },
    nginx: { driver: 'local', secret, maxBytes },
  };
}
