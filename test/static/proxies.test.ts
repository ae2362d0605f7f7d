/**
 * The HAProxy and nginx configs, checked by the real binaries: the shared haproxy.cfg as compose uses
 * it (through haproxy/start.sh), the configs the native runner derives from the same files, and the
 * front image's main nginx config; HAProxy's maxconn and nginx's workers sized by one rule.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { haproxyMaxconn, nginxLimits, nginxMainConfig, renderHaproxyConfig, renderTemplate } from '../../scripts/lib/configs.js';
import { findBinary } from '../../scripts/lib/procs.js';
import { nginxConnPerIp } from '../../scripts/lib/proxies.js';

const haproxyCfg = readFileSync('haproxy/haproxy.cfg', 'utf8');
const directives = (cfg: string) => cfg.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
const template = readFileSync('chat-front/nginx/default.conf.template', 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'livechat-static-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The fd limits a child can be given here (a hard limit can only be lowered, unless root). */
function limitsToTry(wanted: number[]): number[] {
  const raw = execFileSync('/bin/sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  const hard = raw === 'unlimited' ? Infinity : Number(raw);
  const out = wanted.filter((n) => n <= hard || process.getuid?.() === 0);
  expect(out.length, `fd hard limit ${raw} is below every limit to try (${wanted.join(', ')})`).toBeGreaterThan(0);
  return out;
}

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
      { LC_CHECK_INTER: '300ms', LC_CHECK_FALL: '1', LC_MAX_CONN_RATE: '50', LC_MAXCONN: '9000', LC_MAX_CONN_PER_IP: '5' });
  });

  it('passes `haproxy -c` through haproxy/start.sh with compose\'s settings, which fits maxconn to the fd limit', () => {
    const secrets = join(dir, 'secrets');
    mkdirSync(secrets, { recursive: true });
    writeFileSync(join(secrets, 'haproxy.env'), 'export LC_STATS_PASSWORD=0123abcd\n');
    const haproxyDir = findBinary('haproxy', 'haproxy').replace(/\/haproxy$/, '');
    for (const hard of limitsToTry([20_000, 5000])) {
      // Under a hard limit of 20000 (the host issue 14 names) HAProxy must start: maxconn fits it.
      const r = spawnSync('sh', ['-c', `ulimit -n ${hard} && exec sh haproxy/start.sh -c`], {
        encoding: 'utf8',
        env: { PATH: `${process.env.PATH}:${haproxyDir}`, HAPROXY_CFG: 'haproxy/haproxy.cfg', LC_SECRETS_DIR: secrets,
          LC_STATS_SOCKET: join(dir, 'c.sock'), LC_LB_BIND: ':8080', LC_PAGE_BIND: ':8081', LC_STATS_BIND: ':8404',
          LC_MAX_CONN_PER_IP: '1000', LC_MAX_CONN_RATE: '100000', WS_SLOTS: '16' },
      });
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(`haproxy: maxconn ${haproxyMaxconn(hard)} (fd hard limit ${hard})`);
    }
  });

  it('has the settings the topology relies on', () => {
    // option http-no-delay: SSE frames through HAProxy otherwise wait ~200 ms each (MSG_MORE).
    for (const s of ['balance roundrobin', 'option http-no-delay', 'option httpchk GET /readyz', 'timeout tunnel 1h', 'timeout client-fin 30s',
      'timeout server-fin', 'stats uri /', 'stats socket', 'conn_rate(10s)', 'resolvers docker', 'nameserver dns 127.0.0.11:53']) {
      expect(haproxyCfg).toContain(s);
    }
    expect(haproxyCfg).toMatch(/haproxyMaxconn|two fds/);
    expect(haproxyCfg).toMatch(/default-server inter "\$\{LC_CHECK_INTER-2s\}" fall "\$\{LC_CHECK_FALL-2\}" rise "\$\{LC_CHECK_RISE-2\}"/);
    expect(haproxyCfg).toMatch(/server-template ws "1-\$\{WS_SLOTS-16\}" "\$\{WS_HOST-ws\}:\$\{WS_PORT-3000\}" check resolvers docker init-addr none/);
    const globalMax = Number(/maxconn "\$\{LC_MAXCONN-(\d+)\}"/.exec(haproxyCfg)?.[1]);
    const frontMax = Number(/^frontend[\s\S]*?maxconn (\d+)/m.exec(haproxyCfg)?.[1]);
    expect(globalMax).toBeGreaterThanOrEqual(20_000);
    expect(frontMax).toBeGreaterThanOrEqual(20_000);
  });

  it('limits connections per client address, trusts X-Forwarded-For only on the frontend for nginx, keeps internals inside', () => {
    const d = directives(haproxyCfg);
    // One table for both frontends, keyed on the address, holding concurrent connections and the rate.
    expect(d).toMatch(/^backend per_client\n\s+stick-table type ipv6 size \S+ expire \S+ store conn_cur,conn_rate\(10s\)$/m);
    // A section runs to the next line starting with neither a blank nor a conditional (.if/.endif).
    const section = (name: string) => new RegExp(`^(?:\\.if .*\\n)?frontend ${name}\\n([\\s\\S]*?)(?=^[^\\s.])`, 'm').exec(`${d}\nEND`)?.[1] ?? '';
    const pub = section('ws_in');
    expect(pub).toContain('tcp-request connection track-sc0 src table per_client');
    expect(pub).toContain('tcp-request connection reject if { sc_conn_cur(0) gt "${LC_MAX_CONN_PER_IP-50}" }');
    expect(pub).toContain('tcp-request connection reject if { sc_conn_rate(0) gt "${LC_MAX_CONN_RATE-100000}" }');
    // Both limits lifted by the one load-test switch, and only those lines.
    expect(pub).toMatch(/^\.if strneq\("\$\{LC_LOAD_TEST-0\}",1\)\n(\s+tcp-request connection reject if .*\n){2}\.endif$/m);
    // Only /ws and the SSE fallback's two paths pass.
    const only = 'http-request deny deny_status 404 unless { path "${LC_WS_PATH-/ws}" } || { path /sse } || { path_beg /sse/ }';
    expect(pub).toContain(only);
    expect(pub).toContain('http-request set-header X-Forwarded-For %[src]');
    expect(pub).not.toMatch(/hdr_ip|x-forwarded-for\)/i);
    const page = section('ws_from_page');
    expect(d).toMatch(/^\.if defined\(LC_PAGE_BIND\)\nfrontend ws_from_page\n\s+bind "\$\{LC_PAGE_BIND\}"/m);
    expect(page).toContain('http-request track-sc0 req.hdr_ip(x-forwarded-for) table per_client');
    expect(page).toContain('http-request deny deny_status 429 if { sc_conn_cur(0) gt "${LC_MAX_CONN_PER_IP-50}" }');
    expect(page).toContain(only);
    // `option forwardfor` would keep (if-none) or append to a client's header: never used.
    expect(d).not.toMatch(/option forwardfor/);
    // The stats page: loopback by default, a password when one is given.
    expect(d).toContain('bind "${LC_STATS_BIND-127.0.0.1:8404}"');
    expect(d).toMatch(/^\.if defined\(LC_STATS_PASSWORD\)\n\s+stats auth "admin:\$\{LC_STATS_PASSWORD\}"\n\.endif$/m);
  });

  it('renders the native form (explicit servers, no Docker DNS) and it passes `haproxy -c`', () => {
    const native = renderHaproxyConfig(haproxyCfg, [{ name: 'ws-1000', port: 3001 }, { name: 'ws-2000', port: 3002 }]);
    expect(directives(native)).not.toMatch(/resolvers|server-template|127\.0\.0\.11/);
    expect(native).toContain('server ws-1000 127.0.0.1:3001 check');
    expect(native).toContain('server ws-2000 127.0.0.1:3002 check');
    const file = join(dir, 'haproxy-native.cfg');
    writeFileSync(file, native);
    check(findBinary('haproxy', 'haproxy'), ['-c', '-f', file],
      { LC_LB_BIND: ':18080', LC_PAGE_BIND: '127.0.0.1:18081', LC_STATS_BIND: '127.0.0.1:18404', LC_STATS_SOCKET: join(dir, 'h.sock'), LC_CHECK_INTER: '300ms' });
    // Conditional blocks are not section headers: the page frontend and stats auth survive rendering.
    expect(native).toContain('frontend ws_from_page');
    expect(native).toContain('stats auth "admin:${LC_STATS_PASSWORD}"');
  });

  it('fits maxconn to the fd hard limit: two fds per client, 1000 spare, 100..50000', () => {
    expect(haproxyMaxconn(20_000)).toBe(9500);
    expect(haproxyMaxconn(16_384)).toBe(7692);
    expect(haproxyMaxconn(1024)).toBe(100);
    expect(haproxyMaxconn(1_048_576)).toBe(50_000);
    expect(haproxyMaxconn(Infinity)).toBe(50_000);
  });

  it('refuses to render a config that lost its server-template line', () => {
    expect(() => renderHaproxyConfig(haproxyCfg.replace(/^\s*server-template.*$/m, ''), [])).toThrow(/server-template/);
  });
});

