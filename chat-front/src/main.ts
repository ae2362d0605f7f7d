/**
 * Wiring only: builds the controller and the view, turns the person's input (forms, Enter, scroll of
 * the log and of the member list, the URL hash) into controller calls, and re-renders on every state change.
 */
import { ChatController, normaliseRoom, type KeyValueStore } from './controller.js';
import { View } from './view.js';

/** Scrolling this close to the top asks for older messages. */
const LOAD_OLDER_PX = 120;

function storage(): KeyValueStore | null {
  try {
    const s = window.localStorage;
    s.getItem('livechat.probe');
    return s;
  } catch {
    return null; // storage disabled: the name is simply not remembered
  }
}

const roomFromHash = () => normaliseRoom(decodeURIComponent(location.hash.slice(1))) ?? 'lobby';
const wsUrl = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;

const view = new View();
let queued = false;
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
}, roomFromHash());

function draw(): void {
  view.render(controller.state);
  // A short history does not fill the list, so there is nothing to scroll: fetch more at once.
  const s = view.scroller;
  if (controller.state.joined && s.scrollHeight <= s.clientHeight + LOAD_OLDER_PX) controller.loadOlder();
  // Likewise a large room's member list that does not reach the end of its panel.
  if (controller.state.roster.large && view.membersAtEnd()) controller.loadMoreMembers();
}

// Login: the remembered name and the room from the URL.
const stored = controller.storedIdentity();
if (stored) view.nameInput.value = stored.name;
view.roomInput.value = roomFromHash();
draw();
(stored ? view.loginForm.querySelector<HTMLButtonElement>('button[type=submit]') : view.nameInput)?.focus();

view.loginForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (!controller.start(view.nameInput.value, view.roomInput.value)) return;
  const room = controller.state.room;
  if (roomFromHash() !== room || !location.hash) history.replaceState(null, '', `#${room}`);
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
});
window.addEventListener('hashchange', () => {
  const room = roomFromHash();
  if (controller.state.phase === 'chat') controller.switchRoom(room);
  else view.roomInput.value = room;
});

// History: scrolling near the top loads the page before the oldest message shown.
view.scroller.addEventListener('scroll', () => {
  if (view.scroller.scrollTop < LOAD_OLDER_PX) controller.loadOlder();
  if (view.atBottom()) view.jump.hidden = true;
}, { passive: true });
view.jump.addEventListener('click', () => view.scrollToBottom());

// Members of a large room: reaching the end of the list (or pressing the button) loads the next page.
const moreMembers = () => { if (controller.state.roster.large && view.membersAtEnd()) controller.loadMoreMembers(); };
view.members.addEventListener('scroll', moreMembers, { passive: true });
view.sidebar.addEventListener('scroll', moreMembers, { passive: true });
view.membersLoad.addEventListener('click', () => controller.loadMoreMembers());

view.log.addEventListener('click', (ev) => {
  const cid = (ev.target as HTMLElement).closest<HTMLElement>('[data-retry]')?.dataset.retry;
  if (cid) controller.retry(cid);
});

// Back online: do not wait out the backoff.
window.addEventListener('online', () => controller.conn.retryNow());
document.addEventListener('visibilitychange', () => { if (!document.hidden) controller.conn.retryNow(); });
