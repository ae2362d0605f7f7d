/**
 * Wiring for the message box and what the person does to messages (main.ts wires the rest): Enter
 * sends (or saves an edit), Shift+Enter is a new line, Escape ends a reply or an edit, ↑ in an empty
 * box edits the last own message, every change of the box may tell the room the person types; in the
 * log, a message's actions button discloses Reply / Edit / Delete / the emoji picker (Escape closes it),
 * a reaction chip toggles, a reply's quote goes to the message it answers, Delete asks first; and the
 * "Notify me" toggle. Input in, controller calls out; nothing here holds state of its own.
 */
import type { ChatController } from './controller.js';
import type { Notifier } from './notifications.js';
import { TEXT } from './texts.js';
import type { View } from './view.js';

/** The number in `data-<name>` of the closest element that has it (within the log). */
function dataId(target: EventTarget | null, name: string): number | null {
  const v = (target as HTMLElement | null)?.closest<HTMLElement>(`[data-${name}]`)?.dataset[name];
  const n = v === undefined ? NaN : Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

/** The message (log entry) an element belongs to. */
const messageOf = (target: EventTarget | null): number | null => dataId(target, 'id');

export function wireMessages(view: View, controller: ChatController, notifier: Notifier): void {
  const { message } = view;
  const { log, compose } = view;

  function submit(): void {
    if (controller.state.composer.mode === 'edit') {
      controller.saveEdit(message.value);
    } else if (controller.send(message.value)) {
      message.value = '';
      log.followNext = true;
    }
    message.focus();
  }
  view.composer.addEventListener('submit', (ev) => { ev.preventDefault(); submit(); });
  message.addEventListener('keydown', (ev) => {
    if (ev.isComposing) return;
    const plain = !ev.shiftKey && !ev.altKey && !ev.ctrlKey && !ev.metaKey;
    if (ev.key === 'Enter' && !ev.shiftKey) {
      ev.preventDefault();
      submit();
    } else if (ev.key === 'Escape' && controller.state.composer.mode !== 'message') {
      ev.preventDefault(); // the page's own Escape (the notice) waits for the next one
      controller.cancelCompose();
    } else if (ev.key === 'ArrowUp' && plain && message.value === '' && controller.state.composer.mode !== 'edit') {
      if (controller.editLast()) ev.preventDefault();
    }
  });
  message.addEventListener('input', () => controller.typed(message.value));
  compose.cancel.addEventListener('click', () => { controller.cancelCompose(); message.focus(); });

  // A message's actions: one disclosure at a time; what is picked closes it.
  const toggleOf = (id: number) => log.list.querySelector<HTMLElement>(`[data-actions="${id}"]`);
  const closeActions = (id: number) => { log.setOpenActions(null); toggleOf(id)?.focus(); };
  log.list.addEventListener('click', (ev) => {
    const t = ev.target as HTMLElement;
    const quote = dataId(t, 'quote');
    if (quote !== null) {
      if (!log.showMessage(quote)) controller.notifyBriefly(TEXT.quoteNotLoaded);
      return;
    }
    const id = messageOf(t);
    if (id === null) return;
    if (t.closest('[data-actions]')) {
      log.setOpenActions(log.openActions === id ? null : id);
      return;
    }
    const emoji = t.closest<HTMLElement>('[data-react]')?.dataset.react;
    if (emoji !== undefined) {
      controller.react(id, emoji);
      if (t.closest('.actions')) closeActions(id);
      return;
    }
    const act = t.closest<HTMLElement>('[data-act]')?.dataset.act;
    if (act === 'reply' || act === 'edit') {
      log.setOpenActions(null);
      if (act === 'reply' ? controller.reply(id) : controller.editMessage(id)) message.focus();
    } else if (act === 'delete') {
      const m = controller.state.messages.find((x) => x.id === id);
      const said = m ? m.text || (m.attachments ?? []).map((a) => a.name).join(', ') : '';
      const excerpt = m ? `${m.from.name}: ${[...said].slice(0, 120).join('')}` : '';
      void compose.confirmDelete(excerpt).then((yes) => {
        if (yes && controller.deleteMessage(id)) { log.setOpenActions(null); message.focus(); } else closeActions(id);
      });
    }
  });
  // Any emoji, typed: one emoji or a reason.
  log.list.addEventListener('submit', (ev) => {
    const form = (ev.target as HTMLElement).closest<HTMLFormElement>('form[data-emoji-form]');
    if (!form) return;
    ev.preventDefault();
    const id = Number(form.dataset.emojiForm);
    const input = form.querySelector<HTMLInputElement>('input')!;
    const error = form.querySelector<HTMLElement>('.emoji-error')!;
    if (controller.react(id, input.value.trim(), true)) closeActions(id);
    else { error.textContent = TEXT.badEmoji; input.focus(); }
  });
  log.list.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape' || log.openActions === null) return;
    const id = messageOf(ev.target);
    if (id !== log.openActions) return;
    ev.preventDefault();
    closeActions(id);
  });
  // Escape in the dialog is the dialog's (cancel), not the page's.
  compose.deleteDialog.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') ev.stopPropagation(); });

  // "Notify me": asks the browser only now; the choice is kept on this device.
  const renderNotify = () => compose.renderNotify(notifier.available, notifier.enabled);
  renderNotify();
  compose.notify.addEventListener('click', () => {
    void notifier.toggle().then((r) => {
      renderNotify();
      if (r === 'denied') controller.notify(TEXT.notificationsBlocked);
      if (r === 'unavailable') controller.notify(TEXT.notificationsUnavailable);
    });
  });
}
