/**
 * One WebSocket connection: a ClientConnection (client-connection.ts: parse, order, limits) whose
 * frames travel on a ws WebSocket. Adds what only WebSocket has: binary frames (-> 1003), pongs (the
 * server's heartbeat), the pre-framed hot path (write-frame.ts), and a close handshake bounded in time.
 *
 * Memory per connection is the cost of a big room, so nothing here is made per connection that can
 * be shared: the ws listeners are module functions (the connection hangs off the socket), the child
 * logger is made on the first line it logs, and the client's rarely used parts on first use.
 */
import type { RawData, WebSocket } from 'ws';
import type { PreparedFrame } from '../chat/prepared-frame.js';
import type { Frame } from '../protocol/encode.js';
import { CloseCode, type CloseCodeValue } from '../protocol/close-codes.js';
import { ClientConnection, type ConnectionDeps } from './client-connection.js';
import { writeFrame } from './write-frame.js';

export type { ConnectionDeps };

/** The connection a ws WebSocket belongs to (one property instead of a closure per listener). */
const CONN = Symbol('livechat.connection');
type Owned = WebSocket & { [CONN]: Connection };

const connOf = (ws: WebSocket) => (ws as Owned)[CONN];

function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  connOf(this).onFrame(data as Buffer, isBinary);
}
function onPong(this: WebSocket): void {
  connOf(this).alive = true;
}
function onError(this: WebSocket, err: Error & { code?: string }): void {
  // Without this listener a protocol error (oversized frame, bad UTF-8, reset) would crash the process.
  connOf(this).log.info({ err: err.message, code: err.code }, 'connection error');
}

export class Connection extends ClientConnection {
  alive = true;

  constructor(id: string, readonly ws: WebSocket, deps: ConnectionDeps, ip: string) {
    super(id, deps, ip);
    (ws as Owned)[CONN] = this;
    ws.on('message', onMessage);
    ws.on('pong', onPong);
    ws.on('error', onError);
  }

  protected transmit(frame: PreparedFrame | Frame, written?: () => void): void {
    writeFrame(this.ws, frame, written);
  }

  bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  /** Closes with a code from the table; the socket is destroyed if the peer does not answer the close. */
  override closeWith(code: CloseCodeValue): void {
    super.closeWith(code);
    const timer = setTimeout(() => this.ws.terminate(), 2000);
    timer.unref();
    this.ws.once('close', () => clearTimeout(timer));
  }

  onFrame(data: Buffer, isBinary: boolean): void {
    if (this.client.closed) return;
    if (isBinary) {
      this.log.info('binary frame refused');
      this.closeWith(CloseCode.UnsupportedData);
      return;
    }
    this.onRequestText(data.toString('utf8'));
  }
}
