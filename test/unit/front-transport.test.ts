// The page's transport policy (chat-front/src/transport.ts), under a real Connection with fake sockets
// and fake timers: WebSocket first; two path failures before a welcome switch to SSE; a server's own
// close code does not; on SSE WebSocket is tried again after retryWebSocketMs (next reconnect, or a
// background probe that hands the SSE socket over), and a failed retry goes straight back; the mode
// from `?transport=` or the stored setting forces one transport.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Connection, State } from '../../chat-front/src/connection.js';
import { FELL_BACK_KEY, TRANSPORT_KEY, transportMode, TransportPolicy, type TransportMode } from '../../chat-front/src/transport.js';
import { FakeSocket, MemoryStore } from './front-fake-socket.js';

const RETRY = 5 * 60_000;
const member = { id: 'm1', name: 'Ann' };

/** Both transports are FakeSockets: an SSE one has the url 'sse'. */
function setup(mode: TransportMode = 'auto', storage = new MemoryStore()) {
  const policy = new TransportPolicy({ mode, WebSocket: FakeSocket, sse: () => new FakeSocket('sse'), storage, retryWebSocketMs: RETRY });
  const conn = new Connection({
    url: 'ws://h/ws', WebSocket: policy.Socket, hello: () => ({ type: 'hello', name: 'Ann' }), onMessage: () => {}, random: () => 0,
    pingIntervalMs: 1e9, // liveness pings are not this test's subject
  });
  return { policy, conn, storage };
}

const kind = (s: FakeSocket) => (s.url === 'sse' ? 'sse' : 'ws');
const kinds = () => FakeSocket.all.map(kind);

/** The newest socket opens and is welcomed. */
function welcomeLast(): FakeSocket {
  const s = FakeSocket.last();
  s.open();
  s.receive({ type: 'welcome', appId: '2000', session: 's', member, rid: s.ridOf('hello') });
  return s;
}

/** The newest socket fails (default: as a blocked WebSocket does, 1006 without opening); the reconnect timer fires. */
function failLast(code = 1006): void {
  FakeSocket.last().drop(code);
  vi.advanceTimersByTime(1); // the backoff's jitter is 0
}

