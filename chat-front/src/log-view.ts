/**
 * The message log on screen: its entries reconciled by key (message id / outbox cid), so a new message
 * adds one node and the nodes that stay are never moved; a message that changed (edited, deleted, a
 * reaction) is rebuilt in place, focus going back to the same part of it; the scroll position held
 * while the bounded window drops nodes at either end (anchored on the first entry in view); following
 * new messages only while the list shows its end; the "New messages" button; the line at the top
 * (loading, or the start of the room); which message's actions are open; and going to the message a
 * reply quotes. Text goes in only through message-node.ts (textContent, never innerHTML).
 */
import { messageNode, outboxNode } from './message-node.js';
import { byId } from './nodes.js';
import { namesMember } from './notifications.js';
import { canDelete, canEdit, hasNewer, logItems, type ChatState, type LogItem } from './state.js';
import { TEXT } from './texts.js';

/** Within this many pixels of the bottom counts as "at the bottom" (the list follows new messages). */
const STICK_PX = 48;

export class LogView {
  readonly scroller = byId<HTMLElement>('scroller');
  readonly historyEdge = byId<HTMLElement>('history-edge');
  /**
   * The log's status line when the server lost the room's earlier history (empty otherwise); view.ts
   * has it read out through the page's polite live region when it appears (the page's one role=status
   * is the connection's).
   */
  readonly historyLost = byId<HTMLElement>('history-lost');
  readonly list = byId<HTMLElement>('messages');
  readonly jump = byId<HTMLButtonElement>('jump');
  /** Set by main.ts when the person sends, so the list jumps to their message. */
  followNext = false;

  /** The message whose actions are disclosed (one at a time). */
  openActions: number | null = null;

  private nodes = new Map<string, { node: HTMLElement; sig: string; item: object }>();
  private renderedRoom = '';
  private shown: ChatState | null = null;

  render(state: ChatState, prev: ChatState | null): void {
    this.historyEdge.textContent = state.history.loading ? 'Loading messages…'
      : state.history.complete && state.joined ? `This is the start of #${state.room}.`
        : '';
    const lost = state.historyLost ? TEXT.historyLost(state.room) : '';
    if (this.historyLost.textContent !== lost) this.historyLost.textContent = lost;
    if (!prev || prev.messages !== state.messages || prev.outbox !== state.outbox || prev.me !== state.me
      || prev.room !== state.room || prev.lastId !== state.lastId || prev.account?.details !== state.account?.details) {
      this.renderLog(state, prev);
    }
  }

  /** Discloses the actions of message `id` (null: none); the one open before closes. */
  setOpenActions(id: number | null): void {
    if (this.openActions === id) return;
    this.openActions = id;
    if (this.shown) this.reconcile(this.shown);
  }

  /** Scrolls to message `id` and focuses it; false when the window does not hold it. */
  showMessage(id: number): boolean {
    const node = this.nodes.get(`m${id}`)?.node;
    if (!node) return false;
    node.scrollIntoView({ block: 'center' });
    node.focus({ preventScroll: true });
    node.classList.remove('flash');
    void node.offsetWidth; // restart the highlight
    node.classList.add('flash');
    return true;
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
    this.shown = state;
    const items = logItems(state).map((item) => ({
      item, key: item.kind === 'message' ? `m${item.m.id}` : `o${item.o.cid}`,
    }));
    if (this.openActions !== null && !items.some((x) => x.item.kind === 'message' && x.item.m.id === this.openActions && !x.item.m.deleted)) {
      this.openActions = null;
    }
    // Nodes that go (the window moved past them) go first: the pass below then only inserts, so the
    // nodes that stay are never moved (moving a node restarts its animation and costs a layout).
    const wanted = new Set(items.map((x) => x.key));
    for (const [key, entry] of this.nodes) {
      if (!wanted.has(key)) { entry.node.remove(); this.nodes.delete(key); }
    }
    let created = 0;
    let cursor = this.list.firstElementChild;
    for (const { item, key } of items) {
      const { sig, build } = this.describe(item, state);
      const now = item.kind === 'message' ? item.m : item.o;
      let entry = this.nodes.get(key);
      if (!entry || entry.sig !== sig || entry.item !== now) {
        const node = build();
        node.dataset.key = key;
        if (entry) {
          node.classList.add('no-anim'); // a change, not an arrival
          const focus = focusWithin(entry.node);
          entry.node.replaceWith(node);
          focus?.(node);
        }
        if (entry && cursor === entry.node) cursor = node;
        entry = { node, sig, item: now };
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

  /** What an entry's node depends on besides the item itself, and how to build it. */
  private describe(item: LogItem, state: ChatState): { sig: string; build: () => HTMLElement } {
    if (item.kind === 'outbox') return { sig: `${item.o.status}|${item.o.error ?? ''}`, build: () => outboxNode(item.o, state.me) };
    const { m } = item;
    const me = state.me;
    const shown = {
      m, own: me !== null && m.from.id === me.id, canEdit: canEdit(state, m), canDelete: canDelete(state, m),
      namesMe: me !== null && m.from.id !== me.id && !m.deleted && (m.mentions?.includes(me.id) === true || namesMember(m.text, me.name)),
      open: this.openActions === m.id,
    };
    return { sig: `${shown.canEdit}|${shown.canDelete}|${shown.namesMe}|${shown.open}`, build: () => messageNode(shown) };
  }
}

/**
 * When focus is inside `node` (about to be replaced): a function that puts it on the same part of the
 * new node (by `data-fk`; the row itself otherwise), keeping what was typed in a field.
 */
function focusWithin(node: HTMLElement): ((next: HTMLElement) => void) | null {
  const active = document.activeElement as HTMLElement | null;
  if (!active || !node.contains(active)) return null;
  const fk = active.dataset.fk;
  const value = active instanceof HTMLInputElement ? active.value : null;
  return (next) => {
    const target = (fk ? next.querySelector<HTMLElement>(`[data-fk="${CSS.escape(fk)}"]`) : null) ?? next;
    if (value !== null && target instanceof HTMLInputElement) target.value = value;
    target.focus({ preventScroll: true });
  };
}
