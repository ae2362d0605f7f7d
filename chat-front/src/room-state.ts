/**
 * The current room in the page's state, as pure functions: its messages (a `joined`, live messages,
 * history pages both ways within the bounded window of log-window.ts), its member panel (roster.ts:
 * presence events, `members` pages), and what the log shows. Invariants kept here:
 * - `messages` holds the room's messages in strictly increasing id order, each id once, at most
 *   MESSAGE_WINDOW of them; `lastId` is the newest id seen, which the window may end before while the
 *   person reads older pages.
 * - a `joined` (a join, a rejoin after a reconnect) starts the roster afresh, and settles the outbox
 *   items whose messages it brings.
 * - updates (edits, deletions, reactions: message-changes.ts) apply in id order, live or replayed by a
 *   rejoin, to the messages the window holds — also to those older than the rejoin's `after`; one at or
 *   below `lastEntry` (the newest entry seen live or in a `joined`) was applied already and is skipped.
 * Frames for another room than the current one change nothing.
 */
import type { ChatMessage, ErrorResponse, HistoryResponse, Joined, Member, MembersResponse, Presence, Typing, Update } from '@livechat/protocol';
import { applyLast } from './account.js';
import { freshFiles } from './attachments-state.js';
import { composerAfter } from './composer-state.js';
import { State } from './connection.js';
import { dropOldest, lastIdOf, mergeMessages, mergePage, windowHasNewer, type PageDir } from './log-window.js';
import { applyUpdate as changed, isMessage, isUpdate, setMine, type ShownMessage } from './message-changes.js';
import { failSend, settleOutbox, type OutboxItem } from './outbox.js';
import type { ChatState } from './page-state.js';
import * as R from './roster.js';
import { TEXT } from './texts.js';
import { applyTyping as typers } from './typing-state.js';

/** The `after` to join the current room with: the newest entry seen, once the room was joined before. */
export function joinAfter(state: ChatState): number | undefined {
  return state.resumable ? state.lastEntry : undefined;
}

/** The history epoch that `after` is of (sent with it, so a lost history is told: `joined.reset`). */
export function joinEpoch(state: ChatState): string | undefined {
  return state.resumable && state.epoch !== null ? state.epoch : undefined;
}

/** `updates` (id-sorted) applied to the window; the reply or edit of a message deleted meanwhile ends. */
function withUpdates(state: ChatState, messages: ShownMessage[], updates: readonly Update[]): Pick<ChatState, 'messages' | 'composer'> {
  const me = state.me?.id;
  for (const u of updates) messages = changed(messages, u, me);
  return { messages, composer: updates.length ? composerAfter(state.composer, messages) : state.composer };
}

export function applyJoined(state: ChatState, j: Joined): ChatState {
  if (j.room !== state.room) return state;
  const entries = [...j.messages].sort((a, b) => a.id - b.id);
  const incoming = entries.filter(isMessage);
  // The server lost the room's history (`reset`, or another epoch than ours): the ids we hold are void,
  // what we show of the room goes. A history restarting below what we hold (a server without epochs) too.
  const lost = state.resumable && (j.reset === true || (state.epoch !== null && j.epoch !== undefined && j.epoch !== state.epoch));
  const fresh = !state.resumable || lost || j.last < state.lastId;
  let messages: ShownMessage[];
  let complete: boolean;
  if (fresh) {
    messages = dropOldest(mergeMessages([], incoming));
    complete = messages.length === 0 || messages[0].id <= 1;
  } else if (windowHasNewer(state.messages, state.lastId)) {
    // Reading older pages: what the resume brings is beyond the window's end; it only advances lastId.
    messages = state.messages;
    complete = state.history.complete;
  } else {
    // Messages held already keep their state; their files' URLs are the fresh ones of this frame.
    const merged = mergeMessages(freshFiles(state.messages, incoming), incoming);
    messages = dropOldest(merged);
    complete = state.history.complete && messages.length === merged.length;
  }
  const lastId = Math.max(lastIdOf(messages), lastIdOf(incoming), fresh ? 0 : state.lastId);
  // `joined` covered every entry up to `last`: live ones go on from there.
  const lastEntry = Math.max(lastId, j.last, lastIdOf(entries), fresh ? 0 : state.lastEntry);
  return {
    ...state, joined: true, resumable: true, roster: R.rosterFromJoined(j), lastId, lastEntry,
    epoch: j.epoch ?? (fresh ? null : state.epoch), historyLost: lost || (!fresh && state.historyLost),
    ...withUpdates(state, messages, entries.filter(isUpdate)),
    account: state.account ? applyLast(state.account, j.room, lastEntry) : null,
    history: { loading: false, complete },
    outbox: settleOutbox(state.outbox, state.room, incoming),
    notice: j.truncated && !lost ? TEXT.historyGap : state.notice,
  };
}

