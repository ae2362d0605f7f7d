/**
 * Attachments' settings (shared/PROTOCOL.md "Attachments"; docs/operations.md lists them) and the
 * FileStore they choose. Every error names its variable, like config.ts.
 *
 * - `FILES`: `local` (default), `s3`, or `off` (no attachments: `upload` is refused).
 * - `FILES_MAX_BYTES` (10485760): largest file; nginx's client_max_body_size for the file locations too.
 * - `FILES_KEEP_DAYS` (0: forever): the s3 driver's lifecycle rule expires room files after this.
 * - local: `FILES_SECRET` (the URL signing secret shared with nginx; required in the cluster, the
 *   embedded node makes a random one per start), `FILES_ORIGIN` (where the servers reach nginx's
 *   /files/: `http://front:8000` in compose; the embedded node reaches itself), `FILES_DIR` (the
 *   embedded node's directory; default `.files` under the working directory, else under the os tmpdir).
 * - s3: `S3_BUCKET` (required), `S3_ENDPOINT` (empty: AWS), `S3_REGION` (us-east-1),
 *   `S3_FORCE_PATH_STYLE` (true), `S3_ACCESS_KEY_ID` + `S3_SECRET_ACCESS_KEY` (both or neither: the
 *   SDK's default chain), `S3_PUBLIC_URL` (`/s3`: browsers go through nginx's /s3/ proxy on the page's
 *   origin, which adds nosniff and the sandbox CSP; an absolute URL sends them straight to the bucket
 *   or a CDN, which must then add `X-Content-Type-Options: nosniff` itself and allow the page's
 *   origin by CORS for PUT).
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from '../log.js';
import type { FileStore } from './file-store.js';
import { LocalFiles } from './local-files.js';
import { S3Files, type S3FilesOptions } from './s3-files.js';

export type FilesDriver = 'local' | 's3' | 'off';

export interface LocalFilesConfig {
  secret: string;
  /** True when FILES_SECRET was not set and this process made one (embedded node only). */
  secretGenerated: boolean;
  /** Base URL of the files origin the local driver calls (no trailing slash). */
  origin: string;
  /** The embedded node's directory for /files/. */
  dir: string;
  /** The embedded node answers /files/ itself (STORE=memory: no nginx in front). */
  serve: boolean;
}

/** The s3 driver's settings (its options but the expiry, which is FilesConfig's). */
export type S3FilesConfig = Omit<S3FilesOptions, 'keepDays'>;

export interface FilesConfig {
  driver: FilesDriver;
  maxBytes: number;
  /** 0: room files never expire in the store. */
  keepDays: number;
  local: LocalFilesConfig;
  s3: S3FilesConfig;
}

export class FilesConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

const get = (env: Env, key: string): string => (env[key] ?? '').trim();

