/**
 * The "Change password" form of the account panel: checks the new password as sign-up does, sends
 * `password` {old, new} through the controller, and shows the answer — "changed, N other sessions
 * signed out" in its status line (a polite live region), or why not in its error line (an alert).
 * The fields are emptied once the password changed; they never leave this form otherwise.
 */
import { passwordProblem } from '@livechat/protocol';
import { byId } from './nodes.js';
import { TEXT } from './texts.js';

/** The server's answer to a change: the other sessions it revoked, or why it refused. */
export type PasswordResult = { revoked: number } | { error: string };

export class PasswordForm {
  readonly form = byId<HTMLFormElement>('password-form');
  readonly old = byId<HTMLInputElement>('password-old');
  readonly next = byId<HTMLInputElement>('password-new');
  readonly error = byId<HTMLElement>('password-error');
  readonly status = byId<HTMLElement>('password-status');

  /** `change` sends the request; it returns why it could not (null: sent). */
  constructor(private readonly change: (old: string, next: string) => string | null) {
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.submit();
    });
    for (const f of [this.old, this.next]) f.addEventListener('input', () => { this.error.textContent = ''; });
  }

  submit(): void {
    this.status.textContent = '';
    const why = this.old.value.length === 0 ? TEXT.enterPassword : passwordProblem(this.next.value) ? TEXT.badPassword : null;
    const sent = why ?? this.change(this.old.value, this.next.value);
    this.error.textContent = sent ?? '';
    if (sent) {
      (why === TEXT.enterPassword ? this.old : this.next).focus();
      return;
    }
    this.busy(true);
  }

  /** The answer came. */
  answered(r: PasswordResult): void {
    this.busy(false);
    if ('error' in r) {
      this.error.textContent = r.error;
      this.old.focus();
      return;
    }
    this.old.value = '';
    this.next.value = '';
    this.status.textContent = TEXT.passwordChanged(r.revoked);
  }

  private busy(on: boolean): void {
    this.form.setAttribute('aria-busy', String(on));
    const b = this.form.querySelector<HTMLButtonElement>('button[type=submit]');
    if (b) b.disabled = on;
  }
}
