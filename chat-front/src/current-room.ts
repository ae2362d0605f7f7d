/**
 * The room the page shows, over the connection: (re)joins it with `after` = the last id seen (then the
 * outbox goes out: outbox-sender.ts), leaves it for another, pages the bounded message window both
 * ways (`history` before / after it), pages a large room's member list (`members`, one request at a
 * time), applies the room's `update` and `typing` frames, reports messages of others as they arrive
 * (for the live region, the unread count and notifications — never the history a first join replays),
 * and leaves a room the server took this member out of.
 *
 * Each request it waits for is the very object the connection's table hands back with the answer, so
 * an answer or an `error` carrying a rid is matched to its request exactly (a join refused, a history
 * page that failed); `guessError` is the reading of an `error` without one, for older servers.
 */
import type { ChatMessage, ErrorResponse, HistoryResponse, Joined, MembersResponse, Presence, Typing, Update } from '@livechat/protocol';
import { DEFAULT_ROOM } from './address.js';
import { State } from './connection.js';
import { normaliseRoom } from './input.js';
import type { PageDir } from './log-window.js';
import type { Page } from './page.js';
import type { InFlight } from './requests.js';
import { FIRST_PAGE } from './roster.js';
import * as S from './state.js';
import { errorText } from './texts.js';

export const HISTORY_PAGE = 50;
/** A refused join or members page is asked for again after this, unless the server says when. */
const RETRY_MS = 1_000;

type JoinInFlight = Extract<InFlight, { type: 'join' }>;
type HistoryInFlight = Extract<InFlight, { type: 'history' }>;

export interface CurrentRoomOptions {
  /** The room was joined: the outbox may go out. */
  flush(): void;
  /** The room was joined (the account side asks for what it shows about it). */
  joined(room: string): void;
  /** Messages of others: `live` ones as they come, the rest those a rejoin after a reconnect brought. */
  onArrivals?: (messages: ChatMessage[], live: boolean) => void;
  /** The page moved to another room by itself: the address should follow. */
  onRoute?: (room: string, how: 'push' | 'replace') => void;
}

