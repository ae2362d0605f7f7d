/**
 * The `s3` FileStore: any S3 API (AWS S3, MinIO, R2, …) through the AWS SDK v3. Browsers PUT and GET
 * with presigned URLs (SigV4 query signatures); the server uses the API itself (HeadObject, ranged
 * GetObject, CopyObject + DeleteObject to commit, PutObject, DeleteObject).
 *
 * Where browsers go (`publicUrl`):
 * - a path (default `/s3`): the URL is presigned for the internal endpoint (path style) and its
 *   origin replaced by that path on the page's origin; nginx's /s3/ location
 *   (chat-front/nginx/files-s3.conf.template) proxies it to the endpoint with the Host the signature
 *   was made for, and adds nosniff and the sandbox CSP to every answer. No CORS needed.
 * - an absolute URL: presigned for that endpoint and used as is. The bucket (or CDN) must then send
 *   `X-Content-Type-Options: nosniff` itself and allow the page's origin by CORS for PUT.
 *
 * The PUT binds Content-Type and Content-Length (both signed headers: S3 refuses another length).
 * Committed objects get their served type: the image type, else application/octet-stream; downloads
 * are presigned with response-content-type/-disposition overrides.
 */
import {
  CopyObjectCommand, CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand,
  PutBucketLifecycleConfigurationCommand, PutObjectCommand, S3Client, type LifecycleRule, type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Logger } from '../log.js';
import { FileStoreUnavailableError, type FileStore, type PutTarget, type Serving } from './file-store.js';
import { encodeFileName } from './signing.js';

export interface S3FilesOptions {
  endpoint: string;
  bucket: string;
  region: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  /** A path on the page's origin (`/s3`) or an absolute URL, no trailing slash. */
  publicUrl: string;
  /** Room files expire this many days after they were written (0: never). */
  keepDays: number;
}

const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };
const KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ROOM = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const NAME = /^[0-9a-f-]{36}(\.thumb)?\.[a-z]{2,5}$/;
/** SigV4 presigned URLs live at most a week. */
const MAX_EXPIRY_SEC = 7 * 86_400;

const upKey = (key: string): string => {
  if (!KEY.test(key)) throw new Error(`file key: expected a UUID, got ${key}`);
  return `up/${key}`;
};
const roomKey = (room: string, name: string): string => {
  if (!ROOM.test(room) || !NAME.test(name)) throw new Error(`file: bad room or name ${room}/${name}`);
  return `r/${room}/${name}`;
};

/** The type a room's object is served with: its image type by extension, else application/octet-stream. */
export const servedType = (name: string): string => IMAGE_TYPES[/\.([a-z]+)$/.exec(name)?.[1] ?? ''] ?? 'application/octet-stream';

export class S3Files implements FileStore {
  readonly driver = 's3' as const;
  private readonly client: S3Client;
  /** Presigns browsers' URLs: for the public endpoint when it is absolute, else the internal one. */
  private readonly presigner: S3Client;
  private readonly rewriteOrigin: boolean;

