/**
 * The protocol's "Resource bounds" against a real server process on Redis, one attack each: bytes not
 * just characters (a 16 KiB message frame, history kept within 1 MiB, no joined/history frame over
 * 1 MiB of messages), hello within the timeout, a server-wide budget of unsent big answers, and storage
 * that cannot grow without bound (every key expires, sessions hashed with a short first TTL). Each
 * ends with the bound held, the error or close code named, and two bystanders still chatting.
 */
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { RawClient } from '../faults/lib/raw-ws.js';
import { sleep, startServer, waitFor } from '../helpers/server-proc.js';
import { TestClient } from '../helpers/ws-client.js';
import { useTarget } from './lib/target.js';

const MiB = 1024 * 1024;

describe('resource bounds (real server process, Redis)', () => {
  const t = useTarget({
      appId: 'sec-bounds',
      env: { HELLO_TIMEOUT_MS: '1000', REPLY_BUDGET_BYTES: String(256 * 1024), SESSION_FIRST_TTL_SEC: '600', RATE_LIMIT_BURST: '1000', RATE_LIMIT_PER_SEC: '1000' },
    });
  const client = t.client;

  it('refuses a message whose frame would pass 16 KiB encoded, naming the cid; 4000 emoji fit', async () => {
    const c = await client();
    await c.request({ type: 'join', room: 'bytes' }, 'joined');
    const emoji = '😀'.repeat(4000); // 16,000 bytes of text
    expect(await c.request({ type: 'send', room: 'bytes', text: emoji, cid: 'fits' }, 'ack')).toMatchObject({ type: 'ack' });
    const cid = '\u0001'.repeat(64); // 64 characters, 384 bytes once JSON-escaped: the frame passes 16 KiB
    const e = await c.request({ type: 'send', room: 'bytes', text: emoji, cid }, 'ack');
    expect(e).toMatchObject({ type: 'error', code: 'bad_request', cid });
    expect(String(e.message)).toMatch(/bytes/);
    expect(await c.request({ type: 'send', room: 'bytes', text: '\u0007'.repeat(4000), cid: 'ctl' }, 'ack'))
      .toMatchObject({ type: 'error', code: 'bad_request', cid: 'ctl' });
    await t.by.stillChats();
  });

  it('keeps each room\'s history within 1 MiB: a joiner with after=0 never gets a frame with more', async () => {
    const c = await client();
    await c.request({ type: 'join', room: 'flood' }, 'joined');
    const text = 'ü'.repeat(3900); // ~7.9 KB of text, ~8 KB stored
    for (let i = 0; i < 200; i++) {
      const a = await c.request({ type: 'send', room: 'flood', text, cid: `f${i}` }, 'ack');
      if (a.type !== 'ack') throw new Error(JSON.stringify(a));
    }
    const j = await client('Joiner');
    const joined = await j.request({ type: 'join', room: 'flood', after: 0 }, 'joined');
    const bytes = (joined.messages as unknown[]).reduce<number>((n, m) => n + Buffer.byteLength(JSON.stringify(m)), 0);
    expect(bytes).toBeLessThanOrEqual(MiB);
    expect(bytes).toBeGreaterThan(0.9 * MiB);
    expect(joined).toMatchObject({ truncated: true, last: 200 });
    const ids = (joined.messages as Array<{ id: number }>).map((m) => m.id);
    expect(ids.at(-1)).toBe(200);
    expect(ids).toEqual(ids.map((_, i) => ids[0] + i)); // the newest, contiguous
    const h = await j.request({ type: 'history', room: 'flood', after: 0, limit: 200 }, 'history');
    expect(Buffer.byteLength(JSON.stringify(h.messages))).toBeLessThanOrEqual(MiB);
    await t.by.stillChats();
  });

  it('closes a connection that does not say hello in time with 1008; one that did stays', async () => {
    const silent = await TestClient.connect(t.srv.url);
    t.open.push(silent);
    const raw = (await RawClient.handshake(t.srv.port)).client!;
    t.open.push({ terminate: () => raw.socket.destroy() });
    const polite = await client('Polite');
    expect(await silent.closed).toBe(1008);
    await waitFor('the raw socket is closed too', () => raw.closeCode === 1008 || raw.ended, 3000);
    await sleep(1200);
    expect(polite.closeCode).toBeNull();
    expect((await polite.request({ type: 'ping' }, 'pong')).type).toBe('pong');
    await t.by.stillChats();
  });

  it('past the budget of unsent big answers, history and join get rate_limited with retryAfterMs; it frees when the reader goes', async () => {
    const writer = await client('Writer');
    await writer.request({ type: 'join', room: 'budget' }, 'joined');
    for (let i = 0; i < 40; i++) await writer.request({ type: 'send', room: 'budget', text: 'x'.repeat(3000), cid: `b${i}` }, 'ack');
    // A client that asks for big answers and never reads them (its socket paused).
    const hog = await client('Hog');
    await hog.request({ type: 'join', room: 'budget' }, 'joined');
    (hog.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    for (let i = 0; i < 200; i++) hog.send({ type: 'history', room: 'budget', limit: 40 });
    const other = await client('Other');
    await other.request({ type: 'join', room: 'lobby' }, 'joined');
    await waitFor('the budget is spent', async () => {
      const r = await other.request({ type: 'history', room: 'lobby' }, 'history');
      return r.type === 'error';
    }, 10_000, 100);
    const limited = other.frames.filter((f) => f.type === 'error').at(-1)!;
    expect(limited).toMatchObject({ code: 'rate_limited' });
    expect(limited.retryAfterMs).toBeGreaterThan(0);
    hog.terminate();
    await waitFor('the budget frees', async () => (await other.request({ type: 'history', room: 'lobby' }, 'history')).type === 'history', 10_000, 200);
    await t.by.stillChats();
  });

  it('every key the cluster writes expires; session tokens are stored hashed, first for a short TTL', async () => {
    const c = await TestClient.connect(t.srv.url);
    t.open.push(c);
    const w = await c.hello('Keys');
    await c.request({ type: 'join', room: 'keys' }, 'joined');
    await c.request({ type: 'send', room: 'keys', text: 'hi', cid: 'k1' }, 'ack');
    await c.request({ type: 'members', room: 'keys' }, 'members');
    const admin = createClient({ url: t.redis.url });
    await admin.connect();
    try {
      const keys = await admin.keys('*');
      expect(keys.length).toBeGreaterThan(5);
      const forever: string[] = [];
      for (const k of keys) if ((await admin.ttl(k)) < 0) forever.push(k);
      expect(forever).toEqual([]);
      expect(keys.some((k) => k.includes(w.session))).toBe(false);
      const sessionKeys = keys.filter((k) => k.startsWith('lc:session:'));
      expect(sessionKeys.length).toBeGreaterThan(0);
      const ttls = await Promise.all(sessionKeys.map((k) => admin.ttl(k)));
      expect(Math.max(...ttls)).toBeLessThanOrEqual(600);
      // Used again: renewed for the full day.
      const again = await TestClient.connect(t.srv.url);
      t.open.push(again);
      await again.hello('Keys', w.session);
      const renewed = await Promise.all(sessionKeys.map((k) => admin.ttl(k)));
      expect(Math.max(...renewed)).toBeGreaterThan(3600);
      const dedup = keys.filter((k) => k.includes(':cid:'));
      expect(dedup.some((k) => k.includes(`:cid:${w.member.id}:k1`))).toBe(true);
    } finally {
      await admin.close();
    }
    await t.by.stillChats();
  });

  it('Redis full (maxmemory, noeviction): sends get unavailable naming the cid, nothing closes, /metrics shows it; the same cid works once there is room', async () => {
    const c = await client('Filler');
    // History keeps 1 MiB per room: filling Redis takes several rooms.
    for (let r = 0; r < 8; r++) await c.request({ type: 'join', room: `full-${r}` }, 'joined');
    await c.request({ type: 'join', room: 'full' }, 'joined');
    const admin = createClient({ url: t.redis.url });
    await admin.connect();
    try {
      const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
      await admin.configSet({ 'maxmemory-policy': 'noeviction', maxmemory: String(used + 2 * MiB) });
      let refused: Record<string, unknown> | null = null;
      for (let i = 0; i < 2000 && !refused; i++) {
        const a = await c.request({ type: 'send', room: `full-${i % 8}`, text: 'z'.repeat(3900), cid: `full-${i}` }, 'ack');
        if (a.type === 'error') refused = a;
      }
      expect(refused).toMatchObject({ type: 'error', code: 'unavailable' });
      expect(String(refused!.cid)).toMatch(/^full-/);
      expect(c.closeCode).toBeNull();
      const metrics = await (await fetch(`${t.srv.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(/livechat_redis_memory_bytes\{[^}]*kind="max"[^}]*\} [1-9]/);
      expect(metrics).toMatch(/livechat_redis_memory_bytes\{[^}]*kind="used"[^}]*\} [1-9]/);
      await admin.configSet({ maxmemory: '0' });
      const n = Number(String(refused!.cid).slice(5));
      const retry = await c.request({ type: 'send', room: `full-${n % 8}`, text: 'z', cid: String(refused!.cid) }, 'ack');
      expect(retry.type).toBe('ack');
    } finally {
      await admin.configSet({ maxmemory: '0' }).catch(() => {});
      await admin.close();
    }
    await t.by.stillChats();
  });
});
