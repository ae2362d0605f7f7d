/**
 * A minimal RFC 6455 client for the load tool, on a bare net.Socket. Why not `ws`: at 100 k
 * deliveries/s its per-frame stream machinery and Buffer slices made the load tool as expensive as
 * the servers it measures. Here a socket chunk is walked in place and every text frame is handed on
 * as (chunk, start, end) — no copy, no string — unless it straddles two chunks.
 *
 * Supports what a chat client needs: text frames (fragmented ones reassembled), ping → pong, close
 * handshake. Sends are masked as the RFC requires. No extensions (no permessage-deflate).
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Every socket reads into this one buffer; each read is consumed synchronously (partial frames are copied out). */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

export interface RawWsHandlers {
  onOpen(): void;
  /** A complete text frame: bytes [start, end) of `buf` (valid only during the call). */
  onText(buf: Buffer, start: number, end: number): void;
  /** The connection ended: close code from the server (1006 when none), and whether the handshake had completed. */
  onClose(code: number, opened: boolean): void;
  onError(code: string): void;
}

export interface RawWsOptions {
  url: string;
  protocols?: string[];
  localAddress?: string;
  /** ms to complete TCP + HTTP upgrade. */
  handshakeTimeout?: number;
}

export class RawWsClient {
  private readonly socket: net.Socket;
  private opened = false;
  private closed = false;
  private head: Buffer | null = null; // HTTP response bytes so far, before the upgrade completes
  private rest: Buffer | null = null; // an incomplete frame carried to the next chunk
  private fragments: Buffer[] | null = null; // a fragmented text message being reassembled
  private closeCode = 1006;
  private readonly key = randomBytes(16).toString('base64');
  private timer: NodeJS.Timeout | null;

