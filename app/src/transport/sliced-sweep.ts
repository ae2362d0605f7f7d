/**
 * Visits every entry of a live collection once per period, a slice each tick, instead of all of them
 * at once: the WebSocket heartbeat over 2,000 connections is then 100 pings every second, not a burst
 * of 2,000 pings (and 2,000 pongs back, through HAProxy) every 20 s that holds up the room frames
 * going out at that moment — a big room's delivery tail (docs/benchmarks.md, issue 26). The same for
 * the SSE streams' heartbeat comments.
 *
 * A Set's or Map's iterator is live: entries added during a round are visited in it, removed ones are
 * skipped. A round ends when the iterator is exhausted; the next tick starts another.
 */
export interface LiveCollection<T> {
  readonly size: number;
  values(): IterableIterator<T>;
}

export class SlicedSweep<T> {
  private cursor: Iterator<T> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly items: LiveCollection<T>,
    private readonly periodMs: number,
    private readonly visit: (item: T) => void,
    private readonly slices = 20,
  ) {}

  start(): void {
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.disarm();
  }

  /**
   * Call after adding an entry. A sweep whose collection ran empty stops its timer (an idle server
   * does not wake for nothing: the SSE heartbeat's would tick four times a second with no stream);
   * this starts it again.
   */
  wake(): void {
    if (this.running) this.arm();
  }

  /** Whether the timer is set (for tests). */
  get ticking(): boolean {
    return this.timer !== null;
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), Math.max(1, this.periodMs / this.slices));
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.cursor = null;
  }

  /** One slice: a `slices`-th of the entries (at least one), from where the last slice stopped. */
  tick(): void {
    if (this.items.size === 0) {
      this.disarm();
      return;
    }
    const quota = Math.ceil(this.items.size / this.slices);
    this.cursor ??= this.items.values();
    for (let i = 0; i < quota; i++) {
      const next = this.cursor.next();
      if (next.done) {
        this.cursor = null;
        return;
      }
      this.visit(next.value);
    }
  }
}
