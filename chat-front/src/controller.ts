/**
 * The chat's behaviour without the DOM: owns the Connection and the ChatState, applies every server
 * frame through the pure functions of state.ts, (re)joins the room with `after` = the last id seen,
 * flushes the outbox with each item's own cid, retries what the server could not take, pages a large
 * room's member list (`members` requests, one at a time), pages the bounded message window both
 * ways (`history` before / after it), reports messages of others as they arrive (for the live region
 * and the unread count — never the history a first join replays), and keeps the name and session
 * token in storage. main.ts connects it to the view and to the person's input.
 *
 * Accounts (docs/protocol.md, "Accounts, private rooms and direct messages"): `signin` / `signup` go
 * out instead of `hello` on a new connection, and from the `welcome` on the account's session is kept
 * like a guest's (`hello` with it on every reconnect). Signed in, it keeps the room list (`rooms` on
 * welcome, every 10 s and on each change, and whatever the server pushes), sends `read` for the room
 * shown while the tab is visible, opens DMs and private rooms from their `room` answers, and goes back
 * to the login view when the server says the session is over (1008 "signed out", or a reconnect
 * `hello` the server no longer takes as the account's). The Sessions panel: `sessions` when it opens
 * (and again after a reconnect while loaded), `revoke` of one other session, then `sessions` again
 * once the server answered `revoked`.
 */
import { v4 as uuidv4 } from 'uuid';
import {
  LIMITS, charLength, cleanName, nameProblem, passwordProblem, roomKind, type ChatMessage, type ErrorResponse, type ServerMessage,
} from '@livechat/protocol';
import { Connection, State, type SocketCtor } from './connection.js';
import { checkName, cleanText, normaliseRoom } from './input.js';
import type { PageDir } from './log-window.js';
import { roomTitle } from './rooms.js';
import * as S from './state.js';

export const HISTORY_PAGE = 50;
const STORE_KEY = 'livechat.identity';
/** An account's session, kept like a guest's identity: `{username, session}`. */
const ACCOUNT_KEY = 'livechat.account';
/** The room list is asked for this often while signed in (unread counts of rooms not joined are not pushed). */
export const ROOMS_POLL_MS = 10_000;
/** A `read` goes out at most this often per room shown (the newest id seen by then). */
export const READ_DEBOUNCE_MS = 1_000;
/** Where the page goes when a room is closed to it. */
const FALLBACK_ROOM = 'lobby';
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
  /**
   * The controller moved to another room by itself (a DM or private room opened, removed from a room,
   * refused one): the address should follow (`push`: a new history entry; `replace`: this one).
   */
  onRoute?: (room: string, how: 'push' | 'replace') => void;
}

