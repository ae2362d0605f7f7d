/**
 * The `local` FileStore: an HTTP client of a files origin that keeps the bytes in a directory and
 * checks signed URLs (files/signing.ts): nginx with its DAV and secure_link modules in the cluster
 * (chat-front/nginx/files-local.conf.template), the embedded node's own /files/ handler
 * (files/files-http.ts) alone. Browsers get paths on the page's origin (`/files/…`); the server
 * calls the same paths on `origin` (`http://front:8000` in compose) with signatures of its own: HEAD,
 * a ranged GET, WebDAV MOVE, PUT and DELETE, each valid for a minute.
 */
import { FileStoreUnavailableError, type FileStore, type PutTarget, type Serving } from './file-store.js';
import { signedPath, type SignedMethod, type SignOptions } from './signing.js';

export interface LocalFilesOptions {
  secret: string;
  /** Base URL of the files origin, no trailing slash; called per request. */
  origin: () => string;
  /** Per request (default 10 s). */
  timeoutMs?: number;
}

const KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ROOM = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const NAME = /^[0-9a-f-]{36}(\.thumb)?\.[a-z]{2,5}$/;
/** How long the server's own signatures last. */
const OWN_TTL_MS = 60_000;

export const uploadPath = (key: string): string => {
  if (!KEY.test(key)) throw new Error(`file key: expected a UUID, got ${key}`);
  return `/files/up/${key}`;
};

export const roomPath = (room: string, name: string): string => {
  if (!ROOM.test(room)) throw new Error(`file room: bad room name ${room}`);
  if (!NAME.test(name)) throw new Error(`file name: expected <key>.<ext>, got ${name}`);
  return `/files/r/${room}/${name}`;
};

export class LocalFiles implements FileStore {
  readonly driver = 'local' as const;
  private readonly timeoutMs: number;

  constructor(private readonly o: LocalFilesOptions) {
    this.timeoutMs = o.timeoutMs ?? 10_000;
  }

  async init(): Promise<void> {}

  async putTarget(key: string, mime: string, size: number, expiresAt: number): Promise<PutTarget> {
    return { url: signedPath(this.o.secret, uploadPath(key), 'PUT', expiresAt, { length: size }), headers: { 'Content-Type': mime } };
  }

  async uploadedSize(key: string): Promise<number | null> {
    return this.sizeOf(uploadPath(key));
  }

  async committedSize(room: string, name: string): Promise<number | null> {
    return this.sizeOf(roomPath(room, name));
  }

  async readCommitted(room: string, name: string, max: number): Promise<Buffer> {
    const res = await this.call('GET', roomPath(room, name), {}, { Range: `bytes=0-${Math.max(0, max - 1)}` });
    if (res.status === 404 || res.status === 416) { await res.body?.cancel(); return Buffer.alloc(0); }
    if (res.status !== 200 && res.status !== 206) expectOk(res, 'GET');
    return readAtMost(res, max);
  }

  private async sizeOf(path: string): Promise<number | null> {
    const res = await this.call('HEAD', path);
    if (res.status === 404) return null;
    expectOk(res, 'HEAD');
    const len = Number(res.headers.get('content-length'));
    if (!Number.isSafeInteger(len) || len < 0) throw new FileStoreUnavailableError('files origin: HEAD without a Content-Length');
    return len;
  }

  async commit(key: string, room: string, name: string): Promise<void> {
    const res = await this.call('MOVE', uploadPath(key), {}, { Destination: roomPath(room, name), Overwrite: 'T' });
    if (res.status === 404) throw new Error(`files: nothing uploaded as ${key}`);
    expectOk(res, 'MOVE');
  }

  async writeDerived(room: string, name: string, bytes: Buffer, mime: string): Promise<void> {
    const res = await this.call('PUT', roomPath(room, name), { length: bytes.length }, { 'Content-Type': mime }, bytes);
    expectOk(res, 'PUT');
  }

  async getUrl(room: string, name: string, serving: Serving, expiresAt: number): Promise<string> {
    return signedPath(this.o.secret, roomPath(room, name), 'GET', expiresAt, serving.inline ? {} : { filename: serving.filename || 'download' });
  }

  async discard(key: string): Promise<void> {
    await this.remove1(uploadPath(key));
  }

  async remove(room: string, names: readonly string[]): Promise<void> {
    await Promise.all(names.map((n) => this.remove1(roomPath(room, n))));
  }

  async close(): Promise<void> {}

  private async remove1(path: string): Promise<void> {
    const res = await this.call('DELETE', path);
    if (res.status !== 404) expectOk(res, 'DELETE');
  }

  /** One signed request to the files origin; network errors and 5xx throw FileStoreUnavailableError. */
  private async call(method: SignedMethod, path: string, sign: SignOptions = {}, headers: Record<string, string> = {},
    body?: Buffer): Promise<Response> {
    const url = `${this.o.origin()}${signedPath(this.o.secret, path, method, Date.now() + OWN_TTL_MS, sign)}`;
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body: body ? new Uint8Array(body) : undefined, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new FileStoreUnavailableError(`files origin: ${method} ${path}: ${(err as Error).cause ?? (err as Error).message}`);
    }
    if (res.status >= 500) {
      await res.body?.cancel();
      throw new FileStoreUnavailableError(`files origin: ${method} ${path}: ${res.status}`);
    }
    return res;
  }
}

function expectOk(res: Response, what: string): void {
  if (res.status >= 200 && res.status < 300) { void res.body?.cancel(); return; }
  void res.body?.cancel();
  throw new Error(`files origin: ${what} ${new URL(res.url || 'http://x/').pathname} answered ${res.status}`);
}

/** At most `max` bytes of a body; stops reading there. */
async function readAtMost(res: Response, max: number): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let got = 0;
  const reader = res.body.getReader();
  try {
    while (got < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
      got += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const all = Buffer.concat(chunks);
  return all.length > max ? all.subarray(0, max) : all;
}
