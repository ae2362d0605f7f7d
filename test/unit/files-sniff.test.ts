// What a file really is (app/src/files/sniff.ts) and whether an image decodes within budget (images.ts).
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { imageInfo, ImageRefusedError, MAX_PIXELS, thumbnail, THUMB_BOX } from '../../app/src/files/images.js';
import { sniffType, typeMatches } from '../../app/src/files/sniff.js';

/** A PNG signature, an IHDR chunk for w x h (8-bit RGB) and IEND: what a decoder reads first. */
function pngHeaderOnly(w: number, h: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IEND', Buffer.alloc(0))]);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

const make = (w: number, h: number, format: 'png' | 'jpeg' | 'gif' | 'webp') =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r: 10, g: 120, b: 200 } } }).toFormat(format).toBuffer();

describe('sniffType', () => {
  it('knows the images, documents and archives by their first bytes', async () => {
    for (const f of ['png', 'jpeg', 'gif', 'webp'] as const) expect(sniffType(await make(8, 8, f))).toBe(`image/${f}`);
    expect(sniffType(Buffer.from('%PDF-1.7\n…'))).toBe('application/pdf');
    expect(sniffType(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]))).toBe('application/zip');
    expect(sniffType(Buffer.from('plain words, nothing more'))).toBeNull();
    expect(sniffType(Buffer.alloc(0))).toBeNull();
  });

  it('finds markup a browser would render, after blanks and a BOM, in any case', () => {
    for (const t of ['<!DOCTYPE html><p>', '  \n<html>', '\ufeff<script>alert(1)</script>', '<svg xmlns="http://www.w3.org/2000/svg">', '<?xml version="1.0"?>', '<!-- x -->', '<BODY onload=x>']) {
      expect(sniffType(Buffer.from(t)), t).toBe('text/html');
    }
    expect(sniffType(Buffer.from('<notatag and more'))).toBeNull();
    expect(sniffType(Buffer.from('a <script> later in the text'))).toBeNull();
  });
});

describe('typeMatches', () => {
  it('an image type only for bytes of that image', () => {
    expect(typeMatches('image/png', 'image/png')).toBe(true);
    expect(typeMatches('image/png', 'text/html')).toBe(false);
    expect(typeMatches('image/png', 'image/jpeg')).toBe(false);
    expect(typeMatches('image/jpeg', null)).toBe(false);
  });

  it('known bytes only under their own type; unknown bytes under any non-image type', () => {
    expect(typeMatches('application/pdf', 'application/pdf')).toBe(true);
    expect(typeMatches('application/pdf', 'image/png')).toBe(false);
    expect(typeMatches('application/octet-stream', 'image/png')).toBe(false);
    expect(typeMatches('text/plain', null)).toBe(true);
    expect(typeMatches('application/x-whatever', null)).toBe(true);
    expect(typeMatches('text/html', 'text/html')).toBe(true);
    expect(typeMatches('application/pdf', 'text/html')).toBe(false);
    expect(typeMatches('application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'application/zip')).toBe(true);
  });
});

describe('images', () => {
  it('gives an image its size and a WebP thumbnail inside the box, never enlarged', async () => {
    const big = await make(1600, 900, 'jpeg');
    expect(await imageInfo(big)).toEqual({ width: 1600, height: 900 });
    const t = await thumbnail(big);
    expect(Math.max(t.width, t.height)).toBe(THUMB_BOX);
    expect((await sharp(t.bytes).metadata()).format).toBe('webp');
    const small = await thumbnail(await make(40, 30, 'png'));
    expect([small.width, small.height]).toEqual([40, 30]);
  });

  it("counts every frame of an animation against the pixel budget", async () => {
    const frame = (r: number) => sharp({ create: { width: 100, height: 100, channels: 3, background: { r, g: 0, b: 0 } } }).png().toBuffer();
    const gif = await sharp(await Promise.all([frame(10), frame(120), frame(240)]), { join: { animated: true } }).gif().toBuffer();
    expect(await imageInfo(gif, 40_000)).toEqual({ width: 100, height: 100 });
    await expect(imageInfo(gif, 25_000)).rejects.toBeInstanceOf(ImageRefusedError); // 3 × 10,000 pixels
  });

  it('refuses bytes that do not decode, and a decompression bomb before decoding it', async () => {
    await expect(imageInfo(Buffer.from('\x89PNG\r\n\x1a\nnot really'))).rejects.toBeInstanceOf(ImageRefusedError);
    // A PNG that says 20000 x 20000 (400 megapixels decoded) in a few dozen bytes.
    const bomb = pngHeaderOnly(20_000, 20_000);
    expect(bomb.length).toBeLessThan(100);
    await expect(imageInfo(bomb)).rejects.toBeInstanceOf(ImageRefusedError);
    await expect(thumbnail(bomb)).rejects.toBeInstanceOf(ImageRefusedError);
    expect(20_000 * 20_000).toBeGreaterThan(MAX_PIXELS);
  });
});
