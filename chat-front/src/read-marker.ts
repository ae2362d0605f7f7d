/**
 * The account's read marker for the room shown: a `read` goes out a moment after the newest id seen
 * there moved past the marker, while the tab is visible (and not at all for a guest); `read` frames —
 * the answer, or a marker moved by another connection of the account — are applied as they come.
 * Markers only move up (account.ts), so a late answer cannot bring an unread count back.
 */
import type { ReadResponse } from '@livechat/protocol';
import type { Page } from './page.js';
import * as S from './state.js';

/** A `read` goes out at most this often per room shown (the newest id seen by then). */
export const READ_DEBOUNCE_MS = 1_000;

export class ReadMarker {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private visible = true;

  constructor(private readonly page: Page) {}

  /** The tab became visible (the room shown is being read) or hidden. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) this.changed();
  }

  /** The state changed: a marker may be due. */
  changed(): void {
    if (this.timer || !this.visible || !S.readDue(this.page.state)) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const due = this.visible ? S.readDue(this.page.state) : undefined;
      if (due && this.page.conn.send({ type: 'read', room: due.room, id: due.id })) this.page.update(S.applyRead(this.page.state, due));
    }, READ_DEBOUNCE_MS);
  }

  read(m: ReadResponse): void {
    this.page.update(S.applyRead(this.page.state, m));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
