/**
 * The one place that writes the DOM: `render(state)` makes the page show `state`. It draws the frame
 * of the page itself — which view shows (login or chat), the status line, the room's heading, who I
 * am, the notice, the guest's recent rooms — and hands the rest to the views that own it: the message
 * log (log-view.ts), the message box's surroundings (composer-view.ts: reply, edit, who is typing,
 * the deletion dialog; upload-chips-view.ts: the files picked), the member panel (member-view.ts), and the account's side (account-view.ts).
 * Text goes in only through textContent (never innerHTML), so names and messages cannot become markup.
 */
import { roomKind, type Member } from '@livechat/protocol';
import { roomTitle } from './account.js';
import { AccountView } from './account-view.js';
import { Attention } from './attention.js';
import { avatar } from './avatar.js';
import { ComposerView } from './composer-view.js';
import { State } from './connection.js';
import { ImageDialog } from './image-dialog.js';
import { LogView } from './log-view.js';
import { MemberView } from './member-view.js';
import { byId, el, kindMark, memberTag } from './nodes.js';
import type { ChatState } from './state.js';
import { TEXT } from './texts.js';
import { UploadChipsView } from './upload-chips-view.js';

export function statusText(state: Pick<ChatState, 'conn' | 'appId' | 'phase' | 'fallback'>): string {
  switch (state.conn) {
    case State.Connected: return `connected · APPID ${state.appId ?? '?'}${state.fallback ? ' · fallback' : ''}`;
    case State.Connecting: return 'connecting…';
    case State.Reconnecting: return 'reconnecting…';
    default: return 'offline';
  }
}

export class View {
  readonly login = byId<HTMLElement>('login');
  readonly loginNotice = byId<HTMLElement>('login-notice');
  readonly loginForm = byId<HTMLFormElement>('login-form');
  readonly nameInput = byId<HTMLInputElement>('name');
  readonly roomInput = byId<HTMLInputElement>('room');
  readonly loginError = byId<HTMLElement>('login-error');
  readonly chat = byId<HTMLElement>('chat');
  readonly status = byId<HTMLElement>('status');
  readonly statusText = byId<HTMLElement>('status-text');
  readonly roomTitle = byId<HTMLElement>('room-title');
  readonly roomHeading = byId<HTMLElement>('room-heading');
  readonly roomForm = byId<HTMLFormElement>('room-form');
  readonly roomSwitch = byId<HTMLInputElement>('room-switch');
  readonly rooms = byId<HTMLElement>('rooms');
  readonly me = byId<HTMLElement>('me');
  readonly sidebar = byId<HTMLElement>('sidebar');
  readonly notice = byId<HTMLElement>('notice');
  readonly noticeText = byId<HTMLElement>('notice-text');
  readonly noticeClose = byId<HTMLButtonElement>('notice-close');
  readonly attention = new Attention(byId<HTMLElement>('announcer'));
  readonly composer = byId<HTMLFormElement>('composer');
  readonly message = byId<HTMLTextAreaElement>('message');
  /** The message log: scrolling, "New messages", following new messages, a message's actions. */
  readonly log = new LogView();
  /** Around the message box: reply / edit, who is typing, "Notify me", the deletion dialog. */
  readonly compose = new ComposerView();
  /** The files picked for the next message (chips above the box) and an image opened full size. */
  readonly uploads = new UploadChipsView((text) => this.attention.say(text));
  readonly imageDialog = new ImageDialog(this.log.list);
  readonly attach = byId<HTMLButtonElement>('attach');
  readonly fileInput = byId<HTMLInputElement>('file-input');
  /** The member panel. */
  readonly members = new MemberView(this.sidebar);
  /** The sign-in / sign-up forms, and signed in: the room list, the owner's panel, the sessions. */
  readonly account = new AccountView(this.sidebar, this.rooms);

  private prev: ChatState | null = null;
  private recentRooms: string[] = [];
  private renderedTitle = '';

  render(state: ChatState): void {
    const prev = this.prev;
    this.prev = state;
    document.documentElement.dataset.phase = state.phase;
    this.login.hidden = state.phase !== 'login';
    this.chat.hidden = state.phase !== 'chat';
    this.sidebar.hidden = state.phase !== 'chat';
    this.loginError.textContent = state.loginError ?? '';
    this.account.render(state, prev);

    if (!prev || prev.conn !== state.conn || prev.appId !== state.appId || prev.fallback !== state.fallback) {
      this.status.dataset.state = state.conn;
      this.statusText.textContent = statusText(state);
      this.status.title = state.appId ? `This page is connected through server ${state.appId}${state.fallback ? ' over Server-Sent Events, the fallback for WebSocket' : ''}` : '';
    }
    this.renderHeading(state, prev);
    if (!prev || prev.me !== state.me) this.renderMe(state.me);
    this.members.render(state, prev);
    if (!prev || prev.notice !== state.notice || prev.phase !== state.phase) {
      this.notice.hidden = !state.notice || state.phase !== 'chat';
      this.noticeText.textContent = state.notice ?? '';
      this.loginNotice.hidden = !state.notice || state.phase !== 'login';
      this.loginNotice.textContent = state.notice ?? '';
      if (state.notice && prev?.notice !== state.notice) this.attention.say(state.notice);
    }
    // The server lost the room's earlier history: the log's line says so, read out once.
    if (state.historyLost && !prev?.historyLost) this.attention.say(TEXT.historyLost(state.room));
    this.log.render(state, prev);
    this.compose.render(state, prev);
    this.uploads.render(state, prev);
  }

  /** The room's name as the page shows it, with what kind of room it is; the message box and the tab title follow. */
  private renderHeading(state: ChatState, prev: ChatState | null): void {
    const kind = roomKind(state.room);
    const title = roomTitle(state.account, state.room, kind, state.me?.id);
    if (prev && prev.room === state.room && this.renderedTitle === title) return;
    this.renderedTitle = title;
    this.roomTitle.textContent = title;
    // "Room lobby", "Private room Team", "Direct messages with Bob"; the sign before it is drawn only.
    const prefix = this.roomHeading.querySelector('.visually-hidden');
    if (prefix) prefix.textContent = kind === 'public' ? 'Room ' : kind === 'private' ? 'Private room ' : 'Direct messages with ';
    const mark = kindMark(kind);
    mark.classList.add('hash');
    this.roomHeading.querySelector('.hash')?.replaceWith(mark);
    const shown = kind === 'public' ? `#${state.room}` : title;
    this.compose.placeholder = `Message ${shown}`;
    if (state.composer.mode !== 'edit') this.message.placeholder = this.compose.placeholder;
    this.attention.setTitle(`${shown} · livechat`);
    if (!prev || prev.room !== state.room) this.rememberRoom(state.room);
  }

  private renderMe(me: Member | null): void {
    this.me.replaceChildren();
    if (!me) return;
    const name = el('span', 'me-name', me.name);
    name.append(' ', el('span', 'tag', `#${memberTag(me.id)}`));
    this.me.append(avatar(me, 32), name);
  }

  /** The guest's recent rooms (signed in, the account's list replaces them). */
  private rememberRoom(room: string): void {
    this.recentRooms = [room, ...this.recentRooms.filter((r) => r !== room)].slice(0, 8);
    const links = this.recentRooms.map((r) => {
      const li = el('li');
      const a = el('a', r === room ? 'room-link current' : 'room-link', `# ${r}`);
      a.href = `#${r}`;
      if (r === room) a.setAttribute('aria-current', 'page');
      li.append(a);
      return li;
    });
    this.rooms.replaceChildren(...links);
  }
}
