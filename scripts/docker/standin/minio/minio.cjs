#!/usr/bin/env node
// Stand-in for the official MinIO image's `minio server DIR` (tests only, on a machine that cannot pull
// minio/minio): s3rver, an S3 emulator from npm, on the same port, with MinIO's credentials and health
// endpoints, and the checks s3rver leaves out that the stack relies on:
//   - credentials as MinIO reads them: MINIO_ROOT_USER / MINIO_ROOT_PASSWORD, their *_FILE variants
//     (a path, or a name under /run/secrets), and MINIO_CONFIG_ENV_FILE (KEY=value lines, `export`
//     allowed), which wins; default minioadmin/minioadmin. s3rver's own fixed key (S3RVER) is revoked.
//   - Signature V4 verified (s3rver only checks that the key exists): an altered or expired
//     signature gets 403 SignatureDoesNotMatch / AccessDenied, and a request with none gets 403
//     AccessDenied (MinIO's buckets are private). The payload hash is taken as declared, not recomputed.
//   - GET /minio/health/live, /minio/health/ready, /minio/health/cluster: 200.
//   - PUT/GET/DELETE ?lifecycle on a bucket is stored and returned (s3rver answers NotImplemented);
//     nothing ever expires here.
// Not emulated: multipart uploads beyond s3rver's, versioning, policies, the console (--console-address
// is accepted and ignored), aws-chunked bodies.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const S3rver = require('s3rver');
const AWSAccount = require('s3rver/lib/models/account');

function fail(msg) { console.error(`minio (stand-in): ${msg}`); process.exit(1); }

// --- arguments: minio server [--address HOST:PORT] [--console-address ADDR] [--quiet] [--json] DIR... --
const args = process.argv.slice(2);
if (args[0] !== 'server') fail(`only \`minio server DIR\` is emulated, got: ${args.join(' ')}`);
let address = process.env.MINIO_ADDRESS || ':9000';
const dirs = [];
for (let i = 1; i < args.length; i++) {
  const a = args[i];
  const [flag, inline] = a.startsWith('--') ? a.split(/=(.*)/s, 2) : [a, undefined];
  if (flag === '--address') address = inline ?? args[++i];
  else if (['--console-address', '--certs-dir', '-S', '--ftp', '--sftp'].includes(flag)) { if (inline === undefined) i++; }
  else if (flag.startsWith('-')) { /* --quiet, --json, --anonymous, ...: accepted */ }
  else dirs.push(a);
}
if (dirs.length === 0) fail('no data directory (minio server /data)');
if (dirs.length > 1) console.warn(`minio (stand-in): several drives given; only ${dirs[0]} is used`);
const dir = dirs[0];
const m = /^(.*):(\d+)$/.exec(address);
if (!m) fail(`--address ${address}: expected [HOST]:PORT`);
const host = m[1] || '0.0.0.0';
const port = Number(m[2]);

// --- credentials, in MinIO's order (cmd/common-main.go loadEnvVarsFromFiles) --------------------------
function readSecret(p) {
  const inSecrets = path.join('/run/secrets', p);
  const file = fs.existsSync(inSecrets) && fs.statSync(inSecrets).isFile() ? inSecrets : p;
  try { return fs.readFileSync(file, 'utf8').trim(); } catch (e) { if (e.code === 'ENOENT') return ''; throw e; }
}
for (const [fileVar, target] of [['MINIO_ROOT_USER_FILE', 'MINIO_ROOT_USER'], ['MINIO_ROOT_PASSWORD_FILE', 'MINIO_ROOT_PASSWORD']]) {
  const v = process.env[fileVar] ? readSecret(process.env[fileVar]) : '';
  if (v) process.env[target] = v;
}
if (process.env.MINIO_CONFIG_ENV_FILE) {
  let text = '';
  try { text = fs.readFileSync(process.env.MINIO_CONFIG_ENV_FILE, 'utf8'); } catch (e) { if (e.code !== 'ENOENT') throw e; }
  for (let line of text.split('\n')) {
    line = line.trim();
    if (!line || line.startsWith('#')) continue;
    const kv = /^([^=]+)=(.*)$/.exec(line.replace(/^export\s+/, ''));
    if (!kv) fail(`${process.env.MINIO_CONFIG_ENV_FILE}: expected KEY=value, got ${line}`);
    let v = kv[2];
    if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.at(-1) === v[0]) v = v.slice(1, -1);
    process.env[kv[1].trim()] = v;
  }
}
const user = process.env.MINIO_ROOT_USER || 'minioadmin';
const password = process.env.MINIO_ROOT_PASSWORD || 'minioadmin';
if (user.length < 3) fail('MINIO_ROOT_USER: at least 3 characters');
if (password.length < 8) fail('MINIO_ROOT_PASSWORD: at least 8 characters');
AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
AWSAccount.DUMMY_ACCOUNT.createKeyPair(user, password);
const secrets = new Map([[user, password]]);

// --- Signature V4 ----------------------------------------------------------------------------------------
const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const hmac = (key, s) => crypto.createHmac('sha256', key).update(s, 'utf8').digest();
const sha256 = (s) => crypto.createHash('sha256').update(s, 'utf8').digest('hex');
class Denied extends Error { constructor(code, message) { super(message); this.code = code; } }

