// The page's Connection: hello on every open, Connected on welcome, full-jitter backoff bounded by the
// cap, liveness pings, and a stop that stays stopped. Driven with a fake WebSocket and fake timers.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, Connection, State } from '../../chat-front/src/connection.js';
import type { ServerMessage } from '@livechat/protocol';
import { FakeSocket } from './front-fake-socket.js';

const welcome = (appId = '1000') => ({ type: 'welcome', appId, session: 's1', member: { id: 'm1', name: 'Ann' } });

function setup(opts: { random?: () => number } = {}) {
  const states: State[] = [];
  const messages: ServerMessage[] = [];
  const conn = new Connection({
    url: 'ws://h/ws',
    WebSocket: FakeSocket,
    hello: () => ({ type: 'hello', name: 'Ann', session: 's1' }),
    onMessage: (m) => messages.push(m),
    onState: (s) => states.push(s),
    random: opts.random,
  });
  return { conn, states, messages };
}

beforeEach(() => { FakeSocket.reset(); vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('backoffDelay', () => {
  it('is full jitter: uniform in [0, min(cap, base * 2^attempt))', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 60 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
      const d = backoffDelay(attempt, 500, 10_000, () => r);
      const ceiling = Math.min(10_000, 500 * 2 ** attempt);
      return d >= 0 && d < ceiling && Number.isInteger(d);
    }));
  });

  it('grows exponentially until the cap', () => {
    const top = (n: number) => backoffDelay(n, 500, 10_000, () => 0.999999);
    expect([0, 1, 2, 3, 4, 5, 6].map(top)).toEqual([499, 999, 1999, 3999, 7999, 9999, 9999]);
  });
});