  constructor(opts: RawWsOptions, private readonly h: RawWsHandlers) {
    const u = new URL(opts.url);
    if (u.protocol !== 'ws:') throw new Error(`only ws:// URLs are supported, got ${u.protocol}`);
    const port = Number(u.port || 80);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    // `onread` hands every read to us in one shared buffer: no per-read allocation, no stream machinery.
    this.socket = net.connect({
      host, port, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      onread: { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => { this.onRead(buf as Buffer, n); return true; } },
    });
    this.socket.setNoDelay(true);
    this.timer = setTimeout(() => { this.h.onError('handshake_timeout'); this.socket.destroy(); }, opts.handshakeTimeout ?? 20_000);
    const lines = [
      `GET ${u.pathname}${u.search} HTTP/1.1`, `Host: ${u.host}`, 'Upgrade: websocket', 'Connection: Upgrade',
      `Sec-WebSocket-Key: ${this.key}`, 'Sec-WebSocket-Version: 13',
    ];
    if (opts.protocols?.length) lines.push(`Sec-WebSocket-Protocol: ${opts.protocols.join(', ')}`);
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.h.onError(err.code ?? err.message));
    this.socket.on('close', () => {
      if (this.timer) clearTimeout(this.timer);
      if (this.closed) return;
      this.closed = true;
      this.h.onClose(this.closeCode, this.opened);
    });
  }

  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  get isOpen(): boolean {
    return this.opened && !this.closed;
  }

  private onRead(buf: Buffer, n: number): void {
    const chunk = buf.subarray(0, n);
    if (this.opened) this.onData(chunk);
    else this.onHandshakeData(chunk);
  }

  private onHandshakeData(chunk: Buffer): void {
    const buf = this.head ? Buffer.concat([this.head, chunk]) : Buffer.from(chunk);
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) {
      if (buf.length > 16_384) { this.h.onError('bad_handshake'); this.socket.destroy(); }
      this.head = buf;
      return;
    }
    this.head = null;
    const text = buf.toString('latin1', 0, end);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
    const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(text)?.[1];
    const expected = createHash('sha1').update(this.key + GUID).digest('base64');
    if (status !== 101 || accept !== expected) {
      this.h.onError(status !== 101 ? `http_${status}` : 'bad_accept');
      this.socket.destroy();
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.opened = true;
    this.h.onOpen();
    if (end + 4 < buf.length) this.onData(buf.subarray(end + 4));
  }

  private onData(chunk: Buffer): void {
    let buf = chunk;
    if (this.rest) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    let i = 0;
    const n = buf.length;
    while (i + 2 <= n) {
      const b0 = buf[i];
      const b1 = buf[i + 1];
      let len = b1 & 0x7f;
      let p = i + 2;
      if (len === 126) {
        if (p + 2 > n) break;
        len = buf.readUInt16BE(p);
        p += 2;
      } else if (len === 127) {
        if (p + 8 > n) break;
        len = buf.readUInt32BE(p) * 2 ** 32 + buf.readUInt32BE(p + 4);
        p += 8;
      }
      const masked = (b1 & 0x80) !== 0;
      if (masked) p += 4;
      if (p + len > n) break;
      if (masked) unmask(buf, p - 4, p, p + len);
      this.onFrame(b0 & 0x80, b0 & 0x0f, buf, p, p + len);
      if (this.closed) return;
      i = p + len;
    }
    if (i < n) this.rest = Buffer.from(buf.subarray(i)); // copy: the chunk may be reused
  }

  private onFrame(fin: number, opcode: number, buf: Buffer, start: number, end: number): void {
    switch (opcode) {
      case 0x1:
        if (fin) this.h.onText(buf, start, end);
        else this.fragments = [Buffer.from(buf.subarray(start, end))];
        return;
      case 0x0:
        if (!this.fragments) return;
        this.fragments.push(Buffer.from(buf.subarray(start, end)));
        if (fin) {
          const whole = Buffer.concat(this.fragments);
          this.fragments = null;
          this.h.onText(whole, 0, whole.length);
        }
        return;
      case 0x8:
        this.closeCode = end - start >= 2 ? buf.readUInt16BE(start) : 1005;
        this.writeFrame(0x8, end - start >= 2 ? buf.subarray(start, start + 2) : Buffer.alloc(0));
        this.socket.end();
        return;
      case 0x9:
        this.writeFrame(0xa, Buffer.from(buf.subarray(start, end)));
        return;
      default:
        return; // pong, binary: ignored
    }
  }

  /** Sends one text frame. */
  send(text: string): void {
    if (!this.isOpen) return;
    this.writeFrame(0x1, Buffer.from(text));
  }

  private writeFrame(opcode: number, payload: Buffer): void {
    const len = payload.length;
    const hl = len < 126 ? 2 : len < 65536 ? 4 : 10;
    const frame = Buffer.allocUnsafe(hl + 4 + len);
    frame[0] = 0x80 | opcode;
    if (len < 126) frame[1] = 0x80 | len;
    else if (len < 65536) { frame[1] = 0x80 | 126; frame.writeUInt16BE(len, 2); }
    else { frame[1] = 0x80 | 127; frame.writeUInt32BE(0, 2); frame.writeUInt32BE(len, 6); }
    const mask = randomBytes(4);
    mask.copy(frame, hl);
    for (let k = 0; k < len; k++) frame[hl + 4 + k] = payload[k] ^ mask[k & 3];
    this.socket.write(frame);
  }

  /** Starts the closing handshake; the socket is destroyed if the server does not finish it in 2 s. */
  close(code = 1000): void {
    if (this.closed) return;
    if (!this.opened) { this.terminate(); return; }
    const b = Buffer.alloc(2);
    b.writeUInt16BE(code, 0);
    this.writeFrame(0x8, b);
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  terminate(): void {
    this.socket.destroy();
  }
}

function unmask(buf: Buffer, maskAt: number, start: number, end: number): void {
  for (let k = start; k < end; k++) buf[k] ^= buf[maskAt + ((k - start) & 3)];
}
