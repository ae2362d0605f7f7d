/**
 * Attachments on the wire (shared/PROTOCOL.md "Attachments"): the `upload` request and answer, a
 * `send`'s `attachments` and a message's. Types only (and the inline image types), importing nothing,
 * so both messages.ts and files.ts can use them.
 */
/**
 * Asks for a signed PUT target for one file of `size` bytes and type `mime`, to be sent in `room`:
 * answered `upload` (the same `cid`), whose `key` a later `send` names in `attachments`.
 */
export interface UploadRequest { type: 'upload'; room: string; name: string; mime: string; size: number; cid: string }
/** A file uploaded with a key from `upload`, named by a `send`. */
export interface AttachmentRef { key: string }

/**
 * A file of a message. `url` (and `thumb`, a small re-encoded image, for images) fetch the bytes with
 * a plain GET: a path on the page's origin or an absolute URL, signed and expiring. Images
 * (`image/png`, `image/jpeg`, `image/gif`, `image/webp`) carry their `width` and `height` and are
 * served inline; anything else is served as a download.
 */
export interface Attachment {
  key: string;
  name: string;
  mime: string;
  size: number;
  url: string;
  width?: number;
  height?: number;
  thumb?: string;
}
/** Where and how to PUT a file's bytes (exactly these headers). */
export interface PutTarget { url: string; headers: Record<string, string> }
/** The answer to `upload`. `expiresAt`: the PUT target works until then (ms since epoch, ≥ 5 minutes ahead). */
export interface UploadResponse { type: 'upload'; cid: string; key: string; put: PutTarget; expiresAt: number }
/** Media types shown inline; every other file downloads. */
export const INLINE_IMAGE_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