function int(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = get(env, key);
  if (raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new FilesConfigError(`${key}=${raw}: expected an integer from ${min} to ${max}`);
  return n;
}

function httpUrl(env: Env, key: string, fallback: string): string {
  const raw = get(env, key) || fallback;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new FilesConfigError(`${key}=${raw}: expected an http(s) URL such as http://front:8000`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new FilesConfigError(`${key}=${raw}: expected http:// or https://`);
  return raw.replace(/\/+$/, '');
}

/** The secret is pasted into nginx's config inside double quotes: no quote, `$`, `\` or space. */
const SECRET = /^[A-Za-z0-9._~+\/=-]{16,256}$/;

function defaultDir(): string {
  const cwd = resolve('.files');
  try {
    mkdirSync(cwd, { recursive: true });
    accessSync(cwd, constants.W_OK);
    return cwd;
  } catch {
    return join(tmpdir(), 'livechat-files');
  }
}

/**
 * Reads the attachment settings. `embedded`: the single node without nginx (default: STORE=memory),
 * which serves /files/ itself, may generate its secret and reaches itself at 127.0.0.1:PORT.
 */
export function filesConfig(env: Env = process.env, embedded = get(env, 'STORE') === 'memory'): FilesConfig {
  const driver = get(env, 'FILES') || 'local';
  if (driver !== 'local' && driver !== 's3' && driver !== 'off') throw new FilesConfigError(`FILES=${driver}: expected local, s3 or off`);
  const maxBytes = int(env, 'FILES_MAX_BYTES', 10 * 1024 * 1024, 1, 5 * 1024 * 1024 * 1024);
  const keepDays = int(env, 'FILES_KEEP_DAYS', 0, 0, 36_500);

  let secret = get(env, 'FILES_SECRET');
  let secretGenerated = false;
  if (secret === '' && driver === 'local') {
    if (!embedded) throw new FilesConfigError('FILES_SECRET: required with FILES=local in a cluster (the URL signing secret nginx shares), at least 16 of [A-Za-z0-9._~+/=-]');
    secret = randomBytes(24).toString('base64url');
    secretGenerated = true;
  }
  if (secret !== '' && !SECRET.test(secret)) throw new FilesConfigError('FILES_SECRET: expected 16-256 of [A-Za-z0-9._~+/=-]');
  let origin = '';
  if (driver === 'local') {
    if (!embedded && get(env, 'FILES_ORIGIN') === '') throw new FilesConfigError('FILES_ORIGIN: required with FILES=local in a cluster (where the servers reach nginx, e.g. http://front:8000)');
    origin = httpUrl(env, 'FILES_ORIGIN', `http://127.0.0.1:${get(env, 'PORT') || '3000'}`);
  }
  const dir = driver === 'local' && embedded ? resolve(get(env, 'FILES_DIR') || defaultDir()) : get(env, 'FILES_DIR');

  const s3: S3FilesConfig = {
    endpoint: '', bucket: get(env, 'S3_BUCKET'), region: get(env, 'S3_REGION') || 'us-east-1', forcePathStyle: true,
    accessKeyId: get(env, 'S3_ACCESS_KEY_ID'), secretAccessKey: get(env, 'S3_SECRET_ACCESS_KEY'), publicUrl: '/s3',
  };
  if (driver === 's3') {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s3.bucket)) throw new FilesConfigError(`S3_BUCKET=${s3.bucket}: required with FILES=s3, a bucket name (3-63 of a-z 0-9 . -)`);
    s3.endpoint = get(env, 'S3_ENDPOINT') === '' ? '' : httpUrl(env, 'S3_ENDPOINT', '');
    if (!/^[a-z]{2}(-[a-z0-9]+)+$|^auto$/.test(s3.region)) throw new FilesConfigError(`S3_REGION=${s3.region}: expected a region such as us-east-1`);
    const ps = get(env, 'S3_FORCE_PATH_STYLE');
    if (ps !== '' && !['true', 'false', '1', '0'].includes(ps)) throw new FilesConfigError(`S3_FORCE_PATH_STYLE=${ps}: expected true or false`);
    s3.forcePathStyle = ps === '' || ps === 'true' || ps === '1';
    if ((s3.accessKeyId === '') !== (s3.secretAccessKey === '')) {
      throw new FilesConfigError(`${s3.accessKeyId ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID'}: set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither`);
    }
    const pub = get(env, 'S3_PUBLIC_URL') || '/s3';
    if (pub.startsWith('/')) {
      if (!/^(\/[A-Za-z0-9._~-]+)+\/?$/.test(pub)) throw new FilesConfigError(`S3_PUBLIC_URL=${pub}: expected a path such as /s3 or an http(s) URL`);
      s3.publicUrl = pub.replace(/\/+$/, '');
    } else {
      s3.publicUrl = httpUrl(env, 'S3_PUBLIC_URL', pub);
    }
  }
  return { driver, maxBytes, keepDays, local: { secret, secretGenerated, origin, dir, serve: driver === 'local' && embedded }, s3 };
}

export interface CreateFileStoreOptions {
  /**
   * The local driver's files origin, when only known after listening (the embedded node on PORT=0):
   * called for every request. Default: `cfg.local.origin`.
   */
  origin?: () => string;
}

/** The store the settings choose, not yet initialised (call `init()`), or null with FILES=off. */
export function createFileStore(cfg: FilesConfig, log: Logger, opts: CreateFileStoreOptions = {}): FileStore | null {
  if (cfg.driver === 'off') return null;
  if (cfg.driver === 'local') {
    if (cfg.local.secretGenerated) log.info('FILES_SECRET not set: file URLs are signed with a random secret made at start (they stop working after a restart)');
    const origin = cfg.local.origin;
    return new LocalFiles({ secret: cfg.local.secret, origin: opts.origin ?? (() => origin) });
  }
  return new S3Files({ ...cfg.s3, keepDays: cfg.keepDays }, log);
}
