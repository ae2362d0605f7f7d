/**
 * The FileStore contract (app/src/files/file-store.ts, shared/PROTOCOL.md "Attachments"), run against:
 *  (a) `local` + the real nginx, natively from chat-front/nginx/default.conf.template and
 *      files-local.conf.template (scripts/lib/proxies.ts startNginx): DAV + secure_link;
 *  (b) `local` + the embedded node's handler (app/src/files/files-http.ts) on a plain loopback server;
 *  (c) `s3` + s3rver (npm, in-process on 127.0.0.1, a temp dir), browsers going through the real nginx's
 *      /s3/ proxy (files-s3.conf.template) as they do by default (S3_PUBLIC_URL=/s3);
 *  (d) `s3` + the MinIO stand-in of the compose tests (scripts/docker/standin/minio/minio.cjs: s3rver
 *      with Signature V4 verified and unsigned requests refused, as MinIO and AWS do), behind the same
 *      nginx /s3/ proxy: the signature cases (altered, missing, another method, another length, an
 *      added query parameter) run against the s3 driver here, through the proxy browsers use.
 * Every request a browser makes is a plain `fetch` of the URL with exactly the headers given.
 *
 * What s3rver 3.7 does NOT emulate (read in node_modules/s3rver/lib/middleware/authentication.js and
 * routes.js), so those cases cannot fail against it and are checked on the URL's shape instead:
 *  - SigV4 signatures are not verified at all ("Signature version 4 calculation is unimplemented"):
 *    an altered signature, another method, a wrong Content-Length or Content-Type all pass. Only the
 *    expiry (X-Amz-Date + X-Amz-Expires) is enforced. The suite checks that content-length and
 *    content-type are among X-Amz-SignedHeaders (so real S3 refuses another length).
 *  - anonymous requests (no signature at all) are allowed: there are no bucket ACLs/policies.
 *  - lifecycle configuration: PUT ?lifecycle answers NotImplemented (init logs it and goes on), so the
 *    expiry of abandoned uploads (up/ after 1 day) is not exercised.
 *  - response-content-type/-disposition overrides are honoured (checked here).
 * (d) closes most of those gaps (not the payload hash, which it takes as declared, nor lifecycle
 * expiry, which it stores but never applies); it also shows the proxied signature holds: nginx passes
 * the path and query unchanged and sets Host to S3_HOST, which the signature covers.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStoreUnavailableError, committedName, thumbName, type FileStore } from '../../app/src/files/file-store.js';
import { createFilesHandler } from '../../app/src/files/files-http.js';
import { LocalFiles } from '../../app/src/files/local-files.js';
import { S3Files } from '../../app/src/files/s3-files.js';
import { repoRoot } from '../../scripts/lib/configs.js';
import { findBinary, freePort, spawnLogged, stopChild, until, type Child } from '../../scripts/lib/procs.js';
import { startNginx, type NginxFilesOptions } from '../../scripts/lib/proxies.js';

const SECRET = 'contract-secret-0123456789abcdef';
const MAX = 64 * 1024;
const silent = pino({ level: 'silent' });
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => { for (const c of cleanups.reverse()) await c(); });

interface Harness {
  store: FileStore;
  /** Where a browser resolves a path URL (the page's origin). */
  page: string;
  /** The store checks signatures (everything but s3rver). */
  verifiesSignatures: boolean;
  /** The raw entries of the upload area (to see that nothing was stored). */
  uploads(): Promise<string[]>;
}

async function nginx(files: NginxFilesOptions): Promise<{ port: number; runDir: string }> {
  const runDir = mkdtempSync(join(tmpdir(), 'livechat-files-'));
  const children: Child[] = [];
  cleanups.push(async () => { await Promise.all(children.map((c) => stopChild(c, 'SIGTERM', 5000))); rmSync(runDir, { recursive: true, force: true }); });
  const port = await freePort();
  await startNginx({
    root: repoRoot(), runDir, webPort: port, pagePort: await freePort(), asRoot: process.getuid?.() === 0,
    nginxBin: findBinary('nginx', 'nginx'), baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: runDir },
    track: (c) => { children.push(c); return c; }, dead: (c) => () => (c.done ? `${c.name} exited (see ${c.logFile})` : null),
    files: { maxBytes: MAX, ...files },
  });
  return { port, runDir };
}