export interface Identity { name: string; session: string }
export interface AccountIdentity { username: string; session: string }
export type AuthMode = 'signin' | 'signup';

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
  /** Credentials of a sign-in / sign-up until its `welcome` (then only the session is kept). */
  private auth: { type: AuthMode; username: string; password: string } | null = null;
  /** The username of the account whose session this page holds (null: a guest). */
  private accountUser: string | null = null;
  /** A `create` or `dm` waits for its `room` answer, which the page then opens. */
  private opening: { kind: 'create' } | { kind: 'dm'; member: string } | null = null;
  private signOutNotice = 'You were signed out.';
  /** `revoke` requests of one other session sent and not yet answered (each answer asks for the list again). */
  private revokesInFlight = 0;
  private visible = true;
  private roomsTimer: ReturnType<typeof setInterval> | null = null;
  private readTimer: ReturnType<typeof setTimeout> | null = null;
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
      hello: () => {
        if (this.auth) return { type: this.auth.type, username: this.auth.username, password: this.auth.password };
        return this.session ? { type: 'hello', name: this.name, session: this.session } : { type: 'hello', name: this.name };
      },
      onMessage: (m) => this.onMessage(m),
      onState: (s) => this.onConnState(s),
      onClose: (code, reason) => this.onClose(code, reason),
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

  /** The account session remembered on this device (the page resumes it on load). */
  storedAccount(): AccountIdentity | null {
    try {
      const raw = this.storage?.getItem(ACCOUNT_KEY);
      if (!raw) return null;
      const v = JSON.parse(raw) as Partial<AccountIdentity>;
      return typeof v.username === 'string' && typeof v.session === 'string' ? { username: v.username, session: v.session } : null;
    } catch {
      return null;
    }
  }

  /** Page load with an account's session remembered: straight into `rawRoom` as that account. */
  resume(rawRoom: string): boolean {
    const acct = this.storedAccount();
    const room = normaliseRoom(rawRoom || FALLBACK_ROOM);
    if (!acct || !room) return false;
    this.auth = null;
    this.accountUser = acct.username;
    this.name = acct.username;
    this.session = acct.session;
    this.update(S.startChat(this.state, room));
    this.conn.connect();
    return true;
  }

  /**
   * The account form: sign in (or sign up) as `rawUser` and go to `rawRoom`. The login view stays
   * until the `welcome` (or the refusal, which the form shows). Returns false when the form itself
   * is not complete (the reason is in `state.authError`).
   */
  signIn(mode: AuthMode, rawUser: string, password: string, rawRoom: string): boolean {
    const problem = credentialsProblem(mode, rawUser, password);
    const room = normaliseRoom(rawRoom || FALLBACK_ROOM);
    if (problem || !room) {
      this.update(S.failAuth(this.state, problem ?? 'A room name is 1-32 of a-z, 0-9, - and _.'));
      return false;
    }
    this.conn.close();
    this.auth = { type: mode, username: cleanName(rawUser), password };
    this.accountUser = null;
    this.session = null;
    this.name = this.auth.username;
    this.update(S.startAuth(S.switchRoom(this.state, room)));
    this.conn.connect();
    return true;
  }

  /** The person switched between the sign-in and sign-up forms: the last refusal no longer applies. */
  clearAuthError(): void {
    if (this.state.authError !== null) this.update({ ...this.state, authError: null });
  }

  /**
   * "Sign out": the server revokes this device's session (`revoke` `current`: the token is dead, not
   * just forgotten here), and the page forgets it and closes. The server takes a request that arrived
   * before the close, so closing at once loses nothing.
   */
  signOut(): void {
    if (this.state.account) this.conn.send({ type: 'revoke', session: 'current' });
    this.endAccount('You signed out.');
    this.conn.close();
  }

  /** "Sign out everywhere": every session of the account is revoked; the server then closes this one too. */
  signOutEverywhere(): boolean {
    if (!this.state.account) return false;
    this.signOutNotice = 'You were signed out everywhere.';
    return this.conn.send({ type: 'revoke' });
  }

  /** The Sessions panel opened: asks for the account's sessions. */
  requestSessions(): boolean {
    return this.state.account !== null && this.conn.send({ type: 'sessions' });
  }

  /**
   * "Sign out" on another session of the list: the server revokes it (and closes its connections);
   * once it answers, the list is asked for again. This device's own is signed out with signOut().
   */
  revokeSession(id: string): boolean {
    const listed = this.state.account?.sessions?.find((x) => x.id === id);
    if (!listed || listed.current || this.state.account?.revoking.includes(id)) return false;
    if (!this.conn.send({ type: 'revoke', session: id })) return false;
    this.revokesInFlight++;
    this.update(S.markRevoking(this.state, id));
    return true;
  }

  /** "Create private room": the room opens when the server answers. Returns why not, or null. */
  createRoom(rawTitle: string): string | null {
    const title = cleanName(rawTitle);
    if (nameProblem(rawTitle, 'title', LIMITS.titleMax) || charLength(title) < 1) return `A title is 1-${LIMITS.titleMax} characters.`;
    if (!this.state.account) return 'Sign in to create private rooms.';
    if (!this.conn.send({ type: 'create', title })) return 'Not connected; try again in a moment.';
    this.opening = { kind: 'create' };
    return null;
  }

  /** Opens the DM with another account (a member id starting with `u_`). */
  openDm(member: string): boolean {
    if (!this.state.account || member === this.state.me?.id) return false;
    if (!this.conn.send({ type: 'dm', member })) return false;
    this.opening = { kind: 'dm', member };
    return true;
  }

  /** The owner lets an account into the current private room. Returns why not, or null. */
  invite(rawUsername: string): string | null {
    const username = cleanName(rawUsername);
    if (charLength(username) < 1) return 'Enter a username.';
    if (!this.conn.send({ type: 'invite', room: this.state.room, username })) return 'Not connected; try again in a moment.';
    return null;
  }

  /** The owner takes a member out of the current private room. */
  removeMember(member: string): boolean {
    return this.conn.send({ type: 'remove', room: this.state.room, member });
  }

  /** The tab became visible (the room shown is being read) or hidden. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) this.scheduleRead();
  }

  /** Asks for the account's room list (signed in only). */
  requestRooms(): void {
    if (this.state.account) this.conn.send({ type: 'rooms' });
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
    this.auth = null;
    this.accountUser = null;
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
    this.stopAccountTimers();
  }

  private stopAccountTimers(): void {
    if (this.roomsTimer) clearInterval(this.roomsTimer);
    if (this.readTimer) clearTimeout(this.readTimer);
    this.roomsTimer = this.readTimer = null;
  }

  /** Forgets the account here (storage, session, timers) and shows the login view with `notice`. */
  private endAccount(notice: string): void {
    try { this.storage?.removeItem(ACCOUNT_KEY); } catch { /* private mode */ }
    this.auth = null;
    this.accountUser = null;
    this.session = null;
    this.opening = null;
    this.joinInFlight = false;
    this.signOutNotice = 'You were signed out.';
    this.revokesInFlight = 0;
    this.stopAccountTimers();
    if (this.joinRetry) clearTimeout(this.joinRetry);
    if (this.membersRetry) clearTimeout(this.membersRetry);
    this.joinRetry = this.membersRetry = null;
    this.update(S.signedOut(this.state, notice));
  }

  /** The server closed the socket: 1008 "signed out" ends the account here (no reconnect). */
  private onClose(code: number, reason: string): boolean {
    if (code !== 1008 || reason !== 'signed out' || (!this.accountUser && !this.auth)) return true;
    this.endAccount(this.signOutNotice);
    return false;
  }

  /** The controller moves to `room` by itself; the address follows. */
  private openRoom(room: string, how: 'push' | 'replace'): void {
    if (!this.switchRoom(room)) return;
    this.o.onRoute?.(room, how);
  }

  /** How the page names a room (a private room's title, a DM's other member). */
  titleOf(room: string): string {
    return roomTitle(this.state.account, room, roomKind(room), this.state.me?.id);
  }
  private onConnState(s: State): void {
    if (s !== State.Connected) {
      this.joinInFlight = false;
      // A `revoked` answer lost with the connection never comes: the list is asked for again on welcome.
      this.revokesInFlight = 0;
    }
    this.update(S.applyConnState(this.state, s));
  }

  private onMessage(m: ServerMessage): void {
    const now = this.now();
    switch (m.type) {
      case 'welcome': {
        if (!m.account && (this.auth || this.accountUser)) {
          // The account's session is over (revoked or expired): the server made a fresh guest of it.
          this.endAccount('You were signed out.');
          this.conn.close();
          return;
        }
        this.session = m.session;
        this.name = m.member.name;
        if (m.account) {
          this.auth = null;
          this.accountUser = m.account.username;
          try { this.storage?.setItem(ACCOUNT_KEY, JSON.stringify({ username: m.account.username, session: m.session })); } catch { /* private mode */ }
        } else {
          try { this.storage?.setItem(STORE_KEY, JSON.stringify({ name: m.member.name, session: m.session })); } catch { /* private mode */ }
        }
        let next = S.applyWelcome(this.state, m);
        if (next.phase === 'login') next = S.startChat({ ...next, authBusy: false }, next.room);
        this.update(next);
        if (m.account) this.startRoomsPolling();
        // A list of sessions loaded before a reconnect may have changed meanwhile: it is asked for again.
        const sessionsShown = next.account?.sessions != null;
        if (next.account?.revoking.length) this.update(S.settleRevoking(this.state));
        // Connected comes right after; join then (the connection refuses sends before it).
        queueMicrotask(() => { this.join(); this.requestRooms(); if (sessionsShown) this.requestSessions(); });
        return;
      }
      case 'joined': {
        if (m.room !== this.state.room) return;
        this.joinInFlight = false;
        const { resumable, lastId } = this.state;
        this.update(S.applyJoined(this.state, m));
        // A rejoin's missed messages are new to the person; a first join's history is not.
        if (resumable && this.state.resumable) this.arrived(m.messages.filter((x) => x.id > lastId), false);
        this.flush();
        this.requestMembers(false);
        if (this.state.account) {
          // Joining a public room puts it on top of the list; a private room's or DM's details are asked for.
          this.requestRooms();
          if (roomKind(m.room) !== 'public') this.conn.send({ type: 'room', room: m.room });
        }
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
      case 'rooms': this.update(S.applyRooms(this.state, m)); return;
      case 'read': this.update(S.applyRead(this.state, m)); return;
      case 'room': {
        this.update(S.applyRoomDetails(this.state, m));
        const o = this.opening;
        const answers = o && (o.kind === 'create' ? m.kind === 'private' : m.kind === 'dm' && m.members.some((x) => x.id === o.member));
        if (answers) {
          this.opening = null;
          this.requestRooms();
          if (m.room !== this.state.room) this.openRoom(m.room, 'push');
        }
        return;
      }
      case 'left': {
        if (m.reason !== 'removed') return;
        const title = this.titleOf(m.room);
        if (this.state.account) this.update(S.forgetRoom(this.state, m.room));
        if (m.room === this.state.room) {
          // Out of the room already (the server left it for us): no `leave`, straight to the lobby.
          this.joinInFlight = false;
          this.update({ ...this.state, joined: false });
          this.openRoom(FALLBACK_ROOM, 'replace');
          this.notify(`You were removed from ${title}.`);
        }
        this.requestRooms();
        return;
      }
      case 'sessions': this.update(S.applySessions(this.state, m)); return;
      case 'revoked':
        // The server closes every connection on the revoked sessions (1008 "signed out"). One other
        // session's: the list is asked for again (sign out everywhere ends this page too).
        if (this.revokesInFlight === 0) return;
        this.revokesInFlight--;
        if (this.revokesInFlight === 0) this.update(S.settleRevoking(this.state));
        this.requestSessions();
        return;
      case 'error':
        if (this.conn.state !== State.Connected && this.auth) {
          // signin / signup refused: the account form says why.
          const mode = this.auth.type;
          this.auth = null;
          this.conn.close();
          this.update(S.failAuth(this.state, authErrorText(m, mode)));
          return;
        }
        if (this.conn.state !== State.Connected && this.accountUser && m.code === 'name_taken') {
          // A reconnect's hello with the account's session was taken as a guest's: the session expired.
          this.endAccount('You were signed out.');
          this.conn.close();
          return;
        }
        if (!this.state.me) {
          // hello refused: back to the form with the reason.
          this.conn.close();
          const text = m.code === 'name_taken' ? 'That name belongs to an account: sign in, or pick another name.' : m.message;
          this.update({ ...this.state, phase: 'login', loginError: text });
          return;
        }
        if (m.cid === undefined && this.opening) this.opening = null;
        if (m.cid === undefined && this.joinInFlight && m.code === 'forbidden') {
          // A private room or DM this account (or guest) may not open: back to the lobby, saying so.
          this.joinInFlight = false;
          const room = this.state.room;
          if (room !== FALLBACK_ROOM) {
            const title = roomKind(room) === 'public' ? `#${room}` : 'that room';
            this.openRoom(FALLBACK_ROOM, 'replace');
            this.notify(`You cannot open ${title}: it is private, and you are not a member.`);
            return;
          }
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

  private startRoomsPolling(): void {
    if (this.roomsTimer) clearInterval(this.roomsTimer);
    this.roomsTimer = setInterval(() => this.requestRooms(), ROOMS_POLL_MS);
  }

  /** A `read` for the room shown goes out a moment after its newest id moved (while the tab is visible). */
  private scheduleRead(): void {
    if (this.readTimer || !this.visible || !S.readDue(this.state)) return;
    this.readTimer = setTimeout(() => {
      this.readTimer = null;
      const due = this.visible ? S.readDue(this.state) : undefined;
      if (due && this.conn.send({ type: 'read', room: due.room, id: due.id })) this.update(S.applyRead(this.state, due));
    }, READ_DEBOUNCE_MS);
  }

  private update(next: S.ChatState): void {
    if (next === this.state) return;
    this.state = next;
    this.o.onChange(next);
    this.scheduleRead();
  }
}

/** Why the account form cannot be sent as it is, or null. */
export function credentialsProblem(mode: AuthMode, rawUser: string, password: string): string | null {
  const user = checkName(rawUser);
  if (!user.ok) return user.error.replace(/\bname\b/, 'username');
  if (mode === 'signin') return password.length === 0 ? 'Enter your password.' : null;
  return passwordProblem(password) ? `A password is ${LIMITS.passwordMin}-${LIMITS.passwordMax} characters.` : null;
}

/** What the account form says when the server refused a sign-in or sign-up. */
export function authErrorText(e: ErrorResponse, mode: AuthMode): string {
  switch (e.code) {
    case 'auth_failed': return 'Wrong username or password.';
    case 'name_taken': return mode === 'signup' ? 'That username is taken: pick another, or sign in.' : e.message;
    case 'rate_limited': {
      const s = e.retryAfterMs ? Math.max(1, Math.ceil(e.retryAfterMs / 1000)) : 0;
      return s ? `Too many attempts: try again in ${s} s.` : 'Too many attempts: try again in a moment.';
    }
    default: return e.message;
  }
}
