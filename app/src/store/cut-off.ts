/**
 * "Cut off, not dead": a server that cannot reach Redis for longer than a bound stops serving.
 * Redis down briefly (a restart) is not a cut-off: requests get `unavailable` and connections stay.
 * Past the bound the server fails /readyz (HAProxy stops sending it clients), closes its clients with
 * 1013 so they resume on servers that can serve them, and refuses upgrades; other servers drop its
 * members once its presence heartbeats lapse (PRESENCE_TTL_MS). When Redis answers again for
 * `recoverMs` it rejoins.
 *
 * Healthy means a probe answered on BOTH connections: the command connection (stores, heartbeats) and
 * the subscriber (fan-out; a server that stores but hears nothing delivers nothing). A probe is a PING
 * with the command deadline, so a black-holed connection (socket open, no answer) counts as down,
 * not only a refused one.
 *
 * CutOffState is the pure state machine (time passed in); watchCutOff runs the probes on a timer.
 */

export type CutOffEvent = 'cut-off' | 'rejoined' | null;

export class CutOffState {
  /** When the current run of failed probes began (the start of the first failed one); null while healthy. */
  private downSince: number | null = null;
  /** While cut off: when the current run of good probes began. */
  private upSince: number | null = null;
  private cut = false;
  /** When the last cut-off was declared. */
  private cutAt = 0;

  constructor(private readonly boundMs: number, private readonly recoverMs: number) {}

  get cutOff(): boolean {
    return this.cut;
  }

  /** How long Redis has been unreachable as of `now` (0 while healthy). */
  downFor(now: number): number {
    return this.downSince === null ? 0 : Math.max(0, now - this.downSince);
  }

  /** How long the server has been (or, just after rejoining, had been) cut off. */
  cutFor(now: number): number {
    return Math.max(0, now - this.cutAt);
  }

  /**
   * One probe's result. `startedAt`: when the probe began (a black-holed probe fails only at its
   * deadline, but Redis was already unreachable when it was sent); `now`: when it ended.
   * Returns the transition this observation caused, if any.
   */
  observe(healthy: boolean, startedAt: number, now: number): CutOffEvent {
    if (healthy) {
      this.downSince = null;
      if (!this.cut) return null;
      // From the answer, not the probe's start: a probe sent into a black hole may be answered when it heals.
      this.upSince ??= now;
      if (now - this.upSince < this.recoverMs) return null;
      this.cut = false;
      this.upSince = null;
      return 'rejoined';
    }
    this.upSince = null;
    this.downSince ??= startedAt;
    if (this.cut || this.boundMs <= 0 || now - this.downSince < this.boundMs) return null;
    this.cut = true;
    this.cutAt = now;
    return 'cut-off';
  }
}

export interface CutOffWatchOptions {
  /** Resolves true when both Redis connections answered (never rejects). */
  probe: () => Promise<boolean>;
  boundMs: number;
  /** Good probes needed for this long before a cut-off server rejoins. */
  recoverMs: number;
  intervalMs: number;
  /** Hears each transition: at cut-off with how long Redis had been unreachable, at rejoin how long it was cut off. */
  onChange: (event: 'cut-off' | 'rejoined', ms: number) => void;
  now?: () => number;
}

export interface CutOffWatch {
  readonly state: CutOffState;
  stop(): void;
}

/** Probes every `intervalMs` (one at a time: a probe that hangs until its deadline is not doubled). */
export function watchCutOff(opts: CutOffWatchOptions): CutOffWatch {
  const now = opts.now ?? Date.now;
  const state = new CutOffState(opts.boundMs, opts.recoverMs);
  let probing = false;
  let stopped = false;
  const tick = async () => {
    if (probing || stopped) return;
    probing = true;
    const startedAt = now();
    try {
      const healthy = await opts.probe().catch(() => false);
      if (stopped) return;
      const t = now();
      const event = state.observe(healthy, startedAt, t);
      if (event) opts.onChange(event, event === 'cut-off' ? state.downFor(t) : state.cutFor(t));
    } finally {
      probing = false;
    }
  };
  const timer = setInterval(() => void tick(), opts.intervalMs);
  timer.unref();
  return {
    state,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
