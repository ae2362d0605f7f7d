// A scripted stand-in for the browser's WebSocket, for the page's connection and controller tests.
// Every request the page sends carries a fresh `rid` (shared/PROTOCOL.md "Request ids"): `sent` holds
// the requests as the page wrote them without it (what they ask for), `rids` the rid of each, in the
// same order. A test that plays a server which echoes rids answers with `ridOf(...)`; one that plays an
// older server (no rids in its answers) just leaves them out.
import { vi } from 'vitest';
import type { Member } from '@livechat/protocol';
import type { SocketLike } from '../../chat-front/src/connection.js';
import type { KeyValueStore } from '../../chat-front/src/controller.js';

/** The page's localStorage, in memory. */
export class MemoryStore implements KeyValueStore {
  map = new Map<string, string>();
  getItem(k: string) { return this.map.get(k) ?? null; }
  setItem(k: string, v: string) { this.map.set(k, v); }
  removeItem(k: string) { this.map.delete(k); }
}

/** Lets pending promise callbacks run. */
export const tick = () => Promise.resolve();

/**
 * After the page's socket dropped (fake timers): lets its reconnect timer fire, opens the new socket
 * and answers its hello with a welcome as `member` (rid echoed). The join is the test's to answer.
 */
export async function reconnected(member: Member, appId = '2000', session = 's1'): Promise<FakeSocket> {
  vi.advanceTimersByTime(300);
  const ws = FakeSocket.last();
  ws.open();
  ws.receive({ type: 'welcome', appId, session, member, rid: ws.ridOf('hello') });
  await tick();
  return ws;
}

export class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  static reset(): void { FakeSocket.all = []; }
  static last(): FakeSocket { return FakeSocket.all[FakeSocket.all.length - 1]; }

  readyState = 0;
  /** Every frame the page sent, decoded, without its `rid`. */
  sent: Array<Record<string, unknown>> = [];
  /** The `rid` of each frame in `sent` (undefined for a frame sent without one). */
  rids: Array<string | undefined> = [];
  closedByClient: { code?: number; reason?: string } | null = null;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  constructor(readonly url: string, readonly protocols?: string | string[]) {
    FakeSocket.all.push(this);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    const { rid, ...frame } = JSON.parse(data) as Record<string, unknown>;
    this.sent.push(frame);
    this.rids.push(typeof rid === 'string' ? rid : undefined);
  }

  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason };
    this.readyState = 3;
  }

  // ---- the test plays the server ----
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(msg: object): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }

  /** The server (or the network) closes the socket. */
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  sentOfType(type: string): Array<Record<string, unknown>> {
    return this.sent.filter((f) => f.type === type);
  }

  /** The rid of the last request of `type` the page sent (what an answer to it carries). */
  ridOf(type: string): string {
    for (let i = this.sent.length - 1; i >= 0; i--) {
      const rid = this.rids[i];
      if (this.sent[i].type === type && rid !== undefined) return rid;
    }
    throw new Error(`no ${type} request with a rid was sent`);
  }
}
