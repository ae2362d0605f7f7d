/**
 * Changes to messages the page holds (shared/PROTOCOL.md "Message lifecycle"), as pure functions: an
 * `update` entry — an edit, a deletion, one member's reaction — applied to the message it targets and
 * to the quotes of the replies to it (the server quotes a message's current text, so history agrees);
 * and what the page knows of its own reactions. Applying an update is idempotent (an edit sets the
 * text, a reaction's `count` is the emoji's whole count after the change), so a replayed one changes
 * nothing; the caller keeps them in id order (room-state.ts skips entries it has seen).
 *
 * Which reactions are this member's own is not in a message: the page learns it from the updates it
 * sees (`from.id` is this member) and the acks of its own `react` requests (an ack with `on` means it
 * is on now, whether or not it was before), and keeps it on the message as `mine`.
 */
import { LIMITS, type ChatMessage, type ReactionCount, type ReplyQuote, type Update } from '@livechat/protocol';
import { TEXT } from './texts.js';

/** A message as the page holds it: the protocol's, plus the emoji this member is known to have on it. */
export interface ShownMessage extends ChatMessage {
  /** This member's own reactions among `reactions` (learnt from its updates and acks; unknown after a reload). */
  mine?: readonly string[];
}

export type Entry = ChatMessage | Update;
export const isUpdate = (e: Entry): e is Update => e.type === 'update';
export const isMessage = (e: Entry): e is ChatMessage => e.type !== 'update';

/** The first LIMITS.replyQuoteMax characters of a text, as the server quotes it (code points). */
export function quoteText(text: string): string {
  const chars = [...text];
  return chars.length > LIMITS.replyQuoteMax ? chars.slice(0, LIMITS.replyQuoteMax).join('') : text;
}

/** The quote a reply to `m` carries. */
export function quoteOf(m: ChatMessage): ReplyQuote {
  const q: ReplyQuote = { id: m.id, from: m.from, text: m.deleted ? '' : quoteText(m.text) };
  if (!m.deleted && m.attachments?.length) q.files = m.attachments.length;
  return q;
}

/** What a quote shows: its text; a files-only message's file count; or that it was deleted. */
export function quoteLabel(q: ReplyQuote): string {
  if (q.text !== '') return q.text;
  return q.files ? TEXT.quotedFiles(q.files) : TEXT.deletedQuote;
}

/**
 * `m` with `emoji` at `count` (gone at 0; a new emoji goes last, in order of first use) and, when
 * `mine` is given, this member's own reaction on or off. The same object when nothing changed.
 */
export function withReaction(m: ShownMessage, emoji: string, count: number, mine?: boolean): ShownMessage {
  const held = m.reactions ?? [];
  const i = held.findIndex((r) => r.emoji === emoji);
  let reactions: ReactionCount[] = held;
  if (count <= 0) reactions = i < 0 ? held : held.filter((_, j) => j !== i);
  else if (i < 0) reactions = held.length >= LIMITS.reactionsMax ? held : [...held, { emoji, count }];
  else if (held[i].count !== count) reactions = held.map((r, j) => (j === i ? { emoji, count } : r));
  const was = m.mine ?? [];
  const on = count > 0 && (mine ?? was.includes(emoji));
  const own = on === was.includes(emoji) ? was : on ? [...was, emoji] : was.filter((e) => e !== emoji);
  if (reactions === held && own === was) return m;
  const next: ShownMessage = { ...m, reactions, mine: own };
  if (reactions.length === 0) delete next.reactions;
  return next;
}

/** `m` after update `u` (the same object when `u` does not change it; a deleted message changes no more). */
export function applyChange(m: ShownMessage, u: Update, me: string | undefined): ShownMessage {
  if (u.target !== m.id || m.deleted) return m;
  if (u.delete) {
    const { type, room, id, ts, from, cid, via, editedAt } = m;
    const tomb: ShownMessage = { type, room, id, ts, from, text: '', cid, via, deleted: true };
    if (editedAt !== undefined) tomb.editedAt = editedAt;
    return tomb;
  }
  if (u.edit) {
    return m.text === u.edit.text && m.editedAt === u.edit.editedAt ? m : { ...m, text: u.edit.text, editedAt: u.edit.editedAt };
  }
  if (u.reaction) return withReaction(m, u.reaction.emoji, u.reaction.count, u.from.id === me ? u.reaction.on : undefined);
  return m;
}

/** The index of message `id` in an id-sorted list, or -1. */
export function indexOfId(list: readonly ChatMessage[], id: number): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].id === id) return mid;
    if (list[mid].id < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** A reply whose quote follows an edit or deletion of the message it quotes. */
function requote(m: ShownMessage, u: Update): ShownMessage {
  const q = m.replyTo;
  if (!q || q.id !== u.target || !(u.edit || u.delete)) return m;
  if (u.delete) return q.text === '' && q.files === undefined ? m : { ...m, replyTo: { id: q.id, from: q.from, text: '' } };
  const text = quoteText(u.edit!.text);
  return q.text === text ? m : { ...m, replyTo: { ...q, text } };
}

/**
 * The window after update `u`: its target changed (when the window holds it) and the quotes of the
 * replies to it. The same array when nothing changed.
 */
export function applyUpdate(list: ShownMessage[], u: Update, me: string | undefined): ShownMessage[] {
  let out = list;
  const set = (i: number, m: ShownMessage) => {
    if (m === out[i]) return;
    if (out === list) out = list.slice();
    out[i] = m;
  };
  const i = indexOfId(list, u.target);
  if (i >= 0) set(i, applyChange(list[i], u, me));
  if (u.edit || u.delete) {
    // Replies come after what they quote.
    for (let j = i >= 0 ? i + 1 : 0; j < list.length; j++) if (list[j].replyTo) set(j, requote(list[j], u));
  }
  return out;
}

/** This member's reaction `emoji` on message `id` is on (or off) now: its `react` was acked. */
export function setMine(list: ShownMessage[], id: number, emoji: string, on: boolean): ShownMessage[] {
  const i = indexOfId(list, id);
  if (i < 0 || list[i].deleted) return list;
  const m = list[i];
  const held = m.mine ?? [];
  if (held.includes(emoji) === on) return list;
  const out = list.slice();
  out[i] = { ...m, mine: on ? [...held, emoji] : held.filter((e) => e !== emoji) };
  return out;
}

/** Whether this member's reaction `emoji` is known to be on `m`. */
export const isMine = (m: ShownMessage, emoji: string): boolean => (m.mine ?? []).includes(emoji);
