/**
 * The chat's behaviour without the DOM: owns the Connection and the ChatState, applies every server
 * frame through the pure functions of state.ts, (re)joins the room with `after` = the last id seen,
 * flushes the outbox with each item's own cid, retries what the server could not take, pages a large
 * room's member list (`members` requests, one at a time), pages the bounded message window both
 * ways (`history` before / after it), reports messages of others as they arrive (for the live region
 * and the unread count — never the history a first join replays), and keeps the name and session
 * token in storage. main.ts connects it to the view and to the person's input.
 */
import { v4 as uuidv4 } from 'uuid';
import { LIMITS, charLength, type ChatMessage, type ServerMessage } from '@livechat/protocol';
import { Connection, State, type SocketCtor } from './connection.js';
import { checkName, cleanText, normaliseRoom } from './input.js';
import type { PageDir } from './log-window.js';
import * as S from './state.js';

export const HISTORY_PAGE = 50;
const STORE_KEY = 'livechat.identity';
/** A notice about a request the page retries by itself clears after this long (others stay until dismissed). */
const TRANSIENT_NOTICE_MS = 10_000;

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface ControllerOptions {
  url: string;
  WebSocket: SocketCtor;
  storage?: KeyValueStore | null;
  onChange: (state: S.ChatState) => void;
  /**
   * Messages of others that just arrived: `live` ones one by one as they come, the rest (`live` false)
   * those a rejoin after a reconnect brought. Never the history of a first join or of a page loaded.
   */
  onArrivals?: (messages: ChatMessage[], live: boolean) => void;
  newCid?: () => string;
  now?: () => number;
  /** Passed to the Connection (backoff jitter). */
  random?: () => number;
  pingIntervalMs?: number;
}

export interface Identity { name: string; session: string }

export { checkName, cleanText, normaliseRoom } from './input.js';

export class ChatController {
  state: S.ChatState;
  readonly conn: Connection;
  private name = '';
  private session: string | null = null;
  private joinInFlight = false;
  private joinRetry: ReturnType<typeof setTimeout> | null = null;
  private sendRetry: ReturnType<typeof setTimeout> | null = null;
  private noticeTimer: ReturnType<typeof setTimeout> | null = null;
  /** Which way the `history` request in flight pages the window. */
  private historyDir: PageDir = 'older';
  private membersRetry: ReturnType<typeof setTimeout> | null = null;
  private readonly storage: KeyValueStore | null;
  private readonly newCid: () => string;
  private readonly now: () => number;

  constructor(private readonly o: ControllerOptions, room = 'lobby') {
    this.state = S.initialState(room);
    this.storage = o.storage ?? null;
    this.newCid = o.newCid ?? (() => uuidv4());
    this.now = o.now ?? Date.now;
    this.conn = new Connection({
      url: o.url,
      WebSocket: o.WebSocket,
      random: o.random,
      pingIntervalMs: o.pingIntervalMs,
      hello: () => (this.session ? { type: 'hello', name: this.name, session: this.session } : { type: 'hello', name: this.name }),
      onMessage: (m) => this.onMessage(m),
      onState: (s) => this.onConnState(s),
    });
  }

  /** The name (and session) remembered from an earlier visit. */
  storedIdentity(): Identity | null {
    try {
      const raw = this.storage?.getItem(STORE_KEY);
      if (!raw) return null;
      const v = JSON.parse(raw) as Partial<Identity>;
      return typeof v.name === 'string' && typeof v.session === 'string' ? { name: v.name, session: v.session } : null;
    } catch {
      return null;
    }
  }

  /**
   * Join pressed: connect as `rawName` to `rawRoom`. The stored session is used only when the name is
   * the one it belongs to (the server would restore the session's name, not the typed one).
   */
  start(rawName: string, rawRoom: string): boolean {
    const n = checkName(rawName);
    const room = normaliseRoom(rawRoom || 'lobby');
    if (!n.ok || !room) {
      this.update({ ...this.state, loginError: n.ok ? 'A room name is 1-32 of a-z, 0-9, - and _.' : n.error });
      return false;
    }
    const stored = this.storedIdentity();
    this.name = n.name;
    this.session = stored && stored.name === n.name ? stored.session : null;
    if (stored && !this.session) this.storage?.removeItem(STORE_KEY);
    this.update(S.startChat(this.state, room));
    this.conn.connect();
    return true;
  }

