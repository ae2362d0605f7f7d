/**
 * The message log on screen: its entries reconciled by key (message id / outbox cid), so a new message
 * adds one node and the nodes that stay are never moved; the scroll position held while the bounded
 * window drops nodes at either end (anchored on the first entry in view); following new messages only
 * while the list shows its end; the "New messages" button; and the line at the top (loading, or the
 * start of the room). Text goes in only through nodes.ts (textContent, never innerHTML).
 */
import { byId, messageNode, outboxNode } from './nodes.js';
import { hasNewer, logItems, type ChatState } from './state.js';

/** Within this many pixels of the bottom counts as "at the bottom" (the list follows new messages). */
const STICK_PX = 48;

export class LogView {
  readonly scroller = byId<HTMLElement>('scroller');
  readonly historyEdge = byId<HTMLElement>('history-edge');
  readonly list = byId<HTMLElement>('messages');
  readonly jump = byId<HTMLButtonElement>('jump');
  /** Set by main.ts when the person sends, so the list jumps to their message. */
  followNext = false;

  private nodes = new Map<string, { node: HTMLElement; sig: string }>();
  private renderedRoom = '';

  render(state: ChatState, prev: ChatState | null): void {
    this.historyEdge.textContent = state.history.loading ? 'Loading messages…'
      : state.history.complete && state.joined ? `This is the start of #${state.room}.`
        : '';
    if (!prev || prev.messages !== state.messages || prev.outbox !== state.outbox || prev.me !== state.me
      || prev.room !== state.room || prev.lastId !== state.lastId) {
      this.renderLog(state, prev);
    }
  }

  /** True when the list shows its last line (new messages keep it there). */
  atBottom(): boolean {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < STICK_PX;
  }

  scrollToBottom(): void {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.jump.hidden = true;
  }

  private renderLog(state: ChatState, prev: ChatState | null): void {
    const roomChanged = this.renderedRoom !== state.room;
    this.renderedRoom = state.room;
    if (roomChanged) { this.nodes.clear(); this.list.replaceChildren(); }
    const s = this.scroller;
    // Follow new messages only while the window ends at the newest (a newer page is read where it lands).
    const heldNewest = !prev || !hasNewer(prev);
    const stick = roomChanged || this.followNext || (this.atBottom() && heldNewest && !hasNewer(state));
    this.followNext = false;
    const anchor = stick ? null : this.firstInView();
    const anchorTop = anchor ? anchor.offsetTop : 0;
    const lastBefore = this.list.lastElementChild;
    const added = this.reconcile(state);
    const grewAtEnd = added > 0 && this.list.lastElementChild !== lastBefore && (lastBefore === null || lastBefore.isConnected);

    if (stick) {
      this.scrollToBottom();
    } else if (anchor && anchor.isConnected && anchor.offsetTop !== anchorTop) {
      // Messages came in (or went) above: keep what the person was reading where it was.
      s.scrollTop += anchor.offsetTop - anchorTop;
    }
    // "New messages": some arrived below what is in view, or beyond the window's end.
    const arrivedBeyond = prev !== null && state.lastId > prev.lastId && hasNewer(state);
    if (!stick && ((grewAtEnd && !this.atBottom()) || arrivedBeyond)) this.jump.hidden = false;
    if (!hasNewer(state) && this.atBottom()) this.jump.hidden = true;
  }

  /** The first log entry whose bottom is below the top of the scroller's view (null when empty). */
  private firstInView(): HTMLElement | null {
    const top = this.scroller.scrollTop;
    for (let e = this.list.firstElementChild as HTMLElement | null; e; e = e.nextElementSibling as HTMLElement | null) {
      if (e.offsetTop + e.offsetHeight > top) return e;
    }
    return null;
  }

  /** Makes the log's children match the state's items; returns how many nodes were created. */
  private reconcile(state: ChatState): number {
    const mine = state.me?.id;
    const items = logItems(state).map((item) => ({
      item, key: item.kind === 'message' ? `m${item.m.id}` : `o${item.o.cid}`,
    }));
    // Nodes that go (the window moved past them) go first: the pass below then only inserts, so the
    // nodes that stay are never moved (moving a node restarts its animation and costs a layout).
    const wanted = new Set(items.map((x) => x.key));
    for (const [key, entry] of this.nodes) {
      if (!wanted.has(key)) { entry.node.remove(); this.nodes.delete(key); }
    }
    let created = 0;
    let cursor = this.list.firstElementChild;
    for (const { item, key } of items) {
      const sig = item.kind === 'message' ? '' : `${item.o.status}|${item.o.error ?? ''}`;
      let entry = this.nodes.get(key);
      if (!entry || entry.sig !== sig) {
        const node = item.kind === 'message' ? messageNode(item.m, item.m.from.id === mine) : outboxNode(item.o, state.me);
        node.dataset.key = key;
        if (entry) entry.node.replaceWith(node);
        if (entry && cursor === entry.node) cursor = node;
        entry = { node, sig };
        this.nodes.set(key, entry);
        created++;
      }
      if (entry.node !== cursor) this.list.insertBefore(entry.node, cursor);
      else cursor = cursor.nextElementSibling;
    }
    while (cursor) {
      const next = cursor.nextElementSibling;
      cursor.remove();
      cursor = next;
    }
    return created;
  }
}
