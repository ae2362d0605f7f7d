/**
 * The one place that writes the DOM: `render(state)` makes the page show `state`. Text goes in only
 * through textContent (never innerHTML), so names and messages cannot become markup. The message log
 * is reconciled by key (message id / outbox cid) so a new message adds one node and scrolling holds.
 */
import type { ChatMessage, Member } from '@livechat/protocol';
import { avatar } from './avatar.js';
import { State } from './connection.js';
import { logItems, memberList, type ChatState, type OutboxItem } from './state.js';

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
/** Within this many pixels of the bottom counts as "at the bottom" (the list follows new messages). */
const STICK_PX = 48;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing from index.html`);
  return e as T;
}

export function statusText(state: Pick<ChatState, 'conn' | 'appId' | 'phase'>): string {
  switch (state.conn) {
    case State.Connected: return `connected · APPID ${state.appId ?? '?'}`;
    case State.Connecting: return 'connecting…';
    case State.Reconnecting: return 'reconnecting…';
    default: return 'offline';
  }
}

export class View {
  readonly login = byId<HTMLElement>('login');
  readonly loginForm = byId<HTMLFormElement>('login-form');
  readonly nameInput = byId<HTMLInputElement>('name');
  readonly roomInput = byId<HTMLInputElement>('room');
  readonly loginError = byId<HTMLElement>('login-error');
  readonly chat = byId<HTMLElement>('chat');
  readonly status = byId<HTMLElement>('status');
  readonly statusText = byId<HTMLElement>('status-text');
  readonly roomTitle = byId<HTMLElement>('room-title');
  readonly roomForm = byId<HTMLFormElement>('room-form');
  readonly roomSwitch = byId<HTMLInputElement>('room-switch');
  readonly rooms = byId<HTMLElement>('rooms');
  readonly me = byId<HTMLElement>('me');
  readonly members = byId<HTMLUListElement>('members');
  readonly memberCount = byId<HTMLElement>('member-count');
  readonly scroller = byId<HTMLElement>('scroller');
  readonly historyEdge = byId<HTMLElement>('history-edge');
  readonly log = byId<HTMLElement>('messages');
  readonly jump = byId<HTMLButtonElement>('jump');
  readonly notice = byId<HTMLElement>('notice');
  readonly composer = byId<HTMLFormElement>('composer');
  readonly message = byId<HTMLTextAreaElement>('message');

  private nodes = new Map<string, { node: HTMLElement; sig: string }>();
  private prev: ChatState | null = null;
  private renderedRoom = '';
  private recentRooms: string[] = [];
  /** Set by main.ts when the person sends, so the list jumps to their message. */
  followNext = false;

  render(state: ChatState): void {
    const prev = this.prev;
    this.prev = state;
    document.documentElement.dataset.phase = state.phase;
    this.login.hidden = state.phase !== 'login';
    this.chat.hidden = state.phase !== 'chat';
    this.loginError.textContent = state.loginError ?? '';

    if (!prev || prev.conn !== state.conn || prev.appId !== state.appId) {
      this.status.dataset.state = state.conn;
      this.statusText.textContent = statusText(state);
      this.status.title = state.appId ? `This page is connected through server ${state.appId}` : '';
    }
    if (!prev || prev.room !== state.room) {
      this.roomTitle.textContent = state.room;
      this.message.placeholder = `Message #${state.room}`;
      document.title = `#${state.room} · livechat`;
      this.rememberRoom(state.room);
    }
    if (!prev || prev.me !== state.me) this.renderMe(state.me);
    if (!prev || prev.members !== state.members || prev.me !== state.me) this.renderMembers(state);
    if (!prev || prev.notice !== state.notice) {
      this.notice.hidden = !state.notice;
      this.notice.textContent = state.notice ?? '';
    }
    this.historyEdge.textContent = state.history.loading ? 'Loading older messages…'
      : state.history.complete && state.joined ? `This is the start of #${state.room}.`
        : '';
    if (!prev || prev.messages !== state.messages || prev.outbox !== state.outbox || prev.me !== state.me || prev.room !== state.room) {
      this.renderLog(state);
    }
  }

  /** True when the list shows its last line (new messages keep it there). */
  atBottom(): boolean {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < STICK_PX;
  }

  scrollToBottom(): void {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.jump.hidden = true;
  }

  private renderMe(me: Member | null): void {
    this.me.replaceChildren();
    if (!me) return;
    this.me.append(avatar(me, 32), el('span', 'me-name', me.name));
  }

  private renderMembers(state: ChatState): void {
    const list = memberList(state);
    this.memberCount.textContent = String(list.length);
    const items = list.map((m) => {
      const li = el('li', m.id === state.me?.id ? 'member is-me' : 'member');
      li.dataset.id = m.id;
      li.append(avatar(m, 28), el('span', 'member-name', m.name));
      if (m.id === state.me?.id) li.append(el('span', 'you', 'you'));
      return li;
    });
    this.members.replaceChildren(...items);
  }

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

  private renderLog(state: ChatState): void {
    const roomChanged = this.renderedRoom !== state.room;
    this.renderedRoom = state.room;
    if (roomChanged) { this.nodes.clear(); this.log.replaceChildren(); }
    const s = this.scroller;
    const stick = roomChanged || this.followNext || this.atBottom();
    this.followNext = false;
    const firstBefore = this.log.firstElementChild as HTMLElement | null;
    const anchorTop = firstBefore ? firstBefore.offsetTop : 0;
    const added = this.reconcile(state);

    if (stick) {
      this.scrollToBottom();
    } else if (firstBefore && firstBefore.isConnected && firstBefore !== this.log.firstElementChild) {
      // Older messages came in above: keep what the person was reading where it was.
      s.scrollTop += firstBefore.offsetTop - anchorTop;
    } else if (added > 0) {
      this.jump.hidden = false;
    }
  }

  /** Makes the log's children match the state's items; returns how many nodes were created. */
  private reconcile(state: ChatState): number {
    const mine = state.me?.id;
    let created = 0;
    let cursor = this.log.firstElementChild;
    const seen = new Set<string>();
    for (const item of logItems(state)) {
      const key = item.kind === 'message' ? `m${item.m.id}` : `o${item.o.cid}`;
      const sig = item.kind === 'message' ? '' : `${item.o.status}|${item.o.error ?? ''}`;
      seen.add(key);
      let entry = this.nodes.get(key);
      if (!entry || entry.sig !== sig) {
        const node = item.kind === 'message' ? messageNode(item.m, item.m.from.id === mine) : outboxNode(item.o, state.me);
        node.dataset.key = key;
        if (entry) entry.node.replaceWith(node);
        if (entry && cursor === entry.node) cursor = node;
        entry = { node, sig };
        this.nodes.set(key, entry);
        created++;
      }
      if (entry.node !== cursor) this.log.insertBefore(entry.node, cursor);
      else cursor = cursor.nextElementSibling;
    }
    while (cursor) {
      const next = cursor.nextElementSibling;
      cursor.remove();
      cursor = next;
    }
    for (const key of [...this.nodes.keys()]) if (!seen.has(key)) this.nodes.delete(key);
    return created;
  }
}