describe('chat-front/nginx/default.conf.template', () => {
  // FILES_CONF: attachments off here (test/contract/files.contract.test.ts runs nginx with the local and s3 ones).
  const filesOff = join(dir, 'files-off.conf');
  writeFileSync(filesOff, readFileSync('chat-front/nginx/files-off.conf.template', 'utf8'));
  const vars = { WEB_PORT: '18000', WEB_ROOT: join(dir, 'www'), LB_UPSTREAM: '127.0.0.1:18080', LC_MAX_CONN_PER_IP: '1000', FILES_CONF: filesOff };

  it('proxies /ws to HAProxy with the upgrade headers and a long read timeout, and sends the CSP', () => {
    const site = renderTemplate(template, vars);
    expect(site).toContain('listen 18000;');
    expect(site).toContain('proxy_pass http://127.0.0.1:18080;');
    expect(site).toContain('proxy_http_version 1.1;');
    expect(site).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(site).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
    expect(site).toMatch(/map \$http_upgrade \$connection_upgrade/);
    expect(site).toMatch(/proxy_read_timeout (1h|\d{3,}s);/);
    // The client's own socket address, replacing whatever it sent (never $proxy_add_x_forwarded_for).
    expect(site).toMatch(/^\s*proxy_set_header X-Forwarded-For \$remote_addr;$/m);
    expect(site).not.toContain('proxy_add_x_forwarded_for');
    // No source map is ever served (issue 23), and the asset location no longer lists .map.
    expect(site).toMatch(/^\s*location ~\* \\\.map\$ \{\n\s*return 404;\n\s*\}$/m);
    expect(site).not.toMatch(/location ~\*[^{]*\|map\|/);
    expect(site).toContain("default-src 'self'; connect-src 'self' ws://$csp_host wss://$csp_host; img-src 'self' data: blob:; "
      + "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
    expect(site).toContain('X-Content-Type-Options nosniff');
    expect(site).toContain('Referrer-Policy');
  });

  it('proxies the SSE fallback: the stream unbuffered past the heartbeat, POSTs with a body limit that fits the largest request', () => {
    const site = renderTemplate(template, vars);
    const location = (head: string) => new RegExp(`^\\s*location ${head} \\{\\n([\\s\\S]*?)^\\s*\\}$`, 'm').exec(site)?.[1] ?? '';
    const stream = location('= /sse');
    const posts = location('\\^~ /sse/');
    for (const [name, block] of [['stream', stream], ['posts', posts]]) {
      expect(block, name).toContain('proxy_pass http://127.0.0.1:18080;');
      expect(block, name).toContain('proxy_http_version 1.1;');
      expect(block, name).toContain('proxy_buffering off;');
      expect(block, name).toMatch(/^\s*proxy_set_header X-Forwarded-For \$remote_addr;$/m);
      expect(block, name).toContain('proxy_set_header X-Forwarded-Host $http_host;');
    }
    // Longer than the heartbeat (at most 10 s): an open stream is never cut by nginx.
    const seconds = (v: string) => (v.endsWith('h') ? 3600 : v.endsWith('m') ? 60 : 1) * parseInt(v, 10);
    expect(seconds(/proxy_read_timeout (\w+);/.exec(stream)?.[1] ?? '0')).toBeGreaterThan(10);
    // The servers' MAX_PAYLOAD default is 64 KiB; the page's own 1k limit would refuse most requests.
    expect(posts).toMatch(/^\s*client_max_body_size 64k;$/m);
  });

  it('limits concurrent requests per client address (a WebSocket counts for its whole life), and slow headers', () => {
    const site = renderTemplate(template, vars);
    expect(site).toMatch(/^limit_conn_zone \$binary_remote_addr zone=livechat_per_ip:\S+;$/m);
    expect(site).toMatch(/^\s+limit_conn livechat_per_ip 1000;$/m);
    expect(site).toMatch(/^\s+limit_conn_status 429;$/m);
    expect(site).toMatch(/^\s+client_header_timeout 10s;$/m);
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
    const out = execFileSync(envsubst, ['${WEB_PORT} ${WEB_ROOT} ${LB_UPSTREAM} ${LC_MAX_CONN_PER_IP} ${FILES_CONF}'], { input: template, env: vars, encoding: 'utf8' });
    expect(out).toBe(renderTemplate(template, vars));
  });
});

describe('nginx sized for the same load as HAProxy', () => {
  it('the native main config: worker_connections and worker_rlimit_nofile from the fd hard limit', () => {
    expect(nginxLimits(20_000)).toEqual({ workerConnections: 19_500, rlimitNofile: 20_000 });
    expect(nginxLimits(16_384)).toEqual({ workerConnections: 2 * 7692 + 500, rlimitNofile: 16_384 });
    expect(nginxLimits(Infinity)).toEqual({ workerConnections: 100_500, rlimitNofile: 101_000 });
    const main = nginxMainConfig({ runDir: dir, siteConf: join(dir, 'site.conf'), asRoot: false, fdHard: 20_000 });
    expect(main).toContain('worker_rlimit_nofile 20000;');
    expect(main).toContain('events { worker_connections 19500; }');
  });

  it('the front image\'s 14-livechat-load-test.envsh: LC_LOAD_TEST=1 gives nginx its largest limit_conn; a larger LC_MAX_CONN_PER_IP is capped there (the native rule too)', () => {
    const run = (env: Record<string, string>) => execFileSync('/bin/sh', ['-c', '. ./chat-front/nginx/14-livechat-load-test.envsh; echo "$LC_MAX_CONN_PER_IP"'],
      { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } }).trim();
    const cases: Array<[Record<string, string>, string, number]> = [
      [{}, '50', nginxConnPerIp('', false)],
      [{ LC_MAX_CONN_PER_IP: '7' }, '7', nginxConnPerIp('7', false)],
      [{ LC_MAX_CONN_PER_IP: '100000' }, '65535', nginxConnPerIp('100000', false)],
      [{ LC_MAX_CONN_PER_IP: '50', LC_LOAD_TEST: '1' }, '65535', nginxConnPerIp('50', true)],
    ];
    for (const [env, shell, native] of cases) {
      expect(run(env), JSON.stringify(env)).toBe(shell);
      expect(String(native), JSON.stringify(env)).toBe(shell);
    }
  });

  it('the front image\'s 40-livechat-limits.sh applies the same rule under the container\'s limit, and its config passes `nginx -t`', () => {
    const hards = limitsToTry([20_000, 16_384, 5000]);
    for (const hard of hards) {
      const conf = join(dir, `image-nginx-${hard}.conf`);
      const r = spawnSync('sh', ['-c', `ulimit -n ${hard} && exec sh chat-front/nginx/40-livechat-limits.sh`],
        { encoding: 'utf8', env: { PATH: process.env.PATH, NGINX_MAIN_CONF: conf } });
      expect(r.status, r.stderr).toBe(0);
      const text = readFileSync(conf, 'utf8');
      const { workerConnections, rlimitNofile } = nginxLimits(hard);
      expect(text).toContain(`worker_rlimit_nofile ${rlimitNofile};`);
      expect(text).toContain(`worker_connections ${workerConnections};`);
      expect(text).toContain('include /etc/nginx/conf.d/*.conf;');
    }
    // The image's paths exist only in the image: point them into the temp dir and check the directives.
    const nginx = findBinary('nginx', 'nginx');
    const site = join(dir, 'image-site.conf');
    mkdirSync(join(dir, 'www'), { recursive: true });
    writeFileSync(site, renderTemplate(template, { WEB_PORT: '18001', WEB_ROOT: join(dir, 'www'), LB_UPSTREAM: '127.0.0.1:18081', LC_MAX_CONN_PER_IP: '1000', FILES_CONF: join(dir, 'files-off.conf') }));
    const conf = readFileSync(join(dir, `image-nginx-${hards[0]}.conf`), 'utf8')
      .replace('user nginx;', '')
      .replaceAll('/var/log/nginx', dir)
      .replace('/var/run/nginx.pid', join(dir, 'image-nginx.pid'))
      .replace('include /etc/nginx/conf.d/*.conf;', `include ${site};`)
      .replace('include /etc/nginx/mime.types;', existsSync('/etc/nginx/mime.types') ? 'include /etc/nginx/mime.types;' : '');
    const file = join(dir, 'image-nginx-test.conf');
    writeFileSync(file, conf);
    const r = spawnSync('sh', ['-c', `ulimit -n ${hards[0]} && exec "${nginx}" -t -p "${dir}" -c "${file}" -e "${join(dir, 'image-error.log')}"`], { encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  });
});