const listDir = (dir: string) => async () => { try { return readdirSync(dir); } catch { return []; } };

const harnesses: Record<string, () => Promise<Harness>> = {
  async 'local + nginx'() {
    const { port, runDir } = await nginx({ driver: 'local', secret: SECRET });
    const origin = `http://127.0.0.1:${port}`;
    return { store: new LocalFiles({ secret: SECRET, origin: () => origin }), page: origin, verifiesSignatures: true, uploads: listDir(join(runDir, 'files', 'up')) };
  },
  async 'local + embedded handler'() {
    const dir = mkdtempSync(join(tmpdir(), 'livechat-files-embedded-'));
    const handler = createFilesHandler({ dir, secret: SECRET, maxBytes: MAX });
    const server = http.createServer((req, res) => (req.url?.startsWith('/files/') ? handler(req, res) : res.writeHead(404).end()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(async () => { server.closeAllConnections(); await new Promise((r) => server.close(r)); rmSync(dir, { recursive: true, force: true }); });
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { store: new LocalFiles({ secret: SECRET, origin: () => origin }), page: origin, verifiesSignatures: true, uploads: listDir(join(dir, 'up')) };
  },
  async 's3 + s3rver behind nginx /s3/'() {
    const S3rver = createRequire(import.meta.url)('s3rver') as new (o: object) => { run(): Promise<AddressInfo>; close(): Promise<void> };
    const dir = mkdtempSync(join(tmpdir(), 'livechat-s3rver-'));
    const s3 = new S3rver({ address: '127.0.0.1', port: 0, directory: dir, silent: true });
    const { port } = await s3.run();
    cleanups.push(async () => { await s3.close(); rmSync(dir, { recursive: true, force: true }); });
    const web = await nginx({ driver: 's3', s3Upstream: `127.0.0.1:${port}` });
    const store = new S3Files({
      endpoint: `http://127.0.0.1:${port}`, bucket: 'livechat-files', region: 'us-east-1', forcePathStyle: true,
      accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', publicUrl: '/s3', keepDays: 30,
    }, silent);
    cleanups.push(() => store.close());
    return { store, page: `http://127.0.0.1:${web.port}`, verifiesSignatures: false, uploads: listDir(join(dir, 'livechat-files', 'up')) };
  },
  // The compose s3 variant's MinIO stand-in (scripts/docker/standin/minio/minio.cjs): s3rver with what a
  // real S3 does that s3rver leaves out — Signature V4 checked, unsigned requests refused — so the
  // signature cases run for the s3 driver too, through nginx's /s3/ as browsers reach it.
  async 's3 + MinIO stand-in (SigV4 checked) behind nginx /s3/'() {
    const dir = mkdtempSync(join(tmpdir(), 'livechat-minio-'));
    const port = await freePort();
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', MINIO_ROOT_USER: 'contract-user', MINIO_ROOT_PASSWORD: 'contract-password-123' };
    const child = spawnLogged('minio', process.execPath, [join(repoRoot(), 'scripts/docker/standin/minio/minio.cjs'), 'server', '--address', `127.0.0.1:${port}`, dir],
      join(dir, '..', `${dir.split('/').pop()}.log`), env, repoRoot());
    cleanups.push(async () => { await stopChild(child, 'SIGTERM', 5000); rmSync(dir, { recursive: true, force: true }); });
    await until('the MinIO stand-in', async () => (await fetch(`http://127.0.0.1:${port}/minio/health/live`).catch(() => null))?.ok === true, 10_000);
    const web = await nginx({ driver: 's3', s3Upstream: `127.0.0.1:${port}` });
    const store = new S3Files({
      endpoint: `http://127.0.0.1:${port}`, bucket: 'livechat-files', region: 'us-east-1', forcePathStyle: true,
      accessKeyId: env.MINIO_ROOT_USER, secretAccessKey: env.MINIO_ROOT_PASSWORD, publicUrl: '/s3', keepDays: 30,
    }, silent);
    cleanups.push(() => store.close());
    return { store, page: `http://127.0.0.1:${web.port}`, verifiesSignatures: true, uploads: listDir(join(dir, 'livechat-files', 'up')) };
  },
};

const key = () => crypto.randomUUID();
const soon = () => Date.now() + 5 * 60_000;
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(300, 7)]);

