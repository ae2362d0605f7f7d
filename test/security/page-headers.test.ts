/**
 * Issue 23: what the page's servers hand a browser.
 *   - The embedded node's Content-Security-Policy is built from configuration (PUBLIC_ORIGIN), never
 *     from the request's Host header: a hostile Host cannot add sources or directives to it.
 *   - No source maps: the built page has no *.map and no sourceMappingURL comment, and neither the
 *     embedded node nor nginx serves a .map even when one lies beside the page (a debugging build).
 */
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProc } from '../helpers/server-proc.js';
import { startProxyStack, type ProxyStack } from '../helpers/proxy-stack.js';

const BUILT = 'chat-front/dist';
const HOSTILE = ['evil.example', "evil.example; script-src 'unsafe-inline' *", 'a b', 'x.example:1 data: *'];

/** GET with a Host header of our choosing (fetch would not let us set it). */
function get(port: number, path: string, host = `127.0.0.1:${port}`): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { Host: host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The page's built files plus a stray source map (as a `--page-sourcemap` build leaves beside it). */
function pageWithStrayMap(dir: string): void {
  cpSync(BUILT, dir, { recursive: true });
  writeFileSync(join(dir, 'app.js.map'), '{"version":3,"sources":["../src/secret-source.ts"],"mappings":""}');
}

describe('the built page', () => {
  it('ships no source map and no sourceMappingURL comment', () => {
    const files = readdirSync(BUILT, { recursive: true }).map(String);
    expect(files).toContain('app.js');
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    for (const f of files.filter((x) => /\.(js|css|html)$/.test(x))) expect(readFileSync(join(BUILT, f), 'utf8'), f).not.toMatch(/sourceMappingURL/);
  });
});

describe('the embedded node (STORE=memory, STATIC_DIR)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lc-page-'));
  let plain: ServerProc;
  let configured: ServerProc;
  beforeAll(async () => {
    pageWithStrayMap(dir);
    [plain, configured] = await Promise.all([
      startServer({ appId: 'sec-page', env: { STATIC_DIR: dir } }),
      startServer({ appId: 'sec-page-origin', env: { STATIC_DIR: dir, PUBLIC_ORIGIN: 'https://chat.example.com' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([plain?.kill('SIGKILL'), configured?.kill('SIGKILL')]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a hostile Host header never reaches the CSP: the policy is the same for every Host', async () => {
    const base = (await get(plain.port, '/')).headers['content-security-policy'];
    expect(base).toContain("connect-src 'self';");
    expect(base).toContain("script-src 'self';");
    for (const host of HOSTILE) {
      const res = await get(plain.port, '/', host);
      if (res.status !== 200) { expect(res.status, host).toBe(400); continue; } // refused by node's HTTP parser
      expect(res.headers['content-security-policy'], host).toBe(base);
      expect(res.headers['content-security-policy'], host).not.toMatch(/evil|unsafe|\*|data: \*/);
    }
  });

  it('PUBLIC_ORIGIN names the page\'s WebSocket origin in connect-src, whatever the Host', async () => {
    for (const host of ['chat.example.com', 'evil.example']) {
      const csp = (await get(configured.port, '/index.html', host)).headers['content-security-policy'];
      expect(csp).toContain("connect-src 'self' wss://chat.example.com;");
      expect(csp).not.toContain('evil');
    }
  });

  it('serves the page\'s JS without a sourceMappingURL, and no .map (404) even when one is on disk', async () => {
    const js = await get(plain.port, '/app.js');
    expect(js.status).toBe(200);
    expect(js.body).not.toMatch(/sourceMappingURL/);
    expect(js.headers['sourcemap']).toBeUndefined();
    for (const path of ['/app.js.map', '/APP.JS.MAP', '/app.js.map?x=1', '/./app.js.map']) {
      const res = await get(plain.port, path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain('secret-source');
    }
  });
});

describe('nginx (the native runner\'s, from chat-front/nginx/default.conf.template)', () => {
  let stack: ProxyStack;
  beforeAll(async () => {
    stack = await startProxyStack();
    // nginx serves a copy of the built page in its run dir (as root its workers are nobody: let them in),
    // and a stray map there too.
    chmodSync(stack.runDir, 0o755);
    writeFileSync(join(stack.runDir, 'www', 'app.js.map'), '{"version":3,"sources":["../src/secret-source.ts"],"mappings":""}');
  });
  afterAll(() => stack?.stop());

  it('serves the page\'s JS without a sourceMappingURL, and no .map (404) even when one is on disk', async () => {
    const js = await get(stack.webPort, '/app.js');
    expect(js.status).toBe(200);
    expect(js.body).not.toMatch(/sourceMappingURL/);
    for (const path of ['/app.js.map', '/APP.JS.MAP', '/app.js.map?x=1']) {
      const res = await get(stack.webPort, path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain('secret-source');
    }
  });

  it('a hostile Host header adds nothing to nginx\'s CSP either', async () => {
    expect((await get(stack.webPort, '/')).status).toBe(200);
    for (const host of HOSTILE) {
      const res = await get(stack.webPort, '/', host);
      if (res.status !== 200) { expect(res.status, host).toBe(400); continue; } // nginx refuses a malformed Host
      const csp = String(res.headers['content-security-policy']);
      expect(csp.split(';').map((d) => d.trim().split(' ')[0]), host)
        .toEqual(['default-src', 'connect-src', 'img-src', 'style-src', 'script-src', 'object-src', 'base-uri', 'frame-ancestors']);
      expect(csp, host).not.toMatch(/unsafe|\*/);
    }
  });
});
