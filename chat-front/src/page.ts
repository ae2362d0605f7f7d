/**
 * What the controller's parts (identity.ts, current-room.ts, outbox-sender.ts, read-marker.ts,
 * account-actions.ts) share, as the controller gives it to them: the page's state and its one
 * writer, the connection, the clock, and notices. A part reads the state here and changes it only
 * through `update` (with the pure functions of state.ts), so every change reaches the view the same
 * way, whichever part made it.
 */
import type { Connection } from './connection.js';
import type { ChatState } from './state.js';

export interface Page {
  readonly state: ChatState;
  readonly conn: Connection;
  /** Makes `next` the page's state (and tells the view), unless it is the same object. */
  update(next: ChatState): void;
  now(): number;
  /** A notice that stays until dismissed, replaced, or the room changes. */
  notify(text: string): void;
  /**
   * A notice for the moment (a request the page retries by itself, an error that answers nothing the
   * page waits for): it clears after a while if nothing replaced it.
   */
  notifyBriefly(text: string): void;
}
