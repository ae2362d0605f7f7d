/**
 * How a ResumingClient reaches a server: a WebSocket, or the SSE fallback (a stream plus POSTs, one
 * at a time so requests keep their order). Either way the client sees open, frames, and a close code
 * (SSE: the code of the server's `close` event, 1006 when the stream just ended).
 */
import WebSocket from 'ws';
import { SseClient } from '../../helpers/sse-client.js';

export interface ClientTransport {
  readonly open: boolean;
  send(obj: Record<string, unknown>): void;
  terminate(): void;
}

export interface TransportEvents {
  onOpen(): void;
  onFrame(f: Record<string, any>): void;
  onClose(code: number): void;
}

export type Dial = (url: string, ev: TransportEvents) => ClientTransport;

export const dialWs: Dial = (url, ev) => {
  const ws = new WebSocket(url, ['livechat.v1']);
  ws.on('open', () => ev.onOpen());
  ws.on('message', (data) => ev.onFrame(JSON.parse(data.toString())));
  ws.on('error', () => {});
  ws.on('close', (code) => ev.onClose(code));
  return {
    get open() { return ws.readyState === WebSocket.OPEN; },
    send: (obj) => ws.send(JSON.stringify(obj)),
    terminate: () => ws.terminate(),
  };
};

/** `url`: the stream's (…/sse); POSTs go to the same entry point (any server behind it may take them). */
export const dialSse: Dial = (url, ev) => {
  let client: SseClient | null = null;
  let gone = false;
  let posts: Promise<void> = Promise.resolve();
  const finish = () => {
    if (gone) return;
    gone = true;
    ev.onClose(client?.closeEvent?.code ?? 1006);
  };
  SseClient.connect(url, { onFrame: (f) => ev.onFrame(f) }).then((c) => {
    client = c;
    if (gone) return c.close();
    ev.onOpen();
    void c.ended.then(finish);
  }, finish);
  return {
    get open() { return client !== null && !gone; },
    send(obj) {
      posts = posts.then(async () => {
        if (gone || !client) return;
        // A stream that is gone (404) or a POST that failed: start over on a new stream (and resume).
        const status = await client.post(obj).catch(() => 0);
        if (status !== 202) {
          client.close();
          finish();
        }
      });
    },
    terminate() {
      client?.close();
      finish();
    },
  };
};
