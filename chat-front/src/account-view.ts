/**
 * The account's side of the page on screen: the sign-in and sign-up forms (which one shows, why the
 * last attempt was refused, busy while it waits), and once signed in the room list with unread badges
 * (grouped: public rooms, private rooms, DMs), the owner's panel of a private room (its people, with
 * Remove), the Sessions panel, and the phone's "Your rooms" button that folds the panel. A guest sees
 * the list of recent rooms instead (view.ts keeps it); this hides it while signed in.
 */
import { groupRooms, ownedDetails, roomTitle, totalUnread } from './account.js';
import { byId, el, invitedPersonNode, inviteNode, partButton, roomEntryNode, roomPersonNode, sessionNode, unreadBadge } from './nodes.js';
import type { ChatState } from './state.js';

export class AccountView {
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
  /** Which account form shows: sign in (default) or sign up. */
  authMode: 'signin' | 'signup' = 'signin';

  /** `sidebar`: the panel the phone folds; `recentRooms`: the guest's list of rooms, hidden while signed in. */
  constructor(private readonly sidebar: HTMLElement, private readonly recentRooms: HTMLElement) {}

  render(state: ChatState, prev: ChatState | null): void {
    this.renderAuth(state);
    this.renderAccount(state, prev);
    this.renderSessions(state, prev);
  }

  /** The phone's "Your rooms" button: opens or folds the account's panel. */
  toggleNav(open = !this.sidebar.classList.contains('nav-open')): void {
    this.sidebar.classList.toggle('nav-open', open);
    this.navToggle.setAttribute('aria-expanded', String(open));
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
    this.recentRooms.hidden = signedIn;
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
    if (a.invites.length > 0) {
      const h = el('h3', 'group-title', 'Invites');
      h.id = 'rooms-invites';
      const ul = el('ul', 'room-list invite-list');
      ul.setAttribute('aria-labelledby', h.id);
      ul.append(...a.invites.map(inviteNode));
      sections.push(h, ul);
    }
    for (const [kind, label] of [['public', 'Public rooms'], ['private', 'Private rooms'], ['dm', 'Direct messages']] as const) {
      const list = groups[kind];
      if (list.length === 0) continue;
      const id = `rooms-${kind}`;
      const h = el('h3', 'group-title', label);
      h.id = id;
      const ul = el('ul', 'room-list');
      ul.setAttribute('aria-labelledby', id);
      ul.append(...list.map((r) => {
        const title = roomTitle(a, r.room, r.kind, myId);
        const li = roomEntryNode(r, title, r.room === state.room);
        // The room shown, if private: it can be left for good.
        if (r.kind === 'private' && r.room === state.room) li.append(partButton(r.room, title));
        return li;
      }));
      sections.push(h, ul);
    }
    if (!sections.some((x) => x.classList.contains('room-list') && !x.classList.contains('invite-list'))) sections.push(el('p', 'empty-rooms', a.rooms ? 'No rooms yet.' : 'Loading your rooms…'));
    this.roomGroups.replaceChildren(...sections);

    const owned = ownedDetails(a, state.room, myId);
    this.roomAdmin.hidden = !owned;
    if (!owned) { this.roomPeople.replaceChildren(); return; }
    this.roomAdminName.textContent = owned.title;
    const people = [...owned.members].sort((x, y) => (x.id === owned.owner ? -1 : y.id === owned.owner ? 1 : x.name.localeCompare(y.name)));
    const pending = (owned.invited ?? []).filter((m) => !owned.members.some((x) => x.id === m.id));
    this.roomPeople.replaceChildren(...people.map((m) => roomPersonNode(m, m.id === owned.owner, m.id !== owned.owner)), ...pending.map(invitedPersonNode));
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
}
