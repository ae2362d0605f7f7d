/**
 * One connected client as the chat layer sees it: identity, limits, and the one ordered stream of
 * frames going to it. Transport-free (it writes through a ClientLink), so the chat layer can be
 * tested without sockets. Which rooms it is in is the RoomRegistry's business, not this object's.
 *
 * The rule "the sender gets `ack` before its own `message`" lives here, whole: `send` marks the cid
 * in flight while the store works; a room frame carrying that cid (the bus can be faster than the
 * store's answer) and every frame after it wait in `held` until the ack is written.
 */
import type { Frame } from '../protocol/encode.js';
import type { Member } from '../protocol/messages.js';
import type { PreparedFrame } from './prepared-frame.js';
import { TokenBucket, WindowCounter } from './rate-limit.js';

export interface ClientLink {
  /** Writes one text frame. */
  write(frame: PreparedFrame | Frame): void;
  /** Bytes queued in the socket but not yet sent. */
  bufferedAmount(): number;
  close(code: number, reason: string): void;
}

/** An answer longer than this (in characters) is a big one: `joined`, `history`, `members`. */
export const BIG_ANSWER = 4096;

interface HeldFrame {
  cid: string | undefined;
  data: PreparedFrame;
}

export class ChatClient {
  member: Member | null = null;
  session = '';
  readonly bucket: TokenBucket;
  private badRequestWindow: WindowCounter | null = null;
  /** Cids of own sends the store has not answered yet; made on first use (most clients only read). */
  private inflight: Set<string> | null = null;
  private held: HeldFrame[] | null = null;
  private isClosed = false;
  /** Bytes of a big own answer still unread, tolerated on top of the slow-consumer limit. */
  private allowance = 0;

  constructor(
    readonly id: string,
    readonly link: ClientLink,
    private readonly slowConsumerBytes: number,
    limits: { burst: number; perSec: number },
    private readonly onSlow: (client: ChatClient) => void,
    /** The client's source address (for per-address limits and logs). */
    readonly address = '',
  ) {
    this.bucket = new TokenBucket(limits.burst, limits.perSec);
  }

  /** Malformed requests in the last minute; made on the first one. */
  get badRequests(): WindowCounter {
    return (this.badRequestWindow ??= new WindowCounter(60_000));
  }

  /** True once the connection closed or is closing: nothing more is written, no room may be entered. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Writes a frame answering this client's own request at once (replies are not held behind room frames). */
  reply(frame: Frame): void {
    // A big answer (a `joined` or `history` of long messages can pass the slow-consumer limit on its
    // own) must not get a reading client closed by the next live frame: until the client has read it,
    // its bytes are allowed on top of the limit. Bounded: the largest answer, not the sum.
    // Capped, so a client that never reads holds at most limit + 2 × cap.
    if (this.write(frame, 0) && frame.length > BIG_ANSWER) {
      this.allowance = Math.min(Math.max(this.allowance, Buffer.byteLength(frame)), 4 * this.slowConsumerBytes);
    }
  }

  /** A room frame, already in the room's order (RoomRegistry); `cid` names a message's sender request. */
  push(cid: string | undefined, data: PreparedFrame): void {
    if (this.held) {
      this.held.push({ cid, data });
      return;
    }
    if (cid !== undefined && this.inflight?.has(cid)) {
      this.held = [{ cid, data }];
      return;
    }
    this.write(data, data.payload.length);
  }

  /**
   * Runs one `send`: `store` appends the message and returns the ack frame. The ack is written
   * before any frame held meanwhile (the own message among them). On failure the held frames are
   * released too, and the error is the caller's to answer.
   */
  async send(cid: string, store: () => Promise<Frame>): Promise<void> {
    const inflight = (this.inflight ??= new Set());
    inflight.add(cid);
    try {
      this.reply(await store());
    } finally {
      inflight.delete(cid);
      this.release();
    }
  }

  /** Writes held frames up to the next one whose own message is still unacked. */
  private release(): void {
    if (!this.held) return;
    const queue = this.held;
    this.held = null;
    for (let i = 0; i < queue.length; i++) {
      const f = queue[i];
      if (f.cid !== undefined && this.inflight?.has(f.cid)) {
        this.held = queue.slice(i);
        return;
      }
      this.write(f.data, f.data.payload.length);
    }
  }

  /**
   * Writes unless the client is a slow consumer. A room frame is judged on what is buffered plus what
   * it adds (`adds`), so a reader that stopped cannot have one more big frame queued past the limit;
   * an answer to the client's own request is judged on what is buffered only (it asked for it).
   */
  private write(data: PreparedFrame | Frame, adds: number): boolean {
    if (this.isClosed) return false;
    const buffered = this.link.bufferedAmount();
    // The allowance shrinks as the client reads and never grows back on its own.
    if (this.allowance > buffered) this.allowance = buffered;
    if (buffered + adds > this.slowConsumerBytes + this.allowance) {
      this.onSlow(this);
      return false;
    }
    this.link.write(data);
    return true;
  }

  /** The socket is gone (closed by either side): write nothing more. */
  detach(): void {
    this.isClosed = true;
    this.held = null;
  }

  close(code: number, reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.link.close(code, reason);
  }
}
