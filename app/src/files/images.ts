/**
 * Images sent as attachments: checked by decoding (a file that says PNG must decode as one, within a
 * pixel budget that refuses decompression bombs) and given a small re-encoded thumbnail (WebP, at
 * most THUMB_BOX pixels a side) so a room of photos does not load full-size images. sharp (libvips)
 * does the work on its own threads, off the event loop.
 */
import sharp from 'sharp';

// One libvips thread per operation and no operation cache: a server checks one image at a time on
// one thread (below), so a burst of uploads takes at most about one core from the event loop's
// neighbours, and no decoded image is kept after its thumbnail.
sharp.concurrency(1);
sharp.cache(false);

/** Images checked at once on this server; the rest wait their turn (FIFO). */
const AT_ONCE = 1;
let running = 0;
const waiting: Array<() => void> = [];

/** Runs `work` when fewer than AT_ONCE images are being worked on. */
async function inTurn<T>(work: () => Promise<T>): Promise<T> {
  if (running >= AT_ONCE) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Longest side of a thumbnail, in pixels (shown at up to half that on the page, sharp on 2× screens). */
export const THUMB_BOX = 480;
/** Decoded pixels an image may have: 50 megapixels (an 8K photo is 33). Larger is refused unread. */
export const MAX_PIXELS = 50_000_000;

export interface ImageInfo { width: number; height: number }
export interface Thumbnail extends ImageInfo { bytes: Buffer }

/** Thrown when bytes that claim to be an image do not decode as one within the budget. */
export class ImageRefusedError extends Error {}

/** The image's size as shown (EXIF orientation applied); throws ImageRefusedError when it is not a usable image. */
export function imageInfo(bytes: Buffer, maxPixels = MAX_PIXELS): Promise<ImageInfo> {
  return inTurn(() => readInfo(bytes, maxPixels));
}

async function readInfo(bytes: Buffer, maxPixels: number): Promise<ImageInfo> {
  try {
    const m = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' }).metadata();
    if (!m.width || !m.height) throw new ImageRefusedError('the image has no size');
    // An animation's frames all count: sharp reports a frame's height in pageHeight, their number in pages.
    const frames = m.pages ?? 1;
    const frameHeight = m.pageHeight ?? m.height;
    if (m.width * frameHeight * frames > maxPixels) throw new ImageRefusedError(`the image is ${frames} × ${m.width}×${frameHeight}: more than ${maxPixels / 1e6} megapixels`);
    const turned = (m.orientation ?? 1) >= 5;
    return turned ? { width: m.height, height: m.width } : { width: m.width, height: m.height };
  } catch (err) {
    if (err instanceof ImageRefusedError) throw err;
    throw new ImageRefusedError(`the file does not decode as an image (${(err as Error).message.split('\n')[0]})`);
  }
}

/** A WebP of at most THUMB_BOX a side (never enlarged), the first frame of an animation, EXIF orientation applied and metadata dropped. */
export function thumbnail(bytes: Buffer, maxPixels = MAX_PIXELS): Promise<Thumbnail> {
  return inTurn(() => makeThumbnail(bytes, maxPixels));
}

async function makeThumbnail(bytes: Buffer, maxPixels: number): Promise<Thumbnail> {
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' })
      .rotate()
      .resize({ width: THUMB_BOX, height: THUMB_BOX, fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 78 })
      .toBuffer({ resolveWithObject: true });
    return { bytes: data, width: info.width, height: info.height };
  } catch (err) {
    throw new ImageRefusedError(`the image could not be read (${(err as Error).message.split('\n')[0]})`);
  }
}
