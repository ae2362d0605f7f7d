/**
 * The image worker: a child process of each server (files/image-checker.ts) that reads a committed
 * image from the file store, decodes it within the pixel budget and writes its thumbnail — at the
 * lowest CPU priority (nice 19), so the servers' event loops, HAProxy and Redis always run first and
 * chat delivery does not wait behind a burst of photos. The image's bytes go store -> this process ->
 * store and never through the server's event loop.
 *
 * Protocol (IPC, one job at a time): {id, room, name, key, size} -> {id, width, height} |
 * {id, refused: reason} | {id, error: message}. Its settings are the server's (FILES_*, S3_*), plus
 * FILES_ORIGIN as the server resolved it.
 */
import { setPriority } from 'node:os';
import { pino } from 'pino';
import { filesConfig, createFileStore } from './files-config.js';
import { checkImage } from './images.js';

export interface ImageJob { id: number; room: string; name: string; key: string; size: number }
export type ImageAnswer = { id: number; width: number; height: number } | { id: number; refused: string } | { id: number; error: string };

try {
  setPriority(19);
} catch {
  // not allowed to lower it (some sandboxes): still a process of its own
}

const log = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { appId: process.env.APPID, role: 'image-worker' } });
const store = createFileStore(filesConfig(process.env, false), log);
if (!store) process.exit(0);

let chain = Promise.resolve();
process.on('message', (job: ImageJob) => {
  chain = chain.then(() => work(job)).then((answer) => { process.send?.(answer); });
});
process.on('disconnect', () => process.exit(0));

async function work(job: ImageJob): Promise<ImageAnswer> {
  try {
    return { id: job.id, ...await checkImage(store!, job.room, job.name, job.key, job.size) };
  } catch (err) {
    log.warn({ err }, 'image job failed');
    return { id: job.id, error: (err as Error).message };
  }
}
