/**
 * Derives the native configs from the files compose uses, so the two cannot drift:
 * haproxy/haproxy.cfg (minus Docker DNS, plus one `server` line per node), the nginx template
 * chat-front/nginx/default.conf.template (rendered like the nginx image's envsubst, wrapped in a
 * minimal main config that keeps every path in the run dir), and redis/redis.conf (used as is, with
 * command-line overrides).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this module holding haproxy/haproxy.cfg. */
export function repoRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'haproxy/haproxy.cfg')) && existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the livechat repository above ${from}`);
  }
}

export interface HaproxyServer { name: string; port: number }

/** HAProxy server name of a native node, and back (stats rows are named like this). */
export const serverName = (appId: string) => `ws-${appId}`;
export const appIdOf = (svname: string) => svname.replace(/^ws-/, '');

/**
 * The native HAProxy config: the shared file with its `resolvers docker` section removed and its
 * `server-template` line replaced by explicit servers on 127.0.0.1. Throws if the file no longer has
 * the shape this relies on (so a config change cannot silently break the native cluster).
 */
export function renderHaproxyConfig(source: string, servers: HaproxyServer[]): string {
  const out: string[] = [];
  let inResolvers = false;
  let replaced = 0;
  for (const line of source.split('\n')) {
    // Section headers start in column 0; comments and conditional blocks (`.if`/`.endif`) do not count.
    const isHeader = /^\S/.test(line) && !line.startsWith('#') && !line.startsWith('.');
    if (isHeader) inResolvers = /^resolvers\s+docker\b/.test(line);
    if (inResolvers) continue;
    const template = /^(\s*)server-template\s/.exec(line);
    if (template) {
      replaced++;
      for (const s of servers) out.push(`${template[1]}server ${s.name} 127.0.0.1:${s.port} check`);
      continue;
    }
    out.push(line);
  }
  if (replaced !== 1) throw new Error(`haproxy.cfg: expected exactly one server-template line, found ${replaced}`);
  return out.join('\n');
}

/**
 * Substitutes `${NAME}` for the given names only, like the nginx image's envsubst with a list of
 * defined variables: nginx's own `$vars` stay. Throws on a `${NAME}` left without a value.
 */
export function renderTemplate(template: string, vars: Record<string, string>): string {
  const text = template.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (whole, name: string) => vars[name] ?? whole);
  const left = /\$\{([A-Z_][A-Z0-9_]*)\}/.exec(text.split('\n').filter((l) => !l.trim().startsWith('#')).join('\n'));
  if (left) throw new Error(`nginx template: no value for \${${left[1]}}`);
  return text;
}

/** The hard limit on open files of this process (what every child may raise its soft limit to). */
export function fdHardLimit(): number {
  const raw = execFileSync('/bin/sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  return raw === 'unlimited' ? Infinity : Number(raw) || 1024;
}

/**
 * HAProxy's maxconn under a hard fd limit: it needs about two fds per connection (client side and
 * server side) and refuses to start when maxconn cannot fit the limit, so 1000 fds are kept spare
 * and the rest halved, within 100..50000. haproxy/start.sh applies the same rule in compose.
 */
export function haproxyMaxconn(hard = fdHardLimit()): number {
  return Math.max(100, Math.min(50_000, Math.floor((hard - 1000) / 2)));
}

/**
 * nginx sized for the same clients as HAProxy under the same fd limit: every proxied WebSocket is
 * two connections (browser side, HAProxy side), plus 500 for page requests; each worker may take
 * them all (nginx does not spread connections evenly). chat-front/nginx/40-livechat-limits.sh
 * applies the same rule in the front image.
 */
export function nginxLimits(hard = fdHardLimit()): { workerConnections: number; rlimitNofile: number } {
  const clients = haproxyMaxconn(hard);
  return { workerConnections: 2 * clients + 500, rlimitNofile: Math.min(hard, 2 * clients + 1000) };
}

export interface NginxPaths {
  runDir: string; siteConf: string; asRoot: boolean;
  /** fd hard limit to size workers for (default: this process's). */
  fdHard?: number;
}

/** A minimal main nginx.conf: foreground, pid, logs and temp files in the run dir, nothing from /etc but mime.types. */
export function nginxMainConfig({ runDir, siteConf, asRoot, fdHard }: NginxPaths): string {
  const limits = nginxLimits(fdHard);
  const mime = existsSync('/etc/nginx/mime.types')
    ? 'include /etc/nginx/mime.types;'
    : 'types { text/html html; text/css css; application/javascript js mjs; application/json json map; image/svg+xml svg; image/png png; image/x-icon ico; }';
  const tmp = (n: string) => join(runDir, 'nginx-tmp', n);
  return [
    '# Generated by scripts/lib/cluster.ts; the site itself is chat-front/nginx/default.conf.template.',
    'daemon off;',
    'worker_processes 2;',
    `pid ${join(runDir, 'nginx.pid')};`,
    `error_log ${join(runDir, 'nginx-error.log')} warn;`,
    // As root the workers drop to nobody; as a user nginx cannot switch and must not be asked to.
    ...(asRoot ? [`user nobody ${nobodyGroup()};`] : []),
    // Sized like HAProxy's maxconn (see nginxLimits); as a user it cannot pass the hard limit, and does not.
    `worker_rlimit_nofile ${limits.rlimitNofile};`,
    `events { worker_connections ${limits.workerConnections}; }`,
    'http {',
    `    ${mime}`,
    '    default_type application/octet-stream;',
    '    access_log off;',
    '    sendfile on;',
    `    client_body_temp_path ${tmp('client')};`,
    `    proxy_temp_path ${tmp('proxy')};`,
    `    fastcgi_temp_path ${tmp('fastcgi')};`,
    `    uwsgi_temp_path ${tmp('uwsgi')};`,
    `    scgi_temp_path ${tmp('scgi')};`,
    `    include ${siteConf};`,
    '}',
    '',
  ].join('\n');
}

function nobodyGroup(): string {
  try {
    return /^nogroup:/m.test(readFileSync('/etc/group', 'utf8')) ? 'nogroup' : 'nobody';
  } catch {
    return 'nobody';
  }
}

export const readRepoFile = (root: string, rel: string) => readFileSync(join(root, rel), 'utf8');

/** The Redis user the servers log in as (least privilege: redis/users.acl.template). */
export const REDIS_USER = 'livechat';
/** The operators' Redis user (every right). */
export const REDIS_ADMIN_USER = 'admin';

/**
 * redis/users.acl.template rendered for the servers' `password` and the operators' `adminPassword`
 * (each stored as its SHA-256, never in clear), comment lines dropped (Redis ACL files have none).
 * redis/init-secrets.sh renders the same file in compose and Swarm.
 */
export function renderRedisAcl(template: string, password: string, adminPassword: string): string {
  const sha = (p: string) => createHash('sha256').update(p).digest('hex');
  if (!password || !adminPassword) throw new Error('redis ACL: both passwords are required');
  return renderTemplate(template.split('\n').filter((l) => !l.startsWith('#')).join('\n'), {
    REDIS_USER, REDIS_PASSWORD_SHA256: sha(password), REDIS_ADMIN_USER, REDIS_ADMIN_PASSWORD_SHA256: sha(adminPassword),
  });
}
