// The page's SSE socket (chat-front/src/sse-socket.ts): open on the stream's first event, frames handed
// on as a WebSocket's, requests POSTed one at a time in order, and one close (with a code) on the
// server's close event, a stream error or a refused / lost POST — the EventSource closed each time, so
// it never reconnects by itself. Driven with fake EventSource and fetch; the Connection on top of it too.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Connection, State } from '../../chat-front/src/connection.js';
import { SseSocket, type EventSourceLike, type FetchLike } from '../../chat-front/src/sse-socket.js';

class FakeEventSource implements EventSourceLike {
  static all: FakeEventSource[] = [];
  static last(): FakeEventSource { return FakeEventSource.all[FakeEventSource.all.length - 1]; }
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  closed = false;
  constructor(readonly url: string) { FakeEventSource.all.push(this); }
  close(): void { this.closed = true; }
  emit(frame: object | string): void { this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) }); }
  fail(): void { this.onerror?.({}); }
}

interface Post { url: string; body: string; init: Parameters<FetchLike>[1]; resolve(status: number, retryAfter?: string): void; reject(): void }

function fakeFetch() {
  const posts: Post[] = [];
  const fetch: FetchLike = (url, init) => new Promise((resolve, reject) => {
    posts.push({ url, body: init.body, init, resolve: (status, retryAfter) => resolve({ status, headers: { get: (n: string) => (n === 'Retry-After' ? retryAfter ?? null : null) } }), reject: () => reject(new TypeError('network')) });
  });
  return { posts, fetch };
}

const flush = async () => { for (let i = 0; i < 5; i++) await Promise.resolve(); };

function setup() {
  const f = fakeFetch();
  const s = new SseSocket({ streamUrl: '/sse', EventSource: FakeEventSource, fetch: f.fetch });
  const es = FakeEventSource.last();
  const events: string[] = [];
  const closes: Array<{ code: number; reason: string }> = [];
  const frames: string[] = [];
  s.onopen = () => events.push('open');
  s.onmessage = (ev) => frames.push(String(ev.data));
  s.onclose = (ev) => closes.push(ev);
  return { s, es, posts: f.posts, events, closes, frames };
}

const opened = () => {
  const t = setup();
  t.es.emit({ type: 'stream', stream: 'tok/1' });
  return t;
};

beforeEach(() => { FakeEventSource.all = []; });

