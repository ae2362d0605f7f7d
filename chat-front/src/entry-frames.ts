/**
 * The reader of a room's entries as the server sends them (shared/PROTOCOL.md "Message lifecycle"): a
 * `message` (live, or an entry of `joined` / `history`) with its reply quote, edit time, deletion and
 * reactions; an `update` (an edit, a deletion or a reaction, live or replayed in `joined` after a
 * reconnect); and the `typing` frame. Each is checked field by field and rebuilt into exactly the
 * protocol's shape: a malformed required field drops the entry, a malformed optional one drops that
 * field (a reply without its quote is still a message), and every list and string is bounded.
 */
import { LIMITS, type ChatMessage, type ReactionCount, type ReplyQuote, type Typing, type Update } from '@livechat/protocol';
import {
  isCount, isEntryId, isObj, isStr, isTs, list, readMember, readVia, type Obj,
} from './frame-checks.js';
import { readAttachments } from './file-frames.js';

/** A reply's quote is at most LIMITS.replyQuoteMax characters (code points: at most twice as many UTF-16 units). */
const QUOTE_UNITS = 2 * LIMITS.replyQuoteMax;
const utf8 = new TextEncoder();
/** Control characters have no place in an emoji. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** One reaction's emoji: a short string of at most LIMITS.emojiBytesMax bytes of UTF-8 (the server checks it is one emoji). */
export function isEmoji(v: unknown): v is string {
  return isStr(v, LIMITS.emojiBytesMax) && v.length > 0 && !CONTROL.test(v) && utf8.encode(v).length <= LIMITS.emojiBytesMax;
}

function readQuote(v: unknown): ReplyQuote | null {
  if (!isObj(v) || !isEntryId(v.id) || !isStr(v.text, QUOTE_UNITS)) return null;
  const from = readMember(v.from);
  if (!from) return null;
  return isCount(v.files) && v.files >= 1 ? { id: v.id, from, text: v.text, files: v.files } : { id: v.id, from, text: v.text };
}

/** `{emoji, count}` with a count of at least 1 (an emoji nobody has on is not shown). */
function readReaction(v: unknown): ReactionCount | null {
  if (!isObj(v) || !isEmoji(v.emoji) || !isCount(v.count) || v.count < 1) return null;
  return { emoji: v.emoji, count: v.count };
}

/** A message's reactions: at most LIMITS.reactionsMax, each emoji once (the first wins), in the order given. */
function readReactions(v: unknown): ReactionCount[] | null {
  const all = list(v, readReaction);
  if (!all) return null;
  const seen = new Set<string>();
  const out: ReactionCount[] = [];
  for (const r of all) {
    if (seen.has(r.emoji) || out.length >= LIMITS.reactionsMax) continue;
    seen.add(r.emoji);
    out.push(r);
  }
  return out;
}

/** A `message` frame (also an entry of `joined.messages` / `history.messages`). */
export function readMessage(v: unknown): ChatMessage | null {
  if (!isObj(v) || !isStr(v.room, 64) || !isEntryId(v.id) || !isTs(v.ts)) return null;
  const from = readMember(v.from);
  if (!from || !isStr(v.text) || !isStr(v.cid, 256)) return null;
  const m: ChatMessage = { type: 'message', room: v.room, id: v.id, ts: v.ts, from, text: v.text, cid: v.cid, via: readVia(v.via) };
  if (isTs(v.editedAt)) m.editedAt = v.editedAt;
  if (v.deleted === true) {
    // A tombstone: no text, no quote, no reactions, whatever else came with it.
    m.text = '';
    m.deleted = true;
    return m;
  }
  const quote = v.replyTo === undefined ? null : readQuote(v.replyTo);
  if (quote) m.replyTo = quote;
  const reactions = v.reactions === undefined ? null : readReactions(v.reactions);
  if (reactions && reactions.length > 0) m.reactions = reactions;
  // Files: a deleted message has none (above); a malformed entry is left out, the message stays.
  const files = v.attachments === undefined ? null : readAttachments(v.attachments);
  if (files) m.attachments = files;
  // Who the server found named in the text: member ids, at most 10 kept.
  if (Array.isArray(v.mentions)) {
    const named = v.mentions.filter((x): x is string => isStr(x, 256)).slice(0, 10);
    if (named.length > 0) m.mentions = named;
  }
  return m;
}

/** The one change an update carries: exactly one of edit, delete, reaction (anything else: not an update). */
function readChange(v: Obj): Pick<Update, 'edit' | 'delete' | 'reaction'> | null {
  const given = [v.edit, v.delete, v.reaction].filter((x) => x !== undefined).length;
  if (given !== 1) return null;
  if (v.delete !== undefined) return v.delete === true ? { delete: true } : null;
  if (v.edit !== undefined) {
    const e = v.edit;
    return isObj(e) && isStr(e.text) && isTs(e.editedAt) ? { edit: { text: e.text, editedAt: e.editedAt } } : null;
  }
  const r = v.reaction;
  if (!isObj(r) || !isEmoji(r.emoji) || typeof r.on !== 'boolean' || !isCount(r.count)) return null;
  return { reaction: { emoji: r.emoji, on: r.on, count: r.count } };
}

/** An `update` frame (also an entry of `joined.messages` after a reconnect). */
export function readUpdate(v: unknown): Update | null {
  if (!isObj(v) || !isStr(v.room, 64) || !isEntryId(v.id) || !isTs(v.ts) || !isEntryId(v.target) || !isStr(v.cid, 256)) return null;
  const from = readMember(v.from);
  const change = readChange(v);
  if (!from || !change) return null;
  return { type: 'update', room: v.room, id: v.id, ts: v.ts, target: v.target, from, via: readVia(v.via), cid: v.cid, ...change };
}

/** One entry of `joined.messages`: an update when it says so, else a message. */
export function readEntry(v: unknown): ChatMessage | Update | null {
  return isObj(v) && v.type === 'update' ? readUpdate(v) : readMessage(v);
}

/** A `typing` frame: who types now (the newest LIMITS.typersMax listed) and how many (never fewer than listed). */
export function readTyping(f: Obj): Typing | null {
  const members = list(f.members, readMember, LIMITS.typersMax);
  if (!members) return null;
  const count = isCount(f.count) ? Math.max(f.count, members.length) : members.length;
  return { type: 'typing', room: f.room as string, members, count };
}
