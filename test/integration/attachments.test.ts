/**
 * Attachments (shared/PROTOCOL.md "Attachments") on the native cluster: 2 servers behind real
 * HAProxy, real nginx keeping the files (the `local` driver) and checking every signature, one real
 * Redis. The bytes go browser -> nginx -> disk; the servers read an upload's first bytes (and an
 * image's bytes for its thumbnail) and never carry a file to or from a client.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { signedPath } from '../../app/src/files/signing.js';
import { LOOSE_LIMITS } from '../helpers/limits.js';
import { useCluster } from '../helpers/use-cluster.js';
import { TestClient } from '../helpers/ws-client.js';

type F = Record<string, any>;
const SECRET = 'attachments-test-secret-0123456789';
const MIB = 1024 * 1024; // FILES_MAX_BYTES is left at its default, 10 MiB

const png = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: { r: 200, g: 40, b: 90 } } }).png().toBuffer();
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const HTML = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');

describe('attachments (2 servers, HAProxy, nginx with the local driver, Redis)', () => {
  const stage = useCluster({
    servers: 2, haproxyCheckInterMs: 300,
    env: { ...LOOSE_LIMITS, FILES_SECRET: SECRET, RATE_LIMIT_BURST: '10000', RATE_LIMIT_PER_SEC: '10000' },
  });
  const page = (path: string) => new URL(path, stage.cluster.pageUrl).toString();
  const filesDir = () => join(stage.cluster.runDir, 'files');
  const uploadsNow = () => (existsSync(join(filesDir(), 'up')) ? readdirSync(join(filesDir(), 'up')).length : 0);

  /** A client on the given server (through HAProxy, retried until round-robin lands there), joined to the room. */
  async function on(appId: string, name: string, room: string): Promise<TestClient> {
    for (let i = 0; i < 40; i++) {
      const c = await TestClient.connect(stage.cluster.wsUrl);
      const w = await c.hello(name);
      if (w.appId !== appId) { c.close(); continue; }
      stage.clients.push(c);
      await c.request({ type: 'join', room }, 'joined');
      return c;
    }
    throw new Error(`never landed on ${appId}`);
  }
  const servers = () => stage.cluster.servers.map((s) => s.appId);

  async function upload(c: TestClient, room: string, name: string, mime: string, bytes: Buffer, cid: string): Promise<F> {
    const u = await c.request({ type: 'upload', room, name, mime, size: bytes.length, cid }, 'upload') as F;
    const res = await fetch(page(u.put.url), { method: 'PUT', headers: u.put.headers, body: new Uint8Array(bytes) });
    expect(res.status, await res.text()).toBeLessThan(300);
    return u;
  }

  it('a PNG and a PDF shared across servers: the image inline with a thumbnail and its size, the PDF as a download; both still there after their server is SIGKILLed', async () => {
    const [s1, s2] = servers();
    const ann = await on(s1, 'Ann', 'pics');
    const bob = await on(s2, 'Bob', 'pics');
    const image = await png(1200, 800);
    const u1 = await upload(ann, 'pics', 'sunset.png', 'image/png', image, 'u1');
    const u2 = await upload(ann, 'pics', 'Report (final) é.pdf', 'application/pdf', PDF, 'u2');
    expect(u1.expiresAt).toBeGreaterThan(Date.now() + 5 * 60_000);
    const ack = await ann.request({ type: 'send', room: 'pics', text: '', cid: 'm1', attachments: [{ key: u1.key }, { key: u2.key }] }, 'ack') as F;
    const msg = await bob.next((f) => f.type === 'message' && f.cid === 'm1') as F;
    expect(msg.id).toBe(ack.id);
    expect(msg.text).toBe('');
    const [img, pdf] = msg.attachments as F[];
    expect(img).toMatchObject({ key: u1.key, name: 'sunset.png', mime: 'image/png', size: image.length, width: 1200, height: 800 });
    expect(pdf).toMatchObject({ key: u2.key, name: 'Report (final) é.pdf', mime: 'application/pdf', size: PDF.length });
    expect(pdf.thumb).toBeUndefined();

    const got = await fetch(page(img.url));
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('content-security-policy')).toContain('sandbox');
    expect(Buffer.from(await got.arrayBuffer()).equals(image)).toBe(true);
    const thumb = await fetch(page(img.thumb));
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(480);
    const doc = await fetch(page(pdf.url));
    expect(doc.headers.get('content-type')).toBe('application/octet-stream');
    expect(doc.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''Report%20%28final%29%20%C3%A9.pdf");
    expect(doc.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await doc.arrayBuffer()).equals(PDF)).toBe(true);

    // The server that took the upload dies: the files are on nginx's disk, and the others sign URLs.
    await stage.cluster.killServer(s1, 'SIGKILL');
    expect((await fetch(page(img.url))).status).toBe(200);
    const hist = await bob.request({ type: 'history', room: 'pics' }, 'history') as F;
    const again = (hist.messages as F[]).find((m) => m.cid === 'm1')!;
    expect((await fetch(page(again.attachments[1].url))).status).toBe(200);
    const late = await on(s2, 'Cat', 'pics');
    const joined = late.frames.find((f: F) => f.type === 'joined') as F;
    const seen = (joined.messages as F[]).find((m) => m.cid === 'm1')!;
    expect((await fetch(page(seen.attachments[0].thumb))).status).toBe(200);
    await stage.cluster.startServer(s1);
  });

  it('an HTML file is stored and offered only as a download, never rendered', async () => {
    const [s1] = servers();
    const ann = await on(s1, 'Ann', 'html');
    const u = await upload(ann, 'html', 'page.html', 'text/html', HTML, 'h1');
    await ann.request({ type: 'send', room: 'html', text: 'see this', cid: 'h2', attachments: [{ key: u.key }] }, 'ack');
    const msg = await ann.next((f) => f.type === 'message' && f.cid === 'h2') as F;
    const res = await fetch(page(msg.attachments[0].url));
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('refused with nothing stored: an 11 MiB file; a "PNG" that is HTML; a key issued to someone else; a PUT of other bytes or after expiry', async () => {
    const [s1, s2] = servers();
    const ann = await on(s1, 'Ann', 'bad');
    const eve = await on(s2, 'Eve', 'bad');
    const before = uploadsNow();

    const big = await ann.request({ type: 'upload', room: 'bad', name: 'big.bin', mime: 'application/octet-stream', size: 11 * MIB, cid: 'b1' }, 'error') as F;
    expect(big).toMatchObject({ code: 'bad_request', cid: 'b1' });

    const fake = await upload(ann, 'bad', 'cat.png', 'image/png', HTML, 'b2');
    expect(existsSync(join(filesDir(), 'up', fake.key))).toBe(true);
    const refused = await ann.request({ type: 'send', room: 'bad', text: 'cat', cid: 'b3', attachments: [{ key: fake.key }] }, 'error') as F;
    expect(refused).toMatchObject({ code: 'bad_request', cid: 'b3' });
    expect(existsSync(join(filesDir(), 'up', fake.key))).toBe(false);

    const mine = await upload(ann, 'bad', 'dot.png', 'image/png', await png(4, 4), 'b4');
    const stolen = await eve.request({ type: 'send', room: 'bad', text: 'mine now', cid: 'b5', attachments: [{ key: mine.key }] }, 'error') as F;
    expect(stolen).toMatchObject({ code: 'bad_request', cid: 'b5' });

    // The PUT target binds the length: other bytes (more, or fewer) are refused by nginx.
    const u = await ann.request({ type: 'upload', room: 'bad', name: 'x.pdf', mime: 'application/pdf', size: PDF.length, cid: 'b6' }, 'upload') as F;
    const longer = await fetch(page(u.put.url), { method: 'PUT', headers: u.put.headers, body: new Uint8Array(Buffer.concat([PDF, Buffer.from('more')])) });
    expect(longer.status).toBe(403);
    // Signed right but expired (the secret is this test's): refused.
    const expired = signedPath(SECRET, `/files/up/${u.key}`, 'PUT', Date.now() - 60_000, { length: PDF.length });
    expect((await fetch(page(expired), { method: 'PUT', headers: u.put.headers, body: new Uint8Array(PDF) })).status).toBe(403);
    // Altered: another key under the same signature.
    const altered = u.put.url.replace(u.key, mine.key);
    expect((await fetch(page(altered), { method: 'PUT', headers: u.put.headers, body: new Uint8Array(PDF) })).status).toBe(403);
    expect(existsSync(join(filesDir(), 'up', u.key))).toBe(false);
    const notYet = await ann.request({ type: 'send', room: 'bad', text: 'x', cid: 'b7', attachments: [{ key: u.key }] }, 'error') as F;
    expect(notYet).toMatchObject({ code: 'bad_request', cid: 'b7' });

    // Nothing of these in the room's history; only the one honest upload (never sent) in the upload area.
    const hist = await ann.request({ type: 'history', room: 'bad' }, 'history') as F;
    expect(hist.messages).toEqual([]);
    expect(uploadsNow()).toBe(before + 1);
  });

  it("a private room's files: a non-member cannot ask for a key there, and gets 403 for the file URLs without a member's signature", async () => {
    const [s1, s2] = servers();
    const owner = await TestClient.connect(stage.cluster.wsUrl);
    stage.clients.push(owner);
    await owner.request({ type: 'signup', username: 'Olga', password: 'correct horse battery' }, 'welcome');
    const made = await owner.request({ type: 'create', title: 'Secret plans' }, 'room') as F;
    const room = made.room as string;
    await owner.request({ type: 'join', room }, 'joined');
    const u = await upload(owner, room, 'plan.png', 'image/png', await png(64, 64), 'p1');
    await owner.request({ type: 'send', room, text: 'the plan', cid: 'p2', attachments: [{ key: u.key }] }, 'ack');
    const msg = await owner.next((f) => f.type === 'message' && f.cid === 'p2') as F;
    const url = new URL(page(msg.attachments[0].url));
    expect((await fetch(url)).status).toBe(200);

    const mallory = await on(s1 === s2 ? s1 : s2, 'Mallory', 'lobby');
    const asked = await mallory.request({ type: 'upload', room, name: 'x.png', mime: 'image/png', size: 10, cid: 'p3' }, 'error') as F;
    expect(['not_joined', 'forbidden']).toContain(asked.code);
    const bare = new URL(url.pathname, url);
    expect((await fetch(bare)).status).toBe(403);
    const otherSig = new URL(url);
    otherSig.searchParams.set('s', 'AAAAAAAAAAAAAAAAAAAAAA');
    expect((await fetch(otherSig)).status).toBe(403);
    const later = new URL(url);
    later.searchParams.set('e', String(Number(url.searchParams.get('e')) + 3600));
    expect((await fetch(later)).status).toBe(403);
  });

  it('an edit keeps the files; a deletion takes them off the message and out of the store', async () => {
    const [s1, s2] = servers();
    const ann = await on(s1, 'Ann', 'del');
    const bob = await on(s2, 'Bob', 'del');
    const u = await upload(ann, 'del', 'gone.png', 'image/png', await png(30, 20), 'd1');
    const sent = await ann.request({ type: 'send', room: 'del', text: 'typo', cid: 'd2', attachments: [{ key: u.key }] }, 'ack') as F;
    const msg = await bob.next((f) => f.type === 'message' && f.cid === 'd2') as F;
    await ann.request({ type: 'edit', room: 'del', id: sent.id, text: 'fixed', cid: 'd3' }, 'ack');
    let hist = await bob.request({ type: 'history', room: 'del' }, 'history') as F;
    expect(hist.messages[0]).toMatchObject({ text: 'fixed', attachments: [{ key: u.key, width: 30, height: 20 }] });
    await ann.request({ type: 'delete', room: 'del', id: sent.id, cid: 'd4' }, 'ack');
    hist = await bob.request({ type: 'history', room: 'del' }, 'history') as F;
    expect(hist.messages[0]).toMatchObject({ deleted: true, text: '' });
    expect(hist.messages[0].attachments).toBeUndefined();
    for (let i = 0; ; i++) {
      const [a, b] = await Promise.all([fetch(page(msg.attachments[0].url)), fetch(page(msg.attachments[0].thumb))]);
      if (a.status === 404 && b.status === 404) break;
      if (i > 50) throw new Error(`the deleted message's files are still served: ${a.status} ${b.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it("images are checked in each server's low-priority image worker; one killed is replaced at the next image", async () => {
    const [s1] = servers();
    const ann = await on(s1, 'Ann', 'worker');
    const u1 = await upload(ann, 'worker', 'one.png', 'image/png', await png(50, 50), 'w1');
    await ann.request({ type: 'send', room: 'worker', text: '1', cid: 'w2', attachments: [{ key: u1.key }] }, 'ack');
    const server = stage.cluster.servers.find((s) => s.appId === s1)!;
    const workers = () => execFileSync('pgrep', ['-P', String(server.pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number)
      .filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('image-worker'));
    const [worker] = workers();
    expect(worker).toBeGreaterThan(0);
    expect(Number(readFileSync(`/proc/${worker}/stat`, 'utf8').split(') ')[1].split(' ')[16])).toBe(19); // nice
    process.kill(worker, 'SIGKILL');
    const u2 = await upload(ann, 'worker', 'two.png', 'image/png', await png(60, 40), 'w3');
    await ann.request({ type: 'send', room: 'worker', text: '2', cid: 'w4', attachments: [{ key: u2.key }] }, 'ack');
    const msg = await ann.next((f) => f.type === 'message' && f.cid === 'w4') as F;
    expect(msg.attachments[0]).toMatchObject({ width: 60, height: 40 });
    expect(workers()).not.toContain(worker);
  });

  it('a message too big with its files is refused before any file moves, and the files stay free for a smaller send', async () => {
    const [s1] = servers();
    const ann = await on(s1, 'Ann', 'big-names');
    const name = `${'😀'.repeat(195)}.txt`; // a download's name is in its URL too, percent-encoded: ~2.4 KB
    const keys: string[] = [];
    for (let i = 0; i < 10; i++) keys.push((await upload(ann, 'big-names', name, 'text/plain', Buffer.from(`note ${i}\n`), `n${i}`)).key);
    const before = uploadsNow();
    const big = await ann.request({ type: 'send', room: 'big-names', text: 'all', cid: 'n10', attachments: keys.map((key) => ({ key })) }, 'error') as F;
    expect(big).toMatchObject({ code: 'bad_request', cid: 'n10' });
    expect(big.message).toMatch(/bytes encoded/);
    expect(uploadsNow()).toBe(before); // nothing moved
    const ok = await ann.request({ type: 'send', room: 'big-names', text: 'two', cid: 'n11', attachments: keys.slice(0, 2).map((key) => ({ key })) }, 'ack') as F;
    expect(ok.id).toBeGreaterThan(0);
    expect(uploadsNow()).toBe(before - 2);
  });

  it('a retried send (same cid) with its files is answered like the first, once; the same key on a second message is refused', async () => {
    const [s1] = servers();
    const ann = await on(s1, 'Ann', 'retry');
    const u = await upload(ann, 'retry', 'a.png', 'image/png', await png(10, 10), 'r1');
    const first = await ann.request({ type: 'send', room: 'retry', text: 'x', cid: 'r2', attachments: [{ key: u.key }] }, 'ack') as F;
    const again = await ann.request({ type: 'send', room: 'retry', text: 'x', cid: 'r2', attachments: [{ key: u.key }] }, 'ack') as F;
    expect(again.id).toBe(first.id);
    const reuse = await ann.request({ type: 'send', room: 'retry', text: 'y', cid: 'r3', attachments: [{ key: u.key }] }, 'error') as F;
    expect(reuse).toMatchObject({ code: 'bad_request', cid: 'r3' });
    const hist = await ann.request({ type: 'history', room: 'retry' }, 'history') as F;
    expect((hist.messages as F[]).map((m) => m.cid)).toEqual(['r2']);
  });
});