function metaLine(name: string, ts: number, extra: HTMLElement[]): HTMLElement {
  const meta = el('div', 'meta');
  const time = el('time', 'time', timeFmt.format(ts));
  time.dateTime = new Date(ts).toISOString();
  time.title = fullFmt.format(ts);
  meta.append(el('span', 'sender', name), time, ...extra);
  return meta;
}

function messageNode(m: ChatMessage, mine: boolean): HTMLElement {
  const row = el('div', mine ? 'msg mine' : 'msg');
  row.dataset.id = String(m.id);
  const via = el('span', 'via', `via ${m.via}`);
  via.title = `Accepted by server ${m.via} · message #${m.id}`;
  const body = el('div', 'bubble');
  body.append(metaLine(m.from.name, m.ts, [via]), el('p', 'text', m.text));
  row.append(avatar(m.from), body);
  return row;
}

const OUTBOX_LABEL: Record<OutboxItem['status'], string> = {
  pending: 'pending', sending: 'sending…', sent: 'sent', failed: 'not sent',
};

function outboxNode(o: OutboxItem, me: Member | null): HTMLElement {
  const row = el('div', `msg mine outbox is-${o.status}`);
  row.dataset.cid = o.cid;
  const badge = el('span', 'delivery', OUTBOX_LABEL[o.status]);
  const extra: HTMLElement[] = [badge];
  const body = el('div', 'bubble');
  const who = me ?? { id: 'me', name: 'You' };
  body.append(metaLine(who.name, o.createdAt, extra), el('p', 'text', o.text));
  if (o.status === 'failed') {
    const why = el('p', 'failure', o.error ?? 'The server refused this message.');
    const retry = el('button', 'retry', 'Retry');
    retry.type = 'button';
    retry.dataset.retry = o.cid;
    why.append(' ', retry);
    body.append(why);
  }
  row.append(avatar(who), body);
  return row;
}
