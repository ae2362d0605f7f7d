/**
 * Wiring for files (main.ts calls it once): the Attach button opens the hidden file picker; files
 * dropped anywhere on the conversation, or pasted into the message box (a screenshot from the
 * clipboard, named "pasted-image-<time>.png"), become chips too; a chip's Remove / Cancel and Retry;
 * and an image of a message opens full size in the dialog. Input in, controller calls out.
 */
import { pastedName } from './attachments-state.js';
import type { ChatController } from './controller.js';
import type { View } from './view.js';

/** Whether a drag carries files (not text or a link dragged around the page). */
const carriesFiles = (ev: DragEvent) => ev.dataTransfer !== null && [...ev.dataTransfer.types].includes('Files');

/** Pasted images get a name of their own (the clipboard calls every one "image.png"). */
function pastedFiles(data: DataTransfer): File[] {
  const now = new Date();
  return [...data.files].map((f) => (f.type.startsWith('image/') ? new File([f], pastedName(f.type, now), { type: f.type, lastModified: now.getTime() }) : f));
}

export function wireAttachments(view: View, controller: ChatController): void {
  const { attach, fileInput, message } = view;
  const add = (files: File[]) => { if (files.length) controller.uploads.attach(files); };

  attach.addEventListener('click', () => fileInput.click());
  fileInput.addEventListener('change', () => {
    add([...(fileInput.files ?? [])]);
    fileInput.value = ''; // the same file may be picked again
    message.focus();
  });

  // Drag and drop onto the conversation: it shows it takes the files while they are over it.
  const zone = view.chat;
  let depth = 0;
  const over = (on: boolean) => zone.classList.toggle('is-dropping', on);
  zone.addEventListener('dragenter', (ev) => {
    if (!carriesFiles(ev)) return;
    ev.preventDefault();
    depth++;
    over(true);
  });
  zone.addEventListener('dragover', (ev) => {
    if (!carriesFiles(ev)) return;
    ev.preventDefault();
    ev.dataTransfer!.dropEffect = 'copy';
  });
  zone.addEventListener('dragleave', (ev) => {
    if (!carriesFiles(ev)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) over(false);
  });
  zone.addEventListener('drop', (ev) => {
    depth = 0;
    over(false);
    if (!carriesFiles(ev)) return;
    ev.preventDefault();
    add([...ev.dataTransfer!.files]);
    message.focus();
  });

  // A file dropped beside the conversation must not make the browser leave the page to show it.
  for (const type of ['dragover', 'drop'] as const) {
    window.addEventListener(type, (ev) => { if (carriesFiles(ev) && !ev.defaultPrevented) ev.preventDefault(); });
  }

  // Paste: files on the clipboard are attached; text with them (a spreadsheet's cells) still pastes as text.
  message.addEventListener('paste', (ev) => {
    const data = ev.clipboardData;
    if (!data || data.files.length === 0) return;
    if (!data.types.includes('text/plain')) ev.preventDefault();
    add(pastedFiles(data));
  });

  // A chip's buttons. Removing one moves focus to the next chip's, or back to the box.
  view.uploads.list.addEventListener('click', (ev) => {
    const t = ev.target as HTMLElement;
    const remove = t.closest<HTMLElement>('[data-upload-remove]')?.dataset.uploadRemove;
    if (remove !== undefined) {
      const chip = t.closest('li');
      const next = (chip?.nextElementSibling ?? chip?.previousElementSibling)?.querySelector<HTMLElement>('[data-upload-remove]');
      controller.uploads.remove(remove);
      (next ?? message).focus();
      return;
    }
    const retry = t.closest<HTMLElement>('[data-upload-retry]')?.dataset.uploadRetry;
    if (retry !== undefined) controller.uploads.retry(retry);
  });

  // An image of a message: full size in the dialog (a click, or Enter / Space on its button).
  view.log.list.addEventListener('click', (ev) => {
    const b = (ev.target as HTMLElement).closest<HTMLElement>('[data-image]');
    if (!b) return;
    view.imageDialog.open(b.dataset.image!, b.dataset.imageName ?? '', b);
  });
}
