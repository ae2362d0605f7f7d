/**
 * Hostile handshakes against a real server process: origins, subprotocols, paths, oversized and
 * endless headers. Every refusal is an HTTP answer (never a crash), and two bystanders keep chatting.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../faults/lib/raw-ws.js';
import { startServer, type ServerProc } from '../helpers/server-proc.js';
import { bystanders, type Bystanders } from './lib/bystander.js';

describe('handshake refusals (real server process)', () => {
  let srv: ServerProc;
  let by: Bystanders;

  beforeAll(async () => {
    srv = await startServer({ appId: 'sec-hs', env: { ALLOWED_ORIGINS: 'https://chat.example.org, https://other.example.net' } });
    by = await bystanders(srv.url);
  });
  afterAll(async () => {
    by?.close();
    await srv?.kill('SIGKILL');
  });

  const status = async (headers: Record<string, string>, protocols?: string[] | null, path?: string) => {
    const r = await RawClient.handshake(srv.port, { headers, protocols, path });
    r.client?.destroy();
    return r;
  };

  it('refuses a foreign Origin with 403', async () => {
    for (const origin of ['http://evil.example', 'https://chat.example.org.evil.com', 'null', 'file://', 'chrome-extension://abc',
      'http://localhost.evil.com', 'http://127.0.0.1.nip.io:8081']) {
      const r = await status({ Origin: origin });
      expect(r.status, origin).toBe(403);
    }
    await by.stillChats();
  });

  it('accepts no Origin, localhost and 127.0.0.1 on any port, and ALLOWED_ORIGINS', async () => {
    expect((await status({})).status).toBe(101);
    for (const origin of ['http://localhost', 'http://localhost:5173', 'https://localhost:8443', 'http://127.0.0.1:8081',
      'https://chat.example.org', 'https://other.example.net']) {
      expect((await status({ Origin: origin })).status, origin).toBe(101);
    }
    // The page's own origin (same host as the request, as nginx forwards it).
    expect((await status({ Origin: 'http://chat.lan:8081', Host: 'chat.lan:8081' })).status).toBe(101);
    await by.stillChats();
  });

  it('refuses a handshake offering only other subprotocols (no 101); accepts none and selects livechat.v1', async () => {
    const other = await status({}, ['chat.v2', 'mqtt']);
    expect(other.status).toBeGreaterThanOrEqual(400);
    const none = await status({}, null);
    expect(none.status).toBe(101);
    expect(none.head).not.toMatch(/sec-websocket-protocol/i);
    const mixed = await status({}, ['chat.v2', 'livechat.v1']);
    expect(mixed.status).toBe(101);
    expect(mixed.head).toMatch(/sec-websocket-protocol: livechat\.v1/i);
    await by.stillChats();
  });

  it('refuses upgrades on other paths and bad WebSocket versions', async () => {
    expect((await status({}, undefined, '/chat')).status).toBe(404);
    expect((await status({ 'Sec-WebSocket-Version': '7' })).status).toBe(400);
    await by.stillChats();
  });

  it('refuses oversized headers (a 64 KB cookie, 2000 headers) without crashing', async () => {
    const cookie = await status({ Cookie: `c=${'x'.repeat(64 * 1024)}` });
    expect([400, 431, 0]).toContain(cookie.status);
    const many: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) many[`X-Junk-${i}`] = 'y'.repeat(20);
    const lots = await status(many);
    expect([400, 431, 0]).toContain(lots.status);
    expect(srv.alive).toBe(true);
    await by.stillChats();
  });

  it('drops a client that sends headers forever (slowloris) and keeps serving', async () => {
    const s = net.connect(srv.port, '127.0.0.1');
    s.on('error', () => {});
    await new Promise((r) => s.once('connect', r));
    s.write('GET /ws HTTP/1.1\r\nHost: x\r\n');
    let closed = false;
    s.on('close', () => { closed = true; });
    // One header line of 8 KB at a time: the header limit ends it long before the timeout.
    for (let i = 0; i < 20 && !closed; i++) {
      s.write(`X-Slow-${i}: ${'z'.repeat(8 * 1024)}\r\n`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(closed || s.destroyed).toBe(true);
    s.destroy();
    expect(srv.alive).toBe(true);
    await by.stillChats();
  });
});
