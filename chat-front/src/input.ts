/**
 * What a person types, checked as the server will check it, so the page can explain a refusal
 * before sending anything: room names (capitals and a leading '#' allowed), names (NFKC, no control
 * characters, something visible), the account form (username and password), and message text
 * (stripped of what the server would refuse). The explanations come from texts.ts.
 */
import { LIMITS, charLength, cleanName, nameProblem, passwordProblem } from '@livechat/protocol';
import { TEXT } from './texts.js';

/** Room names as the protocol accepts them; the person may type capitals or a leading '#'. */
export function normaliseRoom(raw: string): string | null {
  const r = raw.trim().replace(/^#/, '').toLowerCase();
  return LIMITS.roomPattern.test(r) ? r : null;
}

/** A name as the server will store it, or an explanation (for people) of what is wrong. */
export function checkName(raw: string): { ok: true; name: string } | { ok: false; error: string } {
  const name = cleanName(raw);
  const len = charLength(name);
  if (len > LIMITS.nameMax) return { ok: false, error: TEXT.nameTooLong };
  const problem = nameProblem(raw);
  if (problem && /control|surrogate/.test(problem)) return { ok: false, error: TEXT.nameControls };
  if (problem || len < 1) return { ok: false, error: TEXT.nameInvisible };
  return { ok: true, name };
}

export type AuthMode = 'signin' | 'signup';

/** Why the account form cannot be sent as it is, or null. */
export function credentialsProblem(mode: AuthMode, rawUser: string, password: string): string | null {
  const user = checkName(rawUser);
  if (!user.ok) return user.error.replace(/\bname\b/, 'username');
  if (mode === 'signin') return password.length === 0 ? TEXT.enterPassword : null;
  return passwordProblem(password) ? TEXT.badPassword : null;
}

/** Control characters other than tab and newline, which the server refuses in a message. */
const TEXT_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
/** Half of a surrogate pair on its own (pasted from a broken source), which the server refuses too. */
const LONE_SURROGATE = /\p{Surrogate}/gu;

/** A typed message as it can be sent: trimmed, without what the server would refuse in it. */
export function cleanText(raw: string): string {
  return raw.replace(TEXT_CONTROLS, '').replace(LONE_SURROGATE, '\ufffd').trim();
}
