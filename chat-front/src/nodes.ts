/**
 * The DOM nodes for one member, a room of the account's list, a private room's person and a session,
 * built for the views (a message and an outbox item: message-node.ts). Every piece of text (names,
 * messages, errors) goes in through textContent, never innerHTML, so none of it can become markup. A
 * name is always followed by its member's short tag (`Ann #3f2a9c1e`), so two people who chose the same
 * name can be told apart, by eye and by a screen reader alike.
 */
import type { InviteSummary, Member, RoomKind, RoomSummary, SessionInfo } from '@livechat/protocol';
import { avatar, hash } from './avatar.js';
import { unreadLabel } from './account.js';

export const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
/** When a session was made: "27 Nov, 14:03" (the year too when it is not this year's). */
const dayFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
const yearFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });

/** An element of index.html by id (the page's markup is fixed: a missing one is a bug). */
export function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing from index.html`);
  return e as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Hex digits in a member's tag: 32 bits, so making a guest whose tag matches someone's takes ~2^32 sessions. */
export const TAG_LEN = 8;

/**
 * A member's short tag: the first 8 hex digits of the member id — random bits of the UUID the server
 * made, which nobody chooses (guest `<uuid>`, account `u_<uuid>`) — or, for an id with fewer, 8 hex
 * digits of its hash. Stable for a member across servers and sessions. Pages before 8 showed the first
 * 4 of the same digits: an old page's `#3f2a` is the start of a new page's `#3f2a9c1e`.
 */
export function memberTag(id: string): string {
  const hex = id.toLowerCase().replace(/[^0-9a-f]/g, '');
  return hex.length >= TAG_LEN ? hex.slice(0, TAG_LEN) : hash(id).toString(16).padStart(8, '0');
}

/** A member as people read it: "Ann #3f2a9c1e". */
export const memberLabel = (m: Member) => `${m.name} #${memberTag(m.id)}`;

/** The name, then the tag in a quieter style; both are text, so both are read. */
export function nameWithTag(m: Member, cls: string): HTMLElement {
  const who = el('span', cls);
  who.append(el('span', 'name', m.name), ' ', el('span', 'tag', `#${memberTag(m.id)}`));
  return who;
}

/**
 * One member of the list. `canDm` (signed in, and the member is another account): the avatar and name
 * are a button "Ann #3f2a9c1e Message" that opens the direct messages with them.
 */
export function memberNode(m: Member, isMe: boolean, canDm = false): HTMLElement {
  const li = el('li', isMe ? 'member is-me' : 'member');
  li.dataset.id = m.id;
  if (canDm) {
    const b = el('button', 'member-dm');
    b.type = 'button';
    b.dataset.dm = m.id;
    // Named by what it shows — "Ann #3f2a9c1e, message" — so speech input finds it by what is seen
    // (axe's label-in-name rule); on a phone the hint is hidden and the name still ends in it.
    b.title = `Send ${m.name} a direct message`;
    const hint = el('span', 'dm-hint', 'Message');
    b.append(avatar(m, 28), nameWithTag(m, 'member-name'), hint);
    li.append(b);
    return li;
  }
  li.append(avatar(m, 28), nameWithTag(m, 'member-name'));
  if (isMe) li.append(el('span', 'you', 'you'));
  return li;
}

const SVG = 'http://www.w3.org/2000/svg';

/** The sign before a room's name: `#` for a public room, `@` for a DM, a padlock for a private room (decorative). */
export function kindMark(kind: RoomKind): Element {
  if (kind !== 'private') {
    const s = el('span', 'room-kind', kind === 'dm' ? '@' : '#');
    s.setAttribute('aria-hidden', 'true');
    return s;
  }
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'room-kind lock');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '13');
  svg.setAttribute('height', '13');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('fill', 'currentColor');
  path.setAttribute('d', 'M6 10V7a6 6 0 0 1 12 0v3h1a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V11a1 1 0 0 1 1-1zm2 0h8V7a4 4 0 0 0-8 0z');
  svg.append(path);
  return svg;
}

/** An unread count: the number drawn, and ", 3 unread" for screen readers. Nothing when there is none. */
export function unreadBadge(n: number): HTMLElement[] {
  if (n <= 0) return [];
  const badge = el('span', 'badge', n > 99 ? '99+' : String(n));
  badge.setAttribute('aria-hidden', 'true');
  return [badge, el('span', 'visually-hidden', `, ${unreadLabel(n)}`)];
}

/** "@2": messages after the read marker that name the account. */
function mentionBadge(n: number): HTMLElement[] {
  if (n <= 0) return [];
  const badge = el('span', 'badge mention-badge', `@${n > 99 ? '99+' : n}`);
  badge.setAttribute('aria-hidden', 'true');
  return [badge, el('span', 'visually-hidden', `, ${n > 99 ? '99+' : n} mentioning you`)];
}