describe('SseSocket', () => {
  it('opens GET /sse and is OPEN once the stream names itself; send before that throws', () => {
    const { s, es, events } = setup();
    expect(es.url).toBe('/sse');
    expect(s.readyState).toBe(0);
    expect(() => s.send('{"type":"hello"}')).toThrow();
    es.emit({ type: 'stream', stream: 'abc' });
    expect(s.readyState).toBe(1);
    expect(events).toEqual(['open']);
  });

  it('hands every later event on as a frame, unchanged', () => {
    const { es, frames } = opened();
    es.emit('{"type":"welcome","appId":"2000"}');
    es.emit('{"type":"message","text":"we should close the door"}');
    expect(frames).toEqual(['{"type":"welcome","appId":"2000"}', '{"type":"message","text":"we should close the door"}']);
  });

  it('POSTs requests one at a time, in order, same-origin, not keepalive, to /sse/<token>', async () => {
    const { s, posts } = opened();
    s.send('{"n":1}');
    s.send('{"n":2}');
    s.send('{"n":3}');
    expect(posts).toHaveLength(1); // the next waits for the previous one's answer
    expect(posts[0].url).toBe('/sse/tok%2F1');
    expect(posts[0].init).toMatchObject({
      method: 'POST', headers: { 'Content-Type': 'application/json' }, credentials: 'same-origin', keepalive: false,
    });
    posts[0].resolve(202);
    await flush();
    expect(posts).toHaveLength(2);
    posts[1].resolve(202);
    await flush();
    posts[2].resolve(202);
    await flush();
    expect(posts.map((p) => p.body)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
  });

  it('closes with the code of the server\'s close event, and closes the EventSource', () => {
    const { s, es, closes, frames } = opened();
    es.emit({ type: 'close', code: 1013, reason: 'try again later' });
    expect(closes).toEqual([{ code: 1013, reason: 'try again later' }]);
    expect(es.closed).toBe(true);
    expect(s.readyState).toBe(3);
    expect(frames).toEqual([]);
    es.emit({ type: 'message' }); // nothing after the close
    expect(frames).toEqual([]);
  });

  it('keeps 1008 "signed out" (the page signs out on it)', () => {
    const { es, closes } = opened();
    es.emit({ type: 'close', code: 1008, reason: 'signed out' });
    expect(closes).toEqual([{ code: 1008, reason: 'signed out' }]);
  });

  it('a stream error is 1006 and the EventSource is closed (no reconnect of its own)', () => {
    const { es, closes } = opened();
    es.fail();
    es.fail();
    expect(closes).toEqual([{ code: 1006, reason: 'stream lost' }]);
    expect(es.closed).toBe(true);
  });

  it('a stream that fails before it opens closes with 1006 without opening', () => {
    const { es, events, closes } = setup();
    es.fail();
    expect(events).toEqual([]);
    expect(closes.map((c) => c.code)).toEqual([1006]);
  });

  it('a first event that is not the stream token is a failure', () => {
    const { es, events, closes } = setup();
    es.emit({ type: 'welcome' });
    expect(events).toEqual([]);
    expect(closes.map((c) => c.code)).toEqual([1006]);
    expect(es.closed).toBe(true);
  });

  it('a POST answered 404 (the stream is gone) closes with 1006 and drops what is queued', async () => {
    const { s, es, posts, closes } = opened();
    s.send('{"n":1}');
    s.send('{"n":2}');
    posts[0].resolve(404);
    await flush();
    expect(closes.map((c) => c.code)).toEqual([1006]);
    expect(es.closed).toBe(true);
    expect(posts).toHaveLength(1);
  });

  it('a POST lost on the network closes with 1006; a rate limit with 1013', async () => {
    const a = opened();
    a.s.send('{}');
    a.posts[0].reject();
    await flush();
    expect(a.closes.map((c) => c.code)).toEqual([1006]);
    const b = opened();
    b.s.send('{}');
    b.posts[0].resolve(429);
    await flush();
    expect(b.closes.map((c) => c.code)).toEqual([1013]);
  });

  it('a POST answered 503 goes again after Retry-After, still ahead of the rest; after 3 retries the socket closes with 1013', async () => {
    vi.useFakeTimers();
    try {
      const { s, posts, closes } = opened();
      s.send('{"n":1}');
      s.send('{"n":2}');
      posts[0].resolve(503, '1');
      await flush();
      expect(posts).toHaveLength(1);
      vi.advanceTimersByTime(1000);
      expect(posts.map((p) => p.body)).toEqual(['{"n":1}', '{"n":1}']);
      posts[1].resolve(202);
      await flush();
      expect(posts.map((p) => p.body)).toEqual(['{"n":1}', '{"n":1}', '{"n":2}']);
      for (let i = 0; i < 3; i++) {
        posts[posts.length - 1].resolve(503);
        await flush();
        vi.advanceTimersByTime(1000);
      }
      expect(closes).toEqual([]);
      posts[posts.length - 1].resolve(503);
      await flush();
      expect(closes.map((c) => c.code)).toEqual([1013]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('close() closes the EventSource and reports once', () => {
    const { s, es, closes } = opened();
    s.close(1000, 'bye');
    s.close(1000, 'bye');
    expect(es.closed).toBe(true);
    expect(closes).toEqual([{ code: 1000, reason: 'bye' }]);
  });
});

describe('Connection over SseSocket', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('hello on open, Connected on welcome, requests POSTed in order; a lost stream reconnects on a new one', async () => {
    const f = fakeFetch();
    const Sse = class extends SseSocket { constructor() { super({ streamUrl: '/sse', EventSource: FakeEventSource, fetch: f.fetch }); } };
    const conn = new Connection({
      url: 'ws://h/ws', WebSocket: Sse, hello: () => ({ type: 'hello', name: 'Ann' }), onMessage: () => {}, random: () => 0,
    });
    conn.connect();
    const es = FakeEventSource.last();
    es.emit({ type: 'stream', stream: 's1' });
    expect(JSON.parse(f.posts[0].body)).toMatchObject({ type: 'hello', name: 'Ann' });
    f.posts[0].resolve(202);
    es.emit({ type: 'welcome', appId: '2000', session: 'x', member: { id: 'm1', name: 'Ann' }, rid: JSON.parse(f.posts[0].body).rid });
    expect(conn.state).toBe(State.Connected);
    conn.send({ type: 'join', room: 'lobby' });
    conn.send({ type: 'ping' });
    await flush();
    expect(f.posts.map((p) => JSON.parse(p.body).type)).toEqual(['hello', 'join']);
    f.posts[1].resolve(202);
    await flush();
    expect(f.posts.map((p) => JSON.parse(p.body).type)).toEqual(['hello', 'join', 'ping']);
    es.fail();
    expect(conn.state).toBe(State.Reconnecting);
    vi.advanceTimersByTime(1);
    expect(FakeEventSource.all).toHaveLength(2);
    expect(FakeEventSource.all[0].closed).toBe(true);
    conn.close();
  });
});
