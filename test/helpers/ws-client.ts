/**
 * A protocol client for tests: connects with the livechat.v1 subprotocol, records every frame,
 * and waits for the next frame matching a predicate (with a timeout that names what it waited for).
 */
import WebSocket from 'ws';
import type { ServerMessage } from '@livechat/protocol';

type Frame = ServerMessage & Record<string, unknown>;

export class TestClient {
  readonly frames: Frame[] = [];
  private cursor = 0;
  private waiters: Array<() => void> = [];
  closeCode: number | null = null;
  closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()));
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => ws.on('close', (code) => {
      this.closeCode = code;
      for (const w of this.waiters.splice(0)) w();
      resolve(code);
    }));
  }

  /** `localAddress` picks the source address (e.g. 127.0.0.2), so a test can be several clients' addresses. */
  static async connect(url: string, opts: { protocols?: string[]; headers?: Record<string, string>; localAddress?: string } = {}): Promise<TestClient> {
    const ws = new WebSocket(url, opts.protocols ?? ['livechat.v1'], { headers: opts.headers, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    const c = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
    return c;
  }

  send(obj: unknown): void {
    this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj));
  }

  /** Waits for the next frame (after the previous `next`) matching `pred`, skipping others. */
  async next<T extends Frame = Frame>(pred: string | ((f: Frame) => boolean), timeoutMs = 5000): Promise<T> {
    const match = typeof pred === 'string' ? (f: Frame) => f.type === pred : pred;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.frames.length) {
        const f = this.frames[this.cursor++];
        if (match(f)) return f as T;
      }
      if (this.closeCode !== null) throw new Error(`closed (${this.closeCode}) while waiting for ${String(pred)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${String(pred)}; got ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  /** Sends a request and waits for the answer of the given type (or an error). */
  async request<T extends Frame = Frame>(obj: Record<string, unknown>, answer: string, timeoutMs = 5000): Promise<T> {
    this.send(obj);
    return this.next<T>((f) => f.type === answer || f.type === 'error', timeoutMs);
  }

  async hello(name: string, session?: string): Promise<Frame & { appId: string; session: string; member: { id: string; name: string } }> {
    return this.request({ type: 'hello', name, ...(session ? { session } : {}) }, 'welcome') as never;
  }

  /** All `message` frames of a room received so far. */
  messages(room: string): Array<Frame & { id: number; cid: string; text: string }> {
    const out: Array<Frame & { id: number; cid: string; text: string }> = [];
    for (const f of this.frames) {
      if (f.type === 'message' && f.room === room) out.push(f as never);
      if (f.type === 'joined' && f.room === room) out.push(...(f.messages as never[]));
    }
    return out;
  }

  close(): void {
    this.ws.close();
  }

  terminate(): void {
    this.ws.terminate();
  }
}
