/**
 * docker-compose.yml, checked statically (no Docker engine needed): Debian's docker-compose accepts it,
 * and it describes the topology of docs/topology.md — services, healthchecks, replicas, ports,
 * start order, AOF, and no host ports on the ws servers.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findBinary } from '../../scripts/lib/procs.js';

const compose = parse(readFileSync('docker-compose.yml', 'utf8'));
const svc = compose.services;
const hostPorts = (s: { ports?: string[] }) => (s.ports ?? []).map((p) => String(p).split(':')[0]);

describe('docker-compose.yml', () => {
  it('passes `docker-compose config -q` (with and without the loadtest profile)', () => {
    const bin = findBinary('docker-compose', 'docker-compose');
    execFileSync(bin, ['config', '-q'], { stdio: 'pipe' });
    execFileSync(bin, ['--profile', 'loadtest', 'config', '-q'], { stdio: 'pipe' });
  });

  it('has redis, ws, haproxy and front, each with a healthcheck', () => {
    for (const name of ['redis', 'ws', 'haproxy', 'front']) {
      expect(svc[name], name).toBeDefined();
      expect(svc[name].healthcheck?.test, `${name} healthcheck`).toBeDefined();
    }
    expect(svc.redis.healthcheck.test.join(' ')).toContain('redis-cli ping');
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

  it('publishes the page on 8000 and HAProxy on 8080 (and stats on 8404)', () => {
    expect(hostPorts(svc.front)).toContain('8000');
    expect(hostPorts(svc.haproxy)).toEqual(expect.arrayContaining(['8080', '8404']));
    expect(svc.front.build.dockerfile).toBe('Dockerfile.front');
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

  it('Dockerfile.front: node:24 build stage, nginx alpine with the template', () => {
    const f = froms(front);
    expect(f[0]).toMatch(/^node:24\b/);
    expect(f.at(-1)).toMatch(/^nginx:.*alpine/);
    expect(front).toContain('/etc/nginx/templates/default.conf.template');
  });

  it('.dockerignore keeps node_modules and local builds out of the context', () => {
    const ignore = readFileSync('.dockerignore', 'utf8').split('\n');
    expect(ignore).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
  });
});
