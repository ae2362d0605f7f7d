/**
 * The reader of what the server says about files (shared/PROTOCOL.md "Attachments"): a message's
 * `attachments` and the answer to an `upload` request. Like the other readers, untrusted values in,
 * a rebuilt value of exactly the protocol's shape out (or null), and nothing throws. A URL the page
 * will put in an `href` or a `src` must be a path on the page's origin or an http(s) URL: anything
 * else (`javascript:`, `data:`) is refused, so a server cannot make a file link run code.
 */
import { cleanMime, LIMITS, type Attachment, type UploadResponse } from '@livechat/protocol';
import { isCount, isObj, isStr, isTs, list } from './frame-checks.js';

/** Longest URL the page accepts (an S3 download URL with a 200-character name of emoji is ~4.6 KB). */
const MAX_URL = 16_384;
/** Image dimensions beyond this are not something a real picture has. */
const MAX_DIMENSION = 100_000;
/** Headers a PUT target may name. */
const MAX_HEADERS = 20;

/** A URL to fetch a file from: a path on this origin (not `//host`) or an absolute http(s) URL. */
export function isFileUrl(v: unknown): v is string {
  if (!isStr(v, MAX_URL) || v.length === 0 || /[\u0000-\u001f\s]/.test(v)) return false;
  if (v.startsWith('/')) return !v.startsWith('//') && !v.startsWith('/\\');
  return /^https?:\/\/[^/?#]+/i.test(v);
}

const isDimension = (v: unknown): v is number => isCount(v) && v >= 1 && v <= MAX_DIMENSION;
const isKey = (v: unknown): v is string => isStr(v, LIMITS.fileKeyMax) && v.length > 0;

/** One file of a message; an image's size and thumbnail are kept when well formed. */
export function readAttachment(v: unknown): Attachment | null {
  if (!isObj(v) || !isKey(v.key) || !isStr(v.name, 4 * LIMITS.fileNameMax) || v.name.length === 0) return null;
  const mime = cleanMime(v.mime);
  if (mime === null || !isCount(v.size) || !isFileUrl(v.url)) return null;
  const a: Attachment = { key: v.key, name: v.name, mime, size: v.size, url: v.url };
  if (isDimension(v.width) && isDimension(v.height)) { a.width = v.width; a.height = v.height; }
  if (isFileUrl(v.thumb)) a.thumb = v.thumb;
  return a;
}

/** A message's files: at most LIMITS.attachmentsMax, each key once; null when there are none. */
export function readAttachments(v: unknown): Attachment[] | null {
  const all = list(v, readAttachment);
  if (!all) return null;
  const seen = new Set<string>();
  const out = all.filter((a) => !seen.has(a.key) && seen.add(a.key)).slice(0, LIMITS.attachmentsMax);
  return out.length > 0 ? out : null;
}

function readHeaders(v: unknown): Record<string, string> | null {
  if (v === undefined) return {};
  if (!isObj(v)) return null;
  const entries = Object.entries(v);
  if (entries.length > MAX_HEADERS) return null;
  const out: Record<string, string> = {};
  for (const [k, x] of entries) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,256}$/.test(k) || !isStr(x, 8192)) return null;
    out[k] = x;
  }
  return out;
}

/** The answer to `upload`: where to PUT the bytes, with which headers, until when. */
export function readUpload(f: Record<string, unknown>): UploadResponse | null {
  if (!isStr(f.cid, 256) || !isKey(f.key) || !isObj(f.put) || !isFileUrl(f.put.url) || !isTs(f.expiresAt)) return null;
  const headers = readHeaders(f.put.headers);
  if (!headers) return null;
  return { type: 'upload', cid: f.cid, key: f.key, put: { url: f.put.url, headers }, expiresAt: f.expiresAt };
}