export class CurrentRoom {
  /** The join waiting for its `joined` (null: none). */
  private joining: JoinInFlight | null = null;
  /** The last `history` request sent: its answer is applied the way it pages. */
  private paging: HistoryInFlight | null = null;
  private joinRetry: ReturnType<typeof setTimeout> | null = null;
  private membersRetry: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly page: Page, private readonly o: CurrentRoomOptions) {}

  /** Leaves the current room and joins another. */
  switchRoom(rawRoom: string): boolean {
    const room = normaliseRoom(rawRoom);
    if (!room) return false;
    const { state, conn } = this.page;
    if (room === state.room) return true;
    if (state.joined) conn.send({ type: 'leave', room: state.room });
    this.joining = null;
    this.page.update(S.switchRoom(state, room));
    this.join();
    return true;
  }

  /** The page moves to `room` by itself; the address follows. */
  open(room: string, how: 'push' | 'replace'): void {
    if (this.switchRoom(room)) this.o.onRoute?.(room, how);
  }

  /** Joins the room shown, unless joined or a join is on its way (and only on a welcomed connection). */
  join(): void {
    const { state, conn } = this.page;
    if (conn.state !== State.Connected || this.joining || state.joined) return;
    const after = S.joinAfter(state);
    const epoch = S.joinEpoch(state);
    const about: JoinInFlight = { type: 'join', room: state.room };
    const req = after === undefined ? { ...about } : epoch === undefined ? { ...about, after } : { ...about, after, epoch };
    if (conn.send(req, about)) this.joining = about;
  }

  /** Asks for the page of messages before the oldest one shown (no-op while loading or at the start). */
  loadOlder(): void {
    const before = S.olderBefore(this.page.state);
    if (before !== undefined) this.requestHistory({ before }, 'older');
  }

  /** Asks for the page after the window's end, while it ends before the newest message (no-op otherwise). */
  loadNewer(): void {
    const after = S.newerAfter(this.page.state);
    if (after !== undefined) this.requestHistory({ after }, 'newer');
  }

  /** "New messages": while the window ends further back, loads the latest page in its place. */
  jumpToLatest(): void {
    const { state } = this.page;
    if (!S.hasNewer(state) || !state.joined || state.history.loading) return;
    this.requestHistory({ before: state.lastId + 1 }, 'latest');
  }

  /** The person reached the end of the member panel: in a large room, ask for the next page. */
  loadMoreMembers(): void {
    this.requestMembers(true);
  }

  connState(s: State): void {
    if (s !== State.Connected) this.joining = null;
  }

  // ---- answers and pushed frames ----

  joined(m: Joined): void {
    if (m.room !== this.page.state.room) return;
    this.joining = null;
    const { resumable, lastId, historyLost } = this.page.state;
    this.page.update(S.applyJoined(this.page.state, m));
    // A rejoin's missed messages are new to the person; a first join's history is not. After the server
    // lost the room's history, every message of the new one is.
    const since = this.page.state.historyLost && !historyLost ? 0 : lastId;
    if (resumable && this.page.state.resumable) this.arrived(m.messages.filter((x) => S.isMessage(x) && x.id > since) as ChatMessage[], false);
    this.o.flush();
    this.requestMembers(false);
    this.o.joined(m.room);
  }

  message(m: ChatMessage): void {
    const before = this.page.state.lastId;
    this.page.update(S.applyMessage(this.page.state, m));
    if (this.page.state.lastId > before) this.arrived([m], true);
  }

  /** An edit, deletion or reaction (its target changes if the window holds it). */
  update(m: Update): void {
    this.page.update(S.applyUpdate(this.page.state, m));
  }

  /** Who types in the room now. */
  typing(m: Typing): void {
    this.page.update(S.applyTyping(this.page.state, m));
  }

  history(m: HistoryResponse, req: InFlight | undefined): void {
    const dir: PageDir = (req?.type === 'history' ? req : this.paging)?.dir ?? 'older';
    this.page.update(S.applyHistory(this.page.state, m, HISTORY_PAGE, dir));
  }

  presence(m: Presence): void {
    // A room that just turned large holds a stale list: a fresh first page is asked for.
    this.page.update(S.applyPresence(this.page.state, m));
    this.requestMembers(false);
  }

  members(m: MembersResponse): void {
    this.page.update(S.applyMembers(this.page.state, m));
    this.requestMembers(false);
  }

  /** The server took this member out of `room` (the account side saw to the rest): out of it, to the lobby. */
  removed(): void {
    // The server left the room for us: no `leave`.
    this.joining = null;
    this.page.update({ ...this.page.state, joined: false });
    this.open(DEFAULT_ROOM, 'replace');
  }

  // ---- errors ----

  /** An `error` answering one of this part's requests (matched by rid). */
  failed(e: ErrorResponse, req: InFlight): void {
    const { state } = this.page;
    switch (req.type) {
      case 'join':
        if (req === this.joining && this.joinRefused(e)) return;
        break;
      case 'history':
        if (req === this.paging) this.page.update(S.historyFailed(state));
        break;
      case 'members':
        // Only the page the roster waits for (a later request replaced an earlier one's cursor).
        if (req.room === state.room && state.roster.inFlight === (req.after ?? FIRST_PAGE)) {
          this.page.update(S.membersFailed(state));
          this.scheduleMembers(e.retryAfterMs ?? RETRY_MS);
        }
        break;
      default:
        break;
    }
    this.page.notifyBriefly(errorText(e));
  }

  /**
   * An `error` without a rid, from a server that does not echo them: it may answer whichever of the
   * join, history and members requests is waiting, so each of them takes it as its own.
   */
  guessError(e: ErrorResponse): void {
    if (e.cid === undefined && this.joining && this.joinRefused(e)) return;
    if (e.cid === undefined && this.page.state.roster.inFlight !== null) {
      // It may have answered the members request: a stale list asks again later, not at once.
      this.scheduleMembers(e.retryAfterMs ?? RETRY_MS);
    }
    this.page.update(S.applyError(this.page.state, e, this.page.now()));
    if (e.cid === undefined) this.page.notifyBriefly(e.message);
  }

  /**
   * The join waiting was refused. A private room or DM this account (or guest) may not open: back to
   * the lobby, saying so (true: nothing more to do). Anything else: the join is tried again later.
   */
  private joinRefused(e: ErrorResponse): boolean {
    const { room } = this.page.state;
    const req = this.joining!;
    this.joining = null;
    if (e.code === 'forbidden') {
      if (room === DEFAULT_ROOM) return false;
      this.open(DEFAULT_ROOM, 'replace');
      this.page.notify(errorText(e, req));
      return true;
    }
    this.scheduleJoin(e.retryAfterMs ?? RETRY_MS);
    return false;
  }

  /** Nothing waits any more (signed out, or stopped): no join, no retry. */
  reset(): void {
    this.joining = null;
    for (const t of [this.joinRetry, this.membersRetry]) if (t) clearTimeout(t);
    this.joinRetry = this.membersRetry = null;
  }

  // ---- requests ----

  private requestHistory(range: { before: number } | { after: number }, dir: PageDir): void {
    const { state, conn } = this.page;
    const about: HistoryInFlight = { type: 'history', room: state.room, dir };
    if (conn.send({ type: 'history', room: state.room, ...range, limit: HISTORY_PAGE }, about)) {
      this.paging = about;
      this.page.update(S.markHistoryLoading(this.page.state));
    }
  }

  /** Sends the `members` request due (a stale list's first page; with `more`, the next page). */
  private requestMembers(more: boolean): void {
    const req = S.membersRequest(this.page.state, more);
    if (!req) return;
    if (this.page.conn.send({ type: 'members', room: this.page.state.room, ...req })) {
      this.page.update(S.markMembersLoading(this.page.state, req.after));
    }
  }

  private scheduleJoin(ms: number): void {
    if (this.joinRetry) clearTimeout(this.joinRetry);
    this.joinRetry = setTimeout(() => { this.joinRetry = null; this.join(); }, ms);
  }

  private scheduleMembers(ms: number): void {
    if (this.membersRetry) clearTimeout(this.membersRetry);
    this.membersRetry = setTimeout(() => { this.membersRetry = null; this.requestMembers(false); }, ms);
  }

  /** Reports the messages of others among `list`. */
  private arrived(list: ChatMessage[], live: boolean): void {
    const me = this.page.state.me?.id;
    const others = list.filter((x) => x.from.id !== me);
    if (others.length) this.o.onArrivals?.(others, live);
  }
}
