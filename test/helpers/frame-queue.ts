/**
 * The frames a test client received, in order, and waiting for the next one that matches: shared by
 * the WebSocket client (ws-client.ts) and the SSE client (sse-client.ts), which only differ in how
 * frames arrive and how the client ends.
 */
import type { ServerMessage } from '@livechat/protocol';

export type Frame = ServerMessage & Record<string, unknown>;

export class FrameQueue {
  readonly frames: Frame[] = [];
  private cursor = 0;
  private waiters: Array<() => void> = [];
  /** Why the client ended (a close code, or a text), once it did: `next` then fails instead of waiting. */
  ended: string | null = null;

  push(f: Frame): void {
    this.frames.push(f);
    this.wake();
  }

  end(why: string): void {
    this.ended = why;
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
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
      if (this.ended !== null) throw new Error(`closed (${this.ended}) while waiting for ${String(pred)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${String(pred)}; got ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  /** All `message` frames of a room received so far (those in `joined` included). */
  messages(room: string): Array<Frame & { id: number; cid: string; text: string }> {
    const out: Array<Frame & { id: number; cid: string; text: string }> = [];
    for (const f of this.frames) {
      if (f.type === 'message' && f.room === room) out.push(f as never);
      if (f.type === 'joined' && f.room === room) out.push(...(f.messages as never[]));
    }
    return out;
  }
}
