/**
 * The hot path of fan-out, and the only code that reaches into ws's internals: a PreparedFrame's
 * bytes go straight to the socket when ws's sender is idle. test/unit/ws-internals.test.ts fails
 * loudly if a ws release renames the fields used here; package.json pins ws to the tested minor.
 *
 * Writes are corked per socket and uncorked in a microtask, so frames that go to one socket in the
 * same tick (a burst from the bus) leave in one writev syscall — which also cuts HAProxy's work.
 */
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { PreparedFrame } from '../chat/prepared-frame.js';
import type { Frame } from '../protocol/encode.js';

/** The parts of ws's WebSocket this module relies on (ws >= 8.21, perMessageDeflate off). */
export interface WsInternals {
  _socket?: Socket;
  _sender?: { _state: number; _queue: unknown[] };
}

/** Anything corkable: a socket, or an HTTP response (an SSE stream, sse-stream.ts). */
interface Corkable { cork(): void; uncork(): void }

const corked = new Set<Corkable>();
let flushScheduled = false;

function flush(): void {
  flushScheduled = false;
  for (const s of corked) s.uncork();
  corked.clear();
}

/** Corks `target` until the end of this tick's microtasks, so its writes of this tick leave in one syscall. */
export function corkForTick(target: Corkable): void {
  if (corked.has(target)) return;
  target.cork();
  corked.add(target);
  if (!flushScheduled) {
    flushScheduled = true;
    queueMicrotask(flush);
  }
}

/**
 * Writes one text frame to a WebSocket. Pre-framed bytes go straight to the socket when ws's sender
 * is idle (nothing queued, so frame boundaries cannot interleave); otherwise ws.send does the framing.
 */
export function writeFrame(ws: WebSocket, data: PreparedFrame | Frame, written?: () => void): void {
  const internals = ws as unknown as WsInternals;
  const socket = internals._socket;
  if (ws.readyState !== WebSocket.OPEN || !socket || socket.destroyed) {
    written?.();
    return;
  }
  corkForTick(socket);
  if (data instanceof PreparedFrame) {
    const sender = internals._sender;
    if (sender && sender._state === 0 && sender._queue.length === 0) socket.write(data.framed);
    else ws.send(data.payload, { binary: false });
    return;
  }
  // `written` runs once the frame left for the socket, or failed to.
  ws.send(data, { binary: false }, written);
}
