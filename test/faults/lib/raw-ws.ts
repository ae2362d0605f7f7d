/**
 * A WebSocket client on a bare TCP socket, for the things a well-behaved library will not do:
 * write any frame we like (fragment floods, bad opcodes), send hand-made handshakes (huge headers),
 * stop reading or stop answering pings without closing (half-open peers).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';

export interface RawFrame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** One masked client frame. */
export function encodeFrame(opcode: number, payload: Buffer | string, fin = true): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const len = data.length;
  const headerLen = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const buf = Buffer.alloc(headerLen + 4 + len);
  buf[0] = (fin ? 0x80 : 0) | opcode;
  if (len < 126) buf[1] = 0x80 | len;
  else if (len < 65536) {
    buf[1] = 0x80 | 126;
    buf.writeUInt16BE(len, 2);
  } else {
    buf[1] = 0x80 | 127;
    buf.writeBigUInt64BE(BigInt(len), 2);
  }
  const mask = randomBytes(4);
  mask.copy(buf, headerLen);
  for (let i = 0; i < len; i++) buf[headerLen + 4 + i] = data[i] ^ mask[i & 3];
  return buf;
}

export class RawClient {
  readonly frames: RawFrame[] = [];
  /** Close code from the server's close frame, if one arrived. */
  closeCode: number | null = null;
  ended = false;
  /** Answer pings with pongs (a live peer); set false to play a peer that vanished. */
  answerPings = true;
  private buf: Buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: net.Socket, leftover: Buffer) {
    socket.on('data', (d) => this.onData(d));
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {});
    if (leftover.length) this.onData(leftover);
  }

  /**
   * Opens a TCP connection and writes an upgrade request. Resolves with the HTTP status and, on 101,
   * a RawClient; on any other status, the response head (the socket is then closed).
   */
  static async handshake(port: number, opts: { headers?: Record<string, string>; protocols?: string[] | null; path?: string } = {}):
    Promise<{ status: number; head: string; client: RawClient | null }> {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const protocols = opts.protocols === undefined ? ['livechat.v1'] : opts.protocols;
    const headers: Record<string, string> = {
      Host: `127.0.0.1:${port}`,
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      'Sec-WebSocket-Version': '13',
      ...(protocols ? { 'Sec-WebSocket-Protocol': protocols.join(', ') } : {}),
      ...opts.headers,
    };
    socket.write(`GET ${opts.path ?? '/ws'} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
    let acc = Buffer.alloc(0);
    const head = await new Promise<{ text: string; rest: Buffer }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no handshake response in 5 s')), 5000);
      const onData = (d: Buffer) => {
        acc = Buffer.concat([acc, d]);
        const end = acc.indexOf('\r\n\r\n');
        if (end < 0) return;
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('close', onClose);
        resolve({ text: acc.subarray(0, end).toString('latin1'), rest: acc.subarray(end + 4) });
      };
      const onClose = () => {
        clearTimeout(timer);
        resolve({ text: acc.toString('latin1'), rest: Buffer.alloc(0) });
      };
      socket.on('data', onData);
      socket.once('close', onClose);
    });
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head.text)?.[1] ?? 0);
    if (status !== 101) {
      socket.destroy();
      return { status, head: head.text, client: null };
    }
    return { status, head: head.text, client: new RawClient(socket, head.rest) };
  }

  write(opcode: number, payload: Buffer | string, fin = true): void {
    this.socket.write(encodeFrame(opcode, payload, fin));
  }

  sendText(obj: unknown): void {
    this.write(1, typeof obj === 'string' ? obj : JSON.stringify(obj));
  }

  /** Text frames received so far, parsed. */
  json(): Array<Record<string, unknown>> {
    return this.frames.filter((f) => f.opcode === 1).map((f) => JSON.parse(f.payload.toString()) as Record<string, unknown>);
  }

  /** Waits until `pred()` holds (checked on every frame and on close). */
  async until(what: string, pred: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`raw client: timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 100));
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      if (this.buf.length < 2) break;
      const b0 = this.buf[0];
      let len = this.buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) break;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) break;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      if (this.buf.length < off + len) break;
      const frame: RawFrame = { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload: Buffer.from(this.buf.subarray(off, off + len)) };
      this.buf = this.buf.subarray(off + len);
      this.frames.push(frame);
      if (frame.opcode === 9 && this.answerPings) this.write(10, frame.payload);
      if (frame.opcode === 8 && frame.payload.length >= 2) this.closeCode = frame.payload.readUInt16BE(0);
    }
    this.wake();
  }
}
