/** A store write nobody waits for (an index, a TTL): a failure is logged, the next use repeats it. */
import type { Logger } from '../log.js';

export function background(log: Logger, write: Promise<unknown>, failure: string): void {
  write.catch((err: unknown) => log.warn({ err: (err as Error).message }, failure));
}
