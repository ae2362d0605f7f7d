/**
 * The hot path of fan-out. A bus payload becomes one Outgoing: its UTF-8 bytes and, built once on
 * first use, the complete WebSocket text frame (server frames are unmasked, so the same bytes are
 * valid on every connection). Each local member then costs one socket write of a shared buffer:
 * no per-client JSON, encoding or framing.
 *
 * Writes are corked per socket and uncorked in a microtask, so frames that go to one socket in the
 * same tick (a burst from the bus) leave in one writev syscall — which also cuts HAProxy's work.
 */
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';

export class Outgoing {
  readonly payload: Buffer;
  private frameCache: Buffer | null = null;

  constructor(json: string) {
    this.payload = Buffer.from(json);
  }

  /** FIN + text opcode, unmasked, with the 7/16/64-bit length form the payload needs. */
  get framed(): Buffer {
    if (this.frameCache) return this.frameCache;
    const len = this.payload.length;
    const headerLen = len < 126 ? 2 : len < 65536 ? 4 : 10;
    const buf = Buffer.allocUnsafe(headerLen + len);
    buf[0] = 0x81;
    if (len < 126) buf[1] = len;
    else if (len < 65536) {
      buf[1] = 126;
      buf.writeUInt16BE(len, 2);
    } else {
      buf[1] = 127;
      buf.writeUInt32BE(0, 2);
      buf.writeUInt32BE(len, 6);
    }
    this.payload.copy(buf, headerLen);
    this.frameCache = buf;
    return buf;
  }
}

/** The parts of ws's WebSocket this module relies on (ws >= 8.21, perMessageDeflate off). */
interface WsInternals {
  _socket?: Socket;
  _sender?: { _state: number; _queue: unknown[] };
}

const corked = new Set<Socket>();
let flushScheduled = false;

function flush(): void {
  flushScheduled = false;
  for (const s of corked) s.uncork();
  corked.clear();
}

/**
 * Writes one text frame to a WebSocket. Pre-framed bytes go straight to the socket when ws's sender
 * is idle (nothing queued, so frame boundaries cannot interleave); otherwise ws.send does the framing.
 */
export function writeFrame(ws: WebSocket, data: Outgoing | string | Buffer): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  const internals = ws as unknown as WsInternals;
  const socket = internals._socket;
  if (!socket || socket.destroyed) return;
  if (!corked.has(socket)) {
    socket.cork();
    corked.add(socket);
    if (!flushScheduled) {
      flushScheduled = true;
      queueMicrotask(flush);
    }
  }
  if (data instanceof Outgoing) {
    const sender = internals._sender;
    if (sender && sender._state === 0 && sender._queue.length === 0) socket.write(data.framed);
    else ws.send(data.payload, { binary: false });
    return;
  }
  ws.send(data, { binary: false });
}
