/**
 * A protocol client for tests: connects with the livechat.v1 subprotocol, records every frame,
 * and waits for the next frame matching a predicate (with a timeout that names what it waited for).
 */
import WebSocket from 'ws';
import { FrameQueue, type Frame } from './frame-queue.js';

export class TestClient {
  private readonly queue = new FrameQueue();
  readonly frames: Frame[] = this.queue.frames;
  closeCode: number | null = null;
  closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.queue.push(JSON.parse(data.toString())));
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => ws.on('close', (code) => {
      this.closeCode = code;
      this.queue.end(String(code));
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
  next<T extends Frame = Frame>(pred: string | ((f: Frame) => boolean), timeoutMs = 5000): Promise<T> {
    return this.queue.next<T>(pred, timeoutMs);
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
    return this.queue.messages(room);
  }

  close(): void {
    this.ws.close();
  }

  terminate(): void {
    this.ws.terminate();
  }
}
