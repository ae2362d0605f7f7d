/**
 * The member panel's state (one room's roster) as plain data, and the pure functions that change it.
 * state.ts holds one Roster per current room and applies server frames through these.
 *
 * Two modes, as the protocol's "Large rooms" section has them:
 * - small: `members` is the room's whole list, kept by join/leave events (set operations) and
 *   replaced by a `sync`;
 * - large (`joined.membersTruncated`, or a `count` event): only `count` is pushed. The page holds the
 *   pages of the list it asked for (`members` requests, ascending member id) up to ROSTER_CAP entries,
 *   with the `next` cursor; it never tries to hold everyone.
 * At most one `members` request is in flight (`inFlight` is its cursor), so an answer is matched to
 * it by cursor: an answer nobody waits for, or one that does not start after the cursor, is dropped.
 */
import type { Joined, Member, MembersResponse, Presence } from '@livechat/protocol';

/** A large room's list stops growing at this many entries ("showing 2,000 of 8,001"). */
export const ROSTER_CAP = 2000;
/** Members asked for per page (the server's default). */
export const ROSTER_PAGE = 200;

/** `inFlight` of a first-page request (no `after`). */
export const FIRST_PAGE = '';

export interface Roster {
  /** Members in the room cluster-wide, exact (from `joined` and presence events). */
  count: number;
  /** The room is large: counts are pushed, the list comes in pages on request. */
  large: boolean;
  /** Small room: the whole list. Large room: the pages loaded so far (at most ROSTER_CAP). */
  members: Record<string, Member>;
  /** Large room: the `after` of the next page; null when the last page came or the cap is reached. */
  next: string | null;
  /** Large room: what is held is not a first page's start (the room just turned large): a fresh first page is due. */
  stale: boolean;
  /** The cursor of the `members` request in flight (FIRST_PAGE for the first page), null when none is. */
  inFlight: string | null;
}

export function emptyRoster(): Roster {
  return { count: 0, large: false, members: byId([]), next: null, stale: false, inFlight: null };
}

/** Members by id, in an object without a prototype: any id (even "__proto__") is just a key. */
const byId = (list: readonly Member[]): Record<string, Member> => {
  const out: Record<string, Member> = Object.create(null) as Record<string, Member>;
  for (const m of list) out[m.id] = m;
  return out;
};
const has = (members: Record<string, Member>, id: string) => Object.prototype.hasOwnProperty.call(members, id);
/** Member ids compare as the server orders them (code units, not locale). */
const ascending = (a: Member, b: Member) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const size = (r: Roster) => Object.keys(r.members).length;

/** A `joined`: the room's roster afresh (a rejoin after a reconnect resets any paging). */
export function rosterFromJoined(j: Joined): Roster {
  const members = byId(j.members);
  const count = Number.isFinite(j.count) ? j.count : j.members.length;
  if (!j.membersTruncated) return { ...emptyRoster(), count, members };
  // `members` is the first page in ascending id: the next page starts after its last id.
  const held = [...j.members].sort(ascending);
  const capped = capTo(held);
  const last = capped.length ? capped[capped.length - 1].id : null;
  return {
    count, large: true, members: byId(capped), inFlight: null,
    next: capped.length >= ROSTER_CAP ? null : last,
    stale: last === null,
  };
}

const capTo = (list: Member[]) => (list.length > ROSTER_CAP ? list.slice(0, ROSTER_CAP) : list);

/**
 * Whether a member id falls inside the part of the list a large room holds (before the next page),
 * so that an event about it can be applied without leaving a hole or a stray entry.
 */
function withinHeld(r: Roster, id: string): boolean {
  if (!r.large) return true;
  if (r.stale) return false;
  return r.next === null ? size(r) < ROSTER_CAP : id <= r.next;
}

/**
 * A presence event. join/leave are set operations (a join of a listed member or a leave of an
 * unlisted one changes nothing); `myId` is kept listed while `joined` (a stale leave of myself).
 * `count` makes the room large (the list held goes stale); `sync` makes it small with the whole list.
 */
