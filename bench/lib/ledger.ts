/**
 * Delivery accounting for one client in one room: which message ids it received, in what order.
 * Room ids are dense (1, 2, 3, …) and every client must see them in ascending order, so a growable
 * bitset from the id after the client's `joined.last` is enough to tell, per delivery:
 *  - in order (greater than every id seen so far),
 *  - duplicate (already seen, or not newer than the `last` it joined at),
 *  - out of order (not seen yet, but lower than an id already seen).
 * Loss is decided at the end against the ids the senders had acked (see `lostAmong`).
 */

export type Arrival = 'ok' | 'dup' | 'ooo';

export class DeliveryLedger {
  /** Ids ≤ base were in the room before this client joined. */
  readonly base: number;
  private bits: Uint8Array;
  /** Highest id received so far (base when none). */
  highest: number;
  received = 0;
  duplicates = 0;
  outOfOrder = 0;

  constructor(base: number, expected = 1024) {
    this.base = base;
    this.highest = base;
    this.bits = new Uint8Array(Math.max(16, Math.ceil(expected / 8)));
  }

  /** Whether id (> base) has been received. */
  has(id: number): boolean {
    const k = id - this.base - 1;
    if (k < 0) return false;
    const byte = k >>> 3;
    return byte < this.bits.length && (this.bits[byte] & (1 << (k & 7))) !== 0;
  }

  /** Records a delivery of `id` and classifies it. */
  record(id: number): Arrival {
    const k = id - this.base - 1;
    if (k < 0) {
      this.duplicates++;
      return 'dup';
    }
    const byte = k >>> 3;
    if (byte >= this.bits.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.bits.length * 2));
      grown.set(this.bits);
      this.bits = grown;
    }
    const mask = 1 << (k & 7);
    if (this.bits[byte] & mask) {
      this.duplicates++;
      return 'dup';
    }
    this.bits[byte] |= mask;
    this.received++;
    if (id > this.highest) {
      this.highest = id;
      return 'ok';
    }
    this.outOfOrder++;
    return 'ooo';
  }

  /** How many of `ids` (acked ids of this room) after `base` this client never received. */
  lostAmong(ids: ArrayLike<number>): number {
    let lost = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id > this.base && !this.has(id)) lost++;
    }
    return lost;
  }

  /** Whether every id in (base, upTo] has arrived (cheap check during the drain). */
  caughtUp(upTo: number): boolean {
    return this.highest >= upTo && this.received >= upTo - this.base;
  }
}

/** The acked ids of one room, as sent by this tool's senders. */
export class AckedIds {
  private ids: number[] = [];
  max = 0;

  add(id: number): void {
    this.ids.push(id);
    if (id > this.max) this.max = id;
  }

  get count(): number {
    return this.ids.length;
  }

  all(): readonly number[] {
    return this.ids;
  }
}
