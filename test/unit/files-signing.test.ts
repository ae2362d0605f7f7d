/**
 * File URL signing (app/src/files/signing.ts): the nginx secure_link formula (vectors computed with
 * `openssl md5 -binary | openssl base64`, independent of the code), verification of every part the
 * signature covers, expiry as nginx counts it, and file names encoded so no header or query breaks.
 * The contract suite (test/contract/files.contract.test.ts) checks the same URLs against the real nginx.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFileName, ENCODED_NAME, rawQueryArg, signature, signedPath, verifySignature, type SignedRequest } from '../../app/src/files/signing.js';

const SECRET = 'secret-0123456789abcdef';
const KEY = '0b7e2a1c-7a1f-4c4e-9f51-2b8a8f6d1e3a';

/** The request a signed path makes (as the handler reads it). */
function requestOf(path: string, method: string, length = ''): { r: SignedRequest; s: string | null } {
  return { r: { uri: path.split('?')[0], method, e: rawQueryArg(path, 'e') ?? '', n: rawQueryArg(path, 'n') ?? '', length }, s: rawQueryArg(path, 's') };
}

describe('signature: nginx secure_link_md5 "$secure_link_expires|$uri|$request_method|$arg_n|$http_content_length|$secret"', () => {
  it('matches vectors made with openssl', () => {
    expect(signature(SECRET, { e: '1700000000', uri: `/files/r/lobby/${KEY}.bin`, method: 'GET', n: 'r%C3%A9sum%C3%A9.pdf', length: '' }))
      .toBe('_bH6pFa8Ioh3hS0wpsoWFQ');
    expect(signature(SECRET, { e: '1700000000', uri: `/files/up/${KEY}`, method: 'PUT', n: '', length: '1234' }))
      .toBe('A-s0YTU-EUP93hmVtCAroQ');
  });

  it('signedPath puts e, s and n (downloads only) in the query', () => {
    const at = 1_700_000_000_000;
    expect(signedPath(SECRET, `/files/r/lobby/${KEY}.bin`, 'GET', at, { filename: 'résumé.pdf' }))
      .toBe(`/files/r/lobby/${KEY}.bin?e=1700000000&s=_bH6pFa8Ioh3hS0wpsoWFQ&n=r%C3%A9sum%C3%A9.pdf`);
    expect(signedPath(SECRET, `/files/up/${KEY}`, 'PUT', at - 1, { length: 1234 })).toBe(`/files/up/${KEY}?e=1700000000&s=A-s0YTU-EUP93hmVtCAroQ`);
    expect(signedPath(SECRET, `/files/r/lobby/${KEY}.png`, 'GET', at)).not.toContain('&n=');
  });
});

