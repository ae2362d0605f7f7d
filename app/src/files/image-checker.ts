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
import { FileStoreUnavailableError, type FileStore } from './file-store.js';
import { checkImage, type ImageResult } from './images.js';
import type { ImageAnswer, ImageJob } from './image-worker.js';

export type { ImageResult };

export interface ImageChecker {
  check(room: string, name: string, key: string, size: number): Promise<ImageResult>;
  /** Starts the worker now (at server start), not at the first image under traffic. */
  warm(): void;
  close(): void;
}

/** Images waiting for the worker at most; past it a send with an image gets `unavailable` (retry later). */
const QUEUE_MAX = 32;
/** One image's check and thumbnail at most; past it the worker is killed (and started again for the next). */
const JOB_TIMEOUT_MS = 30_000;

/** The worker beside the server's bundle (dist/image-worker.js), when built. */
const WORKER = fileURLToPath(new URL('./image-worker.js', import.meta.url));

export function createImageChecker(store: FileStore, log: Logger, env: () => NodeJS.ProcessEnv): ImageChecker {
  return existsSync(WORKER) ? new WorkerImageChecker(WORKER, log, env) : new InProcessImageChecker(store);
}

class InProcessImageChecker implements ImageChecker {
  constructor(private readonly store: FileStore) {}

  check(room: string, name: string, key: string, size: number): Promise<ImageResult> {
    return checkImage(this.store, room, name, key, size);
  }

  warm(): void {}

  close(): void {}
}

class WorkerImageChecker implements ImageChecker {
  private child: ChildProcess | null = null;
  private nextId = 1;
  /** Jobs sent and not answered, with the worker each went to. */
  private readonly pending = new Map<number, { resolve: (r: ImageResult) => void; reject: (e: Error) => void; child?: ChildProcess }>();
  private closed = false;

  constructor(private readonly path: string, private readonly log: Logger, private readonly env: () => NodeJS.ProcessEnv) {}

  check(room: string, name: string, key: string, size: number): Promise<ImageResult> {
    if (this.pending.size >= QUEUE_MAX) return Promise.reject(new FileStoreUnavailableError('image worker: too many images waiting'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // Jobs run one after another: this one's deadline counts from when those before it are done, at most.
      const timer = setTimeout(() => {
        this.log.warn({ id }, 'image job timed out: the worker is restarted');
        this.child?.kill('SIGKILL');
      }, JOB_TIMEOUT_MS * (this.pending.size + 1));
      timer.unref();
      this.pending.set(id, { resolve: (r) => { clearTimeout(timer); resolve(r); }, reject: (e) => { clearTimeout(timer); reject(e); } });
      this.post({ id, room, name, key, size }, true);
    });
  }

  /** Sends a job; a worker that died unnoticed (its exit not handled yet) is replaced once. */
  private post(job: ImageJob, retry: boolean): void {
    const child = this.worker();
    const p = this.pending.get(job.id);
    if (p) p.child = child;
    child.send(job, (err) => {
      if (!err) return;
      if (this.child === child) this.child = null;
      if (retry) this.post(job, false);
      else this.settle(job.id, new FileStoreUnavailableError(`image worker: ${err.message}`));
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
    if (this.child && this.child.connected && this.child.exitCode === null && this.child.signalCode === null) return this.child;
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
      for (const [id, p] of [...this.pending]) if (p.child === child) this.settle(id, new FileStoreUnavailableError('image worker exited'));
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
