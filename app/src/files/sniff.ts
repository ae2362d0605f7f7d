/**
 * What a file really is, from its first bytes: the type an upload declared is only believed when
 * the bytes agree (shared/PROTOCOL.md "Attachments": a `send` whose bytes differ in type from what
 * `upload` declared gets `bad_request`). The signatures are those of the WHATWG MIME Sniffing
 * standard for the types a browser would render or run, and the common document formats.
 */
import { INLINE_IMAGE_TYPES } from '../protocol/messages.js';

/** Bytes enough for every signature below (and for skipping a text file's leading blanks). */
export const SNIFF_BYTES = 4096;

const startsWith = (b: Buffer, sig: number[], at = 0) => b.length >= at + sig.length && sig.every((x, i) => b[at + i] === x);
const ascii = (b: Buffer, s: string, at = 0) => b.length >= at + s.length && b.toString('latin1', at, at + s.length) === s;

/** Markup a browser would render as a document, whatever the declared type (WHATWG "HTML" patterns, case-insensitive). */
const MARKUP = ['<!doctype html', '<html', '<head', '<script', '<iframe', '<h1', '<div', '<font', '<table', '<a', '<style',
  '<title', '<b', '<body', '<br', '<p', '<!--', '<?xml', '<svg'];

/** The type the bytes show, or null when they show none of those known here. */
export function sniffType(bytes: Buffer): string | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (ascii(bytes, 'GIF87a') || ascii(bytes, 'GIF89a')) return 'image/gif';
  if (ascii(bytes, 'RIFF') && ascii(bytes, 'WEBPVP', 8)) return 'image/webp';
  if (ascii(bytes, '%PDF-')) return 'application/pdf';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return 'application/zip';
  if (startsWith(bytes, [0x1f, 0x8b, 0x08])) return 'application/gzip';
  if (ascii(bytes, 'BM')) return 'image/bmp';
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return 'image/x-icon';
  if (ascii(bytes, 'ftyp', 4)) return 'video/mp4';
  if (startsWith(bytes, [0x1a, 0x45, 0xdf, 0xa3])) return 'video/webm';
  if (ascii(bytes, 'OggS')) return 'audio/ogg';
  if (ascii(bytes, 'ID3')) return 'audio/mpeg';
  return markup(bytes) ? 'text/html' : null;
}

/** Leading whitespace (and a UTF-8 BOM) skipped, does the text start like markup? */
function markup(bytes: Buffer): boolean {
  let i = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0c || bytes[i] === 0x0d)) i++;
  const head = bytes.toString('latin1', i, Math.min(bytes.length, i + 16)).toLowerCase();
  return MARKUP.some((tag) => head.startsWith(tag) && (tag.startsWith('<!--') || head.length === tag.length || /[ >\t\n\r\f/]/.test(head[tag.length] ?? '')));
}

/** Markup and script types: stored and offered as downloads only, never as what they declare. */
const SCRIPTABLE = /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|text\/javascript|application\/javascript)$/;
export const isScriptable = (mime: string) => SCRIPTABLE.test(mime);

/**
 * Whether bytes that sniff as `sniffed` may be stored as the `declared` type: an image type only
 * when the bytes are that image; bytes that are an image, a PDF, an archive or markup only under
 * their own type (so a page is not sent as a "PNG", nor a PNG as a "PDF"); anything else (text,
 * unknown formats) under any non-image type, served as a download.
 */
export function typeMatches(declared: string, sniffed: string | null): boolean {
  if (INLINE_IMAGE_TYPES.includes(declared)) return sniffed === declared;
  if (sniffed === null) return true;
  if (sniffed === 'text/html') return isScriptable(declared) || declared === 'text/plain' || declared === 'application/octet-stream';
  if (declared === 'application/octet-stream') return !INLINE_IMAGE_TYPES.includes(sniffed);
  if (sniffed === 'application/zip') return declared === 'application/zip' || /zip|officedocument|opendocument|epub|jar|x-compressed/.test(declared);
  return sniffed === declared || sameFamily(declared, sniffed);
}

/** A few types with more than one name in use. */
function sameFamily(a: string, b: string): boolean {
  const alias: Record<string, string> = { 'image/x-ms-bmp': 'image/bmp', 'image/vnd.microsoft.icon': 'image/x-icon', 'application/x-gzip': 'application/gzip', 'audio/mp3': 'audio/mpeg', 'video/quicktime': 'video/mp4', 'audio/mp4': 'video/mp4', 'audio/webm': 'video/webm', 'video/ogg': 'audio/ogg' };
  return (alias[a] ?? a) === (alias[b] ?? b);
}
