/**
 * The one place that writes the DOM: `render(state)` makes the page show `state`. Text goes in only
 * through textContent (never innerHTML), so names and messages cannot become markup. The message log
 * is reconciled by key (message id / outbox cid) so a new message adds one node and scrolling holds
 * (anchored on the first message in view, as the bounded window drops nodes at either end); the
 * member list likewise (by member), so a large room's next page only appends.
 */
import { isAccountId, roomKind, type Member } from '@livechat/protocol';
import { Attention } from './attention.js';
import { avatar } from './avatar.js';
import { State } from './connection.js';
import {
  el, kindMark, memberNode, memberTag, messageNode, outboxNode, roomEntryNode, roomPersonNode, sessionNode, unreadBadge,
} from './nodes.js';
import { hasMorePages, rosterSummary } from './roster.js';
import { groupRooms, ownedDetails, roomTitle, totalUnread } from './rooms.js';
import { hasNewer, logItems, memberList, type ChatState } from './state.js';

const countFmt = new Intl.NumberFormat();
const formatCount = (n: number) => countFmt.format(n);
/** Within this many pixels of the bottom counts as "at the bottom" (the list follows new messages). */
const STICK_PX = 48;
/** The member list scrolled this close to its end asks for the next page (large rooms). */
const MORE_MEMBERS_PX = 160;

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
  readonly loginNotice = byId<HTMLElement>('login-notice');
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
  readonly sidebar = byId<HTMLElement>('sidebar');
  readonly members = byId<HTMLUListElement>('members');
  readonly membersLabel = byId<HTMLElement>('members-label');
  readonly memberCount = byId<HTMLElement>('member-count');
  readonly membersMore = byId<HTMLElement>('members-more');
  readonly membersShown = byId<HTMLElement>('members-shown');
  readonly membersLoad = byId<HTMLButtonElement>('members-load');
  readonly scroller = byId<HTMLElement>('scroller');
  readonly historyEdge = byId<HTMLElement>('history-edge');
  readonly log = byId<HTMLElement>('messages');
  readonly jump = byId<HTMLButtonElement>('jump');
  readonly notice = byId<HTMLElement>('notice');
  readonly noticeText = byId<HTMLElement>('notice-text');
  readonly noticeClose = byId<HTMLButtonElement>('notice-close');
  readonly attention = new Attention(byId<HTMLElement>('announcer'));
  readonly composer = byId<HTMLFormElement>('composer');
  readonly message = byId<HTMLTextAreaElement>('message');
  // accounts
  readonly signinForm = byId<HTMLFormElement>('signin-form');
  readonly signinUser = byId<HTMLInputElement>('signin-username');
  readonly signinPass = byId<HTMLInputElement>('signin-password');
  readonly signinError = byId<HTMLElement>('signin-error');
  readonly signupForm = byId<HTMLFormElement>('signup-form');
  readonly signupUser = byId<HTMLInputElement>('signup-username');
  readonly signupPass = byId<HTMLInputElement>('signup-password');
  readonly signupError = byId<HTMLElement>('signup-error');
  readonly toSignup = byId<HTMLButtonElement>('to-signup');
  readonly toSignin = byId<HTMLButtonElement>('to-signin');
  readonly navToggle = byId<HTMLButtonElement>('nav-toggle');
  readonly navUnread = byId<HTMLElement>('nav-unread');
  readonly accountNav = byId<HTMLElement>('account-nav');
  readonly roomGroups = byId<HTMLElement>('room-groups');
  readonly createForm = byId<HTMLFormElement>('create-form');
  readonly createTitle = byId<HTMLInputElement>('create-title');
  readonly createError = byId<HTMLElement>('create-error');
  readonly roomAdmin = byId<HTMLElement>('room-admin');
  readonly roomAdminName = byId<HTMLElement>('room-admin-name');
  readonly inviteForm = byId<HTMLFormElement>('invite-form');
  readonly inviteUser = byId<HTMLInputElement>('invite-username');
  readonly inviteError = byId<HTMLElement>('invite-error');
  readonly roomPeople = byId<HTMLUListElement>('room-people');
  readonly signOut = byId<HTMLButtonElement>('sign-out');
  readonly signOutAll = byId<HTMLButtonElement>('sign-out-all');
  readonly sessions = byId<HTMLDetailsElement>('sessions');
  readonly sessionList = byId<HTMLUListElement>('session-list');
  readonly roomHeading = byId<HTMLElement>('room-heading');

  private nodes = new Map<string, { node: HTMLElement; sig: string }>();
  private memberNodes = new Map<string, HTMLElement>();
  private prev: ChatState | null = null;
  private renderedRoom = '';
  private recentRooms: string[] = [];
  private renderedTitle = '';
  /** Which account form shows: sign in (default) or sign up. */
  authMode: 'signin' | 'signup' = 'signin';
  /** Set by main.ts when the person sends, so the list jumps to their message. */
  followNext = false;

  render(state: ChatState): void {
    const prev = this.prev;
    this.prev = state;
    document.documentElement.dataset.phase = state.phase;
    this.login.hidden = state.phase !== 'login';
    this.chat.hidden = state.phase !== 'chat';
    this.sidebar.hidden = state.phase !== 'chat';
    this.loginError.textContent = state.loginError ?? '';
    this.renderAuth(state);
    this.renderAccount(state, prev);
    this.renderSessions(state, prev);

    if (!prev || prev.conn !== state.conn || prev.appId !== state.appId) {
      this.status.dataset.state = state.conn;
      this.statusText.textContent = statusText(state);
      this.status.title = state.appId ? `This page is connected through server ${state.appId}` : '';
    }
    const kind = roomKind(state.room);
    const title = roomTitle(state.account, state.room, kind, state.me?.id);
    if (!prev || prev.room !== state.room || this.renderedTitle !== title) {
      this.renderedTitle = title;
      this.roomTitle.textContent = title;
      // "Room lobby", "Private room Team", "Direct messages with Bob"; the sign before it is drawn only.
      const prefix = this.roomHeading.querySelector('.visually-hidden');
      if (prefix) prefix.textContent = kind === 'public' ? 'Room ' : kind === 'private' ? 'Private room ' : 'Direct messages with ';
      const mark = kindMark(kind);
      mark.classList.add('hash');
      this.roomHeading.querySelector('.hash')?.replaceWith(mark);
      const shown = kind === 'public' ? `#${state.room}` : title;
      this.message.placeholder = `Message ${shown}`;
      this.attention.setTitle(`${shown} · livechat`);
      if (!prev || prev.room !== state.room) this.rememberRoom(state.room);
    }
    if (!prev || prev.me !== state.me) this.renderMe(state.me);
    if (!prev || prev.roster !== state.roster || prev.me !== state.me) {
      this.renderMemberPanel(state);
      if (!prev || prev.roster.members !== state.roster.members || prev.roster.large !== state.roster.large || prev.me !== state.me
        || (prev.account === null) !== (state.account === null)) {
        this.renderMembers(state);
      }
    }
    if (!prev || prev.notice !== state.notice || prev.phase !== state.phase) {
      this.notice.hidden = !state.notice || state.phase !== 'chat';
      this.noticeText.textContent = state.notice ?? '';
      this.loginNotice.hidden = !state.notice || state.phase !== 'login';
      this.loginNotice.textContent = state.notice ?? '';
      if (state.notice && prev?.notice !== state.notice) this.attention.say(state.notice);
    }
    this.historyEdge.textContent = state.history.loading ? 'Loading messages…'
      : state.history.complete && state.joined ? `This is the start of #${state.room}.`
        : '';
    if (!prev || prev.messages !== state.messages || prev.outbox !== state.outbox || prev.me !== state.me
      || prev.room !== state.room || prev.lastId !== state.lastId) {
      this.renderLog(state, prev);
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

  /** The account forms: which one shows, and why the last attempt was refused. */
  private renderAuth(state: ChatState): void {
    this.signinForm.hidden = this.authMode !== 'signin';
    this.signupForm.hidden = this.authMode !== 'signup';
    const error = state.authError ?? '';
    if (this.signinError.textContent !== error) this.signinError.textContent = this.authMode === 'signin' ? error : '';
    if (this.signupError.textContent !== error) this.signupError.textContent = this.authMode === 'signup' ? error : '';
    for (const f of [this.signinForm, this.signupForm]) {
      const b = f.querySelector<HTMLButtonElement>('button[type=submit]');
      if (b) b.disabled = state.authBusy;
      f.setAttribute('aria-busy', String(state.authBusy));
    }
  }

  /** Signed in: the room list with unread badges, the owner's panel of a private room, the account actions. */
  private renderAccount(state: ChatState, prev: ChatState | null): void {
    const a = state.phase === 'chat' ? state.account : null;
    const signedIn = a !== null;
    document.documentElement.toggleAttribute('data-account', signedIn);
    this.navToggle.hidden = !signedIn;
    this.accountNav.hidden = !signedIn;
    this.rooms.hidden = signedIn;
    if (!signedIn) {
      this.sidebar.classList.remove('nav-open');
      this.navToggle.setAttribute('aria-expanded', 'false');
    }
    if (prev && prev.account === state.account && prev.room === state.room && prev.me === state.me && prev.phase === state.phase) return;
    if (!a) { this.roomGroups.replaceChildren(); this.roomPeople.replaceChildren(); this.roomAdmin.hidden = true; return; }

    const total = totalUnread(a.rooms);
    this.navUnread.hidden = total === 0;
    this.navUnread.replaceChildren(...unreadBadge(total).map((n) => { n.classList.remove('badge'); return n; }));

    const groups = groupRooms(a.rooms);
    const sections: HTMLElement[] = [];
    const myId = state.me?.id;
    for (const [kind, label] of [['public', 'Public rooms'], ['private', 'Private rooms'], ['dm', 'Direct messages']] as const) {
      const list = groups[kind];
      if (list.length === 0) continue;
      const id = `rooms-${kind}`;
      const h = el('h3', 'group-title', label);
      h.id = id;
      const ul = el('ul', 'room-list');
      ul.setAttribute('aria-labelledby', id);
      ul.append(...list.map((r) => roomEntryNode(r, roomTitle(a, r.room, r.kind, myId), r.room === state.room)));
      sections.push(h, ul);
    }
    if (sections.length === 0) sections.push(el('p', 'empty-rooms', a.rooms ? 'No rooms yet.' : 'Loading your rooms…'));
    this.roomGroups.replaceChildren(...sections);

    const owned = ownedDetails(a, state.room, myId);
    this.roomAdmin.hidden = !owned;
    if (!owned) { this.roomPeople.replaceChildren(); return; }
    this.roomAdminName.textContent = owned.title;
    const people = [...owned.members].sort((x, y) => (x.id === owned.owner ? -1 : y.id === owned.owner ? 1 : x.name.localeCompare(y.name)));
    this.roomPeople.replaceChildren(...people.map((m) => roomPersonNode(m, m.id === owned.owner, m.id !== owned.owner)));
  }

  /** The Sessions panel: folded when signed out; open, the account's sessions (or that they are loading). */
  private renderSessions(state: ChatState, prev: ChatState | null): void {
    const a = state.phase === 'chat' ? state.account : null;
    if (!a) {
      if (this.sessions.open) this.sessions.open = false;
      this.sessionList.replaceChildren();
      return;
    }
    const before = prev?.phase === 'chat' ? prev.account : null;
    if (before && before.sessions === a.sessions && before.revoking === a.revoking && this.sessionList.hasChildNodes()) return;
    this.sessionList.setAttribute('aria-busy', String(a.sessions === null));
    if (!a.sessions) { this.sessionList.replaceChildren(el('li', 'empty-rooms', 'Loading your sessions…')); return; }
    const now = Date.now();
    this.sessionList.replaceChildren(...a.sessions.map((x) => sessionNode(x, a.revoking.includes(x.id), now)));
  }

  /** The phone's "Your rooms" button: opens or folds the account's panel. */
  toggleNav(open = !this.sidebar.classList.contains('nav-open')): void {
    this.sidebar.classList.toggle('nav-open', open);
    this.navToggle.setAttribute('aria-expanded', String(open));
  }

  private renderMe(me: Member | null): void {
    this.me.replaceChildren();
    if (!me) return;
    const name = el('span', 'me-name', me.name);
    name.append(' ', el('span', 'tag', `#${memberTag(me.id)}`));
    this.me.append(avatar(me, 32), name);
  }

  /**
   * True when the member list shows its end (it scrolls down on a wide screen, the sidebar strip
   * sideways on a phone), or everything fits: a large room then wants its next page.
   */
  membersAtEnd(): boolean {
    const ul = this.members;
    if (ul.getClientRects().length === 0) return false; // not shown
    if (ul.scrollHeight > ul.clientHeight + 1) return ul.scrollHeight - ul.scrollTop - ul.clientHeight < MORE_MEMBERS_PX;
    const strip = this.sidebar;
    if (strip.scrollWidth > strip.clientWidth + 1) return strip.scrollWidth - strip.scrollLeft - strip.clientWidth < MORE_MEMBERS_PX;
    if (strip.scrollHeight > strip.clientHeight + 1) return strip.scrollHeight - strip.scrollTop - strip.clientHeight < MORE_MEMBERS_PX;
    return true;
  }

  /** The heading's count, and in a large room how much of the list is shown and a way to load more. */
  private renderMemberPanel(state: ChatState): void {
    const r = state.roster;
    const { heading, shown } = rosterSummary(r, formatCount);
    this.membersLabel.hidden = r.large;
    this.memberCount.textContent = heading;
    this.membersMore.hidden = shown === null;
    this.membersShown.textContent = shown ?? '';
    this.membersLoad.hidden = !hasMorePages(r) || r.inFlight !== null;
  }

  /** Makes the list's items match the roster, reusing each member's node (a next page only appends). */
  private renderMembers(state: ChatState): void {
    const mine = state.me?.id;
    const dm = state.account !== null;
    const list = memberList(state).map((m) => {
      const canDm = dm && m.id !== mine && isAccountId(m.id);
      return { m, canDm, key: `${m.id === mine ? '1' : '0'}${canDm ? '1' : '0'}${m.id}\u0000${m.name}` };
    });
    const wanted = new Set(list.map((x) => x.key));
    for (const [key, node] of this.memberNodes) if (!wanted.has(key)) node.remove();
    const seen = new Map<string, HTMLElement>();
    let cursor = this.members.firstElementChild;
    for (const { m, key, canDm } of list) {
      const node = this.memberNodes.get(key) ?? memberNode(m, m.id === mine, canDm);
      seen.set(key, node);
      if (node !== cursor) this.members.insertBefore(node, cursor);
      else cursor = cursor.nextElementSibling;
    }
    while (cursor) {
      const next = cursor.nextElementSibling;
      cursor.remove();
      cursor = next;
    }
    this.memberNodes = seen;
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

  private renderLog(state: ChatState, prev: ChatState | null): void {
    const roomChanged = this.renderedRoom !== state.room;
    this.renderedRoom = state.room;
    if (roomChanged) { this.nodes.clear(); this.log.replaceChildren(); }
    const s = this.scroller;
    // Follow new messages only while the window ends at the newest (a newer page is read where it lands).
    const heldNewest = !prev || !hasNewer(prev);
    const stick = roomChanged || this.followNext || (this.atBottom() && heldNewest && !hasNewer(state));
    this.followNext = false;
    const anchor = stick ? null : this.firstInView();
    const anchorTop = anchor ? anchor.offsetTop : 0;
    const lastBefore = this.log.lastElementChild;
    const added = this.reconcile(state);
    const grewAtEnd = added > 0 && this.log.lastElementChild !== lastBefore && (lastBefore === null || lastBefore.isConnected);

    if (stick) {
      this.scrollToBottom();
    } else if (anchor && anchor.isConnected && anchor.offsetTop !== anchorTop) {
      // Messages came in (or went) above: keep what the person was reading where it was.
      s.scrollTop += anchor.offsetTop - anchorTop;
    }
    // "New messages": some arrived below what is in view, or beyond the window's end.
    const arrivedBeyond = prev !== null && state.lastId > prev.lastId && hasNewer(state);
    if (!stick && ((grewAtEnd && !this.atBottom()) || arrivedBeyond)) this.jump.hidden = false;
    if (!hasNewer(state) && this.atBottom()) this.jump.hidden = true;
  }

  /** The first log entry whose bottom is below the top of the scroller's view (null when empty). */
  private firstInView(): HTMLElement | null {
    const top = this.scroller.scrollTop;
    for (let e = this.log.firstElementChild as HTMLElement | null; e; e = e.nextElementSibling as HTMLElement | null) {
      if (e.offsetTop + e.offsetHeight > top) return e;
    }
    return null;
  }

  /** Makes the log's children match the state's items; returns how many nodes were created. */
  private reconcile(state: ChatState): number {
    const mine = state.me?.id;
    const items = logItems(state).map((item) => ({
      item, key: item.kind === 'message' ? `m${item.m.id}` : `o${item.o.cid}`,
    }));
    // Nodes that go (the window moved past them) go first: the pass below then only inserts, so the
    // nodes that stay are never moved (moving a node restarts its animation and costs a layout).
    const wanted = new Set(items.map((x) => x.key));
    for (const [key, entry] of this.nodes) {
      if (!wanted.has(key)) { entry.node.remove(); this.nodes.delete(key); }
    }
    let created = 0;
    let cursor = this.log.firstElementChild;
    for (const { item, key } of items) {
      const sig = item.kind === 'message' ? '' : `${item.o.status}|${item.o.error ?? ''}`;
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
    return created;
  }
}
