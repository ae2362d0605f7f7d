/**
 * Who is typing in each room, on this server (shared/PROTOCOL.md "Message lifecycle", `typing`). Never
 * stored: a member's `typing` request is published as a `y` entry; every server with members in the
 * room keeps the room's typers from those entries and writes its members one `typing` frame when the
 * set changed — at most one a second per room (coalesced, as Matrix's `m.typing` carries the whole
 * list), so a room where everyone types costs each member at most one frame a second.
 *
 * A member types for TYPING_MS after its last signal, or until it stops (a `stop`, or its next message).
 */
import type { Logger } from '../log.js';
import { typingFrame } from '../protocol/encode.js';
import { LIMITS, type Member } from '../protocol/messages.js';
import { PreparedFrame } from './prepared-frame.js';
import type { LocalRoom, RoomRegistry } from './rooms.js';

/** How long a member counts as typing after its last `typing` request. */
export const TYPING_MS = 6000;
/** A member still typing is signalled again once less than this is left (not on every keystroke's request). */
const RENEW_WITHIN_MS = 3000;

interface RoomTypers {
  /** member id -> the member and until when it types; in order of their latest signal (newest last). */
  typers: Map<string, { member: Member; until: number }>;
  /** What the members were last told: the ids listed and the count. */
  sent: string;
  sentAt: number;
  timer: NodeJS.Timeout | null;
  /** When the pending timer fires. */
  timerAt: number;
}

export class TypingTracker {
  private readonly byRoom = new WeakMap<LocalRoom, RoomTypers>();

  constructor(
    private readonly rooms: RoomRegistry,
    private readonly publish: (room: string, member: Member, typing: boolean) => Promise<void>,
    private readonly log: Logger,
    private readonly intervalMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A local member's `typing` request: published unless the room already knows (and will for a while). */
  typing(room: string, member: Member, typing: boolean): Promise<void> | void {
    const local = this.rooms.get(room);
    const known = local && this.byRoom.get(local)?.typers.get(member.id);
    if (typing && known && known.until - this.now() > RENEW_WITHIN_MS) return;
    if (!typing && !known) return;
    return this.publish(room, member, typing);
  }

  /** A local member sent a message, or left the room: it stopped typing (published when the room thinks it types). */
  sent(room: string, member: Member): void {
    const local = this.rooms.get(room);
    if (local && this.byRoom.get(local)?.typers.has(member.id)) {
      this.publish(room, member, false).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'typing stop not published'));
    }
  }

  /** A `y` entry from the bus. */
  onSignal(name: string, member: Member, typing: boolean): void {
    const room = this.rooms.get(name);
    if (!room) return;
    let state = this.byRoom.get(room);
    if (!state) {
      if (!typing) return;
      state = { typers: new Map(), sent: '0:', sentAt: 0, timer: null, timerAt: 0 };
      this.byRoom.set(room, state);
    }
    state.typers.delete(member.id);
    if (typing) state.typers.set(member.id, { member, until: this.now() + TYPING_MS });
    this.schedule(room, state);
  }

  /** The set changed: written now if the interval allows, else as soon as it does. */
  private schedule(room: LocalRoom, state: RoomTypers): void {
    this.wake(room, state, Math.max(this.now(), state.sentAt + this.intervalMs));
  }

  /** Makes sure a flush runs at `at` or earlier. */
  private wake(room: LocalRoom, state: RoomTypers, at: number): void {
    if (state.timer) {
      if (state.timerAt <= at) return;
      clearTimeout(state.timer);
    }
    state.timerAt = at;
    state.timer = setTimeout(() => this.flush(room, state), Math.max(0, at - this.now()));
    state.timer.unref?.();
  }

  private flush(room: LocalRoom, state: RoomTypers): void {
    state.timer = null;
    if (this.rooms.get(room.name) !== room) return;
    const now = this.now();
    let next = Infinity;
    for (const [id, t] of state.typers) {
      if (t.until <= now) state.typers.delete(id);
      else next = Math.min(next, t.until);
    }
    const newest = [...state.typers.values()].reverse().slice(0, LIMITS.typersMax).map((t) => t.member);
    const key = `${state.typers.size}:${newest.map((m) => m.id).join(',')}`;
    if (key !== state.sent) {
      state.sent = key;
      state.sentAt = now;
      room.deliver(0, undefined, new PreparedFrame(typingFrame(room.name, newest, state.typers.size)));
    }
    // Again when the next typer lapses (a change meanwhile wakes it earlier). A room nobody types in is
    // forgotten only once its last frame is an interval old: a typer starting right after the empty
    // frame still waits its turn.
    if (next !== Infinity) this.wake(room, state, Math.max(next, state.sentAt + this.intervalMs));
    else if (now >= state.sentAt + this.intervalMs) this.byRoom.delete(room);
    else this.wake(room, state, state.sentAt + this.intervalMs);
  }
}