/** A room of the account's list: a link to it (the address names the room), with its unread badge. */
export function roomEntryNode(r: RoomSummary, title: string, current: boolean): HTMLElement {
  const li = el('li', 'room-entry');
  li.dataset.room = r.room;
  const a = el('a', `room-link${current ? ' current' : ''}${r.unread > 0 ? ' unread' : ''}`);
  a.href = `#${r.room}`;
  if (current) a.setAttribute('aria-current', 'page');
  a.append(kindMark(r.kind), el('span', 'room-title', title), ...mentionBadge(r.mentions ?? 0), ...unreadBadge(r.unread));
  li.append(a);
  return li;
}

/** A small button that answers an invite or parts a room: `data-answer` and `data-room` say what (main.ts). */
function answerButton(text: string, how: 'accept' | 'decline' | 'part', room: string, label: string, cls = 'secondary'): HTMLButtonElement {
  const b = el('button', `${cls} answer-button`, text);
  b.type = 'button';
  b.dataset.answer = how;
  b.dataset.room = room;
  b.setAttribute('aria-label', label);
  return b;
}

/** A pending invite: what to (a private room's title, or a DM), from whom, and Accept / Decline buttons named after it. */
export function inviteNode(i: InviteSummary): HTMLElement {
  const li = el('li', 'invite-entry');
  li.dataset.room = i.room;
  const what = i.kind === 'dm' ? `Direct message from ${i.from.name}` : `${i.title} — from ${i.from.name}`;
  const text = el('span', 'invite-text');
  text.append(kindMark(i.kind), el('span', 'room-title', what));
  const about = i.kind === 'dm' ? `the direct message from ${i.from.name}` : `the invite to ${i.title} from ${i.from.name}`;
  li.append(text, answerButton('Accept', 'accept', i.room, `Accept ${about}`, 'primary'), answerButton('Decline', 'decline', i.room, `Decline ${about}`));
  return li;
}

/** "Leave room" for a private room the account is in (off its list for good). */
export function partButton(room: string, title: string): HTMLButtonElement {
  return answerButton('Leave room', 'part', room, `Leave room ${title}`);
}

/** A member of a private room in its owner's view: a button to remove them (not the owner). */
export function roomPersonNode(m: Member, isOwner: boolean, removable: boolean): HTMLElement {
  const li = el('li', 'room-person');
  li.dataset.id = m.id;
  li.append(avatar(m, 24), nameWithTag(m, 'member-name'));
  if (isOwner) li.append(el('span', 'owner-tag', 'owner'));
  if (removable) {
    const b = el('button', 'secondary remove-button', 'Remove');
    b.type = 'button';
    b.dataset.remove = m.id;
    b.setAttribute('aria-label', `Remove ${m.name}`);
    li.append(b);
  }
  return li;
}

/** Someone with a pending invite, in the owner's view: a button to withdraw it (a `remove` of them). */
export function invitedPersonNode(m: Member): HTMLElement {
  const li = el('li', 'room-person is-invited');
  li.dataset.id = m.id;
  li.append(avatar(m, 24), nameWithTag(m, 'member-name'), el('span', 'owner-tag', 'invited'));
  const b = el('button', 'secondary remove-button', 'Withdraw');
  b.type = 'button';
  b.dataset.remove = m.id;
  b.setAttribute('aria-label', `Withdraw the invite of ${m.name}`);
  li.append(b);
  return li;
}

/**
 * One session of the account's list: when it was made, and "this device" for the page's own or a
 * "Sign out" button for another (named after its date for screen readers; "Signing out…" once asked).
 */
export function sessionNode(s: SessionInfo, revoking: boolean, now: number): HTMLElement {
  const li = el('li', s.current ? 'session is-current' : 'session');
  li.dataset.id = s.id;
  const when = (new Date(s.created).getFullYear() === new Date(now).getFullYear() ? dayFmt : yearFmt).format(s.created);
  const time = el('time', '', when);
  time.dateTime = new Date(s.created).toISOString();
  time.title = fullFmt.format(s.created);
  const label = el('span', 'session-when', 'Signed in ');
  label.append(time);
  li.append(label);
  if (s.current) {
    li.append(el('span', 'you', 'this device'));
    return li;
  }
  const b = el('button', 'secondary remove-button', revoking ? 'Signing out…' : 'Sign out');
  b.type = 'button';
  b.dataset.revoke = s.id;
  b.disabled = revoking;
  b.setAttribute('aria-label', `Sign out the session from ${when}`);
  li.append(b);
  return li;
}
