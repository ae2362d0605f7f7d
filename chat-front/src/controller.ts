/**
 * The chat's behaviour without the DOM, composed of parts that each own one concern: identity.ts (who
 * the page is: hello / sign-in / sign-up, welcome, the session kept in storage, signing out); the room
 * shown — current-room.ts (join, leave, messages, updates, history and member paging), outbox-sender.ts
 * (what the person typed, out with its cid until stored), upload-sender.ts (files picked for the next
 * message: asked for, uploaded, their keys taken by a send), message-actions.ts (reply, edit, delete,
 * react), typing-sender.ts (telling the room the person types) and read-marker.ts (the account's
 * `read` for it); and account-actions.ts (the account's room list, private rooms, DMs, the Sessions panel). The
 * controller owns the Connection and the ChatState (the parts change it through `update`, see
 * page.ts), routes each server frame to the part that owns it, and offers main.ts one object to call.
 *
 * Answers come with the request they answer when the server echoes request ids (requests.ts): an
 * `error` then goes to the part whose request failed, and one that answers nothing the page waits for
 * is a notice. From a server that does not echo them, an `error` is read as it always was: each part
 * that waits for an answer may take it as its own.
 */
import { v4 as uuidv4 } from 'uuid';
import type { ChatMessage, ErrorResponse, RequestId, ServerMessage } from '@livechat/protocol';
import { AccountActions } from './account-actions.js';
import { Connection, State, type SocketCtor } from './connection.js';
import { CurrentRoom } from './current-room.js';
import { Identity, type AccountIdentity, type GuestIdentity, type KeyValueStore } from './identity.js';
import type { AuthMode } from './input.js';
import { MessageActions } from './message-actions.js';
import { OutboxSender } from './outbox-sender.js';
import type { Page } from './page.js';
import { ReadMarker } from './read-marker.js';
import type { InFlight } from './requests.js';
import * as S from './state.js';
import { errorText, TEXT } from './texts.js';
import { TypingSender } from './typing-sender.js';
import { xhrPut, type PutFile } from './upload-put.js';
import { UploadSender } from './upload-sender.js';

export { ROOMS_POLL_MS } from './account-actions.js';
export { HISTORY_PAGE } from './current-room.js';
export { READ_DEBOUNCE_MS } from './read-marker.js';
export type { AccountIdentity, GuestIdentity, KeyValueStore } from './identity.js';
export { checkName, cleanText, credentialsProblem, normaliseRoom, type AuthMode } from './input.js';
export { authErrorText } from './texts.js';

/** A notice about a request the page retries by itself clears after this long (others stay until dismissed). */
const TRANSIENT_NOTICE_MS = 10_000;

export interface ControllerOptions {
  url: string;
  WebSocket: SocketCtor;
  /** Whether the connection runs over the SSE fallback (transport.ts); read when it connects. */
  fallback?: () => boolean;
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
  /** PUTs a file's bytes (tests pass a fake; the page uses XMLHttpRequest). */
  put?: PutFile;
  /** A password change was answered (the account panel's form shows it). */
  onPassword?: (r: { revoked: number } | { error: string }) => void;
}