describe.each(Object.keys(harnesses))('FileStore contract: %s', (name) => {
  let h: Harness;
  const abs = (url: string) => (/^https?:/.test(url) ? url : `${h.page}${url}`);
  /** PUTs bytes to a key's target exactly as a browser would. */
  async function upload(k: string, bytes: Buffer, mime = 'image/png', size = bytes.length, expiresAt = soon()): Promise<Response> {
    const t = await h.store.putTarget(k, mime, size, expiresAt);
    const res = await fetch(abs(t.url), { method: 'PUT', headers: t.headers, body: new Uint8Array(bytes) });
    await res.arrayBuffer();
    return res;
  }
  async function get(url: string, init: RequestInit = {}): Promise<{ res: Response; body: Buffer }> {
    const res = await fetch(abs(url), init);
    return { res, body: Buffer.from(await res.arrayBuffer()) };
  }
  const fileHeaders = (res: Response) => {
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/^sandbox/);
  };

  beforeAll(async () => {
    h = await harnesses[name]();
    await h.store.init();
  });

  it('a PUT with exactly the target\'s headers is seen by uploadedSize; committed, by committedSize and readCommitted', async () => {
    const k = key();
    expect(await h.store.uploadedSize(k)).toBeNull();
    const res = await upload(k, PNG);
    expect(res.status, 'PUT').toBeGreaterThanOrEqual(200);
    expect(res.status, 'PUT').toBeLessThan(300);
    expect(await h.store.uploadedSize(k)).toBe(PNG.length);
    const name = committedName(k, 'image/png');
    expect(await h.store.committedSize('lobby', name)).toBeNull();
    await h.store.commit(k, 'lobby', name);
    expect(await h.store.uploadedSize(k)).toBeNull();
    expect(await h.store.committedSize('lobby', name)).toBe(PNG.length);
    expect(await h.store.readCommitted('lobby', name, 8)).toEqual(PNG.subarray(0, 8));
    expect(await h.store.readCommitted('lobby', name, 10_000)).toEqual(PNG);
    expect(await h.store.readCommitted('lobby', `${k}.thumb.webp`, 8)).toEqual(Buffer.alloc(0));
  });

  it('a PUT of another length than signed, with an altered signature, or past its expiry is refused and nothing is stored', async () => {
    const k = key();
    const t = await h.store.putTarget(k, 'image/png', PNG.length, soon());
    if (h.verifiesSignatures) {
      const longer = await fetch(abs(t.url), { method: 'PUT', headers: t.headers, body: new Uint8Array(Buffer.concat([PNG, Buffer.from('x')])) });
      expect(longer.status).toBe(403);
      const altered = t.url.replace(/([?&](?:s|X-Amz-Signature)=)(.)/, (_m, p: string, c: string) => `${p}${c === 'A' ? 'B' : 'A'}`);
      expect(altered).not.toBe(t.url);
      expect((await fetch(abs(altered), { method: 'PUT', headers: t.headers, body: new Uint8Array(PNG) })).status).toBe(403);
    } else {
      // s3rver checks no SigV4 signature: check that a real S3 would (length and type are signed).
      const signed = new URL(abs(t.url)).searchParams.get('X-Amz-SignedHeaders')?.split(';') ?? [];
      expect(signed).toEqual(expect.arrayContaining(['content-length', 'content-type', 'host']));
    }
    const expired = await upload(k, PNG, 'image/png', PNG.length, Date.now() - 2000);
    expect(expired.status).toBe(403);
    expect(await h.store.uploadedSize(k)).toBeNull();
    expect(await h.uploads()).not.toContain(k);
  });

  it('a PUT past the size limit is refused (413) before anything is stored', async () => {
    const k = key();
    const res = await upload(k, Buffer.alloc(MAX + 1, 1), 'application/pdf');
    expect(res.status).toBe(413);
    expect(await h.store.uploadedSize(k)).toBeNull();
  });

  it('commit moves the upload into its room; its PUT URL can no longer change the committed file', async () => {
    const k = key();
    const t = await h.store.putTarget(k, 'image/png', PNG.length, soon());
    expect((await fetch(abs(t.url), { method: 'PUT', headers: t.headers, body: new Uint8Array(PNG) })).ok).toBe(true);
    const name = committedName(k, 'image/png');
    await h.store.commit(k, 'lobby', name);
    expect(await h.store.uploadedSize(k)).toBeNull();
    const other = Buffer.alloc(PNG.length, 9);
    await (await fetch(abs(t.url), { method: 'PUT', headers: t.headers, body: new Uint8Array(other) })).arrayBuffer();
    const { res, body } = await get(await h.store.getUrl('lobby', name, { inline: true, filename: 'cat.png' }, soon()));
    expect(res.status).toBe(200);
    expect(body).toEqual(PNG);
    await h.store.discard(k);
  });

  it('committing a key nothing was uploaded to fails', async () => {
    await expect(h.store.commit(key(), 'lobby', `${key()}.png`)).rejects.toThrow();
  });

  it('getUrl: an image is served inline with its type, any other file as an octet-stream attachment named as given', async () => {
    const img = key();
    await upload(img, PNG);
    await h.store.commit(img, 'room-1', committedName(img, 'image/png'));
    const a = await get(await h.store.getUrl('room-1', committedName(img, 'image/png'), { inline: true, filename: 'a.png' }, soon()));
    expect(a.res.status).toBe(200);
    expect(a.body).toEqual(PNG);
    expect(a.res.headers.get('content-type')).toBe('image/png');
    expect(a.res.headers.get('content-disposition') ?? 'inline').toMatch(/^inline/);
    fileHeaders(a.res);

    const doc = key();
    const html = Buffer.from('<html><script>alert(1)</script></html>');
    await upload(doc, html, 'text/html');
    const docName = committedName(doc, 'text/html');
    expect(docName).toBe(`${doc}.bin`);
    await h.store.commit(doc, 'room-1', docName);
    const filename = "résumé (final) 'v2\"; x=.html";
    const d = await get(await h.store.getUrl('room-1', docName, { inline: false, filename }, soon()));
    expect(d.res.status).toBe(200);
    expect(d.body).toEqual(html);
    expect(d.res.headers.get('content-type')).toBe('application/octet-stream');
    const cd = d.res.headers.get('content-disposition') ?? '';
    expect(cd).toMatch(/^attachment; filename\*=UTF-8''[A-Za-z0-9\-_.!~%]+$/);
    expect(decodeURIComponent(cd.split("''")[1])).toBe(filename);
    fileHeaders(d.res);
  });

  it('a file URL whose signature is altered, missing or expired gets 403 (with nosniff)', async () => {
    const k = key();
    await upload(k, PNG);
    const name = committedName(k, 'image/png');
    await h.store.commit(k, 'lobby', name);
    const expired = await get(await h.store.getUrl('lobby', name, { inline: true, filename: '' }, Date.now() - 2000));
    expect(expired.res.status).toBe(403);
    fileHeaders(expired.res);
    const url = await h.store.getUrl('lobby', name, { inline: true, filename: '' }, soon());
    if (h.verifiesSignatures) {
      const altered = url.replace(/([?&](?:s|X-Amz-Signature)=)(.)/, (_m, p: string, c: string) => `${p}${c === 'A' ? 'B' : 'A'}`);
      expect((await get(altered)).res.status).toBe(403);
      expect((await get(url.split('?')[0])).res.status).toBe(403);
      // A GET URL is not a PUT URL.
      expect((await get(url, { method: 'PUT', body: new Uint8Array(PNG) })).res.status).toBe(403);
      // Nor a download name someone added.
      expect((await get(`${url}&n=evil.html`)).res.status).toBe(403);
    }
    expect((await get(url)).res.status).toBe(200);
  });

  it('writeDerived stores a thumbnail served with its image type', async () => {
    const k = key();
    const webp = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 '), Buffer.alloc(50, 3)]);
    await h.store.writeDerived('lobby', thumbName(k), webp, 'image/webp');
    const t = await get(await h.store.getUrl('lobby', thumbName(k), { inline: true, filename: '' }, soon()));
    expect(t.res.status).toBe(200);
    expect(t.body).toEqual(webp);
    expect(t.res.headers.get('content-type')).toBe('image/webp');
    fileHeaders(t.res);
  });

  it('discard and remove delete; missing ones are fine', async () => {
    const k = key();
    await upload(k, PNG);
    await h.store.discard(k);
    expect(await h.store.uploadedSize(k)).toBeNull();
    await h.store.discard(k);
    const c = key();
    await upload(c, PNG);
    const name = committedName(c, 'image/png');
    await h.store.commit(c, 'lobby', name);
    await h.store.writeDerived('lobby', thumbName(c), PNG, 'image/webp');
    const url = await h.store.getUrl('lobby', name, { inline: true, filename: '' }, soon());
    expect((await get(url)).res.status).toBe(200);
    await h.store.remove('lobby', [name, thumbName(c), `${key()}.bin`]);
    expect((await get(url)).res.status).toBe(404);
  });
});

