/**
 * The fan-out of bus payloads to this server's rooms. Each payload's header is read (no JSON parse,
 * bus/envelope.ts); a payload for a room with no local member is dropped before anything else, and
 * the frame of one that has members becomes one PreparedFrame written as-is to every one of them.
 *
 * Large rooms: `count` entries (one per join or leave cluster-wide) are coalesced per room into at
 * most one `count` frame per interval, built once and written to every local member. A `p` or `s`
 * entry (the room is small, or became small again) carries its own count and cancels a pending one.
 *
 * Entries (messages, and updates of them) are the room's log: delivered in id order. A transient
 * event (published only, never stored: typing) is written to the room's members as it comes.
 *
 * Gap repair: ids per room are contiguous, so an entry arriving with id > last + 1 means pub/sub
 * dropped something (a Redis restart, a subscriber reconnect). The room then buffers live messages,
 * reads the missing ones from history, and delivers all in order. Subscriptions drop ids they already have.
 *
 * A history lost by the store (Redis restarted without its data): a join or repair that reads a last id
 * below what was delivered here, or another epoch, or a live entry with an id already passed while the
 * store's last id is below it, makes the feed follow the new log and close the room's connections (1013),
 * which rejoin with their `epoch` and are told (`joined.reset`).
 */
import { decodeEntry } from '../bus/envelope.js';
import type { History } from '../history/history.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { CloseCode } from '../protocol/close-codes.js';
import { presenceFrame } from '../protocol/encode.js';
import type { Member } from '../protocol/messages.js';
import { PreparedFrame } from './prepared-frame.js';
import type { LocalRoom, RoomRegistry } from './rooms.js';

/** Live messages kept per room while a repair reads history; past this, history is read again instead. */
const MAX_BACKLOG = 10_000;

interface LiveMessage {
  id: number;
  cid: string;
  data: PreparedFrame;
}

export class RoomFeed {
  constructor(
    private readonly rooms: RoomRegistry,
    private readonly history: History,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly countIntervalMs = 1000,
    /** Where `y` entries go (who is typing); without one they are dropped. */
    private readonly typing: { onSignal(room: string, member: Member, typing: boolean): void } | null = null,
  ) {}

  /**
   * Gives a room its first known id (from a join's history read). Until then the room's live messages
   * wait in the backlog: trusting the first one that arrives would skip whatever the bus lost before it.
   */
  seed(name: string, last: number, epoch?: string): void {
    const room = this.rooms.get(name);
    // Only the epoch tells at a join: its read of `last` may predate live entries this server has fanned
    // out since (a join racing the room's traffic reads a `last` below them without anything lost).
    if (room && !room.feed.repairing && this.epochChanged(room, epoch)) return this.restarted(room, last, epoch);
    if (room && epoch !== undefined) room.feed.epoch ??= epoch;
    if (!room || room.feed.lastId !== null) return;
    room.feed.lastId = last;
    if (!room.feed.repairing) this.drainBacklog(room);
  }

  /**
   * A join read a last id below what this server fanned out: the store lost the room's history (Redis
   * restarted without its data, a failover) and its ids start again. The feed follows the store; the
   * connections that hold the old ids are closed (1013) so they rejoin and are told (`joined.reset`,
   * docs/protocol.md "History epoch"), rather than taking new messages for ones they have.
   */
  /**
   * The store's log is not the one this server delivered from: its last id went back, or its epoch
   * changed. Only for reads made after the feed's last id was known (a repair, a check): the store's
   * ids only grow, so a lower one there means a lost history.
   */
  private lost(room: LocalRoom, last: number, epoch: string | undefined): boolean {
    const { lastId } = room.feed;
    if (lastId === null) return false;
    return last < lastId || this.epochChanged(room, epoch);
  }

  private epochChanged(room: LocalRoom, epoch: string | undefined): boolean {
    const known = room.feed.epoch;
    return room.feed.lastId !== null && known !== null && epoch !== undefined && epoch !== known;
  }

  private restarted(room: LocalRoom, last: number, epoch?: string): void {
    if (epoch !== undefined) room.feed.epoch = epoch;
    this.log.warn({ room: room.name, had: room.feed.lastId, last }, 'room history restarted below what was delivered: lost by the store');
    room.feed.lastId = last;
    room.feed.backlog = [];
    for (const [client, sub] of room.subs) {
      if (sub.pending === null) client.close(CloseCode.TryAgainLater, 'room history was lost: rejoin');
    }
  }

  /** Handles one bus payload. */
  onBusPayload(payload: string): void {
    this.metrics.busIn.inc();
    const event = decodeEntry(payload);
    if (!event) {
      this.log.error({ head: payload.slice(0, 40) }, 'unreadable bus payload');
      return;
    }
    const room = this.rooms.get(event.room);
    if (!room) return;
    switch (event.kind) {
      case 'presence':
      case 'sync':
        this.resetCount(room, event.count);
        room.deliver(0, undefined, new PreparedFrame(event.frame));
        return;
      case 'count':
        return this.onCount(room, event.count);
      case 'transient':
        room.deliver(0, undefined, new PreparedFrame(event.frame));
        return;
      case 'typing':
        this.typing?.onSignal(event.room, event.member, event.typing);
        return;
      case 'message':
      case 'update': {
        this.metrics.fanoutLatency.observe(Math.max(0, Date.now() - event.ts) / 1000);
        this.onMessage(room, { id: event.id, cid: event.cid, data: new PreparedFrame(event.frame) });
      }
    }
  }

