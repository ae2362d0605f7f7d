import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { originAllowed, subprotocolAcceptable } from '../../app/src/transport/handshake.js';

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
