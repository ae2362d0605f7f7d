/**
 * Serves the built page in the embedded single node (the cluster serves it from nginx instead),
 * with the same security headers nginx sends.
 */
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

/**
 * The Content-Security-Policy of the page, the same for every request (never built from a request
 * header). connect-src is 'self', which CSP Level 3 browsers take to cover ws:/wss: to the page's own
 * host and port; with PUBLIC_ORIGIN (`https://chat.example.com`) that host's WebSocket origin is named
 * too, for browsers that read 'self' as http(s) only.
 */
export function contentSecurityPolicy(publicOrigin = ''): string {
  const ws = publicOrigin ? ` ${publicOrigin.replace(/^http/, 'ws')}` : '';
  return [
    "default-src 'self'",
    `connect-src 'self'${ws}`,
    // blob: the page previews an image before uploading it.
    "img-src 'self' data: blob:",
    "style-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Serves a file under `root`, or returns false when there is none (the caller answers 404). Source
 * maps are never served (a build made with them for debugging keeps them to itself).
 */
export function serveStatic(root: string, req: IncomingMessage, res: ServerResponse, csp = contentSecurityPolicy()): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    return false; // a malformed escape: nothing to serve
  }
  const rel = pathname.endsWith('/') ? `${pathname}index.html` : pathname;
  const file = normalize(join(root, rel));
  if (!file.startsWith(normalize(root) + sep) || extname(file) === '.map') return false;
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) return false;
    size = st.size;
  } catch {
    return false;
  }
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': size,
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': extname(file) === '.html' ? 'no-cache' : 'public, max-age=300',
  });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).on('error', () => res.destroy()).pipe(res);
  return true;
}