  /** A frame that carries the count went out: nothing pending, and this is the count clients have. */
  resetCount(room: LocalRoom, count: number): void {
    const c = room.feed.count;
    if (c.timer) clearTimeout(c.timer);
    c.timer = null;
    c.latest = c.sent = count;
  }

  private onCount(room: LocalRoom, count: number): void {
    const c = room.feed.count;
    c.latest = count;
    if (c.timer) return;
    const wait = c.sentAt + this.countIntervalMs - Date.now();
    if (wait <= 0) this.flushCount(room);
    else c.timer = setTimeout(() => this.flushCount(room), wait);
  }

  private flushCount(room: LocalRoom): void {
    const c = room.feed.count;
    c.timer = null;
    if (c.latest === c.sent || this.rooms.get(room.name) !== room) return;
    c.sent = c.latest;
    c.sentAt = Date.now();
    this.metrics.presenceCounts.inc();
    room.deliver(0, undefined, new PreparedFrame(presenceFrame({ type: 'presence', room: room.name, event: 'count', count: c.latest })));
  }

  private onMessage(room: LocalRoom, m: LiveMessage): void {
    const feed = room.feed;
    if (feed.repairing || feed.lastId === null) {
      if (feed.backlog.length >= MAX_BACKLOG) {
        feed.backlog = [];
        feed.overflowed = true;
      }
      feed.backlog.push(m);
      return;
    }
    if (feed.lastId !== null && m.id > feed.lastId + 1) {
      feed.backlog.push(m);
      void this.repair(room);
      return;
    }
    // An id already passed, live: a duplicate, or the store's history restarted (lost) under this server.
    if (m.id <= feed.lastId && !feed.checking) void this.checkRestart(room);
    this.fanout(room, m);
  }

  /** Reads the room's last id from the store: below what this server delivered, its history was lost. */
  private async checkRestart(room: LocalRoom): Promise<void> {
    room.feed.checking = true;
    try {
      const [last] = await this.history.lastIds([room.name]);
      const feed = room.feed;
      if (this.rooms.get(room.name) === room && !feed.repairing && feed.lastId !== null && last < feed.lastId) this.restarted(room, last);
    } catch (err) {
      this.log.warn({ room: room.name, err: (err as Error).message }, 'could not read the room\'s last id');
    } finally {
      room.feed.checking = false;
    }
  }

  private fanout(room: LocalRoom, m: LiveMessage): void {
    if (room.feed.lastId !== null && m.id <= room.feed.lastId) return;
    room.feed.lastId = m.id;
    room.deliver(m.id, m.cid, m.data);
    this.metrics.messagesOut.inc(room.subs.size);
  }

  /** Reads what the room missed from history and delivers it, then the live backlog, in id order. */
  async repair(room: LocalRoom): Promise<void> {
    const feed = room.feed;
    if (feed.repairing || feed.lastId === null) return;
    feed.repairing = true;
    this.metrics.gapRepairs.inc();
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.history.resume(room.name, feed.lastId, 0, {});
        // A history lost meanwhile (Redis restarted without its data): not a gap to fill, a new log.
        if (this.lost(room, res.last, res.epoch)) {
          this.restarted(room, res.last, res.epoch);
          break;
        }
        if (res.epoch !== undefined) feed.epoch ??= res.epoch;
        for (const m of res.entries) this.fanout(room, { id: m.id, cid: m.cid, data: new PreparedFrame(m.json) });
        break;
      } catch (err) {
        this.log.warn({ room: room.name, attempt, err: (err as Error).message }, 'gap repair failed, retrying');
        await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 2000)));
        if (this.rooms.get(room.name) !== room) break;
      }
    }
    feed.repairing = false;
    const again = feed.overflowed || feed.repairAgain;
    if (feed.overflowed) feed.backlog = [];
    feed.overflowed = false;
    feed.repairAgain = false;
    if (again) {
      void this.repair(room);
      return;
    }
    this.drainBacklog(room);
  }

  /** Delivers the backlog in id order; a gap in it (the bus lost something meanwhile) starts another repair. */
  private drainBacklog(room: LocalRoom): void {
    const feed = room.feed;
    const backlog = feed.backlog.sort((a, b) => a.id - b.id);
    feed.backlog = [];
    for (let i = 0; i < backlog.length; i++) {
      const m = backlog[i];
      if (feed.lastId !== null && m.id > feed.lastId + 1) {
        feed.backlog = backlog.slice(i);
        void this.repair(room);
        return;
      }
      this.fanout(room, m);
    }
  }

  /** After the bus subscription came back: every room may have missed messages. */
  resync(): void {
    for (const room of this.rooms.all()) {
      // A repair in flight may have read history before what was just lost: read again after it.
      if (room.feed.repairing) room.feed.repairAgain = true;
      else void this.repair(room);
    }
  }
}
