/**
 * Attachments on the wire (shared/PROTOCOL.md "Attachments"): what an `upload` request and a `send`'s
 * `attachments` may hold, and how a file's name and media type are normalised. Shared by the parser,
 * the page (before it asks) and the server (headers it signs).
 */
import { INLINE_IMAGE_TYPES } from './attachments.js';
import { LIMITS } from './messages.js';
import { charLength, cleanName, nameProblem } from './text.js';

/** `type/subtype` (RFC 6838 restricted-name characters), lower case; no parameters. */
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
/** The server makes keys: UUIDs. */
const KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What a declared media type is once normalised (lower case), or null when it is not one. */
export function cleanMime(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length > LIMITS.mimeMax) return null;
  const m = raw.trim().toLowerCase();
  return MIME.test(m) ? m : null;
}

/** Why a file name is refused, or null when `cleanFileName(raw)` may be used. */
export function fileNameProblem(raw: string): string | null {
  if (/[\/\\]/.test(raw)) return 'name must be a file name, without / or \\';
  return nameProblem(raw, 'name', LIMITS.fileNameMax);
}

/** A file name as stored and shown (NFKC, no invisible characters, trimmed). */
export const cleanFileName = (raw: string): string => cleanName(raw);

export const isFileKey = (v: unknown): v is string => typeof v === 'string' && v.length <= LIMITS.fileKeyMax && KEY.test(v);

/** Shown inline (and thumbnailed); every other type downloads. */
export const isInlineImage = (mime: string): boolean => INLINE_IMAGE_TYPES.includes(mime);

/** A file's size for people: "12 KB", "3.4 MB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export { charLength };
