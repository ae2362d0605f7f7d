/**
 * The message box's surroundings on screen: what the box does (a reply shows the quote it answers
 * with a cancel button, an edit says so; the box's own text follows — an edit fills it with the
 * message, and what was being typed comes back when the edit ends), who else is typing (a polite live
 * region, empty when nobody is), the "Notify me" toggle, and the confirmation a deletion asks for (a
 * native modal <dialog>: focus stays in it, Escape cancels).
 */
import { quoteLabel } from './message-changes.js';
import { memberLabel } from './nodes.js';
import { byId } from './nodes.js';
import { typingLine, type ChatState } from './state.js';
import { TEXT } from './texts.js';

const HINT = {
  message: 'Enter sends, Shift+Enter starts a new line; Up arrow in an empty box edits your last message.',
  reply: 'Enter sends the reply, Escape cancels it.',
  edit: 'Enter saves the edit, Escape cancels it.',
} as const;

export class ComposerView {
  readonly composer = byId<HTMLFormElement>('composer');
  readonly message = byId<HTMLTextAreaElement>('message');
  readonly hint = byId<HTMLElement>('composer-hint');
  readonly context = byId<HTMLElement>('composer-context');
  readonly contextText = byId<HTMLElement>('composer-context-text');
  readonly cancel = byId<HTMLButtonElement>('composer-cancel');
  readonly typing = byId<HTMLElement>('typing');
  readonly notify = byId<HTMLButtonElement>('notify');
  readonly deleteDialog = byId<HTMLDialogElement>('delete-dialog');
  readonly deleteExcerpt = byId<HTMLElement>('delete-excerpt');
  /** What was typed before an edit took the box over. */
  private draft = '';
  /** The placeholder for new messages (view.ts sets it per room). */
  placeholder = '';

  render(state: ChatState, prev: ChatState | null): void {
    const typing = typingLine(state.typing, state.me?.id);
    if (this.typing.textContent !== typing) this.typing.textContent = typing;
    if (prev && prev.composer === state.composer) return;
    const c = state.composer;
    const was = prev?.composer ?? c;
    this.context.hidden = c.mode === 'message';
    this.composer.classList.toggle('is-editing', c.mode === 'edit');
    this.composer.classList.toggle('is-replying', c.mode === 'reply');
    this.hint.textContent = HINT[c.mode];
    if (c.mode === 'reply') {
      const quote = quoteLabel(c.to);
      this.contextText.textContent = `Replying to ${memberLabel(c.to.from)}: ${quote}`;
      this.cancel.setAttribute('aria-label', 'Cancel reply');
    } else if (c.mode === 'edit') {
      this.contextText.textContent = 'Editing your message';
      this.cancel.setAttribute('aria-label', 'Cancel editing');
    } else {
      this.contextText.textContent = '';
    }
    this.message.placeholder = c.mode === 'edit' ? 'Edit your message' : this.placeholder;
    // The box's text: an edit brings the message's, and the draft comes back after it.
    if (c.mode === 'edit' && (was.mode !== 'edit' || was.id !== c.id)) {
      if (was.mode !== 'edit') this.draft = this.message.value;
      this.message.value = c.text;
      this.message.setSelectionRange(c.text.length, c.text.length);
    } else if (c.mode !== 'edit' && was.mode === 'edit') {
      this.message.value = this.draft;
      this.draft = '';
    }
  }

  /** Asks whether to delete the message (`excerpt`); resolves true when the person confirmed. */
  confirmDelete(excerpt: string): Promise<boolean> {
    const d = this.deleteDialog;
    this.deleteExcerpt.textContent = excerpt;
    d.returnValue = '';
    return new Promise((resolve) => {
      d.addEventListener('close', () => resolve(d.returnValue === 'delete'), { once: true });
      d.showModal();
    });
  }

  /** The "Notify me" toggle: shown where the browser can notify, pressed while notifications are on. */
  renderNotify(available: boolean, on: boolean): void {
    this.notify.hidden = !available;
    this.notify.setAttribute('aria-pressed', String(on));
    this.notify.title = on ? 'Notifications are on for direct messages and @mentions while this tab is hidden'
      : 'Get a notification for direct messages and @mentions while this tab is hidden';
  }
}
