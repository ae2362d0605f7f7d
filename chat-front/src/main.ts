/**
 * Wiring only: builds the controller and the view, turns the person's input (forms, Enter, Escape,
 * scroll of the log and of the member list, the URL hash, the tab being hidden) into controller
 * calls — the message box and a message's actions through message-wiring.ts — and re-renders on
 * every state change. Keyboard-first: focus starts in the form, lands in the message box after
 * joining and again after a reconnect if it was lost, and Escape closes what the page opened (the
 * notice; the room field goes back to the message box).
 * Accounts: the sign-in / sign-up forms beside the guest's one-click Join, an account session resumed
 * on load, the room list (links: the address stays the source of truth), create / invite / remove,
 * "Message Ann" on a member, the Sessions panel (another device's session signed out), and signing out.
 */
import { roomFromHash } from './address.js';
import { wireAttachments } from './attach-wiring.js';
import { ChatController, type KeyValueStore } from './controller.js';
import { normaliseRoom } from './input.js';
import { wireMessages } from './message-wiring.js';
import { Notifier, type NotificationCtor } from './notifications.js';
import { PasswordForm } from './password-form.js';
import { hasNewer, type ChatState } from './state.js';
import { rejectedRoomNotice, TEXT } from './texts.js';
import { pageTransport } from './transport.js';
import { View } from './view.js';

/** Scrolling this close to the top asks for older messages (to the bottom: newer, while the window ends early). */
const LOAD_PX = 120;

function storage(): KeyValueStore | null {
  try {
    const s = window.localStorage;
    s.getItem('livechat.probe');
    return s;
  } catch {
    return null; // storage disabled: the name is simply not remembered
  }
}

/** The room the address names; a malformed one falls back to the default room, with a notice. */
function addressedRoom(): { room: string; notice: string | null } {
  const { room, rejected } = roomFromHash(location.hash);
  if (rejected === null) return { room, notice: null };
  history.replaceState(null, '', `#${room}`);
  return { room, notice: rejectedRoomNotice(rejected, room) };
}

const wsUrl = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
// WebSocket first; Server-Sent Events when it is blocked (transport.ts). `?transport=sse` or `=ws` forces one.
const transport = pageTransport(location.search, storage());

const view = new View();
// Opt-in browser notifications (DMs and @mentions while the tab is hidden): asked for only from "Notify me".
const notifier = new Notifier({
  Notification: typeof Notification === 'function' ? Notification as unknown as NotificationCtor : null,
  storage: storage(),
  hidden: () => document.hidden,
  open: (room) => { window.focus(); location.hash = room; },
});
let queued = false;
const first = addressedRoom();
const controller = new ChatController({
  url: wsUrl,
  WebSocket: transport.Socket,
  fallback: () => transport.fallback,
  storage: storage(),
  // Several changes in one task draw once (not via requestAnimationFrame: hidden tabs would stall).
  onChange: () => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => { queued = false; draw(); });
  },
  onArrivals: (messages, live) => {
    view.attention.arrived(messages, live);
    notifier.arrived(messages, controller.state.me, controller.titleOf(controller.state.room));
  },
  // The controller opened a room by itself (a DM, a new private room, back to the lobby): the address follows.
  onRoute: (room, how) => {
    if (how === 'push') history.pushState(null, '', `#${room}`);
    else history.replaceState(null, '', `#${room}`);
  },
  onPassword: (r) => passwordForm.answered(r),
}, first.room);
const passwordForm = new PasswordForm((old, next) => controller.changePassword(old, next));
controller.setVisible(!document.hidden);
if (first.notice) controller.notify(first.notice);

let drawn: ChatState | null = null;
function draw(): void {
  const before = drawn;
  drawn = controller.state;
  view.render(controller.state);
  // Joined again after a reconnect: if focus was lost meanwhile, it goes back to the message box.
  if (before && !before.joined && drawn.joined && drawn.phase === 'chat' && focusLost()) view.message.focus();
  if (before?.phase === 'login' && drawn.phase === 'chat') {
    // Signed in (the welcome came): the passwords go, the address names the room, the message box has focus.
    view.account.signinPass.value = '';
    view.account.signupPass.value = '';
    if (roomFromHash(location.hash).room !== drawn.room || !location.hash) history.replaceState(null, '', `#${drawn.room}`);
    view.message.focus();
  }
  if (before?.phase === 'chat' && drawn.phase === 'login') {
    // Signed out: back to the account form (the notice says why).
    view.roomInput.value = drawn.room;
    view.account.authMode = 'signin';
    view.render(drawn);
    view.account.signinUser.focus();
  }
  if (before?.authBusy && !drawn.authBusy && drawn.phase === 'login') {
    // Refused: the field to fix gets focus (the error is announced by its alert).
    const pass = view.account.authMode === 'signin' ? view.account.signinPass : view.account.signupPass;
    pass.value = '';
    (drawn.authError && /username/i.test(drawn.authError) ? (view.account.authMode === 'signin' ? view.account.signinUser : view.account.signupUser) : pass).focus();
  }
  // A short history does not fill the list, so there is nothing to scroll: fetch more at once.
  const s = view.log.scroller;
  if (controller.state.joined && s.scrollHeight <= s.clientHeight + LOAD_PX) controller.loadOlder();
  // Likewise a large room's member list that does not reach the end of its panel.
  if (controller.state.roster.large && view.members.atEnd()) controller.loadMoreMembers();
}

