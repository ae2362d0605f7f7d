/**
 * The message box's mode, as pure functions over the page's state: writing a new message, replying to
 * one (its quote shows above the box and goes out with the message as `replyTo`), or editing one of
 * this member's own messages (Enter saves, Escape cancels; ↑ in an empty box edits the last one, as
 * Slack does). Also who may do what to a message: edit its author only; delete its author, or in a
 * private room its owner (known from the `room` answer). A reply or an edit whose message is deleted
 * meanwhile, or a room left, ends it.
 */
import { roomKind } from '@livechat/protocol';
import { ownedDetails } from './account.js';
import { indexOfId, quoteOf, type ShownMessage } from './message-changes.js';
import { WRITING, type ChatState, type Composer } from './page-state.js';

/** Message `id` of the window, if held. */
export function messageById(state: ChatState, id: number): ShownMessage | undefined {
  const i = indexOfId(state.messages, id);
  return i < 0 ? undefined : state.messages[i];
}

const isOwn = (state: ChatState, m: ShownMessage): boolean => state.me !== null && m.from.id === state.me.id;

/** This member may edit `m`: its own, not deleted. */
export const canEdit = (state: ChatState, m: ShownMessage): boolean => !m.deleted && isOwn(state, m);

/** This member may delete `m`: its own, or any in a private room it owns. */
export function canDelete(state: ChatState, m: ShownMessage): boolean {
  if (m.deleted) return false;
  if (isOwn(state, m)) return true;
  return roomKind(state.room) === 'private' && ownedDetails(state.account, state.room, state.me?.id) !== undefined;
}

/** Replying to message `id` (not a deleted one). */
export function startReply(state: ChatState, id: number): ChatState {
  const m = messageById(state, id);
  if (!m || m.deleted) return state;
  return { ...state, composer: { mode: 'reply', to: quoteOf(m) } };
}

/** Editing message `id` (this member's own). */
export function startEdit(state: ChatState, id: number): ChatState {
  const m = messageById(state, id);
  if (!m || !canEdit(state, m)) return state;
  return { ...state, composer: { mode: 'edit', id, text: m.text } };
}

/** The message ↑ edits: this member's newest one in the window that is not deleted. */
export function lastEditable(state: ChatState): ShownMessage | undefined {
  for (let i = state.messages.length - 1; i >= 0; i--) if (canEdit(state, state.messages[i])) return state.messages[i];
  return undefined;
}

/** Back to writing a new message (the reply was sent or cancelled, the edit saved or cancelled). */
export function endCompose(state: ChatState): ChatState {
  return state.composer.mode === 'message' ? state : { ...state, composer: WRITING };
}

/** A reply or an edit whose message was deleted ends (the edit of a message no longer held goes on: it is saved by id). */
export function composerAfter(composer: Composer, messages: readonly ShownMessage[]): Composer {
  const id = composer.mode === 'reply' ? composer.to.id : composer.mode === 'edit' ? composer.id : 0;
  if (id === 0) return composer;
  const i = indexOfId(messages, id);
  return i >= 0 && messages[i].deleted ? WRITING : composer;
}
