/**
 * Files on their way into a message, as plain data and pure functions (like outbox.ts for messages):
 * each file the person picks, drops or pastes becomes a pending chip of the room it was picked in,
 * which moves along asking (an `upload` request waits to go out, or for its answer) -> uploading (the
 * bytes go to the PUT target the answer named) -> done (its key may go in a `send`), or failed (with
 * the reason; Retry asks again under a fresh cid). The page checks what it can before asking (size,
 * name); the server checks again. Also the small sums of showing files: an image's box, a pasted
 * image's name, and the fresh URLs a newer frame brings for messages already held.
 */
import { cleanFileName, cleanMime, fileNameProblem, formatSize, LIMITS, type Attachment, type ChatMessage } from '@livechat/protocol';
import type { ShownMessage } from './message-changes.js';
import type { OutboxFile } from './outbox.js';
import { TEXT } from './texts.js';

/** The server's default limit: a bigger file fails at once, without asking. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** The type of a file the browser could not name. */
export const UNKNOWN_MIME = 'application/octet-stream';

export type UploadStatus = 'asking' | 'uploading' | 'done' | 'failed';

export interface PendingFile {
  /** The chip's own id (stable across retries). */
  id: string;
  room: string;
  name: string;
  mime: string;
  size: number;
  status: UploadStatus;
  /** The cid of the current `upload` request (a retry asks under a fresh one). */
  cid?: string;
  /** Asking: the request went out on the current connection (a reconnect asks again). */
  asked?: boolean;
  /** Asking: not before this time (after `rate_limited` / `unavailable`). */
  retryAt?: number;
  /** From the `upload` answer. */
  key?: string;
  /** Bytes sent so far. */
  loaded: number;
  /** Why it failed. */
  error?: string;
}

/** The name a file is asked for: cleaned, without path separators, shortened (keeping its extension) to fit. */
export function uploadName(raw: string): string {
  let name = cleanFileName(raw.replace(/[\/\\]/g, '_'));
  const chars = [...name];
  if (chars.length > LIMITS.fileNameMax) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
    name = chars.slice(0, LIMITS.fileNameMax - [...ext].length).join('') + ext;
  }
  return name === '' ? 'file' : name;
}

/** A file's media type as asked for: what the browser says, else application/octet-stream. */
export const uploadMime = (type: string): string => cleanMime(type) ?? UNKNOWN_MIME;

/** What the page refuses before asking (null: ask). */
export function fileProblem(name: string, size: number): string | null {
  if (size <= 0) return TEXT.fileEmpty;
  if (size > MAX_FILE_BYTES) return TEXT.fileTooBig(formatSize(MAX_FILE_BYTES));
  return fileNameProblem(name) === null ? null : TEXT.badFileName;
}

const EXT: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/gif': 'gif', 'image/webp': 'webp' };

