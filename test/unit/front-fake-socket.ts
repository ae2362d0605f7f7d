// A scripted stand-in for the browser's WebSocket, for the page's connection and controller tests.
import type { SocketLike } from '../../chat-front/src/connection.js';

export class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  static reset(): void { FakeSocket.all = []; }
  static last(): FakeSocket { return FakeSocket.all[FakeSocket.all.length - 1]; }

  readyState = 0;
  /** Every frame the page sent, decoded. */
  sent: Array<Record<string, unknown>> = [];
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
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
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
}