  /** Queues a message; it goes out now if connected, else once back. Returns false for empty/too long text. */
  send(rawText: string): boolean {
    const text = cleanText(rawText);
    const len = charLength(text);
    if (this.state.phase !== 'chat' || len < 1 || len > LIMITS.textMax) return false;
    this.update(S.enqueue(this.state, { cid: this.newCid(), text, now: this.now() }));
    this.flush();
    return true;
  }

  /** Leaves the current room and joins another. */
  switchRoom(rawRoom: string): boolean {
    const room = normaliseRoom(rawRoom);
    if (!room) return false;
    if (room === this.state.room) return true;
    const old = this.state.room;
    if (this.state.joined) this.conn.send({ type: 'leave', room: old });
    this.joinInFlight = false;
    this.update(S.switchRoom(this.state, room));
    this.join();
    return true;
  }

  /** Asks for the page of messages before the oldest one shown (no-op while loading or at the start). */
  loadOlder(): void {
    const before = S.olderBefore(this.state);
    if (before === undefined) return;
    this.requestHistory({ before }, 'older');
  }

  /** Asks for the page after the window's end, while it ends before the newest message (no-op otherwise). */
  loadNewer(): void {
    const after = S.newerAfter(this.state);
    if (after === undefined) return;
    this.requestHistory({ after }, 'newer');
  }

  /** "New messages": while the window ends further back, loads the latest page in its place. */
  jumpToLatest(): void {
    if (!S.hasNewer(this.state) || !this.state.joined || this.state.history.loading) return;
    this.requestHistory({ before: this.state.lastId + 1 }, 'latest');
  }

  private requestHistory(range: { before: number } | { after: number }, dir: PageDir): void {
    if (this.conn.send({ type: 'history', room: this.state.room, ...range, limit: HISTORY_PAGE })) {
      this.historyDir = dir;
      this.update(S.markHistoryLoading(this.state));
    }
  }

  /** Shows a notice (it stays until dismissed, replaced, or the room changes). */
  notify(text: string): void {
    this.update(S.withNotice(this.state, text));
  }

  /** The person closed the notice. */
  dismissNotice(): void {
    this.update(S.clearNotice(this.state));
  }

  /** The person reached the end of the member panel: in a large room, ask for the next page. */
  loadMoreMembers(): void {
    this.requestMembers(true);
  }

  /** Tries a failed message again (same cid). */
  retry(cid: string): void {
    this.update(S.retryItem(this.state, cid));
    this.flush();
  }

  stop(): void {
    this.conn.close();
    if (this.joinRetry) clearTimeout(this.joinRetry);
    if (this.sendRetry) clearTimeout(this.sendRetry);
    if (this.noticeTimer) clearTimeout(this.noticeTimer);
    if (this.membersRetry) clearTimeout(this.membersRetry);
  }

  private onConnState(s: State): void {
    if (s !== State.Connected) this.joinInFlight = false;
    this.update(S.applyConnState(this.state, s));
  }

