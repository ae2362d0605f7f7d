/**
 * Tells the room when this page's person types (shared/PROTOCOL.md "Message lifecycle", `typing`):
 * once when the message box gets text, again at most every TYPING_EVERY_MS while it keeps changing,
 * and `stop` when it is cleared (typing-state.ts decides). Sending the message needs no `stop`: the
 * server ends a member's typing with its message. Editing a message is not typing one. A `typing`
 * request has no answer, so it is never kept in the table of requests in flight (requests.ts).
 */
import { State } from './connection.js';
import type { Page } from './page.js';
import * as S from './state.js';

export class TypingSender {
  private signal: S.TypingSignal = S.IDLE;
  /** The room the signal is about (another room shown: nothing was said there). */
  private room = '';

  constructor(private readonly page: Page) {}

  /** The message box now holds `text`. */
  typed(text: string): void {
    const { state, conn } = this.page;
    if (this.room !== state.room) { this.signal = S.IDLE; this.room = state.room; }
    if (!state.joined || conn.state !== State.Connected) return;
    const { send, next } = S.typingSignal(this.signal, state.composer.mode === 'edit' ? '' : text, this.page.now());
    if (send === 'stop') {
      this.signal = next; // unsent, it lapses on the server by itself
      conn.send({ type: 'typing', room: state.room, stop: true });
    } else if (send === 'start' && conn.send({ type: 'typing', room: state.room })) {
      this.signal = next;
    }
  }

  /** A message went out: the server stopped this member's typing with it. */
  sent(): void {
    this.signal = S.IDLE;
  }

  /** Whether the room was told this person types (the typing line leaves them out). */
  get active(): boolean {
    return this.signal.active && this.room === this.page.state.room;
  }

  connState(s: State): void {
    if (s !== State.Connected) this.signal = S.IDLE;
  }
}