/** A pasted image's name: "pasted-image-2025-01-31-140502.png" (local time). */
export function pastedName(mime: string, at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())}-${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}`;
  return `pasted-image-${stamp}.${EXT[mime] ?? 'png'}`;
}

/** A new chip: failed at once when the page already knows the file cannot go, else asking. */
export function newPending(id: string, room: string, raw: { name: string; type: string; size: number }): PendingFile {
  const name = uploadName(raw.name);
  const f: PendingFile = { id, room, name, mime: uploadMime(raw.type), size: raw.size, status: 'asking', loaded: 0 };
  const problem = fileProblem(name, raw.size);
  return problem === null ? f : { ...f, status: 'failed', error: problem };
}

/** The chips of `room`, in the order picked. */
export const filesOf = (list: readonly PendingFile[], room: string): PendingFile[] => list.filter((f) => f.room === room);

function change(list: PendingFile[], match: (f: PendingFile) => boolean, to: (f: PendingFile) => PendingFile): PendingFile[] {
  let changed = false;
  const out = list.map((f) => {
    if (!match(f)) return f;
    changed = true;
    return to(f);
  });
  return changed ? out : list;
}

/** Chip `id`'s `upload` request went out under `cid`. */
export const markAsked = (list: PendingFile[], id: string, cid: string) =>
  change(list, (f) => f.id === id && f.status === 'asking', (f) => ({ ...f, cid, asked: true, retryAt: undefined }));

/** The answer to `cid` named the key: the bytes go out now. */
export const markAnswered = (list: PendingFile[], cid: string, key: string) =>
  change(list, (f) => f.cid === cid && f.status === 'asking', (f) => ({ ...f, status: 'uploading', key, asked: undefined, loaded: 0 }));

export const markProgress = (list: PendingFile[], id: string, loaded: number) =>
  change(list, (f) => f.id === id && f.status === 'uploading' && f.loaded !== loaded, (f) => ({ ...f, loaded: Math.min(f.size, Math.max(0, loaded)) }));

export const markUploaded = (list: PendingFile[], id: string) =>
  change(list, (f) => f.id === id && f.status === 'uploading', (f) => ({ ...f, status: 'done', loaded: f.size }));

/** Failed for good (until Retry): the key is no longer used. */
export const markFailed = (list: PendingFile[], id: string, error: string) =>
  change(list, (f) => f.id === id && f.status !== 'done', (f) => ({ ...f, status: 'failed', error, key: undefined, cid: undefined, asked: undefined, loaded: 0 }));

/** The `upload` request of `cid` is to be asked again later (rate_limited, unavailable). */
export const askLater = (list: PendingFile[], cid: string, at: number) =>
  change(list, (f) => f.cid === cid && f.status === 'asking', (f) => ({ ...f, asked: false, retryAt: at }));

/** Retry: asking again from the start (a failed one only; one too big stays failed). */
export function markRetry(list: PendingFile[], id: string): PendingFile[] {
  return change(list, (f) => f.id === id && f.status === 'failed' && fileProblem(f.name, f.size) === null,
    (f) => ({ ...f, status: 'asking', error: undefined, cid: undefined, asked: false, retryAt: undefined, loaded: 0 }));
}

/** The connection dropped: an answer to a request in flight will not come, so those ask again. */
export const connectionLost = (list: PendingFile[]) => change(list, (f) => f.status === 'asking' && f.asked === true, (f) => ({ ...f, asked: false }));

export const removeFile = (list: PendingFile[], id: string) => {
  const out = list.filter((f) => f.id !== id);
  return out.length === list.length ? list : out;
};

/** Chips of `room` whose request may go out now. */
export const dueAsks = (list: readonly PendingFile[], room: string, now: number) =>
  list.filter((f) => f.room === room && f.status === 'asking' && !f.asked && (f.retryAt ?? 0) <= now);

/** The earliest time a chip waits for before asking again, if any. */
export function nextAskAt(list: readonly PendingFile[], now: number): number | undefined {
  const times = list.filter((f) => f.status === 'asking' && !f.asked && (f.retryAt ?? 0) > now).map((f) => f.retryAt!);
  return times.length ? Math.min(...times) : undefined;
}

/**
 * What a `send` in `room` carries: every chip's file once all are uploaded ([] for none), or null
 * while one is still on its way or failed (the person waits, retries or removes it).
 */
export function readyFiles(list: readonly PendingFile[], room: string): OutboxFile[] | null {
  const mine = filesOf(list, room);
  if (mine.some((f) => f.status !== 'done' || f.key === undefined)) return null;
  return mine.map((f) => ({ key: f.key!, name: f.name, mime: f.mime, size: f.size }));
}

/** The files of `room` went out with a message: their chips go. */
export const clearRoom = (list: PendingFile[], room: string) => {
  const out = list.filter((f) => f.room !== room);
  return out.length === list.length ? list : out;
};

/** An image's displayed size: its own, scaled down (never up) to fit `max`, at least 1×1. */
export function fitBox(width: number, height: number, maxWidth: number, maxHeight: number): { width: number; height: number } {
  const scale = Math.min(1, maxWidth / width, maxHeight / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

const sameFiles = (a: readonly Attachment[] | undefined, b: readonly Attachment[]) =>
  a !== undefined && a.length === b.length && a.every((x, i) => x.key === b[i].key && x.url === b[i].url && x.thumb === b[i].thumb);

/**
 * The held messages with the URLs of their files as a newer frame (`joined`, `history`) gives them:
 * those expire, the fresh ones do not yet. The same array when nothing changed.
 */
export function freshFiles(held: ShownMessage[], incoming: readonly ChatMessage[]): ShownMessage[] {
  const byId = new Map<number, Attachment[]>();
  for (const m of incoming) if (m.attachments?.length) byId.set(m.id, m.attachments);
  if (byId.size === 0) return held;
  let out = held;
  held.forEach((m, i) => {
    const files = byId.get(m.id);
    if (!files || m.deleted || sameFiles(m.attachments, files)) return;
    if (out === held) out = held.slice();
    out[i] = { ...m, attachments: files };
  });
  return out;
}
