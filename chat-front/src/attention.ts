/**
 * What the page tells a person who is not looking at the log: a polite live region that a screen
 * reader reads once per new message (never the history a join replays) and per notice, and the
 * unread count in the tab title while the tab is hidden. The status line (role=status in
 * index.html) announces connection changes by itself.
 */
import type { ChatMessage } from '@livechat/protocol';
import { memberLabel } from './nodes.js';

/** Lines kept in the live region (older ones are removed: it is read as it changes, not browsed). */
const KEEP_LINES = 5;
/** More new messages than this in one go are summarised instead of read one by one. */
const READ_AT_ONCE = 3;
/** A message is read up to this many characters. */
const READ_CHARS = 300;

/** The tab title with an unread count in front while there is one: "(3) #lobby · livechat". */
export function unreadTitle(base: string, unread: number): string {
  if (unread <= 0) return base;
  return `(${unread > 99 ? '99+' : unread}) ${base}`;
}

/** What the live region says for new messages of others: each read once, a burst summarised. */
export function arrivalLines(list: readonly ChatMessage[]): string[] {
  const clip = (t: string) => ([...t].length > READ_CHARS ? `${[...t].slice(0, READ_CHARS).join('')}…` : t);
  // A message with files says so after its text: "Ann #3f2a9c1e: look (file: photo.png)".
  const files = (m: ChatMessage) => (m.attachments?.length ? ` (${m.attachments.length === 1 ? 'file' : 'files'}: ${m.attachments.map((a) => a.name).join(', ')})` : '');
  if (list.length <= READ_AT_ONCE) return list.map((m) => `${memberLabel(m.from)}: ${clip(m.text)}${files(m)}`);
  const names = [...new Set(list.map((m) => m.from.name))];
  const who = names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and others`;
  return [`${list.length} new messages from ${who}.`];
}

export class Attention {
  private unread = 0;
  private base = document.title;

  constructor(private readonly region: HTMLElement) {}

  /** The title without the count (the view sets it per room). */
  setTitle(base: string): void {
    this.base = base;
    this.apply();
  }

  /** Messages of others that arrived; `live` ones are announced, all of them count while the tab is hidden. */
  arrived(list: readonly ChatMessage[], live: boolean): void {
    if (list.length === 0) return;
    if (document.hidden) {
      this.unread += list.length;
      this.apply();
    }
    if (live) for (const line of arrivalLines(list)) this.say(line);
  }

  /** The person is looking again: the count goes. */
  seen(): void {
    if (this.unread === 0) return;
    this.unread = 0;
    this.apply();
  }

  /** Reads a line politely (appended, so lines in quick succession are each read once). */
  say(text: string): void {
    const line = document.createElement('p');
    line.textContent = text;
    this.region.append(line);
    while (this.region.childElementCount > KEEP_LINES) this.region.firstElementChild?.remove();
  }

  private apply(): void {
    const t = unreadTitle(this.base, this.unread);
    if (document.title !== t) document.title = t;
  }
}
