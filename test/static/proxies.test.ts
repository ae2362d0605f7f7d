/**
 * The HAProxy and nginx configs, checked by the real binaries: the shared haproxy.cfg as compose uses
 * it, and the configs the native runner derives from the same files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nginxMainConfig, renderHaproxyConfig, renderTemplate } from '../../scripts/lib/configs.js';
import { findBinary } from '../../scripts/lib/procs.js';

const haproxyCfg = readFileSync('haproxy/haproxy.cfg', 'utf8');
const directives = (cfg: string) => cfg.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
const template = readFileSync('chat-front/nginx/default.conf.template', 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'livechat-static-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a config check; fails with the tool's own output. */
function check(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  const r = spawnSync(bin, args, { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  expect(r.status, `${bin} ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
}

describe('haproxy/haproxy.cfg', () => {
  it('passes `haproxy -c` with its env defaults (the compose form)', () => {
    check(findBinary('haproxy', 'haproxy'), ['-c', '-f', 'haproxy/haproxy.cfg']);
  });

  it('passes `haproxy -c` with the overrides tests use', () => {
    check(findBinary('haproxy', 'haproxy'), ['-c', '-f', 'haproxy/haproxy.cfg'],
      { LC_CHECK_INTER: '300ms', LC_CHECK_FALL: '1', LC_MAX_CONN_RATE: '50', LC_MAXCONN: '9000' });
  });

  it('has the settings the topology relies on', () => {
    for (const s of ['balance roundrobin', 'option httpchk GET /readyz', 'timeout tunnel 1h', 'timeout client-fin 30s',
      'timeout server-fin', 'stats uri /', 'stats socket', 'conn_rate(10s)', 'resolvers docker', 'nameserver dns 127.0.0.11:53']) {
      expect(haproxyCfg).toContain(s);
    }
    expect(haproxyCfg).toMatch(/default-server inter "\$\{LC_CHECK_INTER-2s\}" fall "\$\{LC_CHECK_FALL-2\}" rise "\$\{LC_CHECK_RISE-2\}"/);
    expect(haproxyCfg).toMatch(/server-template ws "1-\$\{WS_SLOTS-16\}" "\$\{WS_HOST-ws\}:\$\{WS_PORT-3000\}" check resolvers docker init-addr none/);
    const globalMax = Number(/maxconn "\$\{LC_MAXCONN-(\d+)\}"/.exec(haproxyCfg)?.[1]);
    const frontMax = Number(/^frontend[\s\S]*?maxconn (\d+)/m.exec(haproxyCfg)?.[1]);
    expect(globalMax).toBeGreaterThanOrEqual(20_000);
    expect(frontMax).toBeGreaterThanOrEqual(20_000);
  });

  it('renders the native form (explicit servers, no Docker DNS) and it passes `haproxy -c`', () => {
    const native = renderHaproxyConfig(haproxyCfg, [{ name: 'ws-1000', port: 3001 }, { name: 'ws-2000', port: 3002 }]);
    expect(directives(native)).not.toMatch(/resolvers|server-template|127\.0\.0\.11/);
    expect(native).toContain('server ws-1000 127.0.0.1:3001 check');
    expect(native).toContain('server ws-2000 127.0.0.1:3002 check');
    const file = join(dir, 'haproxy-native.cfg');
    writeFileSync(file, native);
    check(findBinary('haproxy', 'haproxy'), ['-c', '-f', file],
      { LC_LB_BIND: ':18080', LC_STATS_BIND: ':18404', LC_STATS_SOCKET: join(dir, 'h.sock'), LC_CHECK_INTER: '300ms' });
  });

  it('refuses to render a config that lost its server-template line', () => {
    expect(() => renderHaproxyConfig(haproxyCfg.replace(/^\s*server-template.*$/m, ''), [])).toThrow(/server-template/);
  });
});

describe('chat-front/nginx/default.conf.template', () => {
  const vars = { WEB_PORT: '18000', WEB_ROOT: join(dir, 'www'), LB_UPSTREAM: '127.0.0.1:18080' };

  it('proxies /ws to HAProxy with the upgrade headers and a long read timeout, and sends the CSP', () => {
    const site = renderTemplate(template, vars);
    expect(site).toContain('listen 18000;');
    expect(site).toContain('proxy_pass http://127.0.0.1:18080;');
    expect(site).toContain('proxy_http_version 1.1;');
    expect(site).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(site).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
    expect(site).toMatch(/map \$http_upgrade \$connection_upgrade/);
    expect(site).toMatch(/proxy_read_timeout (1h|\d{3,}s);/);
    expect(site).toMatch(/X-Forwarded-For/);
    expect(site).toContain("default-src 'self'; connect-src 'self' ws://$csp_host wss://$csp_host; img-src 'self' data:; "
      + "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
    expect(site).toContain('X-Content-Type-Options nosniff');
    expect(site).toContain('Referrer-Policy');
  });

  it('leaves nginx variables alone and refuses a missing value', () => {
    expect(renderTemplate('a ${WEB_PORT} $host $http_upgrade', { WEB_PORT: '1' })).toBe('a 1 $host $http_upgrade');
    expect(() => renderTemplate('listen ${WEB_PORT};', {})).toThrow(/WEB_PORT/);
  });

  it('the native rendering passes `nginx -t`', () => {
    const nginx = findBinary('nginx', 'nginx');
    mkdirSync(vars.WEB_ROOT, { recursive: true });
    for (const t of ['client', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, 'nginx-tmp', t), { recursive: true });
    const site = join(dir, 'site.conf');
    const main = join(dir, 'nginx.conf');
    writeFileSync(site, renderTemplate(template, vars));
    writeFileSync(main, nginxMainConfig({ runDir: dir, siteConf: site, asRoot: process.getuid?.() === 0 }));
    check(nginx, ['-t', '-p', dir, '-c', main, '-e', join(dir, 'error.log')]);
  });

  it('renders with envsubst like the nginx image does (only the defined variables)', () => {
    let envsubst: string;
    try {
      envsubst = findBinary('envsubst', 'gettext-base');
    } catch {
      // The nginx image has envsubst; our renderer is checked above. Say so rather than skip silently.
      expect.soft(true, 'envsubst (gettext-base) not installed: comparison with the image renderer not run').toBe(true);
      return;
    }
    const out = execFileSync(envsubst, ['${WEB_PORT} ${WEB_ROOT} ${LB_UPSTREAM}'], { input: template, env: vars, encoding: 'utf8' });
    expect(out).toBe(renderTemplate(template, vars));
  });
});