/** A live message: appended once (a duplicate changes nothing), the oldest dropped beyond the window. */
export function applyMessage(state: ChatState, m: ChatMessage): ChatState {
  if (m.room !== state.room) return state;
  if (state.account) {
    const account = applyLast(state.account, m.room, m.id);
    if (account !== state.account) state = { ...state, account };
  }
  if (m.id > state.lastEntry) state = { ...state, lastEntry: m.id };
  const outbox = settleOutbox(state.outbox, state.room, [m]);
  if (m.id <= state.lastId && (windowHasNewer(state.messages, state.lastId) || state.messages.some((x) => x.id === m.id))) {
    return outbox === state.outbox ? state : { ...state, outbox };
  }
  if (windowHasNewer(state.messages, state.lastId)) {
    // The window ends further back (older pages are being read): the message loads with the newer pages.
    return { ...state, lastId: m.id, outbox };
  }
  const merged = mergeMessages(state.messages, [m]);
  const messages = dropOldest(merged);
  const complete = state.history.complete && messages.length === merged.length;
  return {
    ...state, messages, lastId: Math.max(state.lastId, m.id), outbox,
    history: complete === state.history.complete ? state.history : { ...state.history, complete },
  };
}

/**
 * A live update: applied to its target when the window holds it (and to the quotes of replies to it);
 * one already seen (at or below `lastEntry`) changes nothing.
 */
export function applyUpdate(state: ChatState, u: Update): ChatState {
  if (u.room !== state.room || u.id <= state.lastEntry) return state;
  const account = state.account ? applyLast(state.account, u.room, u.id) : null;
  return { ...state, lastEntry: u.id, account, ...withUpdates(state, state.messages, [u]) };
}

/** This member's `react` on message `id` was acked: its reaction `emoji` is on (or off) now. */
export function applyOwnReaction(state: ChatState, room: string, id: number, emoji: string, on: boolean): ChatState {
  if (room !== state.room) return state;
  const messages = setMine(state.messages, id, emoji, on);
  return messages === state.messages ? state : { ...state, messages };
}

/** A `typing` frame of the room shown. */
export function applyTyping(state: ChatState, t: Typing): ChatState {
  if (t.room !== state.room) return state;
  const typing = typers(state.typing, t);
  return typing === state.typing ? state : { ...state, typing };
}

/**
 * The answer to a `history` request of `limit`, kept within the window: an older page (scroll-up), a
 * newer page (scroll-down while the window ends before the newest), or the latest page ("New messages").
 */
export function applyHistory(state: ChatState, h: HistoryResponse, limit: number, dir: PageDir = 'older'): ChatState {
  if (h.room !== state.room) return state;
  const incoming = [...h.messages].sort((a, b) => a.id - b.id);
  if (incoming.length === 0) {
    // Nothing before: the start of what is kept. Nothing after: the window holds the newest after all.
    return dir === 'older'
      ? { ...state, history: { loading: false, complete: true } }
      : { ...state, lastId: state.messages.length ? lastIdOf(state.messages) : state.lastId, history: { ...state.history, loading: false } };
  }
  const { messages, droppedOldest } = mergePage(freshFiles(state.messages, incoming), incoming, dir);
  const atStart = messages[0].id <= 1;
  const complete = atStart || (dir === 'older' ? incoming.length < limit : !droppedOldest && state.history.complete);
  return {
    ...state, messages, lastId: Math.max(state.lastId, lastIdOf(messages)),
    history: { loading: false, complete },
    outbox: settleOutbox(state.outbox, state.room, incoming),
  };
}

