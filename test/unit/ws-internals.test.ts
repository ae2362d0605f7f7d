// The ws private fields transport/write-frame.ts relies on (WsInternals): fails loudly, naming the ws version, if a release changes them.
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { WsInternals } from '../../app/src/transport/write-frame.js';

const wsVersion = (JSON.parse(readFileSync(new URL('../../node_modules/ws/package.json', import.meta.url), 'utf8')) as { version: string }).version;
const broken = (what: string) =>
  `ws ${wsVersion}: ${what}. app/src/transport/write-frame.ts writes pre-framed bytes through ws's private ` +
  'fields (WsInternals); update it for this ws release, or keep package.json pinned to the tested minor.';

describe(`ws ${wsVersion} internals used by writeFrame`, () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  afterAll(() => new Promise<void>((r) => {
    for (const ws of wss.clients) ws.terminate(); // a failed assertion must not leave the server waiting
    wss.close(() => r());
  }));

  it('a server-side WebSocket has _socket (a net.Socket) and an idle _sender with numeric _state and array _queue', async () => {
    const port = (wss.address() as { port: number }).port;
    const serverSide = new Promise<WebSocket>((r) => wss.once('connection', r));
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    const ws = await serverSide;
    await new Promise<void>((r) => client.once('open', () => r()));
    const internals = ws as unknown as WsInternals;
    const sender = internals._sender as { _state?: unknown; _queue?: unknown } | undefined;

    expect(internals._socket instanceof Socket, broken('server-side WebSocket has no `_socket` net.Socket')).toBe(true);
    expect(typeof sender, broken('server-side WebSocket has no `_sender` object')).toBe('object');
    expect(typeof sender?._state, broken('`_sender._state` is not a number')).toBe('number');
    expect(Array.isArray(sender?._queue), broken('`_sender._queue` is not an array')).toBe(true);
    expect(sender?._state, broken('`_sender._state` is not 0 (DEFAULT) on an idle connection')).toBe(0);
    expect(sender?._queue, broken('`_sender._queue` is not empty on an idle connection')).toEqual([]);

    // And the frames written through them arrive: the same socket ws itself writes to.
    const got = new Promise<string>((r) => client.once('message', (d) => r(d.toString())));
    internals._socket!.write(Buffer.from([0x81, 2, 0x68, 0x69])); // FIN + text, unmasked, "hi"
    expect(await got, broken('a frame written to `_socket` did not arrive')).toBe('hi');
    client.close();
  });
});
