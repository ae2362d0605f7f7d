/** The embedded node's static file handler: traversal and malformed escapes are refused, never thrown. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../../app/src/transport/static-files.js';

describe('serveStatic', () => {
  const root = mkdtempSync(join(tmpdir(), 'lc-static-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (!serveStatic(root, req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('serves index.html with a CSP', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('answers 404 to a malformed percent-escape instead of throwing', async () => {
    expect((await fetch(`${base}/%E0%A4%A`)).status).toBe(404);
    expect((await fetch(`${base}/index.html`)).status).toBe(200);
  });

  it('refuses paths outside the root', async () => {
    expect((await fetch(`${base}/..%2f..%2fetc%2fpasswd`)).status).toBe(404);
  });
});