  constructor(private readonly o: S3FilesOptions, private readonly log: Logger) {
    const base: S3ClientConfig = {
      region: o.region,
      forcePathStyle: o.forcePathStyle,
      ...(o.accessKeyId ? { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } } : {}),
      // No flexible-checksum headers in presigned PUTs (a browser cannot send them) nor on GETs.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 15_000 },
    };
    this.client = new S3Client({ ...base, ...(o.endpoint ? { endpoint: o.endpoint } : {}) });
    this.rewriteOrigin = o.publicUrl.startsWith('/');
    this.presigner = this.rewriteOrigin ? this.client : new S3Client({ ...base, endpoint: o.publicUrl });
  }

  async init(): Promise<void> {
    const { bucket } = this.o;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch (err) {
      if (status(err) !== 404) throw unavailable(err, 'HeadBucket');
      try {
        await this.client.send(new CreateBucketCommand({ Bucket: bucket }));
        this.log.info({ bucket }, 'files: bucket created');
      } catch (e) {
        if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes((e as Error).name)) throw unavailable(e, 'CreateBucket');
      }
    }
    const rules: LifecycleRule[] = [
      { ID: 'livechat-uploads', Status: 'Enabled', Filter: { Prefix: 'up/' }, Expiration: { Days: 1 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
    ];
    if (this.o.keepDays > 0) rules.push({ ID: 'livechat-room-files', Status: 'Enabled', Filter: { Prefix: 'r/' }, Expiration: { Days: this.o.keepDays } });
    try {
      // Replaces the bucket's lifecycle configuration: give livechat a bucket of its own.
      await this.client.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: rules } }));
    } catch (err) {
      if ((err as Error).name === 'NotImplemented' || status(err) === 501) {
        this.log.warn({ bucket }, 'files: the S3 server does not implement lifecycle rules: abandoned uploads (up/) are not expired');
      } else {
        throw unavailable(err, 'PutBucketLifecycleConfiguration');
      }
    }
  }

  async putTarget(key: string, mime: string, size: number, expiresAt: number): Promise<PutTarget> {
    const cmd = new PutObjectCommand({ Bucket: this.o.bucket, Key: upKey(key), ContentType: mime, ContentLength: size });
    const url = await this.presign(cmd, expiresAt, new Set(['content-type', 'content-length']));
    return { url, headers: { 'Content-Type': mime } };
  }

  async uploadedSize(key: string): Promise<number | null> {
    return this.sizeOf(upKey(key));
  }

  async committedSize(room: string, name: string): Promise<number | null> {
    return this.sizeOf(roomKey(room, name));
  }

  async readCommitted(room: string, name: string, max: number): Promise<Buffer> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: roomKey(room, name), Range: `bytes=0-${Math.max(0, max - 1)}` }));
      const bytes = Buffer.from((await res.Body?.transformToByteArray()) ?? []);
      return bytes.length > max ? bytes.subarray(0, max) : bytes;
    } catch (err) {
      if (status(err) === 404 || status(err) === 416) return Buffer.alloc(0);
      throw unavailable(err, 'GetObject');
    }
  }

  private async sizeOf(objectKey: string): Promise<number | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.o.bucket, Key: objectKey }));
      return head.ContentLength ?? 0;
    } catch (err) {
      if (status(err) === 404) return null;
      throw unavailable(err, 'HeadObject');
    }
  }

  async commit(key: string, room: string, name: string): Promise<void> {
    const { bucket } = this.o;
    const source = upKey(key);
    try {
      await this.client.send(new CopyObjectCommand({
        Bucket: bucket, Key: roomKey(room, name), CopySource: `${bucket}/${source}`,
        MetadataDirective: 'REPLACE', ContentType: servedType(name),
      }));
    } catch (err) {
      if (status(err) === 404) throw new Error(`files: nothing uploaded as ${key}`);
      throw unavailable(err, 'CopyObject');
    }
    await this.delete(source);
  }

  async writeDerived(room: string, name: string, bytes: Buffer, mime: string): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.o.bucket, Key: roomKey(room, name), Body: bytes, ContentType: mime, ContentLength: bytes.length }));
    } catch (err) {
      throw unavailable(err, 'PutObject');
    }
  }

  async getUrl(room: string, name: string, serving: Serving, expiresAt: number): Promise<string> {
    const image = servedType(name) !== 'application/octet-stream';
    const inline = serving.inline && image;
    const cmd = new GetObjectCommand({
      Bucket: this.o.bucket, Key: roomKey(room, name),
      ResponseContentType: inline ? servedType(name) : 'application/octet-stream',
      ResponseContentDisposition: inline ? 'inline' : `attachment; filename*=UTF-8''${encodeFileName(serving.filename || 'download')}`,
    });
    return this.presign(cmd, expiresAt);
  }

  async discard(key: string): Promise<void> {
    await this.delete(upKey(key));
  }

  async remove(room: string, names: readonly string[]): Promise<void> {
    await Promise.all(names.map((n) => this.delete(roomKey(room, n))));
  }

  async close(): Promise<void> {
    this.client.destroy();
    if (this.presigner !== this.client) this.presigner.destroy();
  }

  private async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.o.bucket, Key: key }));
    } catch (err) {
      if (status(err) !== 404) throw unavailable(err, 'DeleteObject');
    }
  }

  /**
   * A presigned URL that stops working at `expiresAt` (whole seconds): signed at expiresAt minus its
   * lifetime, so a time already past gives a URL already expired (never one signed in the future).
   */
  private async presign(cmd: PutObjectCommand | GetObjectCommand, expiresAt: number, signableHeaders?: Set<string>): Promise<string> {
    const expiresIn = Math.min(MAX_EXPIRY_SEC, Math.max(1, Math.ceil((expiresAt - Date.now()) / 1000)));
    const signingDate = new Date(Math.ceil(expiresAt / 1000) * 1000 - expiresIn * 1000);
    const url = await getSignedUrl(this.presigner, cmd, { expiresIn, signingDate, ...(signableHeaders ? { signableHeaders } : {}) });
    if (!this.rewriteOrigin) return url;
    const u = new URL(url);
    return `${this.o.publicUrl}${u.pathname}${u.search}`;
  }
}

function status(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** Network failures and 5xx: FileStoreUnavailableError; anything else (403, 400…) as it is. */
function unavailable(err: unknown, what: string): Error {
  const s = status(err);
  if (s !== undefined && s < 500) return err as Error;
  return new FileStoreUnavailableError(`s3: ${what}: ${s ?? ''} ${(err as Error).name}: ${(err as Error).message}`.trim());
}
