/**
 * docker-compose.yml, checked statically (no Docker engine needed): Debian's docker-compose accepts it,
 * and it describes the topology of docs/topology.md — services, healthchecks, replicas, ports,
 * start order, AOF, and no host ports on the ws servers — and issue 13's hardening: generated
 * passwords (Redis ACL user, stats page), internals on no public port, limits per client address,
 * and fd limits that start on a host whose hard limit is 20000; attachments (issue 22): the files
 * settings and volume, FILES_SECRET generated and never in a file, and docker-compose.s3.yml's MinIO.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findBinary } from '../../scripts/lib/procs.js';

const compose = parse(readFileSync('docker-compose.yml', 'utf8'));
const svc = compose.services;
/** Host side of each published port: [host address or '', host port]. */
const published = (s: { ports?: string[] }) => (s.ports ?? []).map((p) => {
  const parts = String(p).split(':');
  return parts.length === 3 ? [parts[0], parts[1]] : ['', parts[0]];
});
const hostPorts = (s: { ports?: string[] }) => published(s).map(([, port]) => port);
/** The file as docker-compose resolves it (variables substituted) with `env` set. */
const resolved = (env: Record<string, string> = {}) => {
  const bin = findBinary('docker-compose', 'docker-compose');
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(LC_|REDIS_MAXMEMORY|FILES|S3_)/.test(k)));
  return parse(execFileSync(bin, ['--profile', 'loadtest', 'config'], { encoding: 'utf8', env: { ...clean, ...env } })).services;
};

