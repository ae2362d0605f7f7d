/**
 * The bounded window of one room's messages that the page holds in memory and shows, as pure
 * functions over id-sorted lists. A page left open all day must not grow without bound, so the
 * window keeps at most MESSAGE_WINDOW messages, contiguous in id:
 * - live messages and newer pages append and drop the oldest (they reload on scroll-up, as history
 *   always did);
 * - an older page prepends and drops the newest; the window then ends before the room's last id
 *   (`hasNewer`), live messages only advance that id, and scrolling down (or "New messages") loads
 *   the newer pages again.
 */
/** What the window holds: anything with a room entry id (the page's messages). */
interface HasId { readonly id: number }

/** At most this many messages are held (and rendered) at once. */
export const MESSAGE_WINDOW = 400;

export const firstIdOf = (list: readonly HasId[]) => (list.length ? list[0].id : 0);
export const lastIdOf = (list: readonly HasId[]) => (list.length ? list[list.length - 1].id : 0);

function isAscending(list: readonly HasId[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i].id <= list[i - 1].id) return false;
  return true;
}

/** Merges two id-sorted message lists into one id-sorted list with each id once (the first copy wins). */
export function mergeMessages<T extends HasId>(a: readonly T[], b: readonly T[]): T[] {
  if (b.length === 0) return a as T[];
  // The common case: everything new is newer than everything held.
  if (isAscending(b) && b[0].id > lastIdOf(a)) return a.concat(b);
  const byId = new Map<number, T>();
  for (const m of a) byId.set(m.id, m);
  for (const m of b) if (!byId.has(m.id)) byId.set(m.id, m);
  return [...byId.values()].sort((x, y) => x.id - y.id);
}

/** The newest `max` of an id-sorted list (the same array when it already fits). */
export function dropOldest<T>(list: T[], max = MESSAGE_WINDOW): T[] {
  return list.length > max ? list.slice(list.length - max) : list;
}

/** The oldest `max` of an id-sorted list (the same array when it already fits). */
export function dropNewest<T>(list: T[], max = MESSAGE_WINDOW): T[] {
  return list.length > max ? list.slice(0, max) : list;
}

/** The window ends before `lastId`: newer messages exist that it does not hold. */
export function windowHasNewer(list: readonly HasId[], lastId: number): boolean {
  return list.length > 0 && lastIdOf(list) < lastId;
}

/** Which way a `history` request pages the window ("latest": the answer to "New messages"). */
export type PageDir = 'older' | 'newer' | 'latest';

/**
 * A history page merged into the window: an older page drops the newest beyond the bound, a newer
 * one the oldest; the latest page replaces the window when it does not join on to its end (the
 * messages between were never loaded). `droppedOldest`: the start of the room may no longer be held.
 */
export function mergePage<T extends HasId>(held: T[], incoming: T[], dir: PageDir): { messages: T[]; droppedOldest: boolean } {
  if (incoming.length === 0) return { messages: held, droppedOldest: false };
  if (dir === 'latest' && held.length > 0 && incoming[0].id > lastIdOf(held) + 1) {
    return { messages: dropOldest(incoming), droppedOldest: true };
  }
  const merged = mergeMessages(held, incoming);
  if (dir === 'older') return { messages: dropNewest(merged), droppedOldest: false };
  const messages = dropOldest(merged);
  return { messages, droppedOldest: messages.length < merged.length };
}
