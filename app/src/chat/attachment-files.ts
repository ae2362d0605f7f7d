/**
 * Attachments between the chat layer and the file store (shared/PROTOCOL.md "Attachments"):
 * - `check`: before a `send` is stored, each key it names must have been issued to this member for
 *   this room (Uploads) and be uploaded; it is then moved into the room (out of reach of its PUT URL)
 *   and its bytes checked there: the size and type declared — sniffed, never believed; an image must
 *   decode within a pixel budget, and gets its thumbnail. A file whose bytes were refused is removed;
 *   one that passed stays checked for the next send naming it (this one's retry with the same cid,
 *   or a new send after this one was refused for another of its files).
 * - `sign`/`refresh`: the URLs a message carries, signed to expire 2-3 hours ahead, on the hour, so
 *   everyone in the room (and a browser's cache) gets the same URL for an hour; `joined` and
 *   `history` re-sign the stored messages' URLs.
 * The bytes themselves never pass through here on their way in or out: browsers PUT and GET them at
 * the store; the server reads an upload's first bytes, and an image's bytes for its check and thumbnail.
 */
import { asFrame, attachment as attachmentFields, type Frame } from '../protocol/encode.js';
import type { Attachment, AttachmentRef, Member } from '../protocol/messages.js';
import { isInlineImage } from '../protocol/files.js';
import { committedName, FileStoreUnavailableError, thumbName, type FileStore } from '../files/file-store.js';
import type { ImageChecker } from '../files/image-checker.js';
import type { Metrics } from '../metrics.js';
import { SNIFF_BYTES, sniffType, typeMatches } from '../files/sniff.js';
import { StoreUnavailableError } from '../store/errors.js';
import type { CommittedFile, UploadGrant, Uploads } from '../uploads/uploads.js';
import { TEXTS } from './texts.js';

const HOUR = 3_600_000;

/** Why a send's files were refused (the `bad_request` text), or the files to store with it. */
export type CheckResult = { ok: true; attachments: Attachment[] } | { ok: false; reason: string };

/** Signed URLs kept (about 300 bytes each with the local driver, 1-5 KB with S3). */
const URL_CACHE_MAX = 20_000;

/** A file of this type as its message will carry it at its largest: an image with a 5-digit size and a thumbnail. */
function largest(mime: string): CommittedFile {
  return isInlineImage(mime) ? { mime, width: 99_999, height: 99_999, thumb: true } : { mime };
}

export class AttachmentFiles {
  private readonly cache = new Map<string, string>();
  private cacheUntil = 0;