describe('docker-compose.yml', () => {
  it('passes `docker-compose config -q` (with and without the loadtest profile, and with docker-compose.s3.yml)', () => {
    const bin = findBinary('docker-compose', 'docker-compose');
    execFileSync(bin, ['config', '-q'], { stdio: 'pipe' });
    execFileSync(bin, ['--profile', 'loadtest', 'config', '-q'], { stdio: 'pipe' });
    execFileSync(bin, ['-f', 'docker-compose.yml', '-f', 'docker-compose.s3.yml', 'config', '-q'], { stdio: 'pipe' });
  });

  it('passes the one load-test switch, LC_LOAD_TEST (default 0), to the servers, HAProxy and nginx, in compose and in Swarm', () => {
    const stack = parse(readFileSync('docker-stack.yml', 'utf8'));
    for (const file of [compose, stack]) {
      for (const svc of ['ws', 'haproxy', 'front']) expect(file.services[svc].environment.LC_LOAD_TEST, svc).toBe('${LC_LOAD_TEST:-0}');
    }
  });

  it('has redis, ws, haproxy and front, each with a healthcheck', () => {
    expect(svc.haproxy.healthcheck.test.join(' ')).toContain('http://127.0.0.1:8081/healthz');
    for (const name of ['redis', 'ws', 'haproxy', 'front']) {
      expect(svc[name], name).toBeDefined();
      expect(svc[name].healthcheck?.test, `${name} healthcheck`).toBeDefined();
    }
    // Nothing runs on Redis before AUTH: its check logs in as the servers do and wants PONG.
    expect(svc.redis.healthcheck.test.join(' ')).toMatch(/\. \/run\/livechat\/ws\.env && redis-cli -u "\$\$REDIS_URL" -h 127\.0\.0\.1 .*ping \| grep -qx PONG/);
    expect(svc.ws.healthcheck.test.join(' ')).toContain('/healthz');
  });

  it('runs 4 ws replicas with no container_name, no host ports and no fixed APPID', () => {
    expect(svc.ws.deploy.replicas).toBe(4);
    expect(svc.ws.container_name).toBeUndefined();
    expect(svc.ws.ports).toBeUndefined();
    expect(svc.ws.environment?.APPID).toBeUndefined();
    expect(svc.ws.build.dockerfile).toBe('Dockerfile.back');
    expect(svc.ws.stop_grace_period).toMatch(/^1[0-9]s$/);
  });

  it('publishes the page on 8000 and HAProxy on 8080, the stats page on the host\'s loopback only, nothing else', () => {
    expect(published(svc.front)).toEqual([['', '8000']]);
    expect(published(svc.haproxy)).toEqual([['', '8080'], ['127.0.0.1', '8404']]);
    for (const name of ['redis', 'ws', 'secrets']) expect(svc[name].ports, name).toBeUndefined();
    expect(svc.front.build.dockerfile).toBe('Dockerfile.front');
    // Named images: Swarm (docker-stack.yml) deploys these same tags.
    expect(svc.ws.image).toBe('livechat-ws:local');
    expect(svc.front.image).toBe('livechat-front:local');
  });

  it('HAProxy: public frontend, a frontend for nginx only (never published), stats behind the generated password', () => {
    const env = svc.haproxy.environment;
    expect(env.LC_LB_BIND).toBe(':8080');
    expect(env.LC_PAGE_BIND).toBe(':8081');
    expect(env.LC_STATS_BIND).toBe(':8404');
    expect(hostPorts(svc.haproxy)).not.toContain('8081');
    // nginx goes to the frontend that believes its X-Forwarded-For, not the public one.
    expect(svc.front.environment.LB_UPSTREAM).toBe('haproxy:8081');
    expect(readFileSync('Dockerfile.front', 'utf8')).toMatch(/LB_UPSTREAM=haproxy:8081/);
    // start.sh reads the stats password from the secrets volume and fits maxconn to the fd limit.
    expect(svc.haproxy.entrypoint).toEqual(['/bin/sh', '/usr/local/etc/haproxy/start.sh']);
    expect(svc.haproxy.volumes).toEqual(expect.arrayContaining(['./haproxy/start.sh:/usr/local/etc/haproxy/start.sh:ro', 'secrets:/run/livechat:ro']));
    expect(env.LC_MAXCONN).toBeUndefined();
    const start = readFileSync('haproxy/start.sh', 'utf8');
    expect(start).toContain('haproxy.env');
    expect(start).toMatch(/exec haproxy -W -db -f/);
  });

  it('limits per client address are settings passed to HAProxy and nginx, with defaults', () => {
    expect(svc.haproxy.environment.LC_MAX_CONN_PER_IP).toBe('${LC_MAX_CONN_PER_IP:-50}');
    expect(svc.haproxy.environment.LC_MAX_CONN_RATE).toBe('${LC_MAX_CONN_RATE:-100000}');
    expect(svc.front.environment.LC_MAX_CONN_PER_IP).toBe('${LC_MAX_CONN_PER_IP:-50}');
    const r = resolved();
    expect(r.haproxy.environment.LC_MAX_CONN_PER_IP).toBe('50');
    expect(r.front.environment.LC_MAX_CONN_PER_IP).toBe('50');
    expect(resolved({ LC_MAX_CONN_PER_IP: '100000' }).haproxy.environment.LC_MAX_CONN_PER_IP).toBe('100000');
  });

  it('fd limits are one setting whose default starts on a host with a hard limit of 20000', () => {
    const withLimits = ['ws', 'haproxy', 'front', 'loadtest'];
    for (const name of withLimits) expect(svc[name].ulimits.nofile, name).toEqual({ soft: '${LC_NOFILE:-16384}', hard: '${LC_NOFILE:-16384}' });
    const r = resolved();
    for (const [name, s] of Object.entries(r) as Array<[string, { ulimits?: { nofile?: { soft: number; hard: number } } }]>) {
      const n = s.ulimits?.nofile;
      if (!n) continue;
      expect(n.hard, name).toBeLessThanOrEqual(20_000);
      expect(n.soft, name).toBeLessThanOrEqual(n.hard);
    }
    expect(resolved({ LC_NOFILE: '200000' }).haproxy.ulimits.nofile).toEqual({ soft: 200_000, hard: 200_000 });
    expect(readFileSync('README.md', 'utf8')).toMatch(/LC_NOFILE=\d+/);
  });

  it('generates passwords once with a one-shot service that the others wait for', () => {
    expect(svc.secrets.restart).toBe('no');
    expect(svc.secrets.entrypoint).toEqual(['/bin/sh', '/livechat/init-secrets.sh']);
    expect(svc.secrets.volumes).toEqual(expect.arrayContaining(['./redis/init-secrets.sh:/livechat/init-secrets.sh:ro',
      './redis/users.acl.template:/livechat/users.acl.template:ro', 'secrets:/run/livechat']));
    expect(Object.keys(compose.volumes)).toContain('secrets');
    for (const name of ['redis', 'ws', 'haproxy', 'front']) {
      expect(svc[name].depends_on.secrets?.condition, name).toBe('service_completed_successfully');
      expect(svc[name].volumes, name).toContain('secrets:/run/livechat:ro');
    }
  });

  it('attachments: FILES and FILES_MAX_BYTES are settings; FILES_SECRET is generated, read at start, in no file of the repo', () => {
    expect(svc.ws.environment.FILES).toBe('${FILES:-local}');
    expect(svc.ws.environment.FILES_ORIGIN).toBe('http://front:8000');
    for (const name of ['ws', 'front']) expect(svc[name].environment.FILES_MAX_BYTES, name).toBe('${FILES_MAX_BYTES:-10485760}');
    expect(resolved().ws.environment.FILES).toBe('local');
    expect(resolved({ FILES_MAX_BYTES: '1048576' }).front.environment.FILES_MAX_BYTES).toBe('1048576');
    // No secret in a compose file, a stack file or an image: generated into the secrets volume.
    for (const f of ['docker-compose.yml', 'docker-compose.s3.yml', 'docker-stack.yml', 'Dockerfile.front', 'Dockerfile.back']) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/FILES_SECRET\s*[:=]/);
      expect(text, f).not.toMatch(/(S3_SECRET_ACCESS_KEY|MINIO_ROOT_PASSWORD|MINIO_SECRET_KEY)\s*[:=]/);
    }
    const init = readFileSync('redis/init-secrets.sh', 'utf8');
    expect(init).toContain("'export FILES_SECRET=%s\\n'");
    expect(init).toMatch(/export S3_SECRET_ACCESS_KEY=%s.*export MINIO_ROOT_PASSWORD=%s/);
    const start = readFileSync('scripts/docker/ws-start.sh', 'utf8');
    expect(start).toContain('${LC_FILES_ENV:-/run/livechat/files.env}');
    expect(start).toContain('${LC_S3_ENV:-/run/livechat/s3.env}');
    const envsh = readFileSync('chat-front/nginx/15-livechat-files.envsh', 'utf8');
    expect(envsh).toContain('${LC_FILES_ENV:-/run/livechat/files.env}');
    expect(envsh).toMatch(/export FILES_SECRET/);
    expect(envsh).toMatch(/chown nginx:nginx/);
  });

  it('attachments (local driver): nginx writes the files volume and includes only the files conf FILES_CONF names', () => {
    const env = svc.front.environment;
    expect(env.FILES_DIR).toBe('/var/lib/livechat/files');
    expect(svc.front.volumes).toContain(`files:${env.FILES_DIR}`);
    expect(Object.keys(compose.volumes)).toContain('files');
    // Rendered into a subfolder of conf.d: the main config's `include /etc/nginx/conf.d/*.conf` does not reach it.
    expect(env.FILES_CONF).toBe('/etc/nginx/conf.d/files/files-${FILES:-local}.conf');
    expect(resolved().front.environment.FILES_CONF).toBe('/etc/nginx/conf.d/files/files-local.conf');
    expect(resolved({ FILES: 'off' }).front.environment.FILES_CONF).toBe('/etc/nginx/conf.d/files/files-off.conf');
    expect(readFileSync('chat-front/nginx/40-livechat-limits.sh', 'utf8')).toMatch(/^\s*include \/etc\/nginx\/conf\.d\/\*\.conf;$/m);
    expect(readFileSync('Dockerfile.front', 'utf8')).toMatch(/^COPY chat-front\/nginx\/files-local\.conf\.template chat-front\/nginx\/files-s3\.conf\.template chat-front\/nginx\/files-off\.conf\.template \\\n\s+\/etc\/nginx\/templates\/files\/$/m);
    // The server block includes it.
    expect(readFileSync('chat-front/nginx/default.conf.template', 'utf8')).toMatch(/^\s*include \$\{FILES_CONF\};$/m);
  });

  it('Redis: an ACL user with the generated password, maxmemory as a setting; the servers get both in REDIS_URL', () => {
    expect(svc.redis.command).toEqual(['redis-server', '/usr/local/etc/redis/redis.conf', '--aclfile', '/run/livechat/users.acl',
      '--maxmemory', '${REDIS_MAXMEMORY:-256mb}']);
    expect(resolved().redis.command.at(-1)).toBe('256mb');
    // No password in the compose file: the servers read REDIS_URL from the generated ws.env, then exec
    // node (scripts/docker/ws-start.sh, which also names the server after its replica).
    expect(svc.ws.environment.REDIS_URL).toBeUndefined();
    expect(svc.ws.command).toEqual(['sh', '/app/docker/ws-start.sh']);
    const start = readFileSync('scripts/docker/ws-start.sh', 'utf8');
    expect(start).toContain('${LC_WS_ENV:-/run/livechat/ws.env}');
    expect(start).toMatch(/^exec node dist\/server\.js "\$@"$/m);
    expect(readFileSync('Dockerfile.back', 'utf8')).toMatch(/^COPY --from=build \/app\/scripts\/docker\/ws-start\.sh \/app\/scripts\/docker\/replica-name\.mjs \.\/docker\/$/m);
    expect(readFileSync('redis/init-secrets.sh', 'utf8')).toContain('REDIS_URL=redis://%s:%s@%s');
    const acl = readFileSync('redis/users.acl.template', 'utf8');
    expect(acl).toMatch(/^user default off ~\* &\* \+@all$/m);
    // The servers' user: least privilege (test/static/redis-acl.test.ts checks the list against app/src);
    // the operators' user: every right, its password in redis-admin.env, which no service reads.
    expect(acl).toMatch(/^user \$\{REDIS_USER\} on #\$\{REDIS_PASSWORD_SHA256\} resetkeys ~lc:\* resetchannels &livechat &livechat:srv:\* -@all( \+[a-z|]+)+$/m);
    expect(acl).toMatch(/^user \$\{REDIS_ADMIN_USER\} on #\$\{REDIS_ADMIN_PASSWORD_SHA256\} ~\* &\* \+@all$/m);
    expect(readFileSync('redis/init-secrets.sh', 'utf8')).toContain('REDIS_ADMIN_URL=redis://%s:%s@%s');
    const conf = readFileSync('redis/redis.conf', 'utf8');
    expect(conf).toMatch(/^maxmemory \d+[kmg]b$/m);
    expect(conf).toMatch(/^maxmemory-policy noeviction$/m);
    expect(conf).not.toMatch(/^(requirepass|user) /m);
  });

  it('starts in order: redis healthy -> ws healthy -> haproxy healthy -> front', () => {
    expect(svc.ws.depends_on.redis.condition).toBe('service_healthy');
    expect(svc.haproxy.depends_on.ws.condition).toBe('service_healthy');
    expect(svc.front.depends_on.haproxy.condition).toBe('service_healthy');
  });

  it('mounts the one haproxy.cfg and the one redis.conf, and keeps Redis data (AOF) on a named volume', () => {
    expect(svc.haproxy.volumes.join(' ')).toContain('./haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg');
    expect(svc.redis.volumes.join(' ')).toContain('./redis/redis.conf:');
    const dataVolume = svc.redis.volumes.find((v: string) => v.endsWith(':/data')).split(':')[0];
    expect(Object.keys(compose.volumes)).toContain(dataVolume);
    const conf = readFileSync('redis/redis.conf', 'utf8');
    expect(conf).toMatch(/^appendonly yes$/m);
    expect(conf).toMatch(/^client-output-buffer-limit pubsub \S+ \S+ \d+$/m);
  });

  it('docker-compose.s3.yml: MinIO (pinned, healthchecked, no published port, keys from the secrets volume); servers on s3, nginx on the /s3/ proxy', () => {
    const s3 = parse(readFileSync('docker-compose.s3.yml', 'utf8'));
    const minio = s3.services.minio;
    expect(minio.image).toMatch(/^minio\/minio:RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
    // base-images.sh builds the stand-in under the same tag.
    expect(readFileSync('scripts/docker/base-images.sh', 'utf8')).toContain(`MINIO_IMAGE=${minio.image}\n`);
    expect(minio.command.slice(0, 2)).toEqual(['server', '/data']);
    expect(minio.ports).toBeUndefined();
    expect(minio.healthcheck.test.join(' ')).toContain('/minio/health/live');
    expect(minio.environment.MINIO_CONFIG_ENV_FILE).toBe('/run/livechat/s3.env');
    expect(minio.volumes).toEqual(expect.arrayContaining(['secrets:/run/livechat:ro', 'minio-data:/data']));
    expect(minio.depends_on.secrets.condition).toBe('service_completed_successfully');
    expect(Object.keys(s3.volumes)).toEqual(['minio-data']);
    const ws = s3.services.ws.environment;
    expect(ws).toMatchObject({ FILES: 's3', S3_ENDPOINT: 'http://minio:9000', S3_FORCE_PATH_STYLE: 'true', S3_PUBLIC_URL: '/s3' });
    expect(ws.S3_BUCKET).toMatch(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/);
    expect(ws.S3_ACCESS_KEY_ID).toBeUndefined();
    expect(s3.services.ws.depends_on.minio.condition).toBe('service_healthy');
    const front = s3.services.front.environment;
    expect(front.FILES_CONF).toBe('/etc/nginx/conf.d/files/files-s3.conf');
    // nginx passes presigned requests on with the Host they were signed for.
    expect(front.S3_UPSTREAM).toBe(new URL(ws.S3_ENDPOINT).host);
    expect(front.S3_HOST).toBe(new URL(ws.S3_ENDPOINT).host);
    // Every service of the merged file has a healthcheck (the one-shot secrets service and loadtest aside).
    const bin = findBinary('docker-compose', 'docker-compose');
    const merged = parse(execFileSync(bin, ['-f', 'docker-compose.yml', '-f', 'docker-compose.s3.yml', 'config'], { encoding: 'utf8' })).services;
    for (const [name, s] of Object.entries(merged) as Array<[string, { healthcheck?: { test?: unknown } }]>) {
      if (name !== 'secrets') expect(s.healthcheck?.test, name).toBeDefined();
    }
    expect(merged.ws.environment.FILES).toBe('s3');
  });

  it('the minio stand-in runs the s3rver version the repo tests with', () => {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
    const version = lock.packages['node_modules/s3rver'].version;
    expect(readFileSync('scripts/docker/standin/Dockerfile', 'utf8')).toContain(`ARG S3RVER_VERSION=${version}\n`);
  });

  it('has a loadtest service behind a profile, aimed at HAProxy', () => {
    expect(svc.loadtest.profiles).toEqual(['loadtest']);
    expect(svc.loadtest.entrypoint).toEqual(['node', 'dist/loadtest.js']);
    expect(svc.loadtest.environment.LOADTEST_URL).toBe('ws://haproxy:8080/ws');
    expect(svc.loadtest.command).toContain('--clients');
  });
});

describe('Dockerfiles', () => {
  const back = readFileSync('Dockerfile.back', 'utf8');
  const front = readFileSync('Dockerfile.front', 'utf8');
  const froms = (f: string) => [...f.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);

  it('Dockerfile.back: multi-stage node:24, npm ci, build, prune, non-root, HEALTHCHECK, exec-form CMD', () => {
    expect(froms(back).length).toBeGreaterThanOrEqual(2);
    for (const f of froms(back)) expect(f).toMatch(/^node:24\b/);
    expect(back).toMatch(/npm ci/);
    expect(back).toMatch(/scripts\/build\.mjs/);
    expect(back).toMatch(/npm prune --omit=dev/);
    const users = [...back.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBeDefined();
    expect(users.at(-1)).not.toMatch(/^(root|0)$/);
    expect(back).toMatch(/^HEALTHCHECK .*\n?.*\/healthz/m);
    expect(back).not.toMatch(/^(RUN|HEALTHCHECK).*\bcurl\b/m);
    expect(back).toMatch(/^CMD \["node", "dist\/server\.js"\]$/m);
    expect(back).toMatch(/^EXPOSE 3000$/m);
    expect(back).toMatch(/STORE=redis/);
  });

  it('Dockerfile.front: node:24 build stage, nginx alpine with the template and the worker sizing script', () => {
    const f = froms(front);
    expect(f[0]).toMatch(/^node:24\b/);
    expect(f.at(-1)).toMatch(/^nginx:.*alpine/);
    expect(front).toContain('/etc/nginx/templates/default.conf.template');
    // The image's entrypoint runs executable /docker-entrypoint.d/*.sh before nginx starts.
    expect(front).toMatch(/^COPY chat-front\/nginx\/40-livechat-limits\.sh \/docker-entrypoint\.d\/40-livechat-limits\.sh$/m);
    expect(front).toMatch(/^RUN chmod 0755 \/docker-entrypoint\.d\/40-livechat-limits\.sh \/docker-entrypoint\.d\/15-livechat-files\.envsh\b/m);
    // Sourced before the envsubst step (20-…): FILES_SECRET must be exported by then.
    expect(front).toMatch(/^COPY chat-front\/nginx\/15-livechat-files\.envsh \/docker-entrypoint\.d\/15-livechat-files\.envsh$/m);
    // Every template variable has a default in the image (its envsubst leaves unset ones as they are),
    // but the signing secret, which has none anywhere: the entrypoint refuses to start without it.
    const templates = ['default.conf.template', 'files-local.conf.template', 'files-s3.conf.template', 'files-off.conf.template']
      .map((t) => `chat-front/nginx/${t}`).filter((t) => existsSync(t));
    for (const t of templates) {
      const text = readFileSync(t, 'utf8').split('\n').filter((l) => !l.trim().startsWith('#')).join('\n');
      for (const [, name] of text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)\}/g)) {
        if (name === 'FILES_SECRET') expect(front).not.toMatch(/\bFILES_SECRET=/);
        else expect(front, `${t}: ${name}`).toMatch(new RegExp(`\\b${name}=`));
      }
    }
  });

  it('.dockerignore keeps node_modules and local builds out of the context', () => {
    const ignore = readFileSync('.dockerignore', 'utf8').split('\n');
    expect(ignore).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
  });
});