export function markHistoryLoading(state: ChatState): ChatState {
  return { ...state, history: { ...state.history, loading: true } };
}

/** The `history` request was refused: nothing waits for a page any more (the next scroll asks again). */
export function historyFailed(state: ChatState): ChatState {
  return state.history.loading ? { ...state, history: { ...state.history, loading: false } } : state;
}

/** The id to ask for older history before, or undefined when there is nothing more to load. */
export function olderBefore(state: ChatState): number | undefined {
  if (!state.joined || state.history.loading || state.history.complete) return undefined;
  const first = state.messages[0]?.id;
  return first === undefined || first <= 1 ? undefined : first;
}

/** The window ends before the newest message seen (older pages are being read). */
export function hasNewer(state: ChatState): boolean {
  return windowHasNewer(state.messages, state.lastId);
}

/** The id to ask for newer history after (the window's end), or undefined when it holds the newest. */
export function newerAfter(state: ChatState): number | undefined {
  if (!state.joined || state.history.loading || !hasNewer(state)) return undefined;
  return lastIdOf(state.messages);
}

/** A presence event of the current room (roster.ts: join/leave as set operations, count, sync). */
export function applyPresence(state: ChatState, p: Presence): ChatState {
  if (p.room !== state.room) return state;
  const roster = R.applyPresence(state.roster, p, state.me?.id, state.joined);
  return roster === state.roster ? state : { ...state, roster };
}

/** A page of the member list (answers for another room, or not matching the request in flight, change nothing). */
export function applyMembers(state: ChatState, m: MembersResponse): ChatState {
  if (m.room !== state.room) return state;
  const roster = R.applyPage(state.roster, m);
  return roster === state.roster ? state : { ...state, roster };
}

/**
 * The `members` request to send now, if any: the fresh first page a stale large-room list needs, and
 * with `more` (the person reached the end of the panel) the next page.
 */
export function membersRequest(state: ChatState, more: boolean): { after?: string; limit: number } | undefined {
  if (state.conn !== State.Connected || !state.joined) return undefined;
  return R.pageRequest(state.roster, more);
}

export function markMembersLoading(state: ChatState, after: string | undefined): ChatState {
  return { ...state, roster: R.markPageLoading(state.roster, after) };
}

/** The `members` request was refused: no page is waited for any more. */
export function membersFailed(state: ChatState): ChatState {
  const roster = R.abandonPage(state.roster);
  return roster === state.roster ? state : { ...state, roster };
}

/**
 * An `error` that could not be matched to its request (a server that does not echo rids): a send's cid
 * is retried later or marked failed; any other error becomes a notice, and since it may answer a join,
 * a history or a members request, none of them waits any more.
 */
export function applyError(state: ChatState, e: ErrorResponse, now: number): ChatState {
  const item = e.cid === undefined ? undefined : state.outbox.find((o) => o.cid === e.cid);
  if (!item) return { ...state, notice: e.message, history: { ...state.history, loading: false }, roster: R.abandonPage(state.roster) };
  return { ...state, outbox: failSend(state.outbox, e, now) };
}

/** Members for display: me first, then by name (small room) or in page order (large room). */
export function memberList(state: ChatState): Member[] {
  return R.rosterList(state.roster, state.me?.id);
}

/**
 * What the log shows, in order: the room's messages, then this room's outbox items not yet
 * delivered (those belong at the end, so they wait while the window ends further back).
 */
export type LogItem = { kind: 'message'; m: ShownMessage } | { kind: 'outbox'; o: OutboxItem };

export function logItems(state: ChatState): LogItem[] {
  const items: LogItem[] =
    state.messages.map((m) => ({ kind: 'message', m }));
  if (hasNewer(state)) return items;
  for (const o of state.outbox) if (o.room === state.room) items.push({ kind: 'outbox', o });
  return items;
}
