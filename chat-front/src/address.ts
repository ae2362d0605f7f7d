/**
 * The room named in the page's address (`#room`), read without ever throwing: a link that ends in a
 * broken percent escape (`#%E0`) or names no valid room (`#UPPER!`) falls back to the default room,
 * and says what it could not use, so the page can tell the person instead of leaving a dead page
 * (texts.ts words it: `rejectedRoomNotice`).
 */
import { normaliseRoom } from './input.js';

export const DEFAULT_ROOM = 'lobby';
/** A rejected name is quoted back at most this long. */
const QUOTE_MAX = 40;

export interface RoomFromAddress {
  room: string;
  /** What the address asked for, when it was not a room name (for the notice), else null. */
  rejected: string | null;
}

/** decodeURIComponent that keeps the raw text where an escape is malformed (it throws a URIError there). */
export function safeDecode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The room a location hash names (an empty hash: the default room). */
export function roomFromHash(hash: string): RoomFromAddress {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  if (raw === '') return { room: DEFAULT_ROOM, rejected: null };
  const decoded = safeDecode(raw);
  const room = normaliseRoom(decoded);
  if (room) return { room, rejected: null };
  const shown = [...decoded].slice(0, QUOTE_MAX).join('') + ([...decoded].length > QUOTE_MAX ? '…' : '');
  return { room: DEFAULT_ROOM, rejected: shown };
}
