/**
 * Attachments between the chat layer and the file store (shared/PROTOCOL.md "Attachments"):
 * - `check`: before a `send` is stored, each key it names must have been issued to this member for
 *   this room (Uploads), be uploaded, and hold bytes of the size and type declared — sniffed, never
 *   believed; an image must decode within a pixel budget. Only when every file passes are they
 *   committed (moved out of reach of their PUT URL) and an image's thumbnail made; a file whose bytes
 *   were refused is removed. A retry of the same send (same cid) finds its files committed.
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
import { imageInfo, ImageRefusedError, thumbnail } from '../files/images.js';
import { SNIFF_BYTES, sniffType, typeMatches } from '../files/sniff.js';
import { StoreUnavailableError } from '../store/errors.js';
import type { CommittedFile, UploadGrant, Uploads } from '../uploads/uploads.js';
import { TEXTS } from './texts.js';

const HOUR = 3_600_000;

/** Why a send's files were refused (the `bad_request` text), or the files to store with it. */
export type CheckResult = { ok: true; attachments: Attachment[] } | { ok: false; reason: string };

interface Checked { grant: UploadGrant; file: CommittedFile; thumb?: Buffer; fresh: boolean }

export class AttachmentFiles {
  constructor(
    private readonly files: FileStore,
    private readonly uploads: Uploads,
    private readonly now: () => number = Date.now,
  ) {}

  /** Until when URLs signed now work: the top of the hour 2-3 hours ahead (≥ 1 hour, as the contract says). */
  expiry(): number {
    return (Math.floor(this.now() / HOUR) + 3) * HOUR;
  }

  /** Checks and commits the files a send names (see the header). Store outages throw StoreUnavailableError. */
  async check(room: string, member: Member, cid: string, refs: readonly AttachmentRef[]): Promise<CheckResult> {
    const claimed: string[] = [];
    try {
      const checked: Checked[] = [];
      for (const [i, ref] of refs.entries()) {
        const grant = await this.uploads.get(ref.key);
        if (!grant || grant.member !== member.id || grant.room !== room) return this.refused(claimed, cid, TEXTS.fileNotIssued(i + 1));
        if (!(await this.uploads.claim(ref.key, cid))) return this.refused(claimed, cid, TEXTS.fileTaken(i + 1));
        claimed.push(ref.key);
        if (grant.committed) {
          checked.push({ grant, file: grant.committed, fresh: false });
          continue;
        }
        const one = await this.checkBytes(grant, i + 1);
        if (typeof one === 'string') return this.refused(claimed, cid, one);
        checked.push(one);
      }
      for (const c of checked) if (c.fresh) await this.commit(room, c);
      claimed.length = 0;
      return { ok: true, attachments: await Promise.all(checked.map((c) => this.sign(room, c.grant, c.file))) };
    } catch (err) {
      await this.releaseAll(claimed, cid);
      if (err instanceof FileStoreUnavailableError) throw new StoreUnavailableError(err.message);
      throw err;
    }
  }

  /** One upload's bytes against its grant: the checked file, or why it was refused (and then it is gone). */
  private async checkBytes(grant: UploadGrant, n: number): Promise<Checked | string> {
    const size = await this.files.uploadedSize(grant.key);
    if (size === null) return TEXTS.fileNotUploaded(n);
    if (size !== grant.size) return this.drop(grant, TEXTS.fileSizeDiffers(n, size, grant.size));
    const sniffed = sniffType(await this.files.readUploaded(grant.key, SNIFF_BYTES));
    if (!typeMatches(grant.mime, sniffed)) return this.drop(grant, TEXTS.fileTypeDiffers(n));
    if (!isInlineImage(grant.mime)) return { grant, file: { mime: grant.mime }, fresh: true };
    try {
      const bytes = await this.files.readUploaded(grant.key, grant.size);
      const info = await imageInfo(bytes);
      const thumb = await thumbnail(bytes);
      return { grant, file: { mime: grant.mime, width: info.width, height: info.height, thumb: true }, thumb: thumb.bytes, fresh: true };
    } catch (err) {
      if (err instanceof ImageRefusedError) return this.drop(grant, TEXTS.fileNotImage(n));
      throw err;
    }
  }

  private async commit(room: string, c: Checked): Promise<void> {
    await this.files.commit(c.grant.key, room, committedName(c.grant.key, c.file.mime));
    if (c.thumb) await this.files.writeDerived(room, thumbName(c.grant.key), c.thumb, 'image/webp');
    await this.uploads.commit(c.grant.key, c.file);
  }

  /** Refused bytes are not kept: the upload and its grant go. */
  private async drop(grant: UploadGrant, reason: string): Promise<string> {
    await this.files.discard(grant.key);
    await this.uploads.drop(grant.key);
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
      url: await this.files.getUrl(room, committedName(g.key, file.mime), { inline, filename: g.name }, until),
    };
    if (file.width !== undefined) a.width = file.width;
    if (file.height !== undefined) a.height = file.height;
    if (file.thumb) a.thumb = await this.files.getUrl(room, thumbName(g.key), { inline: true, filename: g.name }, until);
    return a;
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
