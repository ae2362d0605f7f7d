/**
 * The member panel on screen: the heading's count, a large room's "Showing 200 of 8,001" with its way
 * to load more, and the list itself, reconciled by member (a next page only appends). Signed in,
 * another account's entry is a "Message Ann" button. It also tells main.ts when the list shows its
 * end, so a large room's next page can be asked for.
 */
import { isAccountId } from '@livechat/protocol';
import { byId, memberNode } from './nodes.js';
import { hasMorePages, rosterSummary } from './roster.js';
import { memberList, type ChatState } from './state.js';

const countFmt = new Intl.NumberFormat();
const formatCount = (n: number) => countFmt.format(n);
/** The member list scrolled this close to its end asks for the next page (large rooms). */
const MORE_MEMBERS_PX = 160;

export class MemberView {
  readonly list = byId<HTMLUListElement>('members');
  readonly label = byId<HTMLElement>('members-label');
  readonly count = byId<HTMLElement>('member-count');
  readonly more = byId<HTMLElement>('members-more');
  readonly shown = byId<HTMLElement>('members-shown');
  readonly load = byId<HTMLButtonElement>('members-load');
  private nodes = new Map<string, HTMLElement>();

  /** `sidebar`: the strip the list sits in (it scrolls sideways on a phone). */
  constructor(private readonly sidebar: HTMLElement) {}

  render(state: ChatState, prev: ChatState | null): void {
    if (prev && prev.roster === state.roster && prev.me === state.me) return;
    this.renderPanel(state);
    if (!prev || prev.roster.members !== state.roster.members || prev.roster.large !== state.roster.large || prev.me !== state.me
      || (prev.account === null) !== (state.account === null)) {
      this.renderList(state);
    }
  }

  /**
   * True when the member list shows its end (it scrolls down on a wide screen, the sidebar strip
   * sideways on a phone), or everything fits: a large room then wants its next page.
   */
  atEnd(): boolean {
    const ul = this.list;
    if (ul.getClientRects().length === 0) return false; // not shown
    if (ul.scrollHeight > ul.clientHeight + 1) return ul.scrollHeight - ul.scrollTop - ul.clientHeight < MORE_MEMBERS_PX;
    const strip = this.sidebar;
    if (strip.scrollWidth > strip.clientWidth + 1) return strip.scrollWidth - strip.scrollLeft - strip.clientWidth < MORE_MEMBERS_PX;
    if (strip.scrollHeight > strip.clientHeight + 1) return strip.scrollHeight - strip.scrollTop - strip.clientHeight < MORE_MEMBERS_PX;
    return true;
  }

  /** The heading's count, and in a large room how much of the list is shown and a way to load more. */
  private renderPanel(state: ChatState): void {
    const r = state.roster;
    const { heading, shown } = rosterSummary(r, formatCount);
    this.label.hidden = r.large;
    this.count.textContent = heading;
    this.more.hidden = shown === null;
    this.shown.textContent = shown ?? '';
    this.load.hidden = !hasMorePages(r) || r.inFlight !== null;
  }

  /** Makes the list's items match the roster, reusing each member's node (a next page only appends). */
  private renderList(state: ChatState): void {
    const mine = state.me?.id;
    const dm = state.account !== null;
    const list = memberList(state).map((m) => {
      const canDm = dm && m.id !== mine && isAccountId(m.id);
      return { m, canDm, key: `${m.id === mine ? '1' : '0'}${canDm ? '1' : '0'}${m.id}\u0000${m.name}` };
    });
    const wanted = new Set(list.map((x) => x.key));
    for (const [key, node] of this.nodes) if (!wanted.has(key)) node.remove();
    const seen = new Map<string, HTMLElement>();
    let cursor = this.list.firstElementChild;
    for (const { m, key, canDm } of list) {
      const node = this.nodes.get(key) ?? memberNode(m, m.id === mine, canDm);
      seen.set(key, node);
      if (node !== cursor) this.list.insertBefore(node, cursor);
      else cursor = cursor.nextElementSibling;
    }
    while (cursor) {
      const next = cursor.nextElementSibling;
      cursor.remove();
      cursor = next;
    }
    this.nodes = seen;
  }
}
