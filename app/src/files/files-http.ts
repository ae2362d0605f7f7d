/**
 * The embedded node's /files/: what nginx does in the cluster (chat-front/nginx/files-local.conf.template),
 * for the `local` driver without nginx. The same signed URLs (files/signing.ts: 403 when the
 * signature is missing, altered or expired), the same directory layout under `dir` (`up/<key>`,
 * `r/<room>/<name>`), the same methods (GET, HEAD with one byte range; PUT of exactly its signed
 * Content-Length, streamed to a temporary file and renamed, 413 past the limit; WebDAV MOVE from
 * `up/` to `r/`; DELETE) and the same headers on every answer: nosniff, a sandbox CSP, images inline
 * by their extension, everything else `application/octet-stream` as an attachment named by `n`.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ENCODED_NAME, rawQueryArg, verifySignature } from './signing.js';

export interface FilesHttpOptions {
  /** Where the files are (`up/`, `r/`, and `tmp/` for PUTs in progress). */
  dir: string;
  secret: string;
  /** Largest PUT body. */
  maxBytes: number;
}

/** Answers a request whose path starts with `/files/`. */
export type FilesHandler = (req: IncomingMessage, res: ServerResponse) => void;

const UP = /^\/files\/up\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const ROOM = /^\/files\/r\/([a-z0-9][a-z0-9_-]{0,31})\/([0-9a-f-]{36}(?:\.thumb)?\.[a-z]{2,5})$/;
const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };

/** The headers nginx adds to every /files/ answer. */
export const FILE_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "sandbox; default-src 'none'",
  'Cache-Control': 'private, max-age=3600',
  'Referrer-Policy': 'no-referrer',
};

interface Target { area: 'up' | 'r'; file: string }

/** Uploads never sent leave the upload area after this (nginx's front container and S3 do the same). */
export const UPLOAD_TTL_MS = 24 * 3_600_000;

/** Removes files of `dir/up` older than `maxAgeMs`; returns how many went. Never throws. */
export async function sweepUploads(dir: string, maxAgeMs = UPLOAD_TTL_MS, now = Date.now()): Promise<number> {
  let gone = 0;
  const names = await readdir(join(dir, 'up')).catch(() => [] as string[]);
  for (const n of names) {
    const p = join(dir, 'up', n);
    const st = await stat(p).catch(() => null);
    if (st?.isFile() && now - st.mtimeMs > maxAgeMs && (await unlink(p).then(() => true, () => false))) gone++;
  }
  return gone;
}

