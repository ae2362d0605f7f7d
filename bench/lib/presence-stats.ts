/**
 * The big-room accounting of the load tool, as pure functions and small classes (unit-tested in
 * test/unit/bench-presence-stats.test.ts):
 *  - `PresenceTally`: presence frames and bytes per client, split by event, summarised per member;
 *  - `distribution`: mean / p50 / p90 / p99 / max of small per-member figures (exact, by sorting);
 *  - `MemberPages`: checks a paged `members` list — ascending, each expected member exactly once;
 *  - `propagation`: how many members saw a new count within a window after it changed;
 *  - `countAgreement`: whether every server (APPID) reports the same, expected count.
 */
import { PRESENCE_EVENTS, type PresenceEventName } from './wire.js';

export interface Dist { mean: number; p50: number; p90: number; p99: number; max: number; min: number; total: number; n: number }

const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

/** Exact distribution of `values` (nearest-rank percentiles); all zeros when empty. */
export function distribution(values: ArrayLike<number>): Dist {
  const n = values.length;
  if (n === 0) return { mean: 0, p50: 0, p90: 0, p99: 0, max: 0, min: 0, total: 0, n: 0 };
  const v = Float64Array.from(values).sort();
  let total = 0;
  for (let i = 0; i < n; i++) total += v[i];
  const at = (p: number) => v[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))];
  return { mean: round(total / n), p50: at(50), p90: at(90), p99: at(99), max: v[n - 1], min: v[0], total, n };
}

export interface PresenceSummary {
  /** Members the figures are over. */
  members: number;
  /** Presence frames per member, all events. */
  frames: Dist;
  /** Bytes of presence frames (payload) per member. */
  bytes: Dist;
  byEvent: Record<PresenceEventName, Dist>;
}

/** Presence frames and bytes received per client, by event (indices EV_JOIN … EV_OTHER of wire.ts). */
export class PresenceTally {
  private readonly frames: Uint32Array[];
  private readonly bytes: Float64Array;

  constructor(readonly clients: number) {
    this.frames = PRESENCE_EVENTS.map(() => new Uint32Array(clients));
    this.bytes = new Float64Array(clients);
  }

  record(client: number, event: number, bytes: number): void {
    this.frames[event][client]++;
    this.bytes[client] += bytes;
  }

  /** Frames of every event in total over all clients (not only members). */
  totals(): Record<PresenceEventName, number> & { bytes: number } {
    const out = { bytes: this.bytes.reduce((a, b) => a + b, 0) } as Record<PresenceEventName, number> & { bytes: number };
    PRESENCE_EVENTS.forEach((name, e) => { out[name] = this.frames[e].reduce((a, b) => a + b, 0); });
    return out;
  }

  /** Per-member figures over the clients `members` (indices). */
  summary(members: readonly number[]): PresenceSummary {
    const all = members.map((i) => this.frames.reduce((a, f) => a + f[i], 0));
    const byEvent = {} as Record<PresenceEventName, Dist>;
    PRESENCE_EVENTS.forEach((name, e) => { byEvent[name] = distribution(members.map((i) => this.frames[e][i])); });
    return { members: members.length, frames: distribution(all), bytes: distribution(members.map((i) => this.bytes[i])), byEvent };
  }
}

export interface MemberListCheck {
  pages: number;
  /** Entries listed over all pages, and distinct member ids among them. */
  listed: number;
  unique: number;
  /** Entries of an id already listed (on any page). */
  duplicates: number;
  /** Entries not above the entry before them (the list must ascend across pages). */
  outOfOrder: number;
  /** Expected members never listed. */
  missing: number;
  /** Listed ids not expected; `unexpectedKnown` of them are ids this run knows (e.g. clients that timed out). */
  unexpected: number;
  unexpectedKnown: number;
  /** A few ids of each problem, for the report. */
  missingSample: string[];
  unexpectedSample: string[];
  duplicateSample: string[];
  ok: boolean;
}

/** Accumulates `members` pages in the order received and checks them against the expected member ids. */
export class MemberPages {
  pages = 0;
  listed = 0;
  duplicates = 0;
  outOfOrder = 0;
  private last: string | null = null;
  private readonly seen = new Set<string>();
  private readonly dupSample: string[] = [];

  add(members: ReadonlyArray<{ id: string }>): void {
    this.pages++;
    for (const { id } of members) {
      this.listed++;
      if (this.seen.has(id)) {
        this.duplicates++;
        if (this.dupSample.length < 5) this.dupSample.push(id);
      } else {
        this.seen.add(id);
      }
      if (this.last !== null && !(id > this.last)) this.outOfOrder++;
      this.last = id;
    }
  }

