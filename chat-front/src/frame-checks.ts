/**
 * The checks every reader of server frames shares (frames.ts for the frames themselves, entry-frames.ts
 * for a room's entries): what a string, a count, a timestamp and a member must be before the page
 * reads them. Untrusted values in, a boolean or a rebuilt value out; nothing here throws.
 */
import type { Member } from '@livechat/protocol';

export type Obj = Record<string, unknown>;

/** A date Intl.DateTimeFormat and Date#toISOString accept (±8.64e15 ms around 1970). */
export const MAX_TS = 8.64e15;
/** Strings longer than this are not something a well-behaved server sends (a message is ≤ 4000 chars). */
export const MAX_STRING = 65_536;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isStr = (v: unknown, max = MAX_STRING): v is string => typeof v === 'string' && v.length <= max;
export const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
/** A room entry's id (messages and updates share the sequence, which starts at 1). */
export const isEntryId = (v: unknown): v is number => isCount(v) && v >= 1;
export const isTs = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= MAX_TS;
export const optBool = (v: unknown): boolean | undefined => (v === true ? true : undefined);

/** A member `{id, name}`; anything else (extra fields included) is dropped or rebuilt. */
export function readMember(v: unknown): Member | null {
  if (!isObj(v) || !isStr(v.id, 256) || v.id.length === 0 || !isStr(v.name, 1024)) return null;
  return { id: v.id, name: v.name };
}

/** The APPID a frame names (a string, or a number as older servers wrote it), at most 64 characters. */
export const readVia = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v).slice(0, 64) : '?');

/** The well-formed entries of a list (null when it is not a list); `max` keeps the first that many. */
export function list<T>(v: unknown, read: (x: unknown) => T | null, max = Infinity): T[] | null {
  if (!Array.isArray(v)) return null;
  const out: T[] = [];
  for (const x of v) {
    if (out.length >= max) break;
    const r = read(x);
    if (r !== null) out.push(r);
  }
  return out;
}
