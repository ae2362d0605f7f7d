// The pre-framed fan-out path: frames of every length form arrive intact and in order, interleaved with ws.send.
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { PreparedFrame } from '../../app/src/chat/prepared-frame.js';
import { asFrame } from '../../app/src/protocol/encode.js';
import { writeFrame } from '../../app/src/transport/write-frame.js';

describe('writeFrame with PreparedFrame', () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  afterAll(() => new Promise<void>((r) => {
    for (const ws of wss.clients) ws.terminate(); // a failed assertion must not leave the server waiting
    wss.close(() => r());
  }));

  it('delivers 7-bit, 16-bit and 64-bit length frames intact and in order', async () => {
    const port = (wss.address() as { port: number }).port;
    const serverSide = new Promise<WebSocket>((r) => wss.once('connection', r));
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    const got: string[] = [];
    const done = new Promise<void>((resolve) => client.on('message', (d) => {
      got.push(d.toString());
      if (got.length === 5) resolve();
    }));
    const ws = await serverSide;
    const texts = ['small', 'x'.repeat(200), 'ü'.repeat(40_000), '{"a":1}', 'y'.repeat(70_000)];
    writeFrame(ws, new PreparedFrame(asFrame(texts[0])));
    writeFrame(ws, new PreparedFrame(asFrame(texts[1])));
    writeFrame(ws, asFrame(texts[2]));
    const shared = new PreparedFrame(asFrame(texts[3]));
    writeFrame(ws, shared);
    writeFrame(ws, new PreparedFrame(asFrame(texts[4])));
    await done;
    expect(got).toEqual(texts);
    expect(shared.framed).toBe(shared.framed);
    client.close();
  });
});
