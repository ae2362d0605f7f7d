/**
 * Signed, expiring file URLs as nginx's secure_link module checks them (the `local` driver), and as
 * the embedded node's /files/ handler checks them (files/files-http.ts). nginx side
 * (chat-front/nginx/files-local.conf.template):
 *
 *   secure_link $arg_s,$arg_e;
 *   secure_link_md5 "$secure_link_expires|$uri|$request_method|$arg_n|$http_content_length|$files_secret";
 *
 * so the signature is `base64url(md5(e|uri|method|n|length|secret))` without padding (the `|` keep one
 * field from sliding into the next: without them `n=12` plus a 34-byte body signs as a 1234-byte PUT):
 * `e` the expiry in unix seconds, `uri` the path (`/files/r/lobby/<key>.png`), `method` the request's
 * (GET, HEAD, PUT, DELETE, MOVE: a GET URL does not work for a PUT), `n` the download file name as it
 * appears in the query (percent-encoded, RFC 5987 safe) or '', `length` the exact Content-Length for
 * a PUT, else '' (nginx's `$http_content_length` is empty without the header). The query carries `e`,
 * `s` and, for downloads, `n`. The Destination of a MOVE is not signed: only the server gets MOVE
 * signatures (browsers get PUT to `up/` and GET of `r/`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type SignedMethod = 'GET' | 'HEAD' | 'PUT' | 'DELETE' | 'MOVE';

/** What a signature covers. */
export interface SignedRequest {
  /** The request path, no query (`/files/up/<key>`). */
  uri: string;
  method: string;
  /** Expiry, unix seconds, as in the query. */
  e: string;
  /** The raw (still percent-encoded) `n` of the query, or ''. */
  n: string;
  /** The request's Content-Length header as sent, or '' without one. */
  length: string;
}

/**
 * A file name for `filename*=UTF-8''…` (RFC 5987 / RFC 8187): encodeURIComponent plus `'()*`
 * escaped, so the result is only `A-Za-z0-9-_.!~` and `%XX`: nothing a header or a query can break on.
 */
export function encodeFileName(name: string): string {
  return encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Characters an encoded file name can hold (what encodeFileName makes). */
export const ENCODED_NAME = /^[A-Za-z0-9\-_.!~%]*$/;

/** The signature of a request (base64url md5, no padding). */
export function signature(secret: string, r: SignedRequest): string {
  return createHash('md5').update(`${r.e}|${r.uri}|${r.method}|${r.n}|${r.length}|${secret}`).digest('base64url');
}

export interface SignOptions {
  /** A download's file name (raw: it is encoded here); omitted for inline images and server requests. */
  filename?: string;
  /** The exact byte count of a PUT. */
  length?: number;
}

/** `uri?e=…&s=…[&n=…]` valid for `method` until `expiresAt` (ms; rounded up to the second). */
export function signedPath(secret: string, uri: string, method: SignedMethod, expiresAt: number, o: SignOptions = {}): string {
  const e = String(Math.ceil(expiresAt / 1000));
  const n = o.filename === undefined ? '' : encodeFileName(o.filename);
  const s = signature(secret, { uri, method, e, n, length: o.length === undefined ? '' : String(o.length) });
  return `${uri}?e=${e}&s=${s}${n ? `&n=${n}` : ''}`;
}

export type Verdict = 'ok' | 'invalid' | 'expired';

/**
 * Checks a request's signature like nginx: 'invalid' when `s` or `e` is missing or the signature
 * does not match (compared in constant time), 'expired' when it matches but `e` is past.
 */
export function verifySignature(secret: string, r: SignedRequest, s: string | null, now = Date.now()): Verdict {
  if (!s || !/^\d{1,12}$/.test(r.e)) return 'invalid';
  const want = Buffer.from(signature(secret, r));
  const got = Buffer.from(s);
  if (got.length !== want.length || !timingSafeEqual(got, want)) return 'invalid';
  // nginx: expired when e < now, in whole seconds.
  return Number(r.e) < Math.floor(now / 1000) ? 'expired' : 'ok';
}

/**
 * The raw value of query parameter `name` in a request target (first occurrence, not decoded), like
 * nginx's `$arg_name` (whose name matches in any case), or null when absent.
 */
export function rawQueryArg(target: string, name: string): string | null {
  const q = target.indexOf('?');
  if (q < 0) return null;
  for (const part of target.slice(q + 1).split('&')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (key.toLowerCase() === name) return eq < 0 ? '' : part.slice(eq + 1);
  }
  return null;
}
