/**
 * Password hashing: Node's built-in scrypt (memory-hard) with OWASP's current parameters
 * (N = 2^17, r = 8, p = 1: 128 MiB and a few hundred ms per hash), a 16-byte random salt, a 32-byte
 * key, compared with `timingSafeEqual`. No native addon to build, no package to trust: the reason
 * scrypt was picked over argon2id (README, dependencies).
 *
 * Each hash takes 128 MiB for a few hundred ms on libuv's thread pool, so a server computes at most
 * `concurrency` at once; the next `queue` wait, and beyond that `hash`/`verify` throw KdfBusyError
 * (the client gets `rate_limited`). A flood of sign-ins cannot take the memory or the thread pool.
 * The queue is fair per source address: waiting hashes are served round-robin by address, and a full
 * queue makes room for an address by refusing the newest waiter of the address with the most waiting
 * — so a flood from a few addresses delays everyone else by a few hashes, never refuses them.
 *
 * Stored form: `scrypt$<log2 N>$<r>$<p>$<salt base64>$<key base64>`; verification reads the
 * parameters from it, so raising SCRYPT_LOG2_N keeps existing accounts working.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const KEY_LEN = 32;
const SALT_LEN = 16;

interface Waiter {
  go: () => void;
  refuse: (err: Error) => void;
}

export class KdfBusyError extends Error {
  override name = 'KdfBusyError';
}

export interface KdfSettings {
  scryptLog2N: number;
  kdfConcurrency: number;
  kdfQueue: number;
}

function derive(password: string, salt: Buffer, log2N: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** log2N;
  const options: ScryptOptions = { N, r, p, maxmem: 128 * N * r * p + 32 * 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LEN, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

interface Parsed {
  log2N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): Parsed | null {
  const f = stored.split('$');
  if (f.length !== 6 || f[0] !== 'scrypt') return null;
  const [log2N, r, p] = [Number(f[1]), Number(f[2]), Number(f[3])];
  if (![log2N, r, p].every((n) => Number.isInteger(n) && n >= 1 && n <= 32)) return null;
  const salt = Buffer.from(f[4], 'base64');
  const key = Buffer.from(f[5], 'base64');
  if (salt.length !== SALT_LEN || key.length !== KEY_LEN) return null;
  return { log2N, r, p, salt, key };
}

export class PasswordHasher {
  /** scrypt runs started on this server (a sign-in of an unknown username runs one too). */
  derivations = 0;
  private running = 0;
  /** Waiting hashes per source address; the Map's order is the round-robin order. */
  private readonly queues = new Map<string, Waiter[]>();
  private queued = 0;
  /** A hash of a random password, to verify against when the username is unknown (same time as a real check). */
  private dummy: Promise<string> | null = null;

  constructor(private readonly settings: KdfSettings) {}

  /** The stored form of a new password (`address`: whose hash it is, for the fair queue). */
  async hash(password: string, address = ''): Promise<string> {
    const salt = randomBytes(SALT_LEN);
    const log2N = this.settings.scryptLog2N;
    const key = await this.slot(address, () => derive(password, salt, log2N, 8, 1));
    return ['scrypt', log2N, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
  }

  /**
   * True when `password` matches `stored`. With `stored` null (no such account) it checks against a
   * dummy hash and returns false, taking the same time, so the answer does not tell whether the
   * username exists.
   */
  async verify(password: string, stored: string | null, address = ''): Promise<boolean> {
    const real = stored === null ? null : parse(stored);
    if (real === null) await this.prepare(address);
    const target = real ?? parse(await this.dummy!)!;
    const key = await this.slot(address, () => derive(password, target.salt, target.log2N, target.r, target.p));
    return timingSafeEqual(key, target.key) && real !== null;
  }

  /**
   * Makes the dummy hash (once; again after a failure). Sign-in calls it first for every username, so
   * the first sign-in on a server takes two hashes' time whether the username exists or not.
   */
  prepare(address = ''): Promise<void> {
    if (!this.dummy) {
      const made = this.hash(randomBytes(24).toString('base64'), address);
      // A failed attempt is not kept: the next sign-in of an unknown username tries again.
      made.catch(() => { if (this.dummy === made) this.dummy = null; });
      this.dummy = made;
    }
    return this.dummy.then(() => {});
  }

  /** Hashes running or waiting on this server (for metrics and tests). */
  get load(): number {
    return this.running + this.queued;
  }

  private async slot<T>(address: string, fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.settings.kdfConcurrency) await this.wait(address);
    else this.running++;
    try {
      this.derivations++;
      return await fn();
    } finally {
      this.release();
    }
  }

  /** Waits for a running hash to hand its place over; throws KdfBusyError when the queue is full. */
  private wait(address: string): Promise<void> {
    return new Promise<void>((go, refuse) => {
      if (this.queued >= this.settings.kdfQueue && !this.makeRoomFor(address)) {
        refuse(new KdfBusyError('too many sign-ins at once on this server'));
        return;
      }
      let q = this.queues.get(address);
      if (!q) this.queues.set(address, (q = []));
      q.push({ go, refuse });
      this.queued++;
    });
  }

  /** A full queue refuses the newest waiter of the address with the most waiting, when it has more than `address` would. */
  private makeRoomFor(address: string): boolean {
    const own = this.queues.get(address)?.length ?? 0;
    let worst: [string, Waiter[]] | null = null;
    for (const e of this.queues) if (!worst || e[1].length > worst[1].length) worst = e;
    if (!worst || worst[1].length <= own + 1) return false;
    const w = worst[1].pop()!;
    this.queued--;
    if (worst[1].length === 0) this.queues.delete(worst[0]);
    w.refuse(new KdfBusyError('too many sign-ins at once from this address'));
    return true;
  }

  /** A hash ended: the next address in turn gets the place (and goes to the back of the turn). */
  private release(): void {
    const first = this.queues.entries().next();
    if (first.done) {
      this.running--;
      return;
    }
    const [address, q] = first.value;
    const w = q.shift()!;
    this.queued--;
    this.queues.delete(address);
    if (q.length > 0) this.queues.set(address, q);
    w.go();
  }
}