describe('docker-stack.yml (Swarm) runs what docker-compose.yml runs', () => {
  const stack = parse(readFileSync('docker-stack.yml', 'utf8'));
  const st = stack.services;

  it('has the same services, images, settings and healthchecks, but no one-shot secrets service', () => {
    expect(Object.keys(st).sort()).toEqual(['front', 'haproxy', 'redis', 'ws']);
    for (const name of ['redis', 'ws', 'haproxy', 'front']) {
      expect(st[name].image, name).toBe(svc[name].image ?? (name === 'front' ? 'livechat-front:local' : undefined));
      expect(st[name].ulimits, name).toEqual(svc[name].ulimits);
      for (const k of ['interval', 'timeout', 'retries', 'start_period']) expect(st[name].healthcheck[k], `${name} healthcheck ${k}`).toEqual(svc[name].healthcheck[k]);
    }
    for (const name of ['ws', 'haproxy', 'front']) expect(st[name].healthcheck.test, name).toEqual(svc[name].healthcheck.test);
    // Redis's check reads the password from the Swarm secret instead of the volume.
    expect(st.redis.healthcheck.test.join(' ')).toBe(svc.redis.healthcheck.test.join(' ').replace('/run/livechat/ws.env', '/run/secrets/ws.env'));
    expect(st.redis.command).toEqual(svc.redis.command.map((a: string) => a.replace('/run/livechat/', '/run/secrets/')));
    expect(st.ws.command).toEqual(svc.ws.command);
    expect(st.haproxy.entrypoint).toEqual(svc.haproxy.entrypoint);
    expect(st.ws.stop_grace_period).toBe(svc.ws.stop_grace_period);
    const same = (a: Record<string, string>, b: Record<string, string>, except: string[]) =>
      expect(Object.fromEntries(Object.entries(a).filter(([k]) => !except.includes(k)))).toEqual(b);
    same(st.ws.environment, svc.ws.environment, ['APPID', 'LC_WS_ENV', 'LC_FILES_ENV']);
    same(st.haproxy.environment, svc.haproxy.environment, ['LC_SECRETS_DIR', 'WS_HOST']);
    same(st.front.environment, svc.front.environment, ['LC_FILES_ENV']);
  });

  it('Swarm without IPVS: dnsrr endpoints, HAProxy on tasks.ws, host-mode ports 8000 and 8080 only', () => {
    for (const name of ['redis', 'ws', 'haproxy', 'front']) expect(st[name].deploy.endpoint_mode, name).toBe('dnsrr');
    expect(st.haproxy.environment.WS_HOST).toBe('tasks.ws');
    expect(st.haproxy.ports).toEqual([{ target: 8080, published: 8080, protocol: 'tcp', mode: 'host' }]);
    expect(st.front.ports).toEqual([{ target: 8000, published: 8000, protocol: 'tcp', mode: 'host' }]);
    for (const name of ['redis', 'ws']) expect(st[name].ports, name).toBeUndefined();
    expect(st.ws.deploy.replicas).toBe(4);
    expect(st.ws.environment.APPID).toBe('ws-{{.Task.Slot}}');
    expect(st.ws.deploy.update_config.order).toBe('start-first');
  });

  it('the same config files as Swarm configs, the generated passwords as Swarm secrets', () => {
    const files = Object.fromEntries(Object.entries(stack.configs as Record<string, { file: string }>).map(([k, v]) => [k, v.file]));
    expect(files).toEqual({ redis_conf: './redis/redis.conf', haproxy_cfg: './haproxy/haproxy.cfg', haproxy_start: './haproxy/start.sh' });
    const mountOf = (vols: string[], target: string) => vols.find((v) => v.split(':')[1] === target)?.split(':')[0];
    const targets = (c: Array<{ source: string; target: string }>) => Object.fromEntries(c.map((x) => [x.target, x.source]));
    expect(targets(st.redis.configs)).toEqual({ '/usr/local/etc/redis/redis.conf': 'redis_conf' });
    expect(mountOf(svc.redis.volumes, '/usr/local/etc/redis/redis.conf')).toBe('./redis/redis.conf');
    expect(targets(st.haproxy.configs)).toEqual({ '/usr/local/etc/haproxy/haproxy.cfg': 'haproxy_cfg', '/usr/local/etc/haproxy/start.sh': 'haproxy_start' });
    expect(mountOf(svc.haproxy.volumes, '/usr/local/etc/haproxy/haproxy.cfg')).toBe('./haproxy/haproxy.cfg');
    expect(mountOf(svc.haproxy.volumes, '/usr/local/etc/haproxy/start.sh')).toBe('./haproxy/start.sh');
    expect(Object.keys(stack.secrets).sort()).toEqual(['files_env', 'haproxy_env', 'redis_admin_env', 'users_acl', 'ws_env']);
    for (const [name, sec] of Object.entries(stack.secrets as Record<string, { file: string }>)) expect(sec.file, name).toMatch(/^\.\/\.run\/swarm-secrets\/[a-z.-]+$/);
    // The operators' Redis URL only where an operator looks for it: the redis task.
    for (const name of ['ws', 'haproxy', 'front']) expect(JSON.stringify(st[name].secrets ?? []), name).not.toContain('redis_admin_env');
    expect(targets(st.redis.secrets)['redis-admin.env']).toBe('redis_admin_env');
    // Only HAProxy's X-Forwarded-For is believed (dnsrr: the name is its tasks' addresses).
    expect(st.ws.environment.TRUSTED_PROXIES).toBe('haproxy');
    expect(svc.ws.environment.TRUSTED_PROXIES).toBe('haproxy');
    expect(st.ws.environment.LC_WS_ENV).toBe('/run/secrets/ws.env');
    expect(st.haproxy.environment.LC_SECRETS_DIR).toBe('/run/secrets');
    // Attachments: FILES_SECRET for the servers and nginx, the files volume on front's node, one front.
    for (const name of ['ws', 'front']) {
      expect(st[name].environment.LC_FILES_ENV, name).toBe('/run/secrets/files.env');
      expect(targets(st[name].secrets)['files.env'], name).toBe('files_env');
    }
    expect(st.front.volumes).toEqual(svc.front.volumes.filter((v: string) => !v.startsWith('secrets:')));
    expect(Object.keys(stack.volumes)).toContain('files');
    expect(st.front.deploy.replicas).toBe(1);
    expect(readFileSync('docker-stack.yml', 'utf8')).toMatch(/local.*driver.*one front replica/s);
    expect(readFileSync('scripts/docker/swarm-secrets.sh', 'utf8')).toContain('sh redis/init-secrets.sh');
  });
});
