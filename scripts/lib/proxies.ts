/**
 * The native runner's HAProxy and nginx: configs rendered from the shared files (configs.ts), each
 * started as a logged child in the run dir. The cluster (cluster.ts) puts them in front of its node
 * servers; tests put them in front of any backend (test/helpers/proxy-stack.ts) to check what the
 * configs themselves do.
 *
 * Ports: `lbPort` is HAProxy's public frontend (direct WebSocket clients), `pagePort` its frontend
 * for nginx only (bound to 127.0.0.1; it believes the X-Forwarded-For nginx sets), `statsPort` the
 * stats page (127.0.0.1 only), `webPort` nginx (the page, and /ws proxied to `pagePort`).
 */
import { cpSync, existsSync, mkdirSync, chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { haproxyMaxconn, nginxMainConfig, readRepoFile, renderHaproxyConfig, renderTemplate, type HaproxyServer } from './configs.js';
import { canConnect, lastLines, spawnLogged, START_TIMEOUT_MS, until, type Child } from './procs.js';

/** Settings of haproxy.cfg a user may set in the runner's environment (the rest are the runner's). */
export const HAPROXY_USER_ENV = ['LC_MAX_CONN_RATE', 'LC_MAX_CONN_PER_IP', 'LC_WS_PATH', 'LC_LOAD_TEST'] as const;

export const DEFAULT_MAX_CONN_PER_IP = 50;

/** nginx's `limit_conn` takes at most this many (a larger LC_MAX_CONN_PER_IP would stop nginx at start). */
export const NGINX_LIMIT_CONN_MAX = 65535;

/**
 * nginx's concurrent requests per address: LC_MAX_CONN_PER_IP within what limit_conn takes, and its
 * largest with LC_LOAD_TEST=1 (more than one address could open through nginx's fd limit: no limit).
 * The same rule as chat-front/nginx/14-livechat-load-test.envsh in the image.
 */
export function nginxConnPerIp(maxConnPerIp: number | string, loadTest: boolean): number {
  if (loadTest) return NGINX_LIMIT_CONN_MAX;
  const n = Number(maxConnPerIp);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, NGINX_LIMIT_CONN_MAX) : DEFAULT_MAX_CONN_PER_IP;
}

export interface HaproxyOptions {
  root: string; runDir: string; servers: HaproxyServer[];
  lbPort: number; pagePort: number; statsPort: number;
  checkInterMs?: number;
  /** Overrides for HAProxy's LC_* variables (default: HAPROXY_USER_ENV from this process's env). */
  env?: Record<string, string>;
  haproxyBin: string; baseEnv: NodeJS.ProcessEnv;
  /** The runner's bookkeeping for every child (watch); called as soon as it is spawned. */
  track: (c: Child) => Child;
  /** Why waiting for the child is pointless (it exited), or null. */
  dead: (c: Child) => () => string | null;
}

/** HAProxy's LC_* settings from the user: this process's env, then explicit overrides. */
export function haproxyUserEnv(overrides?: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of HAPROXY_USER_ENV) if (process.env[k]) env[k] = process.env[k] as string;
  return { ...env, ...overrides };
}

/** Renders haproxy.cfg for `servers` into the run dir, starts HAProxy and waits for its public port. */
export async function startHaproxy(o: HaproxyOptions): Promise<{ child: Child; socketPath: string; env: Record<string, string> }> {
  const socketPath = join(o.runDir, 'haproxy.sock');
  const cfg = join(o.runDir, 'haproxy.cfg');
  writeFileSync(cfg, renderHaproxyConfig(readRepoFile(o.root, 'haproxy/haproxy.cfg'), o.servers));
  const env = {
    LC_LB_BIND: `:${o.lbPort}`, LC_PAGE_BIND: `127.0.0.1:${o.pagePort}`, LC_STATS_BIND: `127.0.0.1:${o.statsPort}`,
    LC_STATS_SOCKET: socketPath, LC_CHECK_INTER: `${o.checkInterMs ?? 2000}ms`, LC_MAXCONN: String(haproxyMaxconn()),
    ...haproxyUserEnv(o.env),
  };
  const child = o.track(spawnLogged('haproxy', o.haproxyBin, ['-f', cfg, '-db'], join(o.runDir, 'haproxy.log'), { ...o.baseEnv, ...env }, o.runDir));
  await until(`haproxy on port ${o.lbPort}`, () => canConnect(o.lbPort), START_TIMEOUT_MS, o.dead(child));
  await until(`haproxy page frontend on port ${o.pagePort}`, () => canConnect(o.pagePort), START_TIMEOUT_MS, o.dead(child));
  return { child, socketPath, env };
}

export interface NginxOptions {
  root: string; runDir: string; webPort: number;
  /** HAProxy's frontend for nginx. */
  pagePort: number;
  /** limit_conn per client address (default: HAProxy's LC_MAX_CONN_PER_IP, else 50). */
  maxConnPerIp?: number | string;
  /** LC_LOAD_TEST=1: no per-address limit (default: this process's env). */
  loadTest?: boolean;
  asRoot: boolean; nginxBin: string; baseEnv: NodeJS.ProcessEnv;
  track: (c: Child) => Child;
  dead: (c: Child) => () => string | null;
  log?: (line: string) => void;
  /** Attachments' locations (chat-front/nginx/files-*.conf.template); default: none (files-off). */
  files?: NginxFilesOptions;
}

