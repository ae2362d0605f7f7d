/**
 * What text a person may give (names, passwords, message text, emoji) and how it is normalised.
 * Shared by the parser (parse.ts), the page (before it sends) and the server (username keys).
 * Control characters and lone surrogates are refused, not stripped.
 */
import { LIMITS } from './messages.js';

/** C0 controls, DEL and C1 controls: refused in names, and in text except tab and newline. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
/**
 * Format and invisible characters, removed from names: every Cf (zero-width spaces and joiners, bidi
 * marks and overrides, soft hyphen…), line/paragraph separators, and the fillers and blanks that render
 * as nothing (Hangul fillers, braille blank, Mongolian vowel separator).
 */
const INVISIBLE = /[\p{Cf}\u2028\u2029\u115f\u1160\u3164\uffa0\u2800\u180e]/gu;
/** With the u flag a surrogate matches only when it is not half of a pair. */
const LONE_SURROGATE = /\p{Surrogate}/u;
/** What a name must contain at least one of: a character that is not blank. */
const VISIBLE = /[^\p{White_Space}]/u;

/** A name as stored and shown: NFKC-normalised, invisible characters removed, trimmed. */
export function cleanName(raw: string): string {
  return raw.normalize('NFKC').replace(INVISIBLE, '').trim();
}

/** Why a raw name is refused, or null when `cleanName(raw)` may be used. */
export function nameProblem(raw: string, what = 'name', max: number = LIMITS.nameMax): string | null {
  if (LONE_SURROGATE.test(raw)) return `${what} must not contain lone surrogates`;
  if (CONTROL.test(raw)) return `${what} must not contain control characters`;
  const name = cleanName(raw);
  const len = charLength(name);
  if (len < 1 || len > max || !VISIBLE.test(name)) {
    return `${what} must be 1-${max} characters with at least one visible character`;
  }
  return null;
}

/**
 * The key a username is unique by, and that a guest's name is checked against: the name as stored
 * (`cleanName`) in lower case, so "Ann", "ANN" and "Ａｎｎ" (fullwidth) are one username.
 */
export function usernameKey(name: string): string {
  return cleanName(name).toLowerCase();
}

/** Why a password is refused (never quoting it), or null. Any characters; not trimmed; 256 characters are at most 1 KiB. */
export function passwordProblem(raw: string): string | null {
  if (LONE_SURROGATE.test(raw)) return 'password must not contain lone surrogates';
  const len = charLength(raw);
  if (len < LIMITS.passwordMin || len > LIMITS.passwordMax) {
    return `password must be ${LIMITS.passwordMin}-${LIMITS.passwordMax} characters`;
  }
  return null;
}

/** Why a raw message text is refused, or null when its trimmed form may be sent. */
export function textProblem(raw: string): string | null {
  if (LONE_SURROGATE.test(raw)) return 'text must not contain lone surrogates';
  if (CONTROL_IN_TEXT.test(raw)) return 'text must not contain control characters other than tab and newline';
  const len = charLength(raw.trim());
  if (len < 1 || len > LIMITS.textMax) return `text must be 1-${LIMITS.textMax} characters`;
  return null;
}

/** Length in Unicode code points, so an emoji counts as one character as a person would count it. */
export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** One grapheme (a user-perceived character), for emoji checks; Intl.Segmenter is in Node 20 and every current browser. */
const GRAPHEMES = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
/** A pictographic emoji, a flag (two regional indicators) or a keycap. */
const EMOJI = /^(?:\p{Extended_Pictographic}|\p{Regional_Indicator}{2}|[0-9#*]\uFE0F?\u20E3)/u;

/** Why a reaction's emoji is refused, or null: exactly one emoji grapheme, at most 32 bytes of UTF-8. */
export function emojiProblem(raw: string): string | null {
  const problem = 'emoji must be one emoji (at most 32 bytes of UTF-8)';
  if (raw.length === 0 || LONE_SURROGATE.test(raw) || CONTROL.test(raw)) return problem;
  if (new TextEncoder().encode(raw).length > LIMITS.emojiBytesMax) return problem;
  let n = 0;
  for (const _ of GRAPHEMES.segment(raw)) if (++n > 1) return problem;
  return EMOJI.test(raw) ? null : problem;
}