describe('s3 with an absolute S3_PUBLIC_URL', () => {
  it('presigns for that endpoint: the browser PUTs and GETs there directly', async () => {
    const S3rver = createRequire(import.meta.url)('s3rver') as new (o: object) => { run(): Promise<AddressInfo>; close(): Promise<void> };
    const dir = mkdtempSync(join(tmpdir(), 'livechat-s3rver-direct-'));
    const s3 = new S3rver({ address: '127.0.0.1', port: 0, directory: dir, silent: true });
    const { port } = await s3.run();
    cleanups.push(async () => { await s3.close(); rmSync(dir, { recursive: true, force: true }); });
    // The internal endpoint by name, the public one by address: URLs must name the public one.
    const store = new S3Files({ endpoint: `http://localhost:${port}`, bucket: 'direct', region: 'us-east-1', forcePathStyle: true,
      accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', publicUrl: `http://127.0.0.1:${port}`, keepDays: 0 }, silent);
    cleanups.push(() => store.close());
    await store.init();
    const k = key();
    const t = await store.putTarget(k, 'image/png', PNG.length, soon());
    expect(t.url.startsWith(`http://127.0.0.1:${port}/direct/up/${k}?`)).toBe(true);
    expect((await fetch(t.url, { method: 'PUT', headers: t.headers, body: new Uint8Array(PNG) })).ok).toBe(true);
    await store.commit(k, 'lobby', committedName(k, 'image/png'));
    const url = await store.getUrl('lobby', committedName(k, 'image/png'), { inline: true, filename: '' }, soon());
    expect(url.startsWith(`http://127.0.0.1:${port}/direct/r/lobby/`)).toBe(true);
    const res = await fetch(url);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG);
  });
});

describe('FileStore: an unreachable store', () => {
  it('throws FileStoreUnavailableError from both drivers', async () => {
    const port = await freePort();
    const local = new LocalFiles({ secret: SECRET, origin: () => `http://127.0.0.1:${port}`, timeoutMs: 2000 });
    await expect(local.uploadedSize(key())).rejects.toBeInstanceOf(FileStoreUnavailableError);
    const s3 = new S3Files({ endpoint: `http://127.0.0.1:${port}`, bucket: 'b-x', region: 'us-east-1', forcePathStyle: true,
      accessKeyId: 'a', secretAccessKey: 'b', publicUrl: '/s3', keepDays: 0 }, silent);
    await expect(s3.uploadedSize(key())).rejects.toBeInstanceOf(FileStoreUnavailableError);
    await s3.close();
  });
});
