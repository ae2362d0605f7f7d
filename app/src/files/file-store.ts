/**
 * Where attachments' bytes live (shared/PROTOCOL.md "Attachments"): an object store every server can
 * reach, written and read by browsers through signed, expiring URLs, so a file's bytes never cross a
 * WebSocket server's event loop on their way in or out. Two drivers pass one contract suite
 * (test/contract/files.contract.test.ts):
 * - `local` (files/local-files.ts): nginx's DAV module writes files to a directory and its
 *   secure_link module checks the signatures; the embedded node serves the same URLs itself
 *   (files/files-http.ts). The default.
 * - `s3` (files/s3-files.ts): any S3 API (AWS S3, MinIO, R2, …) with presigned URLs.
 *
 * Objects:
 * - the upload area, `up/<key>`: what a browser PUTs with the target `putTarget` signed. The server
 *   only asks its size, then commits (moves) or discards it.
 * - a room's files, `r/<room>/<name>`: a committed upload (`<key>.<ext>`, `ext` from the checked
 *   type: png, jpg, gif, webp, or bin for everything else) and what the server derived from it
 *   (`<key>.thumb.webp`). Never written by a browser; served by signed GET URLs, images inline and
 *   everything else as `application/octet-stream` with `Content-Disposition: attachment`.
 */
import type { PutTarget } from '../protocol/messages.js';

export type { PutTarget };

/** How a room's object is served. */
export interface Serving {
  /** Shown inline with its image type; false: `application/octet-stream`, attachment, `filename`. */
  inline: boolean;
  /** The download's file name (Content-Disposition), for a download. */
  filename: string;
}

export interface FileStore {
  readonly driver: 'local' | 's3';
  /** Makes the store ready (an s3 bucket and its expiry rule created when missing). */
  init(): Promise<void>;
  /** A signed PUT of exactly `size` bytes of `mime` to `up/<key>`, working until `expiresAt` (ms). */
  putTarget(key: string, mime: string, size: number, expiresAt: number): Promise<PutTarget>;
  /** The size of what was uploaded to `up/<key>`, or null when nothing is there. */
  uploadedSize(key: string): Promise<number | null>;
  /**
   * Moves `up/<key>` to `r/<room>/<name>`: its PUT URL can no longer change it. The server checks a
   * file's bytes after this move (committedSize, readCommitted), so what it checked is what is served.
   */
  commit(key: string, room: string, name: string): Promise<void>;
  /** The size of `r/<room>/<name>`, or null when nothing is there. */
  committedSize(room: string, name: string): Promise<number | null>;
  /** The first `max` bytes (or all, when shorter) of `r/<room>/<name>`. */
  readCommitted(room: string, name: string, max: number): Promise<Buffer>;
  /** Stores bytes the server made (a thumbnail) as `r/<room>/<name>`. */
  writeDerived(room: string, name: string, bytes: Buffer, mime: string): Promise<void>;
  /** A signed GET URL of `r/<room>/<name>` (a path on the page's origin or an absolute URL), until `expiresAt` (ms). */
  getUrl(room: string, name: string, serving: Serving, expiresAt: number): Promise<string>;
  /** Removes `up/<key>` (a refused upload); nothing there is fine. */
  discard(key: string): Promise<void>;
  /** Removes `r/<room>/<name>` for each name (a deleted message's files); missing ones are fine. */
  remove(room: string, names: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by a driver when the store cannot be reached or answers with a server error. */
export class FileStoreUnavailableError extends Error {}

/** A committed file's name in its room: `<key>.<ext>`. */
export function committedName(key: string, mime: string): string {
  const ext = ({ 'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp' } as Record<string, string>)[mime] ?? 'bin';
  return `${key}.${ext}`;
}

/** A committed image's thumbnail: `<key>.thumb.webp`. */
export const thumbName = (key: string): string => `${key}.thumb.webp`;
