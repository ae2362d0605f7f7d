/**
 * Browser notifications, opt-in (issue 21): nothing is asked on load; the "Notify me" button asks the
 * browser's permission once clicked, and the choice is kept on this device. Then, while the tab is
 * hidden, a new message of someone else notifies when it is in a direct message or names this member
 * (`@Ann`, any case). Which message notifies is a pure decision (`notificationFor`); the Notifier holds
 * the opt-in and shows them through an injected Notification constructor, so tests can drive it. One
 * notification per room at a time (its `tag`): a newer one replaces it rather than piling up.
 */
import { roomKind, type ChatMessage, type Member } from '@livechat/protocol';
import type { KeyValueStore } from './identity.js';

export const NOTIFY_KEY = 'livechat.notify';
/** A notification's text is cut here (a browser shows a few lines at most). */
const BODY_CHARS = 180;

/** The part of the browser's Notification this module uses. */
export interface NotificationLike { onclick: ((ev: unknown) => void) | null; close(): void }
export interface NotificationCtor {
  new (title: string, options?: { body?: string; tag?: string; lang?: string }): NotificationLike;
  readonly permission: 'default' | 'denied' | 'granted';
  requestPermission(): Promise<'default' | 'denied' | 'granted'>;
}

const WORD = /[\p{L}\p{N}_]/u;

/** Whether `text` names `name` as `@name` (any case), not as the start of a longer word (`@Anna` is not `@Ann`). */
export function namesMember(text: string, name: string): boolean {
  const hay = text.toLocaleLowerCase();
  const needle = `@${name.toLocaleLowerCase()}`;
  if (name.trim() === '') return false;
  for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + 1)) {
    const after = hay.slice(i + needle.length, i + needle.length + 2);
    if (after === '' || !WORD.test([...after][0])) return true;
  }
  return false;
}

export interface Notice { title: string; body: string; tag: string }

/** The notification for `m` (null: none) — another member's message in a DM, or one that names `me`. */
export function notificationFor(m: ChatMessage, me: Member | null, roomTitle: string): Notice | null {
  if (!me || m.from.id === me.id || m.deleted) return null;
  const dm = roomKind(m.room) === 'dm';
  if (!dm && !namesMember(m.text, me.name)) return null;
  const chars = [...m.text];
  const body = chars.length > BODY_CHARS ? `${chars.slice(0, BODY_CHARS).join('')}…` : m.text;
  const where = roomKind(m.room) === 'public' ? `#${m.room}` : roomTitle;
  return { title: dm ? m.from.name : `${m.from.name} in ${where}`, body, tag: m.room };
}

export interface NotifierOptions {
  /** The browser's Notification (absent where the page cannot notify: an insecure context, an old browser). */
  Notification: NotificationCtor | null | undefined;
  storage: KeyValueStore | null;
  /** Whether the tab is hidden now. */
  hidden: () => boolean;
  /** A notification was clicked: show its room. */
  open: (room: string) => void;
}

export type EnableResult = 'on' | 'off' | 'denied' | 'unavailable';

export class Notifier {
  private optedIn: boolean;

  constructor(private readonly o: NotifierOptions) {
    let stored: string | null = null;
    try { stored = o.storage?.getItem(NOTIFY_KEY) ?? null; } catch { /* storage disabled */ }
    this.optedIn = stored === '1';
  }

  /** The browser can notify from this page. */
  get available(): boolean {
    return typeof this.o.Notification === 'function';
  }

  /** Opted in, and the browser allows it: notifications are shown. */
  get enabled(): boolean {
    return this.optedIn && this.available && this.o.Notification!.permission === 'granted';
  }

  /** "Notify me" was pressed: turns notifications off when on, else asks the browser (only now) and turns them on. */
  async toggle(): Promise<EnableResult> {
    if (this.enabled) { this.store(false); return 'off'; }
    const N = this.o.Notification;
    if (!this.available || !N) return 'unavailable';
    const permission = N.permission === 'granted' ? 'granted' : await N.requestPermission();
    if (permission !== 'granted') { this.store(false); return permission === 'denied' ? 'denied' : 'off'; }
    this.store(true);
    return 'on';
  }

  /** New messages of others arrived: while the tab is hidden, those that call for it notify. Returns how many did. */
  arrived(messages: readonly ChatMessage[], me: Member | null, roomTitle: string): number {
    if (!this.enabled || !this.o.hidden()) return 0;
    let shown = 0;
    for (const m of messages) {
      const n = notificationFor(m, me, roomTitle);
      if (!n) continue;
      try {
        const note = new this.o.Notification!(n.title, { body: n.body, tag: n.tag, lang: 'en' });
        note.onclick = () => { this.o.open(n.tag); note.close(); };
        shown++;
      } catch { /* some browsers allow notifications only from a service worker */ }
    }
    return shown;
  }

  private store(on: boolean): void {
    this.optedIn = on;
    try { this.o.storage?.setItem(NOTIFY_KEY, on ? '1' : '0'); } catch { /* storage disabled */ }
  }
}
