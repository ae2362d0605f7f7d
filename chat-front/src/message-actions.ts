/**
 * What the person does to messages, over the connection (shared/PROTOCOL.md "Message lifecycle"):
 * reply (the composer holds the quote; outbox-sender.ts sends it with the message as `replyTo`), edit
 * one's own (↑ in an empty box: the last one), delete (one's own, or any in a private room one owns),
 * react. Each edit, delete and react goes out under a fresh cid and waits here until its `ack`: again
 * with the same cid once the room is rejoined after a reconnect, or when the server could not take it
 * (`unavailable`, `rate_limited`: after the delay it names); a refusal (`forbidden`, `bad_request`)
 * becomes a notice. An acked `react` tells the page its own reaction is on (or off) now — the server's
 * `update` says so too, but a repeated one (already on) brings none.
 */
import {
  LIMITS, charLength, emojiProblem, type Ack, type DeleteRequest, type EditRequest, type ErrorResponse,
  type ReactRequest,
} from '@livechat/protocol';
import { State } from './connection.js';
import { cleanText } from './input.js';
import { retryDelay } from './outbox.js';
import type { Page } from './page.js';
import * as S from './state.js';
import { TEXT, errorText } from './texts.js';

type Change = EditRequest | DeleteRequest | ReactRequest;

/** Errors after which the same cid goes out again (the rest are refusals). */
const RETRYABLE = new Set(['unavailable', 'rate_limited', 'not_joined']);

interface Waiting { req: Change; attempts: number; sent: boolean; retryAt: number }

export class MessageActions {
  /** Changes sent (or to send) and not yet acked, by cid, in the order they were made. */
  private readonly waiting = new Map<string, Waiting>();
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly page: Page, private readonly newCid: () => string) {}

  /** "Reply" on message `id`: its quote goes above the box. */
  reply(id: number): boolean {
    this.page.update(S.startReply(this.page.state, id));
    return this.page.state.composer.mode === 'reply';
  }

  /** "Edit" on one's own message `id`: the box edits it. */
  edit(id: number): boolean {
    this.page.update(S.startEdit(this.page.state, id));
    return this.page.state.composer.mode === 'edit';
  }

  /** ↑ in an empty box: edits one's newest message (false when there is none). */
  editLast(): boolean {
    const m = S.lastEditable(this.page.state);
    return m !== undefined && this.edit(m.id);
  }

  /** Escape, or the cancel button: back to writing a new message. */
  cancel(): void {
    this.page.update(S.endCompose(this.page.state));
  }

  /** Enter while editing: the new text goes out (unchanged text just ends the edit). False: nothing to save. */
  saveEdit(rawText: string): boolean {
    const { state } = this.page;
    const c = state.composer;
    if (c.mode !== 'edit') return false;
    const text = cleanText(rawText);
    const len = charLength(text);
    if (len < 1) { this.page.notifyBriefly(TEXT.editEmpty); return false; }
    if (len > LIMITS.textMax) return false;
    this.page.update(S.endCompose(state));
    if (S.messageById(state, c.id)?.text === text) return true;
    this.queue({ type: 'edit', room: state.room, id: c.id, text, cid: this.newCid() });
    return true;
  }

  /** Deletes message `id` (the person confirmed); false when this member may not. */
  remove(id: number): boolean {
    const { state } = this.page;
    const m = S.messageById(state, id);
    if (!m || !S.canDelete(state, m)) return false;
    this.queue({ type: 'delete', room: state.room, id, cid: this.newCid() });
    return true;
  }

  /**
   * Toggles this member's reaction `emoji` on message `id` (`on` given: sets it). False for what is
   * not one emoji, or a message not held or deleted.
   */
  react(id: number, emoji: string, on?: boolean): boolean {
    const { state } = this.page;
    const m = S.messageById(state, id);
    if (!m || m.deleted || emojiProblem(emoji) !== null) return false;
    this.queue({ type: 'react', room: state.room, id, emoji, on: on ?? !S.isMine(m, emoji), cid: this.newCid() });
    return true;
  }

  /** Sends every change due for the room shown (after a join; after a retry delay). */
  flush(): void {
    const { state, conn } = this.page;
    const now = this.page.now();
    for (const [cid, w] of this.waiting) {
      if (w.req.room !== state.room) { this.waiting.delete(cid); continue; }
      if (w.sent || w.retryAt > now || conn.state !== State.Connected || !state.joined) continue;
      if (!conn.send(w.req)) break;
      w.sent = true;
      w.attempts++;
    }
    this.schedule();
  }

  /** An `ack`: true when it answers one of these changes (an acked react says where this member's reaction is). */
  ack(a: Ack): boolean {
    const w = this.waiting.get(a.cid);
    if (!w) return false;
    this.waiting.delete(a.cid);
    const r = w.req;
    if (r.type === 'react') this.page.update(S.applyOwnReaction(this.page.state, r.room, r.id, r.emoji, r.on));
    return true;
  }

  /** An `error` answering the change sent under `cid`: retried later, or a notice. False when none has that cid. */
  failed(e: ErrorResponse, cid = e.cid): boolean {
    const w = cid === undefined ? undefined : this.waiting.get(cid);
    if (!w || cid === undefined) return false;
    if (RETRYABLE.has(e.code)) {
      w.sent = false;
      w.retryAt = this.page.now() + retryDelay(w.attempts, e.retryAfterMs);
      this.schedule();
      return true;
    }
    this.waiting.delete(cid);
    this.page.notifyBriefly(errorText(e, w.req));
    return true;
  }

  /** The connection dropped: whatever was sent goes again once the room is rejoined. */
  connState(s: State): void {
    if (s === State.Connected) return;
    for (const w of this.waiting.values()) w.sent = false;
  }

  stop(): void {
    this.waiting.clear();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private queue(req: Change): void {
    this.waiting.set(req.cid, { req, attempts: 0, sent: false, retryAt: 0 });
    this.flush();
  }

  /** The next retry goes out when its time comes. */
  private schedule(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const now = this.page.now();
    let at = Infinity;
    for (const w of this.waiting.values()) if (!w.sent && w.retryAt > now) at = Math.min(at, w.retryAt);
    if (at !== Infinity) this.retryTimer = setTimeout(() => { this.retryTimer = null; this.flush(); }, at - now);
  }
}