beforeEach(() => { FakeSocket.reset(); vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('transportMode', () => {
  it('reads ?transport= first, then the stored setting, else auto', () => {
    const store = new MemoryStore();
    expect(transportMode('', store)).toBe('auto');
    expect(transportMode('?transport=sse', store)).toBe('sse');
    expect(transportMode('?transport=ws', store)).toBe('websocket');
    expect(transportMode('?transport=websocket', null)).toBe('websocket');
    store.setItem(TRANSPORT_KEY, 'sse');
    expect(transportMode('', store)).toBe('sse');
    expect(transportMode('?transport=ws', store)).toBe('websocket');
    expect(transportMode('?transport=bogus', store)).toBe('sse');
  });
});

describe('TransportPolicy', () => {
  it('uses WebSocket while it works: no fallback', () => {
    const { policy, conn } = setup();
    conn.connect();
    welcomeLast();
    expect(conn.state).toBe(State.Connected);
    expect(kinds()).toEqual(['ws']);
    expect(policy.fallback).toBe(false);
    conn.close();
  });

  it('switches to SSE after WebSocket failed twice in a row before a welcome, and remembers when', () => {
    const { policy, conn, storage } = setup();
    conn.connect();
    failLast();
    expect(policy.fallback).toBe(false);
    FakeSocket.last().open(); // opened, then cut before the welcome (a middlebox): a failure too
    failLast();
    expect(kinds()).toEqual(['ws', 'ws', 'sse']);
    welcomeLast();
    expect(conn.state).toBe(State.Connected);
    expect(policy.fallback).toBe(true);
    expect(Number(storage.getItem(FELL_BACK_KEY))).toBeGreaterThan(Date.now() - 100);
    conn.close();
  });

  it('counts the connection\'s own timeout (a handshake that hangs) as a failure', () => {
    const { conn } = setup();
    conn.connect();
    vi.advanceTimersByTime(10_000); // connect timeout: the Connection drops it with 4000, then reconnects at once
    vi.advanceTimersByTime(1);
    vi.advanceTimersByTime(10_000);
    vi.advanceTimersByTime(1);
    expect(kinds()).toEqual(['ws', 'ws', 'sse']);
    conn.close();
  });

  it('a close code of the server\'s own (1013, 1001, 4000) is no reason to leave WebSocket', () => {
    const { conn } = setup();
    conn.connect();
    FakeSocket.last().open();
    failLast(1013);
    FakeSocket.last().open();
    failLast(1001);
    FakeSocket.last().open();
    failLast(4000);
    FakeSocket.last().open();
    failLast(1013);
    expect(kinds()).toEqual(['ws', 'ws', 'ws', 'ws', 'ws']);
    conn.close();
  });

  it('a welcome between two failures resets the count', () => {
    const { conn } = setup();
    conn.connect();
    failLast();
    welcomeLast();
    failLast();
    expect(kinds()).toEqual(['ws', 'ws', 'ws']);
    conn.close();
  });

  it('on SSE, a probe after retryWebSocketMs that gets an answer hands over to WebSocket (the Connection reconnects)', () => {
    const { policy, conn, storage } = setup();
    conn.connect();
    failLast();
    failLast();
    const sse = welcomeLast();
    vi.advanceTimersByTime(RETRY);
    const probe = FakeSocket.last();
    expect(kind(probe)).toBe('ws');
    probe.open();
    expect(probe.sent).toEqual([{ type: 'ping' }]);
    probe.receive({ type: 'error', code: 'not_identified', message: 'hello first' });
    expect(probe.closedByClient?.code).toBe(1000);
    expect(sse.closedByClient).not.toBeNull(); // handed over
    expect(conn.state).toBe(State.Reconnecting);
    vi.advanceTimersByTime(1000);
    const ws = welcomeLast();
    expect(kind(ws)).toBe('ws');
    expect(ws.sent[0]).toMatchObject({ type: 'hello' });
    expect(policy.fallback).toBe(false);
    expect(storage.getItem(FELL_BACK_KEY)).toBeNull();
    conn.close();
  });

  it('a probe that fails leaves the SSE socket alone and tries again later', () => {
    const { policy, conn } = setup();
    conn.connect();
    failLast();
    failLast();
    const sse = welcomeLast();
    vi.advanceTimersByTime(RETRY);
    FakeSocket.last().drop(1006);
    expect(sse.closedByClient).toBeNull();
    expect(conn.state).toBe(State.Connected);
    expect(policy.fallback).toBe(true);
    const before = FakeSocket.all.length;
    vi.advanceTimersByTime(RETRY);
    expect(FakeSocket.all.length).toBe(before + 1); // the next probe
    conn.close();
  });

  it('on SSE, the next reconnect after retryWebSocketMs tries WebSocket once; its failure goes straight back to SSE', () => {
    const { conn } = setup();
    conn.connect();
    failLast();
    failLast();
    welcomeLast();
    vi.setSystemTime(Date.now() + RETRY); // time passes without the probe's timer (e.g. a sleeping laptop)
    failLast();
    expect(kinds().slice(2)).toEqual(['sse', 'ws']);
    failLast();
    expect(kinds().slice(2)).toEqual(['sse', 'ws', 'sse']);
    conn.close();
  });

  it('when SSE fails twice as well (servers down), WebSocket gets its turn again', () => {
    const { conn } = setup();
    conn.connect();
    failLast();
    failLast();
    failLast();
    failLast();
    expect(kinds()).toEqual(['ws', 'ws', 'sse', 'sse', 'ws']);
    conn.close();
  });

  it('a page loaded soon after a fallback starts on SSE; later, on WebSocket', () => {
    const storage = new MemoryStore();
    storage.setItem(FELL_BACK_KEY, String(Date.now() - 1000));
    const a = setup('auto', storage);
    expect(a.policy.fallback).toBe(true);
    storage.setItem(FELL_BACK_KEY, String(Date.now() - RETRY - 1));
    const b = setup('auto', storage);
    expect(b.policy.fallback).toBe(false);
  });

  it('?transport=sse: SSE only, no probe; ?transport=ws: WebSocket only, never SSE', () => {
    const s = setup('sse');
    s.conn.connect();
    welcomeLast();
    vi.advanceTimersByTime(3 * RETRY);
    expect(kinds()).toEqual(['sse']);
    expect(s.policy.fallback).toBe(true);
    s.conn.close();
    FakeSocket.reset();
    const w = setup('websocket');
    w.conn.connect();
    for (let i = 0; i < 5; i++) failLast();
    expect(kinds()).toEqual(['ws', 'ws', 'ws', 'ws', 'ws', 'ws']);
    w.conn.close();
  });
});

describe('the status', () => {
  it('says "fallback" when connected over SSE', async () => {
    const { statusText } = await import('../../chat-front/src/view.js');
    const base = { conn: State.Connected, appId: '2000', phase: 'chat' as const };
    expect(statusText({ ...base, fallback: false })).toBe('connected · APPID 2000');
    expect(statusText({ ...base, fallback: true })).toBe('connected · APPID 2000 · fallback');
    expect(statusText({ ...base, conn: State.Reconnecting, fallback: true })).toBe('reconnecting…');
  });
});
