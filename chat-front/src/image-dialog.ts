/**
 * An image of a message at full size, in a native modal <dialog>: its name as the heading and the
 * image's alt text, a Download link and a Close button (focused first); Escape or a click beside the
 * image closes it, and focus goes back to the image that opened it (found again by its message and
 * part if the log rebuilt that message meanwhile).
 */
import { byId } from './nodes.js';

export class ImageDialog {
  readonly dialog = byId<HTMLDialogElement>('image-dialog');
  private readonly title = byId<HTMLElement>('image-dialog-title');
  private readonly img = byId<HTMLImageElement>('image-dialog-img');
  private readonly download = byId<HTMLAnchorElement>('image-dialog-download');
  private readonly close = byId<HTMLButtonElement>('image-dialog-close');
  private opener: { node: HTMLElement; key: string | undefined; fk: string | undefined } | null = null;

  constructor(private readonly log: HTMLElement) {
    this.close.addEventListener('click', () => this.dialog.close());
    // A click on the backdrop (the dialog itself, outside its content) closes it.
    this.dialog.addEventListener('click', (ev) => { if (ev.target === this.dialog) this.dialog.close(); });
    // Escape is the dialog's (it closes), not the page's.
    this.dialog.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') ev.stopPropagation(); });
    this.dialog.addEventListener('close', () => this.restoreFocus());
  }

  /** Opens image `url` named `name`; `from` (the image's button) gets focus back when it closes. */
  open(url: string, name: string, from: HTMLElement): void {
    const row = from.closest<HTMLElement>('[data-key]');
    this.opener = { node: from, key: row?.dataset.key, fk: from.dataset.fk };
    this.title.textContent = name;
    this.img.alt = name;
    this.img.src = url;
    this.download.href = url;
    this.download.download = name;
    this.download.setAttribute('aria-label', `Download ${name}`);
    if (!this.dialog.open) this.dialog.showModal();
    this.close.focus();
  }

  private restoreFocus(): void {
    const o = this.opener;
    this.opener = null;
    this.img.removeAttribute('src');
    if (!o) return;
    let target: HTMLElement | null = o.node.isConnected ? o.node : null;
    if (!target && o.key && o.fk) {
      const row = this.log.querySelector<HTMLElement>(`[data-key="${CSS.escape(o.key)}"]`);
      target = row?.querySelector<HTMLElement>(`[data-fk="${CSS.escape(o.fk)}"]`) ?? row ?? null;
    }
    target?.focus();
  }
}