  private onMessage(m: ServerMessage): void {
    const now = this.now();
    switch (m.type) {
      case 'welcome':
        this.session = m.session;
        this.name = m.member.name;
        try { this.storage?.setItem(STORE_KEY, JSON.stringify({ name: m.member.name, session: m.session })); } catch { /* private mode */ }
        this.update(S.applyWelcome(this.state, m));
        // Connected comes right after; join then (the connection refuses sends before it).
        queueMicrotask(() => this.join());
        return;
      case 'joined': {
        if (m.room !== this.state.room) return;
        this.joinInFlight = false;
        const { resumable, lastId } = this.state;
        this.update(S.applyJoined(this.state, m));
        // A rejoin's missed messages are new to the person; a first join's history is not.
        if (resumable && this.state.resumable) this.arrived(m.messages.filter((x) => x.id > lastId), false);
        this.flush();
        this.requestMembers(false);
        return;
      }
      case 'message': {
        const before = this.state.lastId;
        this.update(S.applyMessage(this.state, m));
        if (this.state.lastId > before) this.arrived([m], true);
        return;
      }
      case 'history': this.update(S.applyHistory(this.state, m, HISTORY_PAGE, this.historyDir)); return;
      case 'presence':
        // A room that just turned large holds a stale list: a fresh first page is asked for.
        this.update(S.applyPresence(this.state, m));
        this.requestMembers(false);
        return;
      case 'members':
        this.update(S.applyMembers(this.state, m));
        this.requestMembers(false);
        return;
      case 'ack': this.update(S.applyAck(this.state, m)); return;
      case 'error':
        if (!this.state.me) {
          // hello refused: back to the form with the reason.
          this.conn.close();
          this.update({ ...this.state, phase: 'login', loginError: m.message });
          return;
        }
        if (m.cid === undefined && this.joinInFlight) {
          this.joinInFlight = false;
          this.scheduleJoin(m.retryAfterMs ?? 1000);
        }
        if (m.cid === undefined && this.state.roster.inFlight !== null) {
          // It may have answered the members request: a stale list asks again later, not at once.
          this.scheduleMembers(m.retryAfterMs ?? 1000);
        }
        this.update(S.applyError(this.state, m, now));
        // A request the page retries by itself (join, history, members): its notice is for the moment.
        if (m.cid === undefined) this.clearNoticeLater(m.message);
        this.scheduleFlush();
        return;
      default:
        return;
    }
  }

  /** Clears the notice after a while if it still says `text`. */
  private clearNoticeLater(text: string): void {
    if (this.noticeTimer) clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => {
      this.noticeTimer = null;
      if (this.state.notice === text) this.update(S.clearNotice(this.state));
    }, TRANSIENT_NOTICE_MS);
  }

  /** Reports the messages of others among `list`. */
  private arrived(list: ChatMessage[], live: boolean): void {
    const me = this.state.me?.id;
    const others = list.filter((x) => x.from.id !== me);
    if (others.length) this.o.onArrivals?.(others, live);
  }

  private join(): void {
    if (this.conn.state !== State.Connected || this.joinInFlight || this.state.joined) return;
    const after = S.joinAfter(this.state);
    const req = after === undefined ? { type: 'join' as const, room: this.state.room } : { type: 'join' as const, room: this.state.room, after };
    if (this.conn.send(req)) this.joinInFlight = true;
  }

  private scheduleJoin(ms: number): void {
    if (this.joinRetry) clearTimeout(this.joinRetry);
    this.joinRetry = setTimeout(() => { this.joinRetry = null; this.join(); }, ms);
  }

  /** Sends the `members` request due (a stale list's first page; with `more`, the next page). */
  private requestMembers(more: boolean): void {
    const req = S.membersRequest(this.state, more);
    if (!req) return;
    if (this.conn.send({ type: 'members', room: this.state.room, ...req })) {
      this.update(S.markMembersLoading(this.state, req.after));
    }
  }

  private scheduleMembers(ms: number): void {
    if (this.membersRetry) clearTimeout(this.membersRetry);
    this.membersRetry = setTimeout(() => { this.membersRetry = null; this.requestMembers(false); }, ms);
  }

  /** Sends every due outbox item with its cid. */
  private flush(): void {
    const due = S.dueSends(this.state, this.now());
    const sent: string[] = [];
    for (const o of due) {
      if (!this.conn.send({ type: 'send', room: o.room, text: o.text, cid: o.cid })) break;
      sent.push(o.cid);
    }
    if (sent.length) this.update(S.markSending(this.state, sent));
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    const now = this.now();
    const at = S.nextRetryAt(this.state, now);
    if (this.sendRetry) { clearTimeout(this.sendRetry); this.sendRetry = null; }
    if (at === undefined) return;
    this.sendRetry = setTimeout(() => { this.sendRetry = null; this.flush(); }, at - now);
  }

  private update(next: S.ChatState): void {
    if (next === this.state) return;
    this.state = next;
    this.o.onChange(next);
  }
}
