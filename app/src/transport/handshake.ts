/**
 * Upgrade checks that happen before the WebSocket handshake, each refusal written as a proper HTTP
 * response by one helper (as ws's abortHandshake does): path, Origin, subprotocol, capacity.
 */
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { SUBPROTOCOL } from '../protocol/messages.js';
import { clientAddressFrom } from './trusted-proxies.js';

/** Writes an HTTP error response on a raw upgrade socket and closes it. */
export function abortHandshake(socket: Duplex, status: number, message: string): void {
  if (socket.writable) {
    const body = `${message}\n`;
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Connection: close\r\nContent-Type: text/plain\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * Origin rule of the protocol: no Origin header (non-browser clients) is allowed; otherwise the
 * origin must be localhost/127.0.0.1 on any port, the page's own origin (same host as the request,
 * also via X-Forwarded-Host from nginx), or listed in ALLOWED_ORIGINS (`*` allows any).
 */
export function originAllowed(req: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (LOCAL_HOSTS.has(url.hostname)) return true;
  const hosts = [req.headers.host, ...String(req.headers['x-forwarded-host'] ?? '').split(',')]
    .map((h) => h?.trim().toLowerCase())
    .filter(Boolean);
  return hosts.includes(url.host.toLowerCase());
}

/** The offered subprotocols, or an empty list when the header is absent. */
export function offeredProtocols(req: IncomingMessage): string[] {
  const raw = req.headers['sec-websocket-protocol'];
  if (raw === undefined) return [];
  return String(raw).split(',').map((p) => p.trim()).filter(Boolean);
}

/** A handshake offering only other subprotocols is refused; offering none is accepted as v1. */
export function subprotocolAcceptable(req: IncomingMessage): boolean {
  const offered = offeredProtocols(req);
  return offered.length === 0 || offered.includes(SUBPROTOCOL);
}

/**
 * The client's address: the socket's, unless the peer is a trusted proxy (TRUSTED_PROXIES: HAProxy),
 * then the right-most X-Forwarded-For entry that is not one (trusted-proxies.ts). HAProxy replaces the
 * header with exactly one address (the socket's, or the one nginx vouched for), so behind it that is
 * the address; a client that reaches a server port from anywhere else cannot choose its address.
 */
export function clientAddress(req: IncomingMessage, trusts: (address: string) => boolean): string {
  return clientAddressFrom(req.socket.remoteAddress ?? '', req.headers['x-forwarded-for'], trusts);
}
