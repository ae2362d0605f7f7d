/**
 * Checks a committed image and makes its thumbnail (files/images.ts) for AttachmentFiles — in the
 * image worker, a low-priority child process (files/image-worker.ts), started on first use and again
 * after it dies; where there is no built worker beside this module (tests running the TypeScript
 * sources), in this process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log.js';
import { FileStoreUnavailableError, thumbName, type FileStore } from './file-store.js';
import { imageInfo, ImageRefusedError, thumbnail } from './images.js';
import type { ImageAnswer, ImageJob } from './image-worker.js';

export type ImageResult = { width: number; height: number } | { refused: string };

export interface ImageChecker {
  check(room: string, name: string, key: string, size: number): Promise<ImageResult>;
  /** Starts the worker now (at server start), not at the first image under traffic. */
  warm(): void;
  close(): void;
}

/** The worker beside the server's bundle (dist/image-worker.js), when built. */
const WORKER = fileURLToPath(new URL('./image-worker.js', import.meta.url));

export function createImageChecker(store: FileStore, log: Logger, env: () => NodeJS.ProcessEnv): ImageChecker {
  return existsSync(WORKER) ? new WorkerImageChecker(WORKER, log, env) : new InProcessImageChecker(store);
}

class InProcessImageChecker implements ImageChecker {
  constructor(private readonly store: FileStore) {}

  async check(room: string, name: string, key: string, size: number): Promise<ImageResult> {
    const bytes = await this.store.readCommitted(room, name, size);
    try {
      const info = await imageInfo(bytes);
      await this.store.writeDerived(room, thumbName(key), (await thumbnail(bytes)).bytes, 'image/webp');
      return info;
    } catch (err) {
      if (err instanceof ImageRefusedError) return { refused: err.message };
      throw err;
    }
  }

  warm(): void {}

  close(): void {}
}

class WorkerImageChecker implements ImageChecker {
  private child: ChildProcess | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: ImageResult) => void; reject: (e: Error) => void }>();
  private closed = false;

  constructor(private readonly path: string, private readonly log: Logger, private readonly env: () => NodeJS.ProcessEnv) {}

  check(room: string, name: string, key: string, size: number): Promise<ImageResult> {
    const child = this.worker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      child.send({ id, room, name, key, size } satisfies ImageJob, (err) => {
        if (err) this.settle(id, new FileStoreUnavailableError(`image worker: ${err.message}`));
      });
    });
  }

  warm(): void {
    this.worker();
  }

  close(): void {
    this.closed = true;
    this.child?.kill();
  }

  private worker(): ChildProcess {
    if (this.child) return this.child;
    const child = fork(this.path, [], { env: this.env(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    this.child = child;
    child.on('message', (a: ImageAnswer) => {
      if ('error' in a) this.settle(a.id, new FileStoreUnavailableError(`image worker: ${a.error}`));
      else this.settle(a.id, 'refused' in a ? { refused: a.refused } : { width: a.width, height: a.height });
    });
    child.on('error', (err) => this.log.error({ err }, 'image worker error'));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      if (!this.closed) this.log.warn({ code, signal }, 'image worker exited; the next image starts another');
      for (const id of [...this.pending.keys()]) this.settle(id, new FileStoreUnavailableError('image worker exited'));
    });
    return child;
  }

  private settle(id: number, r: ImageResult | Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (r instanceof Error) p.reject(r);
    else p.resolve(r);
  }
}