function verifyV4(req) {
  const url = new URL(req.url, 'http://x');
  const q = url.searchParams;
  let credential, signedHeaders, signature, amzDate, payload, expires = null;
  const auth = req.headers.authorization;
  if (q.has('X-Amz-Signature')) {
    if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') throw new Denied('AccessDenied', 'only AWS4-HMAC-SHA256 is accepted');
    credential = q.get('X-Amz-Credential') || '';
    signedHeaders = q.get('X-Amz-SignedHeaders') || '';
    signature = q.get('X-Amz-Signature');
    amzDate = q.get('X-Amz-Date') || '';
    expires = Number(q.get('X-Amz-Expires'));
    payload = q.get('X-Amz-Content-Sha256') || req.headers['x-amz-content-sha256'] || 'UNSIGNED-PAYLOAD';
  } else if (auth) {
    const a = /^AWS4-HMAC-SHA256 Credential=([^,]+),\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]+)$/.exec(auth.trim());
    if (!a) throw new Denied('AccessDenied', 'only AWS4-HMAC-SHA256 authorization is accepted');
    [, credential, signedHeaders, signature] = a;
    amzDate = req.headers['x-amz-date'] || '';
    payload = req.headers['x-amz-content-sha256'] || 'UNSIGNED-PAYLOAD';
  } else {
    throw new Denied('AccessDenied', 'Access Denied.');
  }
  const [accessKey, date, region, service, term] = credential.split('/');
  const secret = secrets.get(accessKey);
  if (!secret) throw new Denied('InvalidAccessKeyId', 'The Access Key Id you provided does not exist in our records.');
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date || term !== 'aws4_request') throw new Denied('AccessDenied', 'malformed credential or date');
  if (expires !== null) {
    const t = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
    if (!Number.isFinite(expires) || expires < 1 || expires > 604800) throw new Denied('AccessDenied', 'X-Amz-Expires out of range');
    if (Date.now() > t + expires * 1000) throw new Denied('AccessDenied', 'Request has expired');
  }
  const pathname = url.pathname.split('/').map((s) => enc(decodeURIComponent(s))).join('/');
  const query = [...q.entries()].filter(([k]) => k !== 'X-Amz-Signature').map(([k, v]) => [enc(k), enc(v)])
    .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join('&');
  const names = signedHeaders.split(';');
  const headers = names.map((n) => {
    const v = req.headers[n];
    return `${n}:${(Array.isArray(v) ? v.join(',') : v ?? '').trim().replace(/\s+/g, ' ')}\n`;
  }).join('');
  const canonical = [req.method, pathname, query, headers, signedHeaders, payload].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac('AWS4' + secret, date), region), service), 'aws4_request');
  const expected = crypto.createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
  if (signature.length !== expected.length || !crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expected))) {
    throw new Denied('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
  }
}

function xmlError(res, status, code, message) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

// --- the server ------------------------------------------------------------------------------------------
fs.mkdirSync(dir, { recursive: true });
const s3 = new S3rver({ directory: dir, address: host, port, silent: !process.env.MINIO_STANDIN_LOG, vhostBuckets: false });
const app = s3.callback();

const server = require('http').createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (/^\/minio\/health\/(live|ready|cluster)$/.test(url.pathname)) { res.writeHead(200, { 'Content-Length': 0 }); return res.end(); }
  try {
    verifyV4(req);
  } catch (e) {
    if (!(e instanceof Denied)) throw e;
    req.resume();
    return xmlError(res, 403, e.code, e.message);
  }
  const bucket = /^\/([^/]+)\/?$/.exec(url.pathname)?.[1];
  // MinIO answers a CreateBucket of one's own bucket with BucketAlreadyOwnedByYou (s3rver: BucketAlreadyExists).
  if (bucket && req.method === 'PUT' && url.search === '' && fs.existsSync(path.join(dir, decodeURIComponent(bucket)))) {
    req.resume();
    return xmlError(res, 409, 'BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.');
  }
  if (bucket && url.searchParams.has('lifecycle')) {
    // Beside s3rver's own bucket configs (<bucket>/._S3rver_cors.xml), never listed as an object.
    const file = path.join(dir, decodeURIComponent(bucket), '._S3rver_lifecycle.xml');
    if (!fs.existsSync(path.join(dir, decodeURIComponent(bucket)))) return xmlError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    if (req.method === 'PUT') {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => { fs.writeFileSync(file, Buffer.concat(chunks)); res.writeHead(200, { 'Content-Length': 0 }); res.end(); });
      return;
    }
    if (req.method === 'GET') {
      if (!fs.existsSync(file)) return xmlError(res, 404, 'NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist');
      const body = fs.readFileSync(file);
      res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': body.length });
      return res.end(body);
    }
    if (req.method === 'DELETE') { fs.rmSync(file, { force: true }); res.writeHead(204); return res.end(); }
  }
  return app(req, res);
});
server.listen(port, host, () => console.log(`minio (stand-in: s3rver): API http://${host}:${port}, data ${dir}, user ${user}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
