/**
 * `--attach N/M[:SIZE]`: N of every M messages carry one image of about SIZE bytes (shared/PROTOCOL.md
 * "Attachments"). `1/20:200k` is one message in 20 with a ~200 KiB PNG; SIZE defaults to 200k and
 * takes a `k` (KiB) or `m` (MiB) suffix. Which messages attach is fixed, not drawn: a sender's message
 * k (0-based, counted per sender from an offset of its own: attach.ts) does when
 * floor((k+1)·N/M) > floor(k·N/M), so exactly N of every M of each sender's messages.
 *
 * The image is made once per run: a PNG of a banded gradient with rows of random pixels spread over it,
 * as many as it takes for the file to be about SIZE bytes (noise does not compress, the gradient nearly
 * vanishes), at up to 1600×1200 — a real picture for the servers' decoder and thumbnailer, not a few
 * hundred bytes of one colour.
 */
import { randomBytes } from 'node:crypto';

export interface AttachSpec {
  /** N of every M messages carry an image. */
  n: number;
  m: number;
  /** Bytes the image should have (the made PNG is within a few % of it). */
  bytes: number;
}

export const DEFAULT_ATTACH_BYTES = 200 * 1024;
/** PUTs in flight at once, all clients together (each on its client's source address). */
export const DEFAULT_PUT_CONCURRENCY = 8;
/**
 * `upload` requests one sender may make a second: 80 % of the servers' default per-member bucket
 * (UPLOAD_RATE 0.5/s), so an attach run is spread over enough senders that none is rate-limited.
 */
export const UPLOADS_PER_SENDER = 0.4;

function parseBytes(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)[bB]?$/.exec(raw);
  if (!m) throw new RangeError(`--attach: size "${raw}" is not a number of bytes (e.g. 200k, 1.5m, 50000)`);
  const unit = m[2].toLowerCase() === 'k' ? 1024 : m[2].toLowerCase() === 'm' ? 1024 * 1024 : 1;
  return Math.round(Number(m[1]) * unit);
}

/** Parses `1/20`, `1/20:200k`, `3/100:1m`; throws RangeError on anything else. */
export function parseAttach(spec: string): AttachSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*(?::\s*(\S+))?\s*$/.exec(spec);
  if (!m) throw new RangeError(`--attach: expected N/M[:SIZE] such as 1/20:200k, got "${spec}"`);
  const n = Number(m[1]), of = Number(m[2]);
  if (of < 1 || n < 1 || n > of) throw new RangeError(`--attach: N/M needs 1 <= N <= M, got ${n}/${of}`);
  const bytes = m[3] === undefined ? DEFAULT_ATTACH_BYTES : parseBytes(m[3]);
  if (bytes < 1024) throw new RangeError(`--attach: an image of at least 1k, got ${bytes} bytes`);
  if (bytes > 64 * 1024 * 1024) throw new RangeError(`--attach: at most 64m, got ${bytes} bytes`);
  return { n, m: of, bytes };
}

const sizeText = (b: number) => (b % (1024 * 1024) === 0 ? `${b / 1024 / 1024}m` : b % 1024 === 0 ? `${b / 1024}k` : String(b));

/** The canonical spec: `1/20:200k`. */
export function attachSpecText(a: AttachSpec): string {
  return `${a.n}/${a.m}:${sizeText(a.bytes)}`;
}

/** Whether message k (0-based) of a sender carries an image. */
export function attaches(a: AttachSpec, k: number): boolean {
  return Math.floor(((k + 1) * a.n) / a.m) > Math.floor((k * a.n) / a.m);
}

/** The fewest senders that keep `upload` requests under UPLOADS_PER_SENDER at `rate` messages a second. */
export function attachSendersNeeded(rate: number, a: AttachSpec): number {
  return Math.ceil((rate * a.n) / a.m / UPLOADS_PER_SENDER - 1e-9);
}

/**
 * The page's origin for the PUTs: `pageUrl` when given, else the ws URL's own origin
 * (`ws://host:8000/ws` → `http://host:8000/`: right when the tool talks through nginx, whose
 * origin serves /files/; through HAProxy's port give --page-url).
 */
export function pageUrlFor(wsUrl: string, pageUrl?: string): string {
  if (pageUrl) {
    const u = new URL(pageUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new RangeError(`--page-url: expected http:// or https://, got ${pageUrl}`);
    return u.toString();
  }
  const u = new URL(wsUrl);
  return `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}/`;
}

export interface TestImage { png: Buffer; width: number; height: number; noiseRows: number }

/** A PNG of about `bytes` bytes (see the module comment). */
export async function makeImage(bytes: number): Promise<TestImage> {
  const { default: sharp } = await import('sharp');
  const width = Math.max(64, Math.min(1600, Math.round(Math.sqrt(bytes * 8))));
  const height = Math.round((width * 3) / 4);
  const row = width * 3;
  const base = Buffer.alloc(row * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * row + x * 3;
      base[p] = (y * 255) / height;
      base[p + 1] = ((x >> 6) * 37) & 255;
      base[p + 2] = 128;
    }
  }
  const noise = randomBytes(row * height);
  const encode = async (rows: number) => {
    const px = Buffer.from(base);
    for (let r = 0; r < rows; r++) {
      const y = Math.floor(((r + 0.5) * height) / rows);
      noise.copy(px, y * row, y * row, (y + 1) * row);
    }
    return sharp(px, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 6 }).toBuffer();
  };
  // Noise rows cost about a row's bytes each in the PNG: aim, measure, correct (twice is plenty).
  let rows = Math.min(height, Math.max(0, Math.round(bytes / row)));
  let png = await encode(rows);
  for (let k = 0; k < 3 && Math.abs(png.length - bytes) > bytes * 0.02; k++) {
    const perRow = rows > 0 ? (png.length - (await encode(0)).length) / rows : row;
    const next = Math.min(height, Math.max(0, rows + Math.round((bytes - png.length) / Math.max(1, perRow))));
    if (next === rows) break;
    rows = next;
    png = await encode(rows);
  }
  return { png, width, height, noiseRows: rows };
}
