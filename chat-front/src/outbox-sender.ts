/**
 * The outbox over the connection: a message the person typed (a reply: with the id it answers) is
 * (with the files uploaded for it: their keys go out with every try) queued under a fresh cid and goes out as soon as the room is joined on a welcomed connection (at
 * once if it is), again with the same cid after a reconnect or when the server could not take it
 * (`unavailable`, `rate_limited`: after the delay the answer names), until its `ack` and then its own
 * `message` arrive (outbox.ts keeps the items; current-room.ts flushes them once joined).
 */
import { LIMITS, charLength, type Ack, type ErrorResponse } from '@livechat/protocol';
import { cleanText } from './input.js';
import type { Page } from './page.js';
import { sendRequestOf, type OutboxFile } from './outbox.js';
import * as S from './state.js';

export class OutboxSender {
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly page: Page, private readonly newCid: () => string) {}

  /**
   * Queues a message — a reply to the quoted one while the box replies — and the box writes a new one
   * again; it goes out now if connected, else once back. Returns false for empty/too long text.
   */
  send(rawText: string, attachments: readonly OutboxFile[] = []): boolean {
    const text = cleanText(rawText);
    const len = charLength(text);
    const { state } = this.page;
    // With files the text may be empty (a picture alone).
    if (state.phase !== 'chat' || (len < 1 && attachments.length === 0) || len > LIMITS.textMax || state.composer.mode === 'edit') return false;
    if (attachments.length > LIMITS.attachmentsMax) return false;
    const replyTo = state.composer.mode === 'reply' ? state.composer.to : undefined;
    this.page.update(S.endCompose(S.enqueue(state, { cid: this.newCid(), text, now: this.page.now(), replyTo, attachments })));
    this.flush();
    return true;
  }

  /** Tries a failed message again (same cid). */
  retry(cid: string): void {
    this.page.update(S.retryItem(this.page.state, cid));
    this.flush();
  }

  /** Sends every due outbox item with its cid. */
  flush(): void {
    const due = S.dueSends(this.page.state, this.page.now());
    const sent: string[] = [];
    for (const o of due) {
      if (!this.page.conn.send(sendRequestOf(o))) break;
      sent.push(o.cid);
    }
    if (sent.length) this.page.update(S.markSending(this.page.state, sent));
    this.scheduleFlush();
  }

  ack(m: Ack): void {
    this.page.update(S.applyAck(this.page.state, m));
  }

  /**
   * An `error` answering the send of `cid` (the one its rid names, else the one it carries): retried
   * later, or failed for good. False when no item of the outbox has that cid.
   */
  failed(e: ErrorResponse, cid = e.cid): boolean {
    if (cid === undefined || !this.page.state.outbox.some((o) => o.cid === cid)) return false;
    this.page.update(S.applySendError(this.page.state, e, cid, this.page.now()));
    this.scheduleFlush();
    return true;
  }

  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** The next retry of an item that waits goes out when its time comes. */
  private scheduleFlush(): void {
    const now = this.page.now();
    const at = S.nextRetryAt(this.page.state, now);
    this.stop();
    if (at === undefined) return;
    this.retryTimer = setTimeout(() => { this.retryTimer = null; this.flush(); }, at - now);
  }
}
