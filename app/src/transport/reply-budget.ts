/**
 * The unsent bytes of big answers (joined, history, members): written to sockets whose clients have
 * not read them yet. Counted across the server and per source address, so clients that never read
 * cannot make everyone else's big requests wait:
 *   - an address past its share waits (its own clients have not read theirs);
 *   - past the server-wide budget, only addresses that hold unsent bytes wait; one that holds none
 *     (a bystander) still gets its answer, so the server holds at most one answer more per address.
 * A connection's own share (slowConsumerBytes) is checked by the connection.
 */
export class ReplyBudget {
  /** Across the server. */
  unsent = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly total: number, private readonly perAddress: number) {}

  /** True when a big request from `address` must wait. */
  full(address: string): boolean {
    const mine = this.byAddress.get(address) ?? 0;
    return mine > this.perAddress || (this.unsent > this.total && mine > 0);
  }

  /** `n` bytes of an answer to `address` were written to its socket. */
  add(address: string, n: number): void {
    this.unsent += n;
    this.byAddress.set(address, (this.byAddress.get(address) ?? 0) + n);
  }

  /** They were sent (or the socket closed). */
  sent(address: string, n: number): void {
    this.unsent -= n;
    const left = (this.byAddress.get(address) ?? 0) - n;
    if (left > 0) this.byAddress.set(address, left);
    else this.byAddress.delete(address);
  }

  /** Bytes unsent to `address` (for tests and metrics). */
  of(address: string): number {
    return this.byAddress.get(address) ?? 0;
  }
}