export function createFilesHandler(o: FilesHttpOptions): FilesHandler {
  // Hourly, off the request path; the timer never keeps the process alive.
  setInterval(() => void sweepUploads(o.dir), 3_600_000).unref();
  const tmp = join(o.dir, 'tmp');

  function target(path: string): Target | null {
    const up = UP.exec(path);
    if (up) return { area: 'up', file: join(o.dir, 'up', up[1]) };
    const r = ROOM.exec(path);
    return r ? { area: 'r', file: join(o.dir, 'r', r[1], r[2]) } : null;
  }

  function end(res: ServerResponse, status: number, headers: Record<string, string | number> = {}): void {
    if (res.headersSent) { res.destroy(); return; }
    res.writeHead(status, { ...FILE_RESPONSE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', ...headers });
    res.end(status >= 400 ? `${status}\n` : undefined);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = req.url ?? '/';
    const path = raw.split('?')[0];
    const method = req.method ?? 'GET';
    const t = target(path);
    if (!t) return end(res, 404);
    const allowed = t.area === 'up' ? ['GET', 'HEAD', 'PUT', 'DELETE', 'MOVE'] : ['GET', 'HEAD', 'PUT', 'DELETE'];
    if (!allowed.includes(method)) return end(res, 405, { Allow: allowed.join(', ') });
    const length = req.headers['content-length'];
    // Like nginx's client_max_body_size: before the signature.
    if (method === 'PUT' && length !== undefined && Number(length) > o.maxBytes) return end(res, 413, { Connection: 'close' });
    const verdict = verifySignature(o.secret, {
      uri: path, method, e: rawQueryArg(raw, 'e') ?? '', n: rawQueryArg(raw, 'n') ?? '', length: length ?? '',
    }, rawQueryArg(raw, 's'));
    if (verdict !== 'ok') return end(res, 403, method === 'PUT' ? { Connection: 'close' } : {});
    switch (method) {
      case 'GET': case 'HEAD': return get(req, res, t, method, rawQueryArg(raw, 'n') ?? '');
      case 'PUT': return put(req, res, t, Number(length));
      case 'DELETE':
        try {
          await unlink(t.file);
          return end(res, 204);
        } catch (err) {
          return end(res, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 404 : 500);
        }
      default: return move(req, res, t);
    }
  }

  async function get(req: IncomingMessage, res: ServerResponse, t: Target, method: string, n: string): Promise<void> {
    let size: number;
    try {
      const st = await stat(t.file);
      if (!st.isFile()) return end(res, 404);
      size = st.size;
    } catch {
      return end(res, 404);
    }
    const ext = /\.([a-z]+)$/.exec(t.file)?.[1] ?? '';
    const image = t.area === 'r' ? IMAGE_TYPES[ext] : undefined;
    const headers: Record<string, string | number> = {
      'Content-Type': image ?? 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      'Content-Disposition': image ? 'inline' : `attachment${n && ENCODED_NAME.test(n) ? `; filename*=UTF-8''${n}` : ''}`,
    };
    const range = parseRange(req.headers.range, size);
    if (range === 'unsatisfiable') return end(res, 416, { 'Content-Range': `bytes */${size}` });
    const [start, last] = range ?? [0, size - 1];
    res.writeHead(range ? 206 : 200, {
      ...FILE_RESPONSE_HEADERS, ...headers, 'Content-Length': Math.max(0, last - start + 1),
      ...(range ? { 'Content-Range': `bytes ${start}-${last}/${size}` } : {}),
    });
    if (method === 'HEAD' || size === 0) { res.end(); return; }
    await pipeline(createReadStream(t.file, { start, end: last }), res).catch(() => res.destroy());
  }

  async function put(req: IncomingMessage, res: ServerResponse, t: Target, length: number): Promise<void> {
    if (!Number.isSafeInteger(length) || length < 0) return end(res, 411, { Connection: 'close' });
    const part = join(tmp, randomUUID());
    let received = 0;
    try {
      await mkdir(tmp, { recursive: true });
      await pipeline(req, async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          received += chunk.length;
          if (received > length) throw new Error('body longer than its Content-Length');
          yield chunk;
        }
      }, createWriteStream(part, { flags: 'wx' }));
      if (received !== length) throw new Error('body shorter than its Content-Length');
      await mkdir(dirname(t.file), { recursive: true });
      const existed = await stat(t.file).then(() => true, () => false);
      await rename(part, t.file);
      end(res, existed ? 204 : 201);
    } catch {
      await unlink(part).catch(() => {});
      end(res, 400, { Connection: 'close' });
    }
  }

  async function move(req: IncomingMessage, res: ServerResponse, t: Target): Promise<void> {
    const dest = destinationPath(req);
    const d = dest ? target(dest) : null;
    if (!d || d.area !== 'r') return end(res, 400);
    try {
      await mkdir(dirname(d.file), { recursive: true });
      const existed = await stat(d.file).then(() => true, () => false);
      if (existed && req.headers.overwrite === 'F') return end(res, 412);
      await rename(t.file, d.file);
      end(res, existed ? 204 : 201);
    } catch (err) {
      end(res, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 404 : 500);
    }
  }

  return (req, res) => {
    handle(req, res).catch(() => end(res, 500));
  };
}

/** A MOVE's Destination: a path, or an absolute URL on the request's own host (like nginx). */
function destinationPath(req: IncomingMessage): string | null {
  const raw = req.headers.destination;
  if (typeof raw !== 'string' || raw === '') return null;
  if (raw.startsWith('/')) return raw.split('?')[0];
  try {
    const u = new URL(raw);
    return u.host === req.headers.host ? u.pathname : null;
  } catch {
    return null;
  }
}

/** One `bytes=` range within `size`: [first, last], null to send it all, or 'unsatisfiable'. */
export function parseRange(header: string | undefined, size: number): [number, number] | null | 'unsatisfiable' {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return null; // absent, several ranges or malformed: the whole file
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return [Math.max(0, size - n), size - 1];
  }
  const first = Number(m[1]);
  if (first >= size) return 'unsatisfiable';
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return last < first ? null : [first, last];
}