describe('Connection', () => {
  it('offers livechat.v1, sends hello on open and is Connected only after welcome', () => {
    const { conn, states, messages } = setup();
    conn.connect();
    const ws = FakeSocket.last();
    expect(ws.url).toBe('ws://h/ws');
    expect(ws.protocols).toBe('livechat.v1');
    expect(conn.state).toBe(State.Connecting);
    ws.open();
    expect(ws.sent).toEqual([{ type: 'hello', name: 'Ann', session: 's1' }]);
    expect(conn.state).toBe(State.Connecting);
    expect(conn.send({ type: 'join', room: 'lobby' })).toBe(false); // not before welcome
    ws.receive(welcome());
    expect(conn.state).toBe(State.Connected);
    expect(messages.map((m) => m.type)).toEqual(['welcome']);
    expect(states).toEqual([State.Connecting, State.Connected]);
    expect(conn.send({ type: 'join', room: 'lobby' })).toBe(true);
  });

  it('reconnects after the socket closes, and says hello again', () => {
    const { conn } = setup({ random: () => 0.5 });
    conn.connect();
    const first = FakeSocket.last();
    first.open();
    first.receive(welcome('1000'));
    first.drop(1006);
    expect(conn.state).toBe(State.Reconnecting);
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(249); // 0.5 * 500
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(2);
    const second = FakeSocket.last();
    second.open();
    expect(second.sent[0]).toEqual({ type: 'hello', name: 'Ann', session: 's1' });
    second.receive(welcome('2000'));
    expect(conn.state).toBe(State.Connected);
  });

  it('backs off exponentially while every attempt fails, never beyond the cap, and resets on welcome', () => {
    const { conn } = setup({ random: () => 0.999999 });
    conn.connect();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      FakeSocket.last().drop();
      const before = FakeSocket.all.length;
      let waited = 0;
      while (FakeSocket.all.length === before) { vi.advanceTimersByTime(1); waited++; }
      delays.push(waited);
    }
    expect(delays).toEqual([499, 999, 1999, 3999, 7999, 9999, 9999, 9999]);
    FakeSocket.last().open();
    FakeSocket.last().receive(welcome());
    FakeSocket.last().drop();
    vi.advanceTimersByTime(500);
    expect(conn.state).toBe(State.Reconnecting);
    expect(FakeSocket.all).toHaveLength(10); // back at the first step
  });

  it('spreads reconnects with jitter: delays differ between attempts drawn from different randoms', () => {
    const seq = [0.1, 0.9, 0.3];
    let i = 0;
    const { conn } = setup({ random: () => seq[i++ % seq.length] });
    conn.connect();
    const at: number[] = [];
    for (let k = 0; k < 3; k++) {
      FakeSocket.last().drop();
      const before = FakeSocket.all.length;
      let waited = 0;
      while (FakeSocket.all.length === before) { vi.advanceTimersByTime(1); waited++; }
      at.push(waited);
    }
    expect(at).toEqual([50, 900, 600]); // 0.1*500, 0.9*1000, 0.3*2000
  });

  it('starts further up the curve after 1013 (try again later)', () => {
    const { conn } = setup({ random: () => 0.999999 });
    conn.connect();
    FakeSocket.last().open();
    FakeSocket.last().receive(welcome());
    FakeSocket.last().drop(1013);
    vi.advanceTimersByTime(3998); // 0.999999 * 500 * 2^3
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(2);
    expect(conn.state).toBe(State.Reconnecting);
  });

  it('pings every 20 s and drops a path that stops answering', () => {
    const { conn } = setup({ random: () => 0 });
    conn.connect();
    const ws = FakeSocket.last();
    ws.open();
    ws.receive(welcome());
    vi.advanceTimersByTime(19_999);
    expect(ws.sentOfType('ping')).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(ws.sentOfType('ping')).toHaveLength(1);
    ws.receive({ type: 'pong' });
    vi.advanceTimersByTime(20_000);
    expect(ws.sentOfType('ping')).toHaveLength(2);
    expect(conn.state).toBe(State.Connected);
    vi.advanceTimersByTime(10_000); // no pong
    expect(ws.closedByClient).not.toBeNull();
    expect(conn.state).toBe(State.Reconnecting);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(2);
  });

  it('gives up on a handshake that never completes', () => {
    const { conn } = setup({ random: () => 0 });
    conn.connect();
    FakeSocket.last().open(); // hello sent, welcome never comes
    vi.advanceTimersByTime(10_000);
    expect(conn.state).toBe(State.Reconnecting);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(2);
  });

  it('ignores frames and closes from a socket it already gave up on', () => {
    const { conn, messages } = setup({ random: () => 0 });
    conn.connect();
    const old = FakeSocket.last();
    old.open();
    vi.advanceTimersByTime(10_000); // handshake timeout: old dropped
    vi.advanceTimersByTime(1);
    const fresh = FakeSocket.last();
    expect(fresh).not.toBe(old);
    old.receive(welcome('stale'));
    old.drop();
    expect(messages).toHaveLength(0);
    fresh.open();
    fresh.receive(welcome('2000'));
    expect(conn.state).toBe(State.Connected);
  });

  it('close() stops for good', () => {
    const { conn } = setup({ random: () => 0 });
    conn.connect();
    FakeSocket.last().open();
    FakeSocket.last().receive(welcome());
    conn.close();
    expect(conn.state).toBe(State.Disconnected);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('retryNow() skips the rest of the backoff', () => {
    const { conn } = setup({ random: () => 0.999999 });
    conn.connect();
    FakeSocket.last().drop();
    expect(FakeSocket.all).toHaveLength(1);
    conn.retryNow();
    expect(FakeSocket.all).toHaveLength(2);
  });

  it('keeps its defaults when options are passed as undefined (no ping storm)', () => {
    const conn = new Connection({
      url: 'ws://h/ws', WebSocket: FakeSocket, hello: () => ({ type: 'hello', name: 'Ann' }),
      onMessage: () => {}, pingIntervalMs: undefined, random: undefined,
    });
    conn.connect();
    FakeSocket.last().open();
    FakeSocket.last().receive(welcome());
    vi.advanceTimersByTime(1000);
    expect(FakeSocket.last().sentOfType('ping')).toHaveLength(0);
  });
});