export class ChatController implements Page {
  state: S.ChatState;
  readonly conn: Connection;
  readonly now: () => number;
  private readonly identity: Identity;
  private readonly room: CurrentRoom;
  private readonly outbox: OutboxSender;
  /** Files for the next message: attach, remove, retry (main.ts wires the chips to it). */
  readonly uploads: UploadSender;
  private readonly actions: MessageActions;
  private readonly typing: TypingSender;
  private readonly reads: ReadMarker;
  private readonly account: AccountActions;
  private noticeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly o: ControllerOptions, room = 'lobby') {
    this.state = S.initialState(room);
    this.now = o.now ?? Date.now;
    const newCid = o.newCid ?? (() => uuidv4());
    this.outbox = new OutboxSender(this, newCid);
    this.uploads = new UploadSender(this, newCid, o.put ?? xhrPut);
    this.actions = new MessageActions(this, newCid);
    this.typing = new TypingSender(this);
    this.reads = new ReadMarker(this);
    this.room = new CurrentRoom(this, {
      flush: () => { this.outbox.flush(); this.actions.flush(); this.uploads.flush(); },
      joined: (r) => this.account.joined(r), onArrivals: o.onArrivals, onRoute: o.onRoute,
    });
    this.account = new AccountActions(this, {
      open: (r, how) => this.room.open(r, how), removedFromCurrent: () => this.room.removed(), passwordDone: (r) => o.onPassword?.(r),
    });
    this.identity = new Identity(this, o.storage ?? null, {
      welcomed: () => {
        const sessionsShown = this.account.welcomed();
        // Connected comes right after; join then (the connection refuses sends before it).
        queueMicrotask(() => { this.room.join(); this.account.refresh(sessionsShown); });
      },
      accountEnded: () => { this.account.reset(); this.room.reset(); this.reads.stop(); },
    });
    this.conn = new Connection({
      url: o.url,
      WebSocket: o.WebSocket,
      random: o.random,
      pingIntervalMs: o.pingIntervalMs,
      hello: () => this.identity.hello(),
      onMessage: (m, answers) => this.onMessage(m, answers),
      onState: (s) => this.onConnState(s),
      onClose: (code, reason) => this.identity.onClose(code, reason),
    });
  }

  // ---- identity ----
  storedIdentity(): GuestIdentity | null { return this.identity.storedIdentity(); }
  storedAccount(): AccountIdentity | null { return this.identity.storedAccount(); }
  resume(rawRoom: string): boolean { return this.identity.resume(rawRoom); }
  signIn(mode: AuthMode, rawUser: string, password: string, rawRoom: string): boolean { return this.identity.signIn(mode, rawUser, password, rawRoom); }
  start(rawName: string, rawRoom: string): boolean { return this.identity.start(rawName, rawRoom); }
  signOut(): void { this.identity.signOut(); }
  signOutEverywhere(): boolean { return this.identity.signOutEverywhere(); }

  /** The person switched between the sign-in and sign-up forms: the last refusal no longer applies. */
  clearAuthError(): void {
    if (this.state.authError !== null) this.update({ ...this.state, authError: null });
  }

  // ---- the room shown ----
  /**
   * Sends what the box holds (a reply while it replies) with the files picked for this room, once
   * they are all uploaded; the person's typing ends with it.
   */
  send(rawText: string): boolean {
    const files = this.uploads.ready(this.state.room);
    if (files === null) { this.notifyBriefly(TEXT.filesNotReady); return false; }
    const sent = this.outbox.send(rawText, files);
    if (sent) { this.uploads.sent(this.state.room); this.typing.sent(); }
    return sent;
  }
  retry(cid: string): void { this.outbox.retry(cid); }
  switchRoom(rawRoom: string): boolean { return this.room.switchRoom(rawRoom); }
  loadOlder(): void { this.room.loadOlder(); }
  loadNewer(): void { this.room.loadNewer(); }
  jumpToLatest(): void { this.room.jumpToLatest(); }
  loadMoreMembers(): void { this.room.loadMoreMembers(); }
  setVisible(visible: boolean): void { this.reads.setVisible(visible); }

  // ---- what the person does to messages ----
  reply(id: number): boolean { return this.actions.reply(id); }
  editMessage(id: number): boolean { return this.actions.edit(id); }
  editLast(): boolean { return this.actions.editLast(); }
  cancelCompose(): void { this.actions.cancel(); }
  saveEdit(rawText: string): boolean { return this.actions.saveEdit(rawText); }
  deleteMessage(id: number): boolean { return this.actions.remove(id); }
  react(id: number, emoji: string, on?: boolean): boolean { return this.actions.react(id, emoji, on); }
  /** The message box changed: the room may be told the person types (or stopped). */
  typed(text: string): void { this.typing.typed(text); }
  /** Whether the room was told this person types. */
  get typingNow(): boolean { return this.typing.active; }

  // ---- the account ----
  requestRooms(): void { this.account.requestRooms(); }
  requestSessions(): boolean { return this.account.requestSessions(); }
  revokeSession(id: string): boolean { return this.account.revokeSession(id); }
  createRoom(rawTitle: string): string | null { return this.account.createRoom(rawTitle); }
  openDm(member: string): boolean { return this.account.openDm(member); }
  invite(rawUsername: string): string | null { return this.account.invite(rawUsername); }
  removeMember(member: string): boolean { return this.account.removeMember(member); }
  changePassword(old: string, next: string): string | null { return this.account.changePassword(old, next); }
  answerInvite(room: string, how: 'accept' | 'decline' | 'part'): boolean { return this.account.answer(room, how); }
  titleOf(room: string): string { return this.account.titleOf(room); }

  // ---- notices ----

  /** Shows a notice (it stays until dismissed, replaced, or the room changes). */
  notify(text: string): void {
    this.update(S.withNotice(this.state, text));
  }

  /** Shows a notice that clears after a while if it still says `text`. */
  notifyBriefly(text: string): void {
    this.notify(text);
    if (this.noticeTimer) clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => {
      this.noticeTimer = null;
      if (this.state.notice === text) this.update(S.clearNotice(this.state));
    }, TRANSIENT_NOTICE_MS);
  }

  /** The person closed the notice. */
  dismissNotice(): void {
    this.update(S.clearNotice(this.state));
  }

  stop(): void {
    this.conn.close();
    if (this.noticeTimer) clearTimeout(this.noticeTimer);
    this.room.reset();
    this.outbox.stop();
    this.uploads.stop();
    this.actions.stop();
    this.reads.stop();
    this.account.reset();
  }

  update(next: S.ChatState): void {
    if (next === this.state) return;
    this.state = next;
    this.o.onChange(next);
    this.reads.changed();
  }

  private onConnState(s: State): void {
    this.room.connState(s);
    this.actions.connState(s);
    this.typing.connState(s);
    this.uploads.connState(s);
    this.account.connState(s);
    this.update(S.applyConnState(this.state, s, this.o.fallback?.() ?? false));
  }

  /** Each frame to the part that owns it; `answers` is the request it answers, when the server said. */
  private onMessage(m: ServerMessage, answers: InFlight | undefined): void {
    switch (m.type) {
      case 'welcome': return this.identity.welcome(m);
      case 'joined': return this.room.joined(m);
      case 'message': return this.room.message(m);
      case 'update': return this.room.update(m);
      case 'typing': return this.room.typing(m);
      case 'history': return this.room.history(m, answers);
      case 'presence': this.account.presence(m); return this.room.presence(m);
      case 'members': return this.room.members(m);
      case 'upload': return this.uploads.answered(m);
      case 'ack': return this.actions.ack(m) ? undefined : this.outbox.ack(m);
      case 'read': return this.reads.read(m);
      case 'rooms': return this.account.rooms(m);
      case 'room': return this.account.room(m, answers);
      case 'left': return this.account.left(m);
      case 'sessions': return this.account.sessions(m);
      case 'revoked': return this.account.revoked(m, answers);
      case 'password': return this.account.passwordChanged(m);
      case 'error': return this.onError(m, answers);
      default: return undefined;
    }
  }

  private onError(e: ErrorResponse & RequestId, answers: InFlight | undefined): void {
    if (answers) return this.failed(e, answers);
    // About a `typing`, which has no answer (rate_limited): nothing to tell anyone.
    if (this.conn.isUnanswered(e.rid)) return;
    // A send's or a change's error names its cid (with or without a rid).
    if (e.cid !== undefined && (this.outbox.failed(e) || this.actions.failed(e) || this.uploads.failed(e))) return;
    // An unknown rid, or none from a server that echoes them: it answers nothing the page waits for.
    if (e.rid !== undefined || this.conn.echoesRids) return this.notifyBriefly(errorText(e));
    // An older server's error: read from where the page is, as it always was.
    const own = this.identity.guessRequest(e);
    if (own) return this.identity.failed(e, own);
    this.account.guessError(e);
    this.room.guessError(e);
  }

  /** An `error` answering `req` (matched by its rid), to the part whose request it was. */
  private failed(e: ErrorResponse, req: InFlight): void {
    switch (req.type) {
      case 'send':
        if (!this.outbox.failed(e, req.cid)) this.notifyBriefly(errorText(e));
        return;
      case 'upload':
        if (!this.uploads.failed(e, req.cid)) this.notifyBriefly(errorText(e, req));
        return;
      case 'edit': case 'delete': case 'react':
        if (!this.actions.failed(e, req.cid)) this.notifyBriefly(errorText(e, req));
        return;
      case 'hello': case 'signin': case 'signup':
        return this.identity.failed(e, req);
      case 'revoke':
        // Signing out (here or everywhere) is the identity's; another session of the list, the account's.
        return req.session === undefined || req.session === 'current' ? this.identity.failed(e, req) : this.account.failed(e, req);
      case 'rooms': case 'room': case 'create': case 'dm': case 'invite': case 'remove': case 'sessions': case 'password': case 'accept': case 'decline': case 'part':
        return this.account.failed(e, req);
      default:
        return this.room.failed(e, req);
    }
  }
}
