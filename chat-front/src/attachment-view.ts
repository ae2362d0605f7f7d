/**
 * Files on screen: a message's attachments — an image inline (its thumbnail, at its own proportions
 * within a box so the log does not jump when it loads; a button that opens it full size,
 * image-dialog.ts), any other file a download chip with its name and size — and the files an outbox
 * item carries (name and size until the message arrives). Names go in only through textContent and
 * attributes, never as markup.
 */
import { formatSize, isInlineImage, type Attachment } from '@livechat/protocol';
import { fitBox } from './attachments-state.js';
import { el } from './nodes.js';
import type { OutboxFile } from './outbox.js';

/** The box an inline image is drawn within (CSS shrinks it further on a narrow screen). */
export const IMAGE_BOX = { width: 360, height: 280 } as const;

/** A small document drawn beside a file's name (decorative). */
function fileIcon(): HTMLElement {
  const icon = el('span', 'file-icon');
  icon.setAttribute('aria-hidden', 'true');
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '20');
  svg.setAttribute('height', '20');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', 'M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm7 1.5V9h5.5L13 3.5z');
  svg.append(path);
  icon.append(svg);
  return icon;
}

/** An image: a button holding its thumbnail; activating it opens the full image. */
function imageNode(a: Attachment): HTMLElement {
  const b = el('button', 'attachment-image');
  b.type = 'button';
  b.dataset.image = a.url;
  b.dataset.imageName = a.name;
  b.dataset.fk = `file:${a.key}`;
  b.setAttribute('aria-haspopup', 'dialog');
  b.title = `${a.name} (${formatSize(a.size)}): open full size`;
  const img = el('img');
  img.src = a.thumb ?? a.url;
  img.alt = a.name;
  img.loading = 'lazy';
  img.decoding = 'async';
  if (a.width !== undefined && a.height !== undefined) {
    const box = fitBox(a.width, a.height, IMAGE_BOX.width, IMAGE_BOX.height);
    img.width = box.width;
    img.height = box.height;
  }
  b.append(img);
  return b;
}

/** Any other file: a download link with its name and size. */
function downloadNode(a: Pick<Attachment, 'key' | 'name' | 'size'> & { url?: string }): HTMLElement {
  const link = a.url === undefined ? el('span', 'attachment-file is-pending') : el('a', 'attachment-file');
  if (link instanceof HTMLAnchorElement && a.url !== undefined) {
    link.href = a.url;
    link.download = a.name;
    link.rel = 'noopener';
    link.dataset.fk = `file:${a.key}`;
    link.title = `Download ${a.name}`;
  }
  link.append(fileIcon(), el('span', 'file-name', a.name), el('span', 'file-size', formatSize(a.size)));
  return link;
}

function group(items: HTMLElement[]): HTMLElement {
  const g = el('div', 'attachments');
  g.setAttribute('role', 'group');
  g.setAttribute('aria-label', items.length === 1 ? 'Attachment' : `${items.length} attachments`);
  g.append(...items);
  return g;
}

/** A message's files (images first as the server ordered them, each as it is shown). */
export function attachmentsNode(list: readonly Attachment[]): HTMLElement {
  return group(list.map((a) => (isInlineImage(a.mime) ? imageNode(a) : downloadNode(a))));
}

/** The files of a message not stored yet: names and sizes, nothing to open. */
export function outboxFilesNode(list: readonly OutboxFile[]): HTMLElement {
  return group(list.map((f) => downloadNode(f)));
}
