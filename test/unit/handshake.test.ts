import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddress, originAllowed, subprotocolAcceptable } from '../../app/src/transport/handshake.js';
import { parseTrustedProxies, TrustedProxies } from '../../app/src/transport/trusted-proxies.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('originAllowed', () => {
  it('allows no Origin, localhost on any port, and the page\'s own origin', () => {
    expect(originAllowed(req({}), [])).toBe(true);
    expect(originAllowed(req({ origin: 'http://localhost:1234' }), [])).toBe(true);
    expect(originAllowed(req({ origin: 'http://127.0.0.1:8000' }), [])).toBe(true);
    expect(originAllowed(req({ origin: 'http://chat.example:8000', host: 'chat.example:8000' }), [])).toBe(true);
    expect(originAllowed(req({ origin: 'https://chat.example', host: 'backend:3000', 'x-forwarded-host': 'chat.example' }), [])).toBe(true);
  });

  it('refuses other origins unless configured', () => {
    expect(originAllowed(req({ origin: 'http://evil.example', host: 'chat.example' }), [])).toBe(false);
    expect(originAllowed(req({ origin: 'null', host: 'chat.example' }), [])).toBe(false);
    expect(originAllowed(req({ origin: 'http://chat.example:9999', host: 'chat.example:8000' }), [])).toBe(false);
    expect(originAllowed(req({ origin: 'http://evil.example' }), ['http://evil.example'])).toBe(true);
    expect(originAllowed(req({ origin: 'http://any.example' }), ['*'])).toBe(true);
  });
});

describe('subprotocolAcceptable', () => {
  it('accepts none or livechat.v1 among others; refuses only-others', () => {
    expect(subprotocolAcceptable(req({}))).toBe(true);
    expect(subprotocolAcceptable(req({ 'sec-websocket-protocol': 'foo, livechat.v1' }))).toBe(true);
    expect(subprotocolAcceptable(req({ 'sec-websocket-protocol': 'foo' }))).toBe(false);
  });
});

describe('clientAddress', () => {
  const from = (peer: string, xff?: string) =>
    ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;
  const haproxy = new TrustedProxies(parseTrustedProxies('127.0.0.1, ::1, 10.0.1.0/24')).trusts;
  const nobody = new TrustedProxies(parseTrustedProxies('')).trusts;

  it('believes X-Forwarded-For only from a configured proxy', () => {
    expect(clientAddress(from('127.0.0.1', '203.0.113.7'), haproxy)).toBe('203.0.113.7');
    expect(clientAddress(from('::ffff:10.0.1.5', '198.51.100.2'), haproxy)).toBe('198.51.100.2');
    expect(clientAddress(from('::1', '2001:db8::1'), haproxy)).toBe('2001:db8::1');
  });

  it('a private peer that is not a configured proxy cannot choose its address (nothing is trusted by default)', () => {
    expect(clientAddress(from('10.0.2.9', '198.51.100.2'), haproxy)).toBe('10.0.2.9');
    expect(clientAddress(from('172.18.0.5', '198.51.100.2'), haproxy)).toBe('172.18.0.5');
    expect(clientAddress(from('127.0.0.1', '203.0.113.7'), nobody)).toBe('127.0.0.1');
    expect(clientAddress(from('203.0.113.50', '127.0.0.1'), haproxy)).toBe('203.0.113.50');
    expect(clientAddress(from('127.0.0.1'), haproxy)).toBe('127.0.0.1');
    expect(clientAddress(from('127.0.0.1', ''), haproxy)).toBe('127.0.0.1');
  });
});
