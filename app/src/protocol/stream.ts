/**
 * The Server-Sent Events transport's own frames (shared/PROTOCOL.md "When WebSocket is blocked"):
 * `stream` opens every stream and names it for the POSTs; `close` is this project's extension, the
 * last event of a stream the server ends, carrying the WebSocket close code it stands for (1001
 * shutdown, 1008 policy, 1011, 1013 overload or slow consumer) so the client knows how to back off.
 */
import { asFrame, type Frame } from './encode.js';

/** The GET that opens a stream, and the prefix of the path its requests are POSTed to (+ the token). */
export const SSE_PATH = '/sse';

export interface StreamOpened { type: 'stream'; stream: string }
export interface StreamClosed { type: 'close'; code: number; reason: string }

export function streamFrame(stream: string): Frame {
  return asFrame(JSON.stringify({ type: 'stream', stream }));
}

export function streamClosedFrame(c: Omit<StreamClosed, 'type'>): Frame {
  return asFrame(JSON.stringify({ type: 'close', code: c.code, reason: c.reason }));
}