  constructor(
    private readonly files: FileStore,
    private readonly uploads: Uploads,
    private readonly images: ImageChecker,
    private readonly metrics: Pick<Metrics, 'files' | 'fileBytes'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Until when URLs signed now work: the top of the hour 2-3 hours ahead (≥ 1 hour, as the contract says). */
  expiry(): number {
    return (Math.floor(this.now() / HOUR) + 3) * HOUR;
  }

  /**
   * Checks and commits the files a send names (see the header). `tooBig` is asked first, with the
   * attachments as the message would carry them (URLs signed as they will be, an image's size at its
   * largest): a refusal there moves nothing. Store outages throw StoreUnavailableError.
   */
  async check(room: string, member: Member, cid: string, refs: readonly AttachmentRef[],
    tooBig: (planned: Attachment[]) => string | null): Promise<CheckResult> {
    const grants: UploadGrant[] = [];
    for (const [i, ref] of refs.entries()) {
      const grant = await this.uploads.get(ref.key);
      if (!grant || grant.member !== member.id || grant.room !== room) return { ok: false, reason: TEXTS.fileNotIssued(i + 1) };
      grants.push(grant);
    }
    const planned = await Promise.all(grants.map((g) => this.sign(room, g, g.committed ?? largest(g.mime))));
    const big = tooBig(planned);
    if (big !== null) return { ok: false, reason: big };
    // Claims this attempt made: given back if it fails (one an earlier attempt of this cid made is its own).
    const claimed: string[] = [];
    try {
      const checked: Array<{ grant: UploadGrant; file: CommittedFile }> = [];
      for (const [i, grant] of grants.entries()) {
        const claim = await this.uploads.claim(grant.key, cid);
        if (claim === null) return this.refused(claimed, cid, TEXTS.fileTaken(i + 1));
        if (claim === 'new') claimed.push(grant.key);
        // Another attempt of this send (a resend after a reconnect) may be checking it right now: its result, when it comes.
        const file = grant.committed ?? (claim === 'ours' ? await this.committedSoon(grant.key) : null) ?? await this.checkFile(room, grant, i + 1);
        if (typeof file === 'string') return this.refused(claimed, cid, file);
        checked.push({ grant, file });
      }
      claimed.length = 0; // the send goes on with them: its retries (same cid) find them claimed
      return { ok: true, attachments: await Promise.all(checked.map((c) => this.sign(room, c.grant, c.file))) };
    } catch (err) {
      await this.releaseAll(claimed, cid);
      if (err instanceof FileStoreUnavailableError) throw new StoreUnavailableError(err.message);
      throw err;
    }
  }

  /** The send was not stored after its files were checked (refused, or the store failed): another send may name them. */
  async release(refs: readonly AttachmentRef[], cid: string): Promise<void> {
    await Promise.allSettled(refs.map((r) => this.uploads.release(r.key, cid)));
  }

  /** Waits (up to 15 s) for another attempt of the same send to record the file's check; null if it does not. */
  private async committedSoon(key: string): Promise<CommittedFile | null> {
    for (let waited = 0; waited < 15_000; waited += 100) {
      await new Promise((r) => setTimeout(r, 100));
      const g = await this.uploads.get(key);
      if (!g) return null;
      if (g.committed) return g.committed;
    }
    return null;
  }

  /**
   * One upload: moved into the room first (out of its PUT URL's reach), then its bytes checked there,
   * so what was checked is what will be served. The checked file, or why it was refused (it is then gone).
   */
  private async checkFile(room: string, grant: UploadGrant, n: number): Promise<CommittedFile | string> {
    const name = committedName(grant.key, grant.mime);
    const uploaded = await this.files.uploadedSize(grant.key);
    if (uploaded === null) {
      // Not uploaded yet — or moved already by an attempt of this send that stopped half-way (its server died).
      if ((await this.files.committedSize(room, name)) === null) return TEXTS.fileNotUploaded(n);
    } else {
      if (uploaded !== grant.size) return this.drop(grant, null, TEXTS.fileSizeDiffers(n, uploaded, grant.size));
      await this.files.commit(grant.key, room, name);
    }
    const size = await this.files.committedSize(room, name);
    if (size !== grant.size) return this.drop(grant, name, TEXTS.fileSizeDiffers(n, size ?? 0, grant.size));
    const sniffed = sniffType(await this.files.readCommitted(room, name, SNIFF_BYTES));
    if (!typeMatches(grant.mime, sniffed)) return this.drop(grant, name, TEXTS.fileTypeDiffers(n));
    let file: CommittedFile = { mime: grant.mime };
    if (isInlineImage(grant.mime)) {
      // Decoded within the pixel budget and thumbnailed by the image worker (low priority, its own process).
      const image = await this.images.check(room, name, grant.key, grant.size);
      if ('refused' in image) return this.drop(grant, name, TEXTS.fileNotImage(n));
      file = { mime: grant.mime, width: image.width, height: image.height, thumb: true };
    }
    // Checked: a later send (this one's retry, or another cid after this one was refused for another file) reuses it.
    await this.uploads.commit(grant.key, file);
    this.metrics.files.inc({ result: 'checked' });
    this.metrics.fileBytes.inc(grant.size);
    return file;
  }

  /** Refused bytes are not kept: the file (wherever it is now) and its grant go. */
  private async drop(grant: UploadGrant, committed: string | null, reason: string): Promise<string> {
    await (committed === null ? this.files.discard(grant.key) : this.files.remove(grant.room, [committed]));
    await this.uploads.drop(grant.key);
    this.metrics.files.inc({ result: 'refused' });
    return reason;
  }

  private async refused(claimed: string[], cid: string, reason: string): Promise<CheckResult> {
    await this.releaseAll(claimed, cid);
    return { ok: false, reason };
  }

  private async releaseAll(keys: string[], cid: string): Promise<void> {
    await Promise.allSettled(keys.map((k) => this.uploads.release(k, cid)));
    keys.length = 0;
  }

  /** A message's attachment with URLs signed now. */
  async sign(room: string, g: Pick<UploadGrant, 'key' | 'name' | 'size'>, file: CommittedFile): Promise<Attachment> {
    const until = this.expiry();
    const inline = isInlineImage(file.mime);
    const a: Attachment = {
      key: g.key, name: g.name, mime: file.mime, size: g.size,
      url: await this.url(room, committedName(g.key, file.mime), inline, g.name, until),
    };
    if (file.width !== undefined) a.width = file.width;
    if (file.height !== undefined) a.height = file.height;
    if (file.thumb) a.thumb = await this.url(room, thumbName(g.key), true, g.name, until);
    return a;
  }

  /**
   * A signed GET URL, from a cache: URLs are signed on the hour, so within it every `joined` and
   * `history` re-signs the same ones (an S3 presign costs ~0.6 ms of CPU; a page of 200 messages with
   * 10 images each would be 4,000 of them). Bounded: emptied when full and at each new hour.
   */
  private async url(room: string, name: string, inline: boolean, filename: string, until: number): Promise<string> {
    if (this.cacheUntil !== until) {
      this.cache.clear();
      this.cacheUntil = until;
    }
    const k = inline ? `${room}/${name}` : `${room}/${name}\n${filename}`;
    let url = this.cache.get(k);
    if (url === undefined) {
      url = await this.files.getUrl(room, name, { inline, filename }, until);
      if (this.cache.size >= URL_CACHE_MAX) this.cache.clear();
      this.cache.set(k, url);
    }
    return url;
  }

  /** Stored message frames with their attachments' URLs signed again (for `joined` and `history`). */
  async refresh(room: string, frames: readonly Frame[]): Promise<Frame[]> {
    return Promise.all(frames.map(async (f) => {
      if (!f.includes('"attachments":[')) return f;
      const m = JSON.parse(f) as { attachments?: Attachment[] };
      if (!Array.isArray(m.attachments)) return f;
      m.attachments = await Promise.all(m.attachments.map(async (a) => attachmentFields(await this.sign(room, a, {
        mime: a.mime, width: a.width, height: a.height, thumb: a.thumb !== undefined,
      }))));
      return asFrame(JSON.stringify(m));
    }));
  }
}