/** Nothing has focus (it was on a node that went away, or on nothing at all). */
const focusLost = () => document.activeElement === null || document.activeElement === document.body;

// Login: the remembered name and the room from the URL.
const stored = controller.storedIdentity();
if (stored) view.nameInput.value = stored.name;
view.roomInput.value = first.room;
// An account's session kept on this device: straight back in as that account.
const resumed = controller.resume(first.room);
draw();
if (resumed) view.message.focus();
else (stored ? view.loginForm.querySelector<HTMLButtonElement>('button[type=submit]') : view.nameInput)?.focus();

// Accounts: sign in or sign up (each its own form, so password managers know which password is new).
function submitAuth(mode: 'signin' | 'signup'): void {
  const user = mode === 'signin' ? view.account.signinUser : view.account.signupUser;
  const pass = mode === 'signin' ? view.account.signinPass : view.account.signupPass;
  if (!controller.signIn(mode, user.value, pass.value, view.roomInput.value)) {
    (/password/i.test(controller.state.authError ?? '') ? pass : user).focus();
  }
}
view.account.signinForm.addEventListener('submit', (ev) => { ev.preventDefault(); submitAuth('signin'); });
view.account.signupForm.addEventListener('submit', (ev) => { ev.preventDefault(); submitAuth('signup'); });
function showAuth(mode: 'signin' | 'signup'): void {
  const [from, to] = mode === 'signup' ? [view.account.signinUser, view.account.signupUser] : [view.account.signupUser, view.account.signinUser];
  if (!to.value) to.value = from.value;
  view.account.authMode = mode;
  controller.clearAuthError();
  view.render(controller.state);
  to.focus();
}
view.account.toSignup.addEventListener('click', () => showAuth('signup'));
view.account.toSignin.addEventListener('click', () => showAuth('signin'));

// Signed in: the room list, private rooms, DMs, signing out.
view.account.navToggle.addEventListener('click', () => view.account.toggleNav());
view.account.roomGroups.addEventListener('click', (ev) => {
  // Accept / Decline an invite, "Leave room" (nodes.ts answerButton); accepting opens the room.
  const b = (ev.target as HTMLElement).closest<HTMLElement>('[data-answer]');
  if (b?.dataset.room) { controller.answerInvite(b.dataset.room, b.dataset.answer as 'accept' | 'decline' | 'part'); return; }
  if ((ev.target as HTMLElement).closest('a')) view.account.toggleNav(false); // on a phone the panel folds once a room is picked
});
view.account.createForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const why = controller.createRoom(view.account.createTitle.value);
  view.account.createError.textContent = why ?? '';
  if (why) { view.account.createTitle.focus(); return; }
  view.account.createTitle.value = '';
  view.account.toggleNav(false);
  view.message.focus();
});
view.account.createTitle.addEventListener('input', () => { view.account.createError.textContent = ''; });
view.account.inviteForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const why = controller.invite(view.account.inviteUser.value);
  view.account.inviteError.textContent = why ?? '';
  if (!why) view.account.inviteUser.value = '';
  view.account.inviteUser.focus();
});
view.account.inviteUser.addEventListener('input', () => { view.account.inviteError.textContent = ''; });
view.account.roomPeople.addEventListener('click', (ev) => {
  const id = (ev.target as HTMLElement).closest<HTMLElement>('[data-remove]')?.dataset.remove;
  if (id) { controller.removeMember(id); view.account.inviteUser.focus(); }
});
view.members.list.addEventListener('click', (ev) => {
  const id = (ev.target as HTMLElement).closest<HTMLElement>('[data-dm]')?.dataset.dm;
  if (id && controller.openDm(id)) view.message.focus();
});
view.account.signOut.addEventListener('click', () => controller.signOut());
view.account.signOutAll.addEventListener('click', () => { controller.signOutEverywhere(); });
// Sessions: opening the panel loads the list; "Sign out" on a row revokes that session (focus stays in the panel).
view.account.sessions.addEventListener('toggle', () => { if (view.account.sessions.open) controller.requestSessions(); });
view.account.sessionList.addEventListener('click', (ev) => {
  const id = (ev.target as HTMLElement).closest<HTMLElement>('[data-revoke]')?.dataset.revoke;
  if (id && controller.revokeSession(id)) view.account.sessions.querySelector('summary')?.focus();
});

