/**
 * Attachments' settings (app/src/files/files-config.ts): defaults, the embedded node's allowances,
 * and errors naming the variable; createFileStore picks the driver.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileStore, filesConfig } from '../../app/src/files/files-config.js';

const dir = mkdtempSync(join(tmpdir(), 'livechat-files-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = pino({ level: 'silent' });
const SECRET = 'abcdefghijklmnop0123';
const cluster = { FILES_SECRET: SECRET, FILES_ORIGIN: 'http://front:8000/' };

describe('filesConfig', () => {
  it('local by default; the embedded node makes a secret, reaches itself and has a directory', () => {
    const c = filesConfig({ STORE: 'memory', PORT: '4000', FILES_DIR: dir });
    expect(c.driver).toBe('local');
    expect(c.maxBytes).toBe(10_485_760);
    expect(c.local.secretGenerated).toBe(true);
    expect(c.local.secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(c.local.origin).toBe('http://127.0.0.1:4000');
    expect(c.local.dir).toBe(dir);
    expect(c.local.serve).toBe(true);
    expect(createFileStore(c, log)?.driver).toBe('local');
  });

  it('the cluster needs FILES_SECRET and FILES_ORIGIN, and serves nothing itself', () => {
    expect(() => filesConfig({})).toThrow(/^FILES_SECRET/);
    expect(() => filesConfig({ FILES_SECRET: SECRET })).toThrow(/^FILES_ORIGIN/);
    const c = filesConfig(cluster);
    expect(c.local).toMatchObject({ secret: SECRET, secretGenerated: false, origin: 'http://front:8000', serve: false });
  });

  it('refuses bad values, naming the variable', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ FILES: 'ftp' }, /^FILES=ftp/],
      [{ ...cluster, FILES_SECRET: 'short' }, /^FILES_SECRET/],
      [{ ...cluster, FILES_SECRET: 'has"quote$and space!!' }, /^FILES_SECRET/],
      [{ ...cluster, FILES_ORIGIN: 'front:8000' }, /^FILES_ORIGIN/],
      [{ ...cluster, FILES_MAX_BYTES: '0' }, /^FILES_MAX_BYTES/],
      [{ ...cluster, FILES_MAX_BYTES: '1.5' }, /^FILES_MAX_BYTES/],
      [{ ...cluster, FILES_KEEP_DAYS: '-1' }, /^FILES_KEEP_DAYS/],
      [{ FILES: 's3' }, /^S3_BUCKET/],
      [{ FILES: 's3', S3_BUCKET: 'Bad_Bucket' }, /^S3_BUCKET/],
      [{ FILES: 's3', S3_BUCKET: 'files', S3_ENDPOINT: 'minio:9000' }, /^S3_ENDPOINT/],
      [{ FILES: 's3', S3_BUCKET: 'files', S3_FORCE_PATH_STYLE: 'yes' }, /^S3_FORCE_PATH_STYLE/],
      [{ FILES: 's3', S3_BUCKET: 'files', S3_ACCESS_KEY_ID: 'k' }, /^S3_SECRET_ACCESS_KEY/],
      [{ FILES: 's3', S3_BUCKET: 'files', S3_PUBLIC_URL: 'cdn.example.com' }, /^S3_PUBLIC_URL/],
      [{ FILES: 's3', S3_BUCKET: 'files', S3_REGION: 'mars' }, /^S3_REGION/],
    ];
    for (const [env, re] of bad) expect(() => filesConfig(env), JSON.stringify(env)).toThrow(re);
  });

  it('s3: defaults and settings; no local secret needed', () => {
    const c = filesConfig({ FILES: 's3', S3_BUCKET: 'livechat-files', S3_ENDPOINT: 'http://minio:9000', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's' });
    expect(c.s3).toEqual({ endpoint: 'http://minio:9000', bucket: 'livechat-files', region: 'us-east-1', forcePathStyle: true,
      accessKeyId: 'k', secretAccessKey: 's', publicUrl: '/s3' });
    expect(filesConfig({ FILES: 's3', S3_BUCKET: 'b12', S3_PUBLIC_URL: 'https://cdn.example.com/', S3_FORCE_PATH_STYLE: 'false' }).s3)
      .toMatchObject({ publicUrl: 'https://cdn.example.com', forcePathStyle: false, endpoint: '' });
    expect(createFileStore(c, log)?.driver).toBe('s3');
  });

  it('off: no store', () => {
    expect(createFileStore(filesConfig({ FILES: 'off' }), log)).toBeNull();
  });
});
