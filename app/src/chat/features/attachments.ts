/**
 * Attachments (shared/PROTOCOL.md "Attachments"): `upload` issues a key and a signed PUT target for
 * one file in a room the member is in; the browser PUTs the bytes straight to the file store, and a
 * later `send` names the key (MessagingFeature, which has AttachmentFiles check and commit it).
 * Limits: the file's size (FILES_MAX_BYTES), `upload` requests per member (the router's `upload`
 * bucket) and bytes per source address (UPLOAD_BYTES) — taken when the upload is asked for, so a
 * refused one stores nothing.
 */
import { v4 as uuidv4 } from 'uuid';
import { uploadFrame } from '../../protocol/encode.js';
import type { UploadRequest } from '../../protocol/messages.js';
import type { ChatParts } from '../parts.js';
import type { RequestContext } from '../request.js';
import { TEXTS } from '../texts.js';

/** How long the PUT target works (the contract: at least 5 minutes). */
export const PUT_TTL_MS = 15 * 60_000;
/** How long a key may be named by a send: a page offline for a while still sends what it uploaded. */
export const GRANT_TTL_MS = 24 * 3_600_000;

type Parts = Pick<ChatParts, 'backend' | 'settings' | 'rooms' | 'admission' | 'limits' | 'files' | 'metrics'>;

export class AttachmentsFeature {
  constructor(private readonly p: Parts, private readonly now: () => number = Date.now) {}

  async upload(ctx: RequestContext, req: UploadRequest): Promise<void> {
    const { files, settings, admission } = this.p;
    const { client, member } = ctx;
    if (!files) return ctx.error('bad_request', TEXTS.filesOff);
    if (!this.p.rooms.has(client, req.room)) return admission.notJoined(ctx, req.room);
    if (req.size > settings.filesMaxBytes) return ctx.error('bad_request', TEXTS.fileTooBig(req.size, settings.filesMaxBytes));
    const wait = await this.p.limits.takeUploadBytes(client.address, req.size);
    if (wait > 0) return ctx.error('rate_limited', TEXTS.uploadQuota, Number.isFinite(wait) ? wait : undefined);
    const key = uuidv4();
    const expiresAt = this.now() + PUT_TTL_MS;
    const put = await files.store.putTarget(key, req.mime, req.size, expiresAt);
    await this.p.backend.uploads.issue({ key, member: member.id, room: req.room, name: req.name, mime: req.mime, size: req.size }, GRANT_TTL_MS);
    // A private room's member removed meanwhile gets no target (the key is useless to it anyway).
    if (!(await admission.stillAdmitted(ctx, req.room))) return;
    this.p.metrics.files.inc({ result: 'issued' });
    ctx.reply(uploadFrame({ cid: req.cid, key, put, expiresAt }));
  }
}