  /** `expected`: every member that must be listed; `known`: other ids of this run that may legitimately linger. */
  check(expected: ReadonlySet<string>, known: ReadonlySet<string> = new Set()): MemberListCheck {
    const missingSample: string[] = [];
    let missing = 0;
    for (const id of expected) {
      if (this.seen.has(id)) continue;
      missing++;
      if (missingSample.length < 5) missingSample.push(id);
    }
    const unexpectedSample: string[] = [];
    let unexpected = 0, unexpectedKnown = 0;
    for (const id of this.seen) {
      if (expected.has(id)) continue;
      unexpected++;
      if (known.has(id)) unexpectedKnown++;
      if (unexpectedSample.length < 5) unexpectedSample.push(id);
    }
    return {
      pages: this.pages, listed: this.listed, unique: this.seen.size, duplicates: this.duplicates, outOfOrder: this.outOfOrder,
      missing, unexpected, unexpectedKnown, missingSample, unexpectedSample, duplicateSample: [...this.dupSample],
      ok: missing === 0 && unexpected === 0 && this.duplicates === 0 && this.outOfOrder === 0,
    };
  }
}

export interface PropagationResult {
  /** Members watched, and the count they should come to see. */
  members: number;
  target: number;
  windowMs: number;
  /** Members that saw `target` in a count-bearing presence frame within the window. */
  reached: number;
  fraction: number;
  /** Members whose very next count-bearing frame after the change carried `target`. */
  nextMatched: number;
  /** Members that got no count-bearing frame at all within the window. */
  silent: number;
  /** When `target` arrived, ms after the change (members that reached it). */
  ms: Dist;
}

/**
 * `events[k]`: member k's count-bearing presence frames after the change, flattened
 * [msAfterChange, count, msAfterChange, count, …] in arrival order (undefined or empty: none).
 */
export function propagation(events: ReadonlyArray<readonly number[] | undefined>, target: number, windowMs: number): PropagationResult {
  let reached = 0, nextMatched = 0, silent = 0;
  const times: number[] = [];
  for (const ev of events) {
    if (!ev || ev.length === 0 || ev[0] > windowMs) { silent++; continue; }
    if (ev[1] === target) nextMatched++;
    for (let j = 0; j + 1 < ev.length && ev[j] <= windowMs; j += 2) {
      if (ev[j + 1] === target) { reached++; times.push(ev[j]); break; }
    }
  }
  const n = events.length;
  return { members: n, target, windowMs, reached, fraction: n ? round(reached / n, 4) : 0, nextMatched, silent, ms: distribution(times) };
}

export interface CountSample { appId: string; count: number | null; url?: string; error?: string }

export interface CountAgreement {
  /** Counts seen per APPID (one per probe connection that landed there). */
  byAppId: Record<string, number[]>;
  appIds: string[];
  /** Every sample has a count and they are all equal. */
  agree: boolean;
  /** …and equal to `expected`. */
  exact: boolean;
  /** APPIDs the load's clients were on that no probe connection reached. */
  unreached: string[];
}

/** `1000: 8001, 2000: 8001/8000, ?: ECONNREFUSED`: the distinct counts seen per APPID, and failed samples. */
export function countsText(samples: readonly CountSample[]): string {
  const by = new Map<string, Set<string>>();
  for (const s of samples) {
    const v = s.count !== null ? String(s.count) : s.error ?? 'no count';
    if (!by.has(s.appId)) by.set(s.appId, new Set());
    by.get(s.appId)!.add(v);
  }
  return [...by].map(([appId, v]) => `${appId}: ${[...v].join('/')}`).join(', ');
}

export function countAgreement(samples: readonly CountSample[], expected: number, appIdsOfLoad: readonly string[] = []): CountAgreement {
  const byAppId: Record<string, number[]> = {};
  let agree = samples.length > 0;
  const first = samples.find((s) => s.count !== null)?.count ?? null;
  for (const s of samples) {
    if (s.count === null) { agree = false; continue; }
    (byAppId[s.appId] ??= []).push(s.count);
    if (s.count !== first) agree = false;
  }
  const appIds = Object.keys(byAppId).sort();
  return {
    byAppId, appIds, agree, exact: agree && first === expected,
    unreached: appIdsOfLoad.filter((a) => !byAppId[a]).sort(),
  };
}