view.loginForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (!controller.start(view.nameInput.value, view.roomInput.value)) {
    (controller.state.loginError?.startsWith('A room') ? view.roomInput : view.nameInput).focus();
    return;
  }
  const room = controller.state.room;
  if (roomFromHash(location.hash).room !== room || !location.hash) history.replaceState(null, '', `#${room}`);
  view.render(controller.state);
  view.message.focus();
});

// The message box (send, reply, edit, typing) and what is done to messages (message-wiring.ts).
wireMessages(view, controller, notifier);
// Files: the Attach button, drag and drop, paste, the chips, an image opened full size (attach-wiring.ts).
wireAttachments(view, controller);

// Rooms: the hash is the source of truth, the form and the links just change it.
view.roomForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const room = normaliseRoom(view.roomSwitch.value);
  view.roomSwitch.setCustomValidity(room ? '' : TEXT.badRoomField);
  if (!room) { view.roomSwitch.reportValidity(); return; }
  view.roomSwitch.value = '';
  location.hash = room;
  view.message.focus();
});
view.roomSwitch.addEventListener('input', () => view.roomSwitch.setCustomValidity(''));
window.addEventListener('hashchange', () => {
  const { room, notice } = addressedRoom();
  if (controller.state.phase === 'chat') controller.switchRoom(room);
  else view.roomInput.value = room;
  if (notice) controller.notify(notice);
});

// Escape closes what the page opened: the room field gives way to the message box, then the notice goes.
document.addEventListener('keydown', (ev) => {
  if (ev.key !== 'Escape' || ev.defaultPrevented || controller.state.phase !== 'chat') return;
  if (view.sidebar.classList.contains('nav-open')) {
    view.account.toggleNav(false);
    view.account.navToggle.focus();
    ev.preventDefault();
    return;
  }
  if (document.activeElement === view.roomSwitch) {
    view.roomSwitch.value = '';
    view.roomSwitch.setCustomValidity('');
    view.message.focus();
    ev.preventDefault();
    return;
  }
  if (controller.state.notice) {
    const inNotice = view.notice.contains(document.activeElement);
    controller.dismissNotice();
    if (inNotice) view.message.focus();
    ev.preventDefault();
  }
});
view.noticeClose.addEventListener('click', () => {
  controller.dismissNotice();
  view.message.focus();
});

// History: near the top loads the page before the oldest message shown; near the bottom, while the
// window ends before the newest, the page after it.
view.log.scroller.addEventListener('scroll', () => {
  const s = view.log.scroller;
  if (s.scrollTop < LOAD_PX) controller.loadOlder();
  if (s.scrollHeight - s.scrollTop - s.clientHeight < LOAD_PX) controller.loadNewer();
  if (view.log.atBottom() && !hasNewer(controller.state)) view.log.jump.hidden = true;
}, { passive: true });
view.log.jump.addEventListener('click', () => {
  if (hasNewer(controller.state)) {
    view.log.followNext = true;
    controller.jumpToLatest();
  } else {
    view.log.scrollToBottom();
  }
  view.message.focus();
});

// Members of a large room: reaching the end of the list (or pressing the button) loads the next page.
const moreMembers = () => { if (controller.state.roster.large && view.members.atEnd()) controller.loadMoreMembers(); };
view.members.list.addEventListener('scroll', moreMembers, { passive: true });
view.sidebar.addEventListener('scroll', moreMembers, { passive: true });
view.members.load.addEventListener('click', () => controller.loadMoreMembers());

view.log.list.addEventListener('click', (ev) => {
  const cid = (ev.target as HTMLElement).closest<HTMLElement>('[data-retry]')?.dataset.retry;
  if (cid) {
    controller.retry(cid);
    view.message.focus(); // the button goes away with the failure
  }
});

// Back online: do not wait out the backoff. Back to the tab: the unread count goes.
window.addEventListener('online', () => controller.conn.retryNow());
document.addEventListener('visibilitychange', () => {
  controller.setVisible(!document.hidden);
  if (document.hidden) return;
  view.attention.seen();
  controller.conn.retryNow();
});
