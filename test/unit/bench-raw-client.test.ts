// The load tool's minimal WebSocket client against a real `ws` server: frames split across reads,
// many frames in one read, 16/64-bit lengths, fragmented messages, ping → pong, close codes, refusals.
import type { IncomingMessage } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { RawWsClient } from '../../bench/lib/raw-ws-client.js';

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, verifyClient: (info: { req: IncomingMessage }) => !info.req.url?.includes('refuse') });
const url = () => `ws://127.0.0.1:${(wss.address() as { port: number }).port}/ws`;
afterAll(() => new Promise<void>((r) => {
  for (const ws of wss.clients) ws.terminate();
  wss.close(() => r());
}));

function connect(onServer: (ws: WebSocket) => void) {
  const texts: string[] = [];
  const events: string[] = [];
  let resolveClose: (code: number) => void;
  const closed = new Promise<number>((r) => { resolveClose = r; });
  let resolveOpen: () => void;
  const opened = new Promise<void>((r) => { resolveOpen = r; });
  wss.once('connection', onServer);
  const c = new RawWsClient({ url: url(), protocols: ['livechat.v1'] }, {
    onOpen: () => resolveOpen(),
    onText: (buf, s, e) => texts.push(buf.toString('utf8', s, e)),
    onError: (code) => events.push(code),
    onClose: (code) => resolveClose(code),
  });
  return { c, texts, events, closed, opened };
}

const until = async (pred: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('RawWsClient', () => {
  it('receives frames of every size intact and in order, and sends masked text', async () => {
    const got: string[] = [];
    const payloads = ['a', 'b'.repeat(125), 'ü'.repeat(100), 'c'.repeat(70_000), ...Array.from({ length: 200 }, (_, i) => `m${i}`)];
    const t = connect((ws) => {
      ws.on('message', (d) => {
        got.push(d.toString());
        for (const p of payloads) ws.send(p);
      });
    });
    await t.opened;
    t.c.send('hello ✓');
    await until(() => t.texts.length === payloads.length);
    expect(got).toEqual(['hello ✓']);
    expect(t.texts).toEqual(payloads);
    t.c.close();
    expect(await t.closed).toBe(1000);
  });

  it('handles a frame delivered one byte at a time', async () => {
    const t = connect((ws) => {
      const sock = (ws as unknown as { _socket: import('node:net').Socket })._socket;
      const frame = Buffer.concat([Buffer.from([0x81, 126, 0, 200]), Buffer.alloc(200, 0x41)]);
      let i = 0;
      const tick = setInterval(() => {
        if (i >= frame.length) { clearInterval(tick); return; }
        sock.write(frame.subarray(i, i + 1));
        i++;
      }, 0);
    });
    await t.opened;
    await until(() => t.texts.length === 1, 5000);
    expect(t.texts[0]).toBe('A'.repeat(200));
    t.c.terminate();
  });

  it('reassembles fragmented messages and answers pings', async () => {
    let pong = false;
    const t = connect((ws) => {
      ws.on('pong', () => { pong = true; });
      ws.ping('x');
      ws.send('part1-', { fin: false });
      ws.send('part2', { fin: true });
    });
    await t.opened;
    await until(() => t.texts.length === 1 && pong);
    expect(t.texts).toEqual(['part1-part2']);
    t.c.terminate();
  });

  it('reports the server close code', async () => {
    const t = connect((ws) => ws.close(1013, 'slow'));
    await t.opened;
    expect(await t.closed).toBe(1013);
  });

  it('reports an HTTP refusal', async () => {
    const c: string[] = [];
    const closed = new Promise<boolean>((resolve) => {
      new RawWsClient({ url: `${url()}?refuse` }, {
        onOpen: () => c.push('open'), onText: () => {}, onError: (code) => c.push(code), onClose: (_code, opened) => resolve(opened),
      });
    });
    expect(await closed).toBe(false);
    expect(c).toEqual(['http_401']);
  });
});
