/**
 * A frame prepared once for fan-out: its UTF-8 bytes and, built on first use, the complete WebSocket
 * text frame (server frames are unmasked, so the same bytes are valid on every connection). Each
 * local member then costs one socket write of a shared buffer: no per-client JSON, encoding or framing.
 * The same holds for SSE streams: `sse` is the frame as one `data:` event, built on first use.
 */
import type { Frame } from '../protocol/encode.js';

export class PreparedFrame {
  readonly payload: Buffer;
  private frameCache: Buffer | null = null;
  private sseCache: Buffer | null = null;

  constructor(json: Frame) {
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

  /** The frame as one Server-Sent Event (a frame's JSON holds no raw newline, so one `data:` line). */
  get sse(): Buffer {
    return (this.sseCache ??= Buffer.concat([SSE_HEAD, this.payload, SSE_TAIL]));
  }
}

const SSE_HEAD = Buffer.from('data: ');
const SSE_TAIL = Buffer.from('\n\n');
