/**
 * Who is typing, as pure functions (shared/PROTOCOL.md "Message lifecycle", `typing`): the current
 * room's typers as the last `typing` frame listed them, the sentence the page shows for them ("Ann is
 * typing…", leaving this member out), and when this page tells the server its person types: once when
 * they start, again at most every TYPING_EVERY_MS while they keep typing (the server counts a member as
 * typing for 6 s after each), and `stop` when the box is cleared.
 */
import type { Member, Typing } from '@livechat/protocol';
import { typingText as sentence } from './texts.js';

/** While the person keeps typing, the server is told again at most this often. */
export const TYPING_EVERY_MS = 3_000;

/** The current room's typers: the newest few listed, and how many there are (this member included). */
export interface Typers { members: readonly Member[]; count: number }

export const NOBODY: Typers = { members: [], count: 0 };

/** A `typing` frame for the room shown (frames for another room change nothing). */
export function applyTyping(typers: Typers, t: Typing): Typers {
  if (t.count === 0 && typers.count === 0) return typers;
  return { members: t.members, count: t.count };
}

/**
 * What the page shows: "Ann is typing…", "Ann and Bob are typing…", "Ann and 2 others are typing…",
 * or "" when nobody else types. This member is left out of the list and of the count (when it is not
 * listed but `selfTyping`, the count holds it anyway).
 */
export function typingLine(typers: Typers, me: string | undefined, selfTyping = false): string {
  const listedMe = typers.members.some((m) => m.id === me);
  const others = typers.members.filter((m) => m.id !== me);
  const count = Math.max(others.length, typers.count - (listedMe || (selfTyping && typers.count > typers.members.length) ? 1 : 0));
  return sentence(others.map((m) => m.name), count);
}

/** What this page last told the server about its person typing in the room shown. */
export interface TypingSignal { active: boolean; sentAt: number }

export const IDLE: TypingSignal = { active: false, sentAt: 0 };

/**
 * The signal to send now that the message box holds `text` (null: none): `start` when typing began,
 * or goes on and the last signal is TYPING_EVERY_MS old; `stop` when the box was cleared.
 */
export function typingSignal(s: TypingSignal, text: string, now: number): { send: 'start' | 'stop' | null; next: TypingSignal } {
  const typing = text.trim().length > 0;
  if (!typing) return s.active ? { send: 'stop', next: IDLE } : { send: null, next: s };
  if (s.active && now - s.sentAt < TYPING_EVERY_MS) return { send: null, next: s };
  return { send: 'start', next: { active: true, sentAt: now } };
}
