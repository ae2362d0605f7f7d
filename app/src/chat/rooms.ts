/**
 * The rooms this server has local members in, and the fan-out of bus payloads to them.
 * Each payload is parsed once and turned into one Buffer written as-is to every local member.
 *
 * Gap repair: ids per room are contiguous, so a message arriving with id > last + 1 means pub/sub
 * dropped something (a Redis restart, a subscriber reconnect). The room then buffers live messages,
 * reads the missing ones from history, and delivers all in order. Clients drop ids they already have.
 */
import type { History } from '../history/history.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Member } from '../protocol/messages.js';
import { Outgoing } from '../transport/outgoing.js';
import type { ChatClient } from './client.js';

/** Live messages kept per room while a repair reads history; past this, history is read again instead. */
const MAX_BACKLOG = 10_000;

interface LiveFrame {
  id: number;
  cid: string | undefined;
  data: Outgoing;
}

interface LocalMember {
  member: Member;
  /** Local connections of this member in the room. */
  count: number;
  leaveTimer: NodeJS.Timeout | null;
}

export class LocalRoom {
  readonly clients = new Set<ChatClient>();
  readonly members = new Map<string, LocalMember>();
  /** Highest message id fanned out here; null until the first one. */
  lastId: number | null = null;
  repairing = false;
  backlog: LiveFrame[] = [];
  /** The backlog overflowed during a long repair: read history again afterwards. */
  overflowed = false;
  constructor(readonly name: string) {}
}

export interface RoomHooks {
  /** The member's last local connection left and the grace period passed. */
  onMemberGone(room: string, member: Member): void;
}

export class RoomRegistry {
  readonly rooms = new Map<string, LocalRoom>();

  constructor(
    private readonly history: History,
    private readonly graceMs: number,
    private readonly hooks: RoomHooks,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** Gives a room its first known id (from a join's history read) so fan-out can notice a gap right away. */
  seedLastId(name: string, last: number): void {
    const room = this.rooms.get(name);
    if (room && room.lastId === null) room.lastId = last;
  }

  /** Adds a client to a room; returns true when its member is new on this server (presence must join). */
  addClient(name: string, client: ChatClient, member: Member): boolean {
    let room = this.rooms.get(name);
    if (!room) {
      room = new LocalRoom(name);
      this.rooms.set(name, room);
    }
    if (room.clients.has(client)) return false;
    room.clients.add(client);
    const local = room.members.get(member.id);
    if (local) {
      local.count++;
      if (local.leaveTimer) {
        clearTimeout(local.leaveTimer);
        local.leaveTimer = null;
      }
      return false;
    }
    room.members.set(member.id, { member, count: 1, leaveTimer: null });
    return true;
  }

  /** Removes a client; when its member has no local connection left, presence leaves after the grace period. */
  removeClient(name: string, client: ChatClient, member: Member, graceMs = this.graceMs): void {
    const room = this.rooms.get(name);
    if (!room || !room.clients.delete(client)) return;
    const local = room.members.get(member.id);
    if (!local || --local.count > 0) return;
    const gone = () => {
      if (local.count > 0) return;
      room.members.delete(member.id);
      if (room.clients.size === 0 && room.members.size === 0) this.rooms.delete(name);
      this.hooks.onMemberGone(name, member);
    };
    if (graceMs <= 0) gone();
    else {
      local.leaveTimer = setTimeout(gone, graceMs);
      local.leaveTimer.unref();
    }
  }

  /** Every (room, members) this server holds, for the presence heartbeat. */
  *localMembers(): Generator<[string, Member[]]> {
    for (const room of this.rooms.values()) {
      if (room.members.size > 0) yield [room.name, [...room.members.values()].map((m) => m.member)];
    }
  }

  /** Handles one bus payload. */
  onBusPayload(payload: string): void {
    this.metrics.busIn.inc();
    let msg: { type?: unknown; room?: unknown; id?: unknown; cid?: unknown; ts?: unknown };
    try {
      msg = JSON.parse(payload);
    } catch {
      this.log.error('unparseable bus payload');
      return;
    }
    if (typeof msg.room !== 'string') return;
    const room = this.rooms.get(msg.room);
    if (!room) return;
    if (msg.type === 'presence') {
      const data = new Outgoing(payload);
      for (const c of room.clients) c.deliver(room.name, 0, undefined, data);
      return;
    }
    if (msg.type !== 'message' || typeof msg.id !== 'number') return;
    const frame: LiveFrame = { id: msg.id, cid: typeof msg.cid === 'string' ? msg.cid : undefined, data: new Outgoing(payload) };
    if (typeof msg.ts === 'number') this.metrics.fanoutLatency.observe(Math.max(0, Date.now() - msg.ts) / 1000);
    if (room.repairing) {
      if (room.backlog.length >= MAX_BACKLOG) {
        room.backlog = [];
        room.overflowed = true;
      }
      room.backlog.push(frame);
      return;
    }
    if (room.lastId !== null && frame.id > room.lastId + 1) {
      room.backlog.push(frame);
      void this.repair(room);
      return;
    }
    this.fanout(room, frame);
  }

  private fanout(room: LocalRoom, f: LiveFrame): void {
    if (room.lastId !== null && f.id <= room.lastId) return;
    room.lastId = f.id;
    for (const c of room.clients) c.deliver(room.name, f.id, f.cid, f.data);
    this.metrics.messagesOut.inc(room.clients.size);
  }

  /** Reads what the room missed from history and delivers it, then the live backlog, in id order. */
  async repair(room: LocalRoom): Promise<void> {
    if (room.repairing || room.lastId === null) return;
    room.repairing = true;
    this.metrics.gapRepairs.inc();
    for (let attempt = 0; ; attempt++) {
      try {
        const { messages } = await this.history.resume(room.name, room.lastId, 0);
        for (const m of messages) {
          const cid = /"cid":"((?:[^"\\]|\\.)*)","via"/.exec(m.json)?.[1];
          this.fanout(room, { id: m.id, cid: cid === undefined ? undefined : JSON.parse(`"${cid}"`), data: new Outgoing(m.json) });
        }
        break;
      } catch (err) {
        this.log.warn({ room: room.name, attempt, err: (err as Error).message }, 'gap repair failed, retrying');
        await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 2000)));
        if (!this.rooms.has(room.name)) break;
      }
    }
    const backlog = room.backlog.sort((a, b) => a.id - b.id);
    room.backlog = [];
    room.repairing = false;
    const again = room.overflowed;
    room.overflowed = false;
    if (again) {
      void this.repair(room);
      return;
    }
    for (const f of backlog) this.fanout(room, f);
  }

  /** After the bus subscription came back: every room may have missed messages. */
  resync(): void {
    for (const room of this.rooms.values()) void this.repair(room);
  }
}
