/**
 * The load tool's SSE client (bench/lib/raw-sse-client.ts) against a minimal HTTP server speaking the
 * contract's framing: the stream event first, comments ignored, events split across chunks and with
 * CRLF line ends, POSTs in order, a `close` event's code, a 404 POST closing the client.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RawSseClient } from '../../bench/lib/raw-sse-client.js';

let server: http.Server | null = null;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

function serve(onPost: (body: string, stream: http.ServerResponse, res: http.ServerResponse) => void): Promise<string> {
  let stream: http.ServerResponse | null = null;
  server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/sse') {
      stream = res;
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write(': hello\n\n');
      res.write('data: {"type":"stream","str');
      res.write('eam":"tok1"}\r\n\r\n');
      return;
    }
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => onPost(body, stream!, res));
  });
  return new Promise((resolve) => server!.listen(0, '127.0.0.1', () => resolve(`ws://127.0.0.1:${(server!.address() as AddressInfo).port}/ws`)));
}

function client(url: string) {
  const events: string[] = [];
  const errors: string[] = [];
  let closed: { code: number; opened: boolean } | null = null;
  let opened = false;
  const c = new RawSseClient({ url }, {
    onOpen: () => { opened = true; },
    onText: (buf, start, end) => events.push(buf.toString('utf8', start, end)),
    onClose: (code, o) => { closed = { code, opened: o }; },
    onError: (code) => errors.push(code),
  });
  return { c, events, errors, get closed() { return closed; }, get opened() { return opened; } };
}

const until = async (f: () => boolean) => { for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 10)); expect(f()).toBe(true); };

describe('load tool SSE client', () => {
  it('opens on the stream event, hands on each data event, POSTs requests in order, closes on a close event', async () => {
    const posts: string[] = [];
    const url = await serve((body, stream, res) => {
      posts.push(body);
      res.writeHead(202).end();
      const f = JSON.parse(body) as { n: number };
      stream.write(`data: {"type":"pong","n":${f.n}}\n\n`);
      if (f.n === 3) stream.write(': heartbeat\n\ndata: {"type":"close","code":1013,"reason":"try again later"}\n\n');
    });
    const t = client(url);
    await until(() => t.opened);
    for (const n of [1, 2, 3]) t.c.send(JSON.stringify({ n }));
    await until(() => t.closed !== null);
    expect(posts.map((p) => JSON.parse(p).n)).toEqual([1, 2, 3]);
    expect(t.events).toEqual(['{"type":"pong","n":1}', '{"type":"pong","n":2}', '{"type":"pong","n":3}']);
    expect(t.closed).toEqual({ code: 1013, opened: true });
    expect(t.errors).toEqual([]);
  });

  it('a POST answered 404 (the stream is gone) closes the client with 1006', async () => {
    const url = await serve((_body, _stream, res) => res.writeHead(404).end());
    const t = client(url);
    await until(() => t.opened);
    t.c.send('{"type":"ping"}');
    await until(() => t.closed !== null);
    expect(t.closed).toEqual({ code: 1006, opened: true });
    expect(t.errors).toEqual(['post_404']);
  });
});