/**
 * What nginx does for attachments: `local` keeps the files in `dir` and checks signatures with
 * `secret` (the servers' FILES_SECRET; FILES_ORIGIN is then this nginx); `s3` proxies /s3/ to
 * `s3Upstream` (host:port) with `s3Host` as Host (default: the upstream). `maxBytes`: the servers'
 * FILES_MAX_BYTES (default 10 MiB).
 */
export interface NginxFilesOptions {
  driver: 'local' | 's3' | 'off';
  secret?: string;
  /** Default: `files` in the run dir (created, writable by nginx's workers). */
  dir?: string;
  maxBytes?: number;
  s3Upstream?: string;
  s3Host?: string;
}

/** Renders the files conf for `o` into the run dir; returns its path (the site's ${FILES_CONF}). */
export function renderFilesConf(root: string, runDir: string, o: NginxFilesOptions = { driver: 'off' }, asRoot = false): string {
  const out = join(runDir, 'nginx-files.conf');
  const maxBytes = String(o.maxBytes ?? 10 * 1024 * 1024);
  let vars: Record<string, string> = {};
  if (o.driver === 'local') {
    if (!o.secret) throw new Error('nginx files: driver local needs a secret (FILES_SECRET)');
    const dir = o.dir ?? join(runDir, 'files');
    mkdirSync(dir, { recursive: true, mode: 0o777 });
    // As root nginx's workers run as nobody: they write there, and must reach it through the run dir.
    if (asRoot) { chmodSync(dir, 0o777); chmodSync(runDir, 0o755); }
    vars = { FILES_SECRET: o.secret, FILES_DIR: dir, FILES_MAX_BYTES: maxBytes };
  } else if (o.driver === 's3') {
    if (!o.s3Upstream) throw new Error('nginx files: driver s3 needs s3Upstream (host:port)');
    vars = { S3_UPSTREAM: o.s3Upstream, S3_HOST: o.s3Host ?? o.s3Upstream, FILES_MAX_BYTES: maxBytes };
  }
  writeFileSync(out, renderTemplate(readRepoFile(root, `chat-front/nginx/files-${o.driver}.conf.template`), vars));
  return out;
}

/** Renders the site template and a main config into the run dir, starts nginx and waits until it answers. */
export async function startNginx(o: NginxOptions): Promise<Child> {
  const site = join(o.runDir, 'nginx-site.conf');
  const mainConf = join(o.runDir, 'nginx.conf');
  const built = join(o.root, 'chat-front/dist');
  if (!existsSync(join(built, 'index.html'))) o.log?.(`warning: ${built}/index.html missing (run node scripts/build.mjs)`);
  // Served from a copy in the run dir: as root nginx's workers run as nobody, who cannot read a
  // checkout under a private directory (a 0700 home or mktemp -d); the run dir is made readable.
  const webRoot = join(o.runDir, 'www');
  if (existsSync(built)) cpSync(built, webRoot, { recursive: true });
  else mkdirSync(webRoot, { recursive: true });
  const perIp = String(nginxConnPerIp(o.maxConnPerIp ?? haproxyUserEnv().LC_MAX_CONN_PER_IP ?? DEFAULT_MAX_CONN_PER_IP,
    o.loadTest ?? haproxyUserEnv().LC_LOAD_TEST === '1'));
  writeFileSync(site, renderTemplate(readRepoFile(o.root, 'chat-front/nginx/default.conf.template'),
    { WEB_PORT: String(o.webPort), WEB_ROOT: webRoot, LB_UPSTREAM: `127.0.0.1:${o.pagePort}`, LC_MAX_CONN_PER_IP: perIp,
      FILES_CONF: renderFilesConf(o.root, o.runDir, o.files, o.asRoot) }));
  for (const t of ['client', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(o.runDir, 'nginx-tmp', t), { recursive: true, mode: 0o777 });
  if (o.asRoot) chmodSync(join(o.runDir, 'nginx-tmp'), 0o777);
  writeFileSync(mainConf, nginxMainConfig({ runDir: o.runDir, siteConf: site, asRoot: o.asRoot }));
  const child = o.track(spawnLogged('nginx', o.nginxBin, ['-p', o.runDir, '-c', mainConf, '-e', join(o.runDir, 'nginx-error.log')],
    join(o.runDir, 'nginx.log'), o.baseEnv, o.runDir));
  try {
    await until(`nginx on port ${o.webPort}`, () => httpAnswers(o.webPort, '/'), START_TIMEOUT_MS, o.dead(child));
  } catch (err) {
    // The run dir goes with a failed start: say what nginx itself said.
    throw new Error(`${(err as Error).message}\nnginx-error.log:\n${lastLines(join(o.runDir, 'nginx-error.log'))}`);
  }
  return child;
}

async function httpAnswers(port: number, path: string): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status > 0;
  } catch {
    return false;
  }
}
