/**
 * The files picked for the next message, above the message box: one chip per file of the room shown
 * with its name, size, a progress bar (a <progress> named for its file) while it uploads, the reason
 * and a Retry button when it failed, and a button that removes it (cancelling its upload). A chip is
 * rebuilt only when its status changes — progress moves the bar in place — so focus on its buttons
 * survives the progress events; the chip's status is read politely when it changes.
 */
import { formatSize } from '@livechat/protocol';
import { fileProblem, filesOf, type PendingFile } from './attachments-state.js';
import { byId, el } from './nodes.js';
import type { ChatState } from './state.js';

const STATUS_TEXT: Record<PendingFile['status'], string> = {
  asking: 'waiting to upload', uploading: 'uploading', done: 'ready to send', failed: 'upload failed',
};

function button(cls: string, text: string, data: Record<string, string>, label: string): HTMLButtonElement {
  const b = el('button', cls, text);
  b.type = 'button';
  Object.assign(b.dataset, data);
  b.setAttribute('aria-label', label);
  b.title = label;
  return b;
}

function chipNode(f: PendingFile): HTMLElement {
  const li = el('li', `upload is-${f.status}`);
  li.dataset.upload = f.id;
  const head = el('div', 'upload-head');
  head.append(el('span', 'upload-name', f.name), el('span', 'upload-size', formatSize(f.size)));
  const state = el('span', 'visually-hidden upload-state', `, ${STATUS_TEXT[f.status]}`);
  head.append(state);
  const busy = f.status === 'asking' || f.status === 'uploading';
  const remove = button('upload-remove', '×', { uploadRemove: f.id, fk: 'remove' }, `${busy ? 'Cancel uploading' : 'Remove'} ${f.name}`);
  head.append(remove);
  li.append(head);
  if (busy) {
    const bar = el('progress', 'upload-bar');
    bar.max = Math.max(1, f.size);
    if (f.status === 'uploading') bar.value = f.loaded; // asking: indeterminate
    bar.setAttribute('aria-label', `Uploading ${f.name}`);
    li.append(bar);
  }
  if (f.status === 'failed') {
    const why = el('p', 'upload-error', f.error ?? '');
    li.append(why);
    // Too big or empty: trying again cannot help, only removing it does.
    if (fileProblem(f.name, f.size) === null) why.append(' ', button('retry', 'Retry', { uploadRetry: f.id, fk: 'retry' }, `Retry uploading ${f.name}`));
  }
  return li;
}

export class UploadChipsView {
  readonly list = byId<HTMLUListElement>('uploads');
  private readonly nodes = new Map<string, { node: HTMLElement; status: string; error?: string }>();

  /** `say`: reads a sentence to screen readers (the page's announcer). */
  constructor(private readonly say: (text: string) => void) {}

  render(state: ChatState, prev: ChatState | null): void {
    if (prev && prev.uploads === state.uploads && prev.room === state.room) return;
    const files = filesOf(state.uploads, state.room);
    this.list.hidden = files.length === 0;
    const wanted = new Set(files.map((f) => f.id));
    for (const [id, n] of this.nodes) if (!wanted.has(id)) { n.node.remove(); this.nodes.delete(id); }
    let cursor = this.list.firstElementChild;
    for (const f of files) {
      let n = this.nodes.get(f.id);
      if (!n || n.status !== f.status || n.error !== f.error) {
        const node = chipNode(f);
        const active = document.activeElement as HTMLElement | null;
        const fk = n && active && n.node.contains(active) ? active.dataset.fk : undefined;
        if (n) {
          if (cursor === n.node) cursor = node;
          n.node.replaceWith(node);
          if (f.status === 'failed' || f.status === 'done') this.say(`${f.name}: ${STATUS_TEXT[f.status]}${f.error ? `. ${f.error}` : ''}`);
        }
        if (fk) (node.querySelector<HTMLElement>(`[data-fk="${fk}"]`) ?? node.querySelector<HTMLElement>('[data-fk="remove"]'))?.focus();
        n = { node, status: f.status, error: f.error };
        this.nodes.set(f.id, n);
      } else if (f.status === 'uploading') {
        const bar = n.node.querySelector('progress');
        if (bar) bar.value = f.loaded;
      }
      if (n.node !== cursor) this.list.insertBefore(n.node, cursor);
      else cursor = cursor.nextElementSibling;
    }
  }
}
