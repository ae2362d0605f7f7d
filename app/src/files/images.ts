/**
 * Images sent as attachments: checked by decoding (a file that says PNG must decode as one, within a
 * pixel budget that refuses decompression bombs) and given a small re-encoded thumbnail (WebP, at
 * most THUMB_BOX pixels a side) so a room of photos does not load full-size images. sharp (libvips)
 * does the work on its own threads, off the event loop.
 */
import sharp from 'sharp';
import { thumbName, type FileStore } from './file-store.js';

// One libvips thread per operation and no operation cache: the image worker (image-worker.ts) takes
// one image at a time, so a burst of uploads takes at most about one core from the event loops'
// neighbours, and no decoded image is kept after its thumbnail.
sharp.concurrency(1);
sharp.cache(false);

/** Longest side of a thumbnail, in pixels (shown at up to half that on the page, sharp on 2× screens). */
export const THUMB_BOX = 480;
/** Decoded pixels an image may have: 50 megapixels (an 8K photo is 33). Larger is refused unread. */
export const MAX_PIXELS = 50_000_000;

export interface ImageInfo { width: number; height: number }
export interface Thumbnail extends ImageInfo { bytes: Buffer }

/** Thrown when bytes that claim to be an image do not decode as one within the budget. */
export class ImageRefusedError extends Error {}

/** The image's size as shown (EXIF orientation applied); throws ImageRefusedError when it is not a usable image. */
export async function imageInfo(bytes: Buffer, maxPixels = MAX_PIXELS): Promise<ImageInfo> {
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
export async function thumbnail(bytes: Buffer, maxPixels = MAX_PIXELS): Promise<Thumbnail> {
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

/** What checking a committed image gave: its size as shown, or why it was refused. */
export type ImageResult = ImageInfo | { refused: string };

/**
 * Checks the committed image `r/<room>/<name>` (`size` bytes) and stores its thumbnail as
 * `r/<room>/<key>.thumb.webp`: the one image check, run by the image worker (and in-process where
 * there is none). Store failures throw.
 */
export async function checkImage(store: FileStore, room: string, name: string, key: string, size: number): Promise<ImageResult> {
  const bytes = await store.readCommitted(room, name, size);
  try {
    const info = await imageInfo(bytes);
    await store.writeDerived(room, thumbName(key), (await thumbnail(bytes)).bytes, 'image/webp');
    return info;
  } catch (err) {
    if (err instanceof ImageRefusedError) return { refused: err.message };
    throw err;
  }
}
