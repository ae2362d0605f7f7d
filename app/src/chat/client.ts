/**
 * One connected client as the chat layer sees it: identity, joined rooms and the ordered stream of
 * frames going to it. Transport-free (it writes through a ClientLink), so the chat service can be
 * tested without sockets.
 *
 * Ordering rules kept here:
 * - Per room, a message is written only if its id is above the last id written (no duplicate, no
 *   step back); while a join is reading history, live frames for that room wait in `pending`.
 * - The sender gets `ack` before its own `message`: when its message arrives from the bus before the
 *   store's answer, that frame and every later one wait in `held` until the ack is written.
 */
import type { Member } from '../protocol/messages.js';
import type { Outgoing } from '../transport/outgoing.js';
import { TokenBucket, WindowCounter } from './rate-limit.js';

export interface ClientLink {
  /** Writes one text frame. */
  write(frame: Outgoing | string): void;
  /** Bytes queued in the socket but not yet sent. */
  bufferedAmount(): number;
  close(code: number, reason: string): void;
}

interface Frame {
  room: string;
  /** Message id, or 0 for frames without one (presence). */
  id: number;
  cid: string | undefined;
  data: Outgoing | string;
}

export interface RoomSub {
  lastId: number;
  /** Non-null while the join is reading history. */
  pending: Frame[] | null;
}

export class ChatClient {
  member: Member | null = null;
  session = '';
  readonly rooms = new Map<string, RoomSub>();
  private readonly inflight = new Set<string>();
  private held: Frame[] | null = null;
  readonly bucket: TokenBucket;
  readonly badRequests: WindowCounter;
  closed = false;
  /** Bytes of a big own answer still unread, tolerated on top of the slow-consumer limit. */
  private allowance = 0;

  constructor(
    readonly id: string,
    private readonly link: ClientLink,
    private readonly slowConsumerBytes: number,
    limits: { burst: number; perSec: number },
    private readonly onSlow: (client: ChatClient) => void,
  ) {
    this.bucket = new TokenBucket(limits.burst, limits.perSec);
    this.badRequests = new WindowCounter(60_000);
  }

  /** Writes a frame answering this client's own request at once (replies are not held behind room frames). */
  reply(frame: string): void {
    // A big answer (a `joined` or `history` of long messages can pass the slow-consumer limit on its
    // own) must not get a reading client closed by the next live frame: until the client has read it,
    // its bytes are allowed on top of the limit. Bounded: the largest answer, not the sum.
    // Capped, so a client that never reads holds at most limit + 2 × cap.
    if (this.write(frame) && frame.length > 4096) {
      this.allowance = Math.min(Math.max(this.allowance, Buffer.byteLength(frame)), 4 * this.slowConsumerBytes);
    }
  }

  /** A room frame from the bus (message with id > 0, or presence with id 0). */
  deliver(room: string, id: number, cid: string | undefined, data: Outgoing | string): void {
    const sub = this.rooms.get(room);
    if (!sub) return;
    const frame: Frame = { room, id, cid, data };
    if (sub.pending) {
      sub.pending.push(frame);
      return;
    }
    this.ordered(sub, frame);
  }

  private ordered(sub: RoomSub, f: Frame): void {
    if (f.id > 0) {
      if (f.id <= sub.lastId) return;
      sub.lastId = f.id;
    }
    if (this.held) {
      this.held.push(f);
      return;
    }
    if (f.cid !== undefined && this.inflight.has(f.cid)) {
      this.held = [f];
      return;
    }
    this.write(f.data);
  }

  /** Starts a join: live frames for the room are kept until `finishJoin`. */
  beginJoin(room: string): void {
    this.rooms.set(room, { lastId: 0, pending: [] });
  }

  /** Ends a join: messages up to `lastId` were sent in `joined`; writes what arrived meanwhile. */
  finishJoin(room: string, lastId: number): void {
    const sub = this.rooms.get(room);
    if (!sub || !sub.pending) return;
    const pending = sub.pending;
    sub.pending = null;
    sub.lastId = lastId;
    for (const f of pending) this.ordered(sub, f);
  }

  leaveRoom(room: string): void {
    this.rooms.delete(room);
  }

  beginSend(cid: string): void {
    this.inflight.add(cid);
  }

  /** Called after the ack (or error) for `cid` was written: releases held frames up to the next unacked own message. */
  endSend(cid: string): void {
    this.inflight.delete(cid);
    if (!this.held) return;
    const queue = this.held;
    this.held = null;
    for (let i = 0; i < queue.length; i++) {
      const f = queue[i];
      if (f.cid !== undefined && f.id > 0 && this.inflight.has(f.cid)) {
        this.held = queue.slice(i);
        return;
      }
      this.write(f.data);
    }
  }

  private write(data: Outgoing | string): boolean {
    if (this.closed) return false;
    const buffered = this.link.bufferedAmount();
    // The allowance shrinks as the client reads and never grows back on its own.
    if (this.allowance > buffered) this.allowance = buffered;
    if (buffered > this.slowConsumerBytes + this.allowance) {
      this.onSlow(this);
      return false;
    }
    this.link.write(data);
    return true;
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.link.close(code, reason);
  }
}