export function applyPresence(r: Roster, p: Presence, myId: string | undefined, joined: boolean): Roster {
  switch (p.event) {
    case 'count':
      if (r.large) return p.count === r.count ? r : { ...r, count: p.count };
      return { ...r, count: p.count, large: true, members: byId([]), next: null, stale: true };
    case 'sync':
      return { ...r, count: p.count, large: false, members: byId(p.members), next: null, stale: false };
    case 'join': {
      const listed = has(r.members, p.member.id);
      const add = !listed && withinHeld(r, p.member.id);
      const members = add ? byId([...Object.values(r.members), p.member]) : r.members;
      const count = p.count ?? (r.large ? r.count : Object.keys(members).length);
      return members === r.members && count === r.count ? r : { ...r, members, count };
    }
    case 'leave': {
      const keep = p.member.id === myId && joined;
      const listed = has(r.members, p.member.id);
      let members = r.members;
      if (listed && !keep) {
        members = byId(Object.values(r.members).filter((m) => m.id !== p.member.id));
      }
      const count = p.count ?? (r.large ? r.count : Object.keys(members).length);
      return members === r.members && count === r.count ? r : { ...r, members, count };
    }
    default:
      return r;
  }
}

/**
 * The `members` request due now, if any: a fresh first page when the list is stale; with `more`
 * (the person reached the end of the panel) also the next page, until the last one or the cap.
 */
export function pageRequest(r: Roster, more: boolean): { after?: string; limit: number } | undefined {
  if (!r.large || r.inFlight !== null) return undefined;
  if (r.stale) return { limit: ROSTER_PAGE };
  if (!more || r.next === null) return undefined;
  const room = ROSTER_CAP - size(r);
  return room > 0 ? { after: r.next, limit: Math.min(ROSTER_PAGE, room) } : undefined;
}

/** A `members` request with this cursor (undefined: the first page) went out. */
export function markPageLoading(r: Roster, after: string | undefined): Roster {
  return { ...r, inFlight: after ?? FIRST_PAGE };
}

/** The answer to a `members` request was lost (the socket closed, or an error answered it). */
export function abandonPage(r: Roster): Roster {
  return r.inFlight === null ? r : { ...r, inFlight: null };
}

/** A `members` answer (already known to be for this room). */
export function applyPage(r: Roster, res: MembersResponse): Roster {
  // Nobody waits for it (a reconnect or a sync came in between), or the room is small again: the list is whole.
  if (r.inFlight === null) return r;
  if (!r.large) return { ...r, inFlight: null };
  const first = r.inFlight === FIRST_PAGE;
  const page = [...res.members].sort(ascending);
  // An answer to another cursor than the one asked for, or asked for before the list went stale:
  // dropped, and nothing waits any more (the next scroll, or the stale list, asks again).
  if (!first && (r.stale || page.some((m) => m.id <= r.inFlight!))) return { ...r, inFlight: null };
  const merged = first ? byId(page) : byId([...Object.values(r.members), ...page.filter((m) => !has(r.members, m.id))]);
  let list = Object.values(merged);
  let next: string | null = res.next ?? null;
  if (list.length >= ROSTER_CAP) {
    list = capTo(list.sort(ascending));
    next = null;
  }
  return { ...r, members: list.length === Object.keys(merged).length ? merged : byId(list), next, stale: false, inFlight: null };
}

/** The roster in display order: me first, then by name (small) or in page order, ascending id (large). */
export function rosterList(r: Roster, myId: string | undefined): Member[] {
  const mine = (a: Member, b: Member) => (a.id === myId ? -1 : b.id === myId ? 1 : 0);
  const rest = r.large ? ascending : (a: Member, b: Member) => a.name.localeCompare(b.name) || ascending(a, b);
  return Object.values(r.members).sort((a, b) => mine(a, b) || rest(a, b));
}

/** What the panel says about the list: the heading's count, and in a large room how much is shown. */
export function rosterSummary(r: Roster, fmt: (n: number) => string): { heading: string; shown: string | null } {
  if (!r.large) return { heading: fmt(r.count), shown: null };
  const heading = `${fmt(r.count)} ${r.count === 1 ? 'member' : 'members'}`;
  if (r.stale) return { heading, shown: 'Loading members…' };
  const held = size(r);
  const more = r.inFlight !== null ? ' · loading more…' : '';
  return { heading, shown: `Showing ${fmt(held)} of ${fmt(Math.max(r.count, held))}${more}` };
}

/** More pages can be asked for (for the panel's "load more" affordance). */
export function hasMorePages(r: Roster): boolean {
  return r.large && !r.stale && r.next !== null && size(r) < ROSTER_CAP;
}