describe('verifySignature', () => {
  const now = Date.now();

  it('a field cannot slide into the next: a 1234-byte PUT URL with n=12 added does not sign a 34-byte PUT', () => {
    const put = signedPath(SECRET, `/files/up/${KEY}`, 'PUT', now + 60_000, { length: 1234 });
    const { r, s } = requestOf(`${put}&n=12`, 'PUT', '34');
    expect(verifySignature(SECRET, r, s, now)).toBe('invalid');
    expect(verifySignature(SECRET, requestOf(put, 'PUT', '1234').r, s, now)).toBe('ok');
  });
  const path = signedPath(SECRET, `/files/up/${KEY}`, 'PUT', now + 60_000, { length: 300 });

  it('accepts the request it was made for', () => {
    const { r, s } = requestOf(path, 'PUT', '300');
    expect(verifySignature(SECRET, r, s, now)).toBe('ok');
  });

  it('refuses any change: path, method, length, name, expiry, signature, secret; and a missing signature', () => {
    const { r, s } = requestOf(path, 'PUT', '300');
    const bad: [string, SignedRequest, string | null, string?][] = [
      ['path', { ...r, uri: `/files/up/${KEY.replace('0b', '0c')}` }, s],
      ['room path', { ...r, uri: `/files/r/lobby/${KEY}.png` }, s],
      ['method', { ...r, method: 'GET' }, s],
      ['length', { ...r, length: '301' }, s],
      ['no length', { ...r, length: '' }, s],
      ['name added', { ...r, n: 'x.html' }, s],
      ['expiry pushed', { ...r, e: String(Number(r.e) + 3600) }, s],
      ['signature altered', r, `${s!.slice(0, -1)}${s!.endsWith('A') ? 'B' : 'A'}`],
      ['signature cut', r, s!.slice(1)],
      ['no signature', r, null],
      ['empty signature', r, ''],
      ['other secret', r, s, 'another-secret-0123456789'],
      ['no expiry', { ...r, e: '' }, s],
      ['expiry not a number', { ...r, e: '1e10' }, s],
    ];
    for (const [what, req, sig, secret] of bad) expect(verifySignature(secret ?? SECRET, req, sig, now), what).toBe('invalid');
  });

  it('expires like nginx: valid through the second of `e`, expired after it', () => {
    const e = 1_800_000_000;
    const r: SignedRequest = { uri: `/files/up/${KEY}`, method: 'HEAD', e: String(e), n: '', length: '' };
    const s = signature(SECRET, r);
    expect(verifySignature(SECRET, r, s, e * 1000 - 1)).toBe('ok');
    expect(verifySignature(SECRET, r, s, e * 1000 + 999)).toBe('ok');
    expect(verifySignature(SECRET, r, s, e * 1000 + 1000)).toBe('expired');
    // A tampered signature on an expired URL is invalid, not merely expired.
    expect(verifySignature(SECRET, r, s.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')), e * 1000 + 5000)).toBe('invalid');
  });
});

describe('encodeFileName (RFC 5987 / 8187 filename*)', () => {
  it('escapes what encodeURIComponent leaves and a header or query could break on', () => {
    expect(encodeFileName("it's (final) *draft*.pdf")).toBe('it%27s%20%28final%29%20%2Adraft%2A.pdf');
    expect(encodeFileName('a"b;c=d\r\nSet-Cookie: x')).toBe('a%22b%3Bc%3Dd%0D%0ASet-Cookie%3A%20x');
    expect(encodeFileName('résumé 📎.txt')).toBe('r%C3%A9sum%C3%A9%20%F0%9F%93%8E.txt');
    expect(encodeFileName('a&n=evil.html')).toBe('a%26n%3Devil.html');
  });

  it('always yields only attr-chars and %XX, decoding back to the name', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (name) => {
      const enc = encodeFileName(name);
      expect(enc).toMatch(ENCODED_NAME);
      expect(decodeURIComponent(enc)).toBe(name);
    }));
  });

  it('a signed download URL survives a name with query characters: n is read back raw and verifies', () => {
    const at = Date.now() + 60_000;
    const path = signedPath(SECRET, `/files/r/lobby/${KEY}.bin`, 'GET', at, { filename: 'x&s=AAAA&e=1.pdf' });
    const { r, s } = requestOf(path, 'GET');
    expect(r.n).toBe(encodeFileName('x&s=AAAA&e=1.pdf'));
    expect(verifySignature(SECRET, r, s)).toBe('ok');
  });
});

describe('rawQueryArg: like nginx $arg_name', () => {
  it('takes the first occurrence, undecoded, name in any case; null when absent', () => {
    expect(rawQueryArg('/p?a=1&n=r%C3%A9&n=2', 'n')).toBe('r%C3%A9');
    expect(rawQueryArg('/p?N=x', 'n')).toBe('x');
    expect(rawQueryArg('/p?e', 'e')).toBe('');
    expect(rawQueryArg('/p?e=1', 's')).toBeNull();
    expect(rawQueryArg('/p', 's')).toBeNull();
  });
});

describe('the embedded node sweeps its upload area', () => {
  it('removes uploads older than a day, keeps newer ones and rooms\' files', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, utimesSync, existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { sweepUploads } = await import('../../app/src/files/files-http.js');
    const dir = mkdtempSync(join(tmpdir(), 'livechat-sweep-'));
    mkdirSync(join(dir, 'up'));
    mkdirSync(join(dir, 'r', 'lobby'), { recursive: true });
    for (const f of ['up/old', 'up/new', 'r/lobby/old.png']) writeFileSync(join(dir, f), 'x');
    const dayAgo = (Date.now() - 25 * 3_600_000) / 1000;
    utimesSync(join(dir, 'up/old'), dayAgo, dayAgo);
    utimesSync(join(dir, 'r/lobby/old.png'), dayAgo, dayAgo);
    expect(await sweepUploads(dir)).toBe(1);
    expect([existsSync(join(dir, 'up/old')), existsSync(join(dir, 'up/new')), existsSync(join(dir, 'r/lobby/old.png'))]).toEqual([false, true, true]);
  });
});
