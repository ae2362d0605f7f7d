/**
 * The compose suites' attachment step (shared/PROTOCOL.md "Attachments"), as a page does it through
 * the published page port: hello -> join -> `upload` -> PUT the bytes to the page's origin + put.url
 * with put.headers -> `send` with `attachments: [{key}]`; another member's `message` carries
 * `attachments` whose URLs GET the same bytes (the PNG inline as image/png, the PDF as
 * application/octet-stream + attachment, every answer nosniff), and an altered or missing signature
 * gets 403. Whatever the driver: the local one (nginx's /files/) or s3 (nginx's /s3/ proxy to MinIO).
 */
import sharp from 'sharp';
import { expect } from 'vitest';
import { TestClient } from '../../helpers/ws-client.js';

type F = Record<string, any>;

export const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
export const makePng = () => sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 30, g: 120, b: 200 } } }).png().toBuffer();

export interface SharedFiles {
  room: string;
  /** The server the sender was on (its APPID, a replica name). */
  senderAppId: string;
  png: Buffer;
  pdf: Buffer;
  /** The message's id and its attachments as the other member received them. */
  messageId: number;
  attachments: F[];
}

const abs = (page: string, url: string) => new URL(url, page).toString();

/**
 * An altered signature: the first character of the signature parameter (local: `s`, base64url, whose
 * last character carries padding bits nginx ignores; S3: X-Amz-Signature, hex) changed.
 */
export function tampered(url: string): string {
  const u = new URL(url, 'http://x');
  const name = u.searchParams.has('X-Amz-Signature') ? 'X-Amz-Signature' : 's';
  const sig = u.searchParams.get(name);
  if (!sig) throw new Error(`no signature parameter in ${url}`);
  const first = sig[0];
  u.searchParams.set(name, (first === 'a' ? 'b' : 'a') + sig.slice(1));
  return /^https?:/.test(url) ? u.toString() : u.pathname + u.search;
}

/** GETs an attachment's URL and checks the bytes and the headers its kind must have. */
export async function expectServed(page: string, att: F, bytes: Buffer): Promise<void> {
  const res = await fetch(abs(page, att.url), { signal: AbortSignal.timeout(10_000) });
  const body = Buffer.from(await res.arrayBuffer());
  expect(res.status, `${att.name}: ${body.toString('utf8', 0, 300)}`).toBe(200);
  expect(res.headers.get('x-content-type-options'), att.name).toBe('nosniff');
  if (att.mime === 'image/png') {
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition') ?? 'inline').toMatch(/^inline/);
  } else {
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment/);
  }
  expect(body.equals(bytes), `${att.name}: the bytes uploaded`).toBe(true);
}

async function member(wsUrl: string, name: string, room: string, clients: TestClient[]): Promise<{ c: TestClient; appId: string }> {
  const c = await TestClient.connect(wsUrl);
  clients.push(c);
  const w = await c.hello(name);
  expect(w.type, JSON.stringify(w)).toBe('welcome');
  const j = await c.request({ type: 'join', room }, 'joined', 10_000);
  expect(j.type, JSON.stringify(j)).toBe('joined');
  return { c, appId: w.appId };
}

/** The whole step: two members share a PNG and a PDF in `room`; returns what the other one received. */
export async function shareFiles(page: string, wsUrl: string, room: string, clients: TestClient[]): Promise<SharedFiles> {
  const ann = await member(wsUrl, 'ann', room, clients);
  const bob = await member(wsUrl, 'bob', room, clients);
  const png = await makePng();
  const files = [{ name: 'diagram.png', mime: 'image/png', bytes: png }, { name: 'report.pdf', mime: 'application/pdf', bytes: PDF }];
  const keys: string[] = [];
  for (const [i, f] of files.entries()) {
    const u = await ann.c.request({ type: 'upload', room, name: f.name, mime: f.mime, size: f.bytes.length, cid: `up-${i}` }, 'upload', 10_000) as F;
    expect(u.type, JSON.stringify(u)).toBe('upload');
    expect(u.expiresAt).toBeGreaterThan(Date.now() + 4 * 60_000);
    const put = await fetch(abs(page, u.put.url), { method: 'PUT', headers: u.put.headers, body: f.bytes, signal: AbortSignal.timeout(10_000) });
    expect(put.status, `PUT ${f.name}: ${await put.text()}`).toBeLessThan(300);
    keys.push(u.key);
  }
  const ack = await ann.c.request({ type: 'send', room, text: 'two files', cid: 'with-files', attachments: keys.map((key) => ({ key })) }, 'ack', 15_000) as F;
  expect(ack.type, JSON.stringify(ack)).toBe('ack');
  const msg = await bob.c.next((f) => f.type === 'message' && f.cid === 'with-files', 10_000) as F;
  const [img, doc] = msg.attachments as F[];
  expect(img).toMatchObject({ key: keys[0], name: 'diagram.png', mime: 'image/png', size: png.length, width: 64, height: 48 });
  expect(doc).toMatchObject({ key: keys[1], name: 'report.pdf', mime: 'application/pdf', size: PDF.length });
  await expectServed(page, img, png);
  await expectServed(page, doc, PDF);
  if (img.thumb) {
    const t = await fetch(abs(page, img.thumb), { signal: AbortSignal.timeout(10_000) });
    expect(t.status).toBe(200);
    expect(t.headers.get('x-content-type-options')).toBe('nosniff');
  }
  // An altered signature, and none at all: 403, nothing served.
  for (const url of [tampered(img.url), tampered(doc.url), img.url.split('?')[0]]) {
    const res = await fetch(abs(page, url), { signal: AbortSignal.timeout(10_000) });
    expect(res.status, url).toBe(403);
  }
  return { room, senderAppId: ann.appId, png, pdf: PDF, messageId: msg.id, attachments: [img, doc] };
}

/** After servers died: the URLs handed out still fetch the bytes, and a newcomer's `joined` gives fresh ones that do too. */
export async function expectStillThere(page: string, wsUrl: string, shared: SharedFiles, clients: TestClient[]): Promise<void> {
  const [img, doc] = shared.attachments;
  await expectServed(page, img, shared.png);
  await expectServed(page, doc, shared.pdf);
  const late = await TestClient.connect(wsUrl);
  clients.push(late);
  await late.hello('late');
  const j = await late.request({ type: 'join', room: shared.room, after: 0 }, 'joined', 10_000) as F;
  const m = (j.messages as F[]).find((x) => x.id === shared.messageId);
  expect(m, JSON.stringify(j).slice(0, 500)).toBeDefined();
  const [img2, doc2] = m!.attachments as F[];
  await expectServed(page, img2, shared.png);
  await expectServed(page, doc2, shared.pdf);
}
