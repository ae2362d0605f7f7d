/**
 * Wiring only: builds the controller and the view, turns the person's input (forms, Enter, Escape,
 * scroll of the log and of the member list, the URL hash, the tab being hidden) into controller
 * calls, and re-renders on every state change. Keyboard-first: focus starts in the form, lands in
 * the message box after joining and again after a reconnect if it was lost, and Escape closes
 * what the page opened (the notice; the room field goes back to the message box).
 */
import { rejectedRoomNotice, roomFromHash } from './address.js';
import { ChatController, type KeyValueStore } from './controller.js';
import { normaliseRoom } from './input.js';
import { hasNewer, type ChatState } from './state.js';
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

const view = new View();
let queued = false;
const first = addressedRoom();
const controller = new ChatController({
  url: wsUrl,
  WebSocket: WebSocket as unknown as ConstructorParameters<typeof ChatController>[0]['WebSocket'],
  storage: storage(),
  // Several changes in one task draw once (not via requestAnimationFrame: hidden tabs would stall).
  onChange: () => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => { queued = false; draw(); });
  },
  onArrivals: (messages, live) => view.attention.arrived(messages, live),
}, first.room);
if (first.notice) controller.notify(first.notice);

let drawn: ChatState | null = null;
function draw(): void {
  const before = drawn;
  drawn = controller.state;
  view.render(controller.state);
  // Joined again after a reconnect: if focus was lost meanwhile, it goes back to the message box.
  if (before && !before.joined && drawn.joined && drawn.phase === 'chat' && focusLost()) view.message.focus();
  // A short history does not fill the list, so there is nothing to scroll: fetch more at once.
  const s = view.scroller;
  if (controller.state.joined && s.scrollHeight <= s.clientHeight + LOAD_PX) controller.loadOlder();
  // Likewise a large room's member list that does not reach the end of its panel.
  if (controller.state.roster.large && view.membersAtEnd()) controller.loadMoreMembers();
}

/** Nothing has focus (it was on a node that went away, or on nothing at all). */
const focusLost = () => document.activeElement === null || document.activeElement === document.body;

// Login: the remembered name and the room from the URL.
const stored = controller.storedIdentity();
if (stored) view.nameInput.value = stored.name;
view.roomInput.value = first.room;
draw();
(stored ? view.loginForm.querySelector<HTMLButtonElement>('button[type=submit]') : view.nameInput)?.focus();

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

// Sending: Enter sends, Shift+Enter is a new line.
function sendTyped(): void {
  if (controller.send(view.message.value)) {
    view.message.value = '';
    view.followNext = true;
  }
  view.message.focus();
}
view.composer.addEventListener('submit', (ev) => { ev.preventDefault(); sendTyped(); });
view.message.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    sendTyped();
  }
});

// Rooms: the hash is the source of truth, the form and the links just change it.
view.roomForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const room = normaliseRoom(view.roomSwitch.value);
  view.roomSwitch.setCustomValidity(room ? '' : 'Use 1-32 of a-z, 0-9, - and _');
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
view.scroller.addEventListener('scroll', () => {
  const s = view.scroller;
  if (s.scrollTop < LOAD_PX) controller.loadOlder();
  if (s.scrollHeight - s.scrollTop - s.clientHeight < LOAD_PX) controller.loadNewer();
  if (view.atBottom() && !hasNewer(controller.state)) view.jump.hidden = true;
}, { passive: true });
view.jump.addEventListener('click', () => {
  if (hasNewer(controller.state)) {
    view.followNext = true;
    controller.jumpToLatest();
  } else {
    view.scrollToBottom();
  }
  view.message.focus();
});

// Members of a large room: reaching the end of the list (or pressing the button) loads the next page.
const moreMembers = () => { if (controller.state.roster.large && view.membersAtEnd()) controller.loadMoreMembers(); };
view.members.addEventListener('scroll', moreMembers, { passive: true });
view.sidebar.addEventListener('scroll', moreMembers, { passive: true });
view.membersLoad.addEventListener('click', () => controller.loadMoreMembers());

view.log.addEventListener('click', (ev) => {
  const cid = (ev.target as HTMLElement).closest<HTMLElement>('[data-retry]')?.dataset.retry;
  if (cid) {
    controller.retry(cid);
    view.message.focus(); // the button goes away with the failure
  }
});

// Back online: do not wait out the backoff. Back to the tab: the unread count goes.
window.addEventListener('online', () => controller.conn.retryNow());
document.addEventListener('visibilitychange', () => {
  if (document.hidden) return;
  view.attention.seen();
  controller.conn.retryNow();
});
