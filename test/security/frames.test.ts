/**
 * Hostile frames against a real server process (Redis-backed, as in the cluster): too big,
 * binary, fragment floods, bad UTF-8, malformed and mistyped requests, request floods, control
 * characters in names. Each case ends with the right close code or error, the server alive, and two
 * bystanders still chatting. The server runs at LOG_LEVEL=debug and its log never holds message text.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RawClient } from '../faults/lib/raw-ws.js';
import { TestClient } from '../helpers/ws-client.js';
import { useTarget } from './lib/target.js';

const MARKER = `zq-secret-${Date.now().toString(36)}-text`;

describe('hostile frames (real server process, Redis)', () => {
  const t = useTarget({ appId: 'sec-frames', env: { LOG_LEVEL: 'debug' } });
  const client = (name?: string) => t.client(name);

  it('closes a frame over 64 KiB with 1009', async () => {
    const c = await client();
    await c.request({ type: 'join', room: 'lobby' }, 'joined');
    c.send({ type: 'send', room: 'lobby', cid: 'big', text: `${MARKER} ${'x'.repeat(65 * 1024)}` });
    expect(await c.closed).toBe(1009);
    // Just under the limit is a frame, not an offence: it gets bad_request (text too long).
    const d = await client();
    const e = await d.request({ type: 'send', room: 'lobby', cid: 'almost', text: 'y'.repeat(60 * 1024) }, 'ack');
    expect(e).toMatchObject({ type: 'error', code: 'bad_request', cid: 'almost' });
    await t.by.stillChats();
  });

  it('closes a binary frame with 1003', async () => {
    const c = await client();
    c.ws.send(Buffer.from(JSON.stringify({ type: 'ping' })), { binary: true });
    expect(await c.closed).toBe(1003);
    await t.by.stillChats();
  });

  it('closes a flood of tiny continuation fragments summing over the limit with 1009', async () => {
    const { client: raw } = await RawClient.handshake(t.srv.port);
    if (!raw) throw new Error('handshake refused');
    t.open.push({ terminate: () => raw.destroy() });
    raw.write(1, '{"type":"send","text":"', false);
    const frag = Buffer.alloc(16, 'a');
    const burst: Buffer[] = [];
    for (let i = 0; i < 5000; i++) burst.push(frag);
    // 5000 × 16 B = 80 KB in 16-byte continuation frames, written as fast as the socket takes them.
    for (const f of burst) raw.write(0, f, false);
    await raw.until('close 1009', () => raw.closeCode !== null || raw.ended, 5000);
    expect(raw.closeCode).toBe(1009);
    await t.by.stillChats();
  });

  it('closes a flood of empty continuation fragments (ws maxFragments, 16 Ki) with 1008', async () => {
    const { client: raw } = await RawClient.handshake(t.srv.port);
    if (!raw) throw new Error('handshake refused');
    t.open.push({ terminate: () => raw.destroy() });
    raw.write(1, '{"type":"ping"', false);
    // Empty fragments never reach the size limit; the fragment-count limit ends them.
    for (let i = 0; i < 20_000; i++) raw.write(0, Buffer.alloc(0), false);
    await raw.until('close', () => raw.closeCode !== null || raw.ended, 5000);
    expect(raw.closeCode).toBe(1008);
    // A new text frame in the middle of a fragmented message is invalid (RFC 6455 5.4): 1002.
    const { client: raw2 } = await RawClient.handshake(t.srv.port);
    if (!raw2) throw new Error('handshake refused');
    t.open.push({ terminate: () => raw2.destroy() });
    raw2.write(1, '{"type":"ping"', false);
    raw2.write(1, '{"type":"ping"}');
    await raw2.until('close', () => raw2.closeCode !== null || raw2.ended, 5000);
    expect(raw2.closeCode).toBe(1002);
    await t.by.stillChats();
  });

  it('closes invalid UTF-8 with 1007', async () => {
    const { client: raw } = await RawClient.handshake(t.srv.port);
    if (!raw) throw new Error('handshake refused');
    t.open.push({ terminate: () => raw.destroy() });
    raw.write(1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    await raw.until('close', () => raw.closeCode !== null || raw.ended, 5000);
    expect(raw.closeCode).toBe(1007);
    await t.by.stillChats();
  });

  it('answers malformed JSON, unknown types and mistyped fields with bad_request each, then closes with 1008', async () => {
    const bad: Array<string | Record<string, unknown>> = [
      `{"type":"send","text":"${MARKER}"`, 'not json', '[]', 'null', '42', '"hello"', '{}',
      { type: 'teleport' }, { type: 7 }, { type: 'hello', name: 42 }, { type: 'hello', name: '\u0000\u0007 ' },
      { type: 'join', room: 'UPPER' }, { type: 'join', room: 'lobby', after: -1 }, { type: 'join', room: 'lobby', after: '3' },
      { type: 'send', room: 'lobby', text: 5, cid: 'c1' }, { type: 'send', room: 'lobby', text: MARKER, cid: '' },
      { type: 'history', room: 'lobby', limit: 1000 }, { type: 'history', room: 'lobby', before: 1, after: 2 },
      { type: 'send', room: 'lobby', text: `${MARKER}${'z'.repeat(4001)}`, cid: 'toolong' },
      { type: 'join', room: { $gt: '' } },
    ];
    expect(bad.length).toBe(20);
    const d = await client('Mallory2');
    await d.request({ type: 'join', room: 'lobby' }, 'joined');
    for (const b of bad) {
      d.send(b);
      const e = await d.next('error', 3000);
      expect(e, JSON.stringify(b)).toMatchObject({ code: 'bad_request' });
    }
    expect(d.closeCode).toBeNull();
    // The send-shaped ones name their cid.
    expect(d.frames.filter((f) => f.type === 'error' && f.cid === 'toolong')).toHaveLength(1);
    // Abuse past BAD_REQUEST_LIMIT (20 a minute): closed with 1008.
    d.send('still not json');
    expect(await d.closed).toBe(1008);
    await t.by.stillChats();
  });

  it('answers a request flood with rate_limited, naming the cid and a retryAfterMs', async () => {
    const c = await client();
    await c.request({ type: 'join', room: 'flood' }, 'joined');
    for (let i = 0; i < 300; i++) c.send({ type: 'send', room: 'flood', text: `${MARKER} ${i}`, cid: `f-${i}` });
    await c.next((f) => f.type === 'error' && f.code === 'rate_limited', 5000);
    await new Promise((r) => setTimeout(r, 500));
    const limited = c.frames.filter((f) => f.type === 'error' && f.code === 'rate_limited');
    expect(limited.length).toBeGreaterThan(50);
    for (const e of limited) {
      expect(typeof e.cid).toBe('string');
      expect(e.retryAfterMs).toBeGreaterThan(0);
    }
    const acks = c.frames.filter((f) => f.type === 'ack');
    expect(acks.length + limited.length).toBe(300);
    expect(c.closeCode).toBeNull();
    // After waiting retryAfterMs the same cid goes through.
    await new Promise((r) => setTimeout(r, Number(limited[0].retryAfterMs) + 100));
    c.send({ type: 'send', room: 'flood', text: 'again', cid: String(limited[0].cid) });
    const retry = await c.next((f) => f.cid === limited[0].cid && (f.type === 'ack' || f.type === 'error') && f !== limited[0]);
    expect(retry).toMatchObject({ type: 'ack', cid: limited[0].cid });
    await t.by.stillChats();
  });

  it('closes with 1008 a client that keeps sending while its answers wait on a stalled Redis', async () => {
    const c = await client('Stall');
    await c.request({ type: 'join', room: 'stall' }, 'joined');
    t.redis.process.kill('SIGSTOP'); // Redis hangs with its connections up: requests wait REDIS_TIMEOUT_MS
    try {
      c.send({ type: 'history', room: 'stall' });
      // 600 requests behind it: the first ones queue, the rest are refused — and the refusals queue too.
      for (let i = 0; i < 600; i++) c.send({ type: 'ping' });
      const code = await Promise.race([c.closed, new Promise<string>((r) => setTimeout(() => r('still open after 5 s'), 5000))]);
      expect(code).toBe(1008);
    } finally {
      t.redis.process.kill('SIGCONT');
    }
    await t.by.stillChats();
  });

  it('refuses names with control characters or nothing visible; strips invisible characters (as others see them)', async () => {
    const c = await TestClient.connect(t.srv.url);
    t.open.push(c);
    for (const name of ['Bob\u0007', ' \u0007Ev\u0000e\u001b[31m', 'Eve\u0085', '\u200b\u200e\u3164', '\u2800\u115f ']) {
      expect(await c.request({ type: 'hello', name }, 'welcome')).toMatchObject({ type: 'error', code: 'bad_request' });
    }
    const w = await c.hello(' Ev\u200be\u202eRED\u2028\u2066 ');
    expect(w.member.name).toBe('EveRED');
    const watcher = await client('Watcher');
    await watcher.request({ type: 'join', room: 'names' }, 'joined');
    await c.request({ type: 'join', room: 'names' }, 'joined');
    const p = await watcher.next((f) => f.type === 'presence' && (f.member as { id: string }).id === w.member.id);
    expect((p.member as { name: string }).name).toBe('EveRED');
    await t.by.stillChats();
  });

  it('never logs message text, even at debug level', async () => {
    const c = await client();
    await c.request({ type: 'join', room: 'lobby' }, 'joined');
    await c.request({ type: 'send', room: 'lobby', text: `${MARKER} valid`, cid: 'logged?' }, 'ack');
    c.send(`{"type":"send","room":"lobby","text":"${MARKER}", broken`);
    await c.next('error');
    await new Promise((r) => setTimeout(r, 300));
    const log = readFileSync(t.srv.logFile, 'utf8');
    expect(log.length).toBeGreaterThan(0);
    expect(log).toMatch(/"level":20/); // debug lines were written, so the check means something
    expect(log).not.toContain(MARKER);
    expect(t.srv.alive).toBe(true);
  });
});
