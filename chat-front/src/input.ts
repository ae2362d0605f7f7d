/**
 * What a person types, checked as the server will check it, so the page can explain a refusal
 * before sending anything: room names (capitals and a leading '#' allowed), names (NFKC, no control
 * characters, something visible), and message text (stripped of what the server would refuse).
 */
import { LIMITS, charLength, cleanName, nameProblem } from '@livechat/protocol';

/** Room names as the protocol accepts them; the person may type capitals or a leading '#'. */
export function normaliseRoom(raw: string): string | null {
  const r = raw.trim().replace(/^#/, '').toLowerCase();
  return LIMITS.roomPattern.test(r) ? r : null;
}

/** A name as the server will store it, or an explanation (for people) of what is wrong. */
export function checkName(raw: string): { ok: true; name: string } | { ok: false; error: string } {
  const name = cleanName(raw);
  const len = charLength(name);
  if (len > LIMITS.nameMax) return { ok: false, error: `A name is at most ${LIMITS.nameMax} characters.` };
  const problem = nameProblem(raw);
  if (problem && /control|surrogate/.test(problem)) return { ok: false, error: 'A name cannot contain control characters.' };
  if (problem || len < 1) return { ok: false, error: 'Enter a name with at least one visible character.' };
  return { ok: true, name };
}

/** Control characters other than tab and newline, which the server refuses in a message. */
const TEXT_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
/** Half of a surrogate pair on its own (pasted from a broken source), which the server refuses too. */
const LONE_SURROGATE = /\p{Surrogate}/gu;

/** A typed message as it can be sent: trimmed, without what the server would refuse in it. */
export function cleanText(raw: string): string {
  return raw.replace(TEXT_CONTROLS, '').replace(LONE_SURROGATE, '\ufffd').trim();
}
