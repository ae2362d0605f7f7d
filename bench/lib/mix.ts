/**
 * `--mix`: what the senders do besides sending (shared/PROTOCOL.md "Message lifecycle"), and the
 * accounting of it per kind. A spec such as `send=90,edit=5,react=5,typing=20` means:
 *
 * - **Actions** (`send`, `edit`, `delete`, `react`): relative weights. Each of the `--rate` actions a
 *   second is *one* of them, drawn with those weights (they need not add up to 100). An action kind
 *   left out of the spec has weight 0; a spec naming none of them means `send=100`.
 * - **`typing`**: a probability in percent, independent of the draw: before each action, the sender
 *   first sends a `typing` request with that probability (so `typing=20` adds 0.2 typing requests per
 *   action; it is not one of the actions and does not count towards `--rate`).
 *
 * Targets: an `edit` changes one of the sender's own recently acked messages (its last 16), a
 * `delete` removes one of them (never touched again), a `react` toggles an emoji from a small set on
 * any recently acked message of the room (its last 32): on if this sender has not put it there,
 * off if it has. A draw that finds no target (early in the run) becomes a `send` and is counted as
 * `noTarget` of its kind. A message is deleted only while no edit or reaction of it is in flight, so
 * every action the tool sends is one the server accepts: a refusal is the server's, not a race.
 *
 * Measured per kind: request → `ack` latency; for updates, every `update` frame's delivery to every
 * client (latency from the action's send time: an edit's text starts with it, as a message's does;
 * deletions and reactions by their `cid`), with the entries in the delivery ledger beside the
 * messages (ids are shared: see ledger.ts); errors by code. Typing: frames each client received.
 */
import { randomUUID } from 'node:crypto';
import { Histogram, percentilesMs, type Percentiles } from './histogram.js';
import { AckedIds, type DeliveryLedger } from './ledger.js';
import { cidOf, scanUpdate, U_EDIT, U_REACT, type ScannedUpdate } from './mix-scan.js';
import { messageText } from './wire.js';

export const ACTIONS = ['send', 'edit', 'delete', 'react'] as const;
export type Action = (typeof ACTIONS)[number];
/** The kinds of update, in the order of mix-scan's U_EDIT, U_DELETE, U_REACT. */
export const UPDATE_KINDS = ['edit', 'delete', 'react'] as const;
export type UpdateKind = (typeof UPDATE_KINDS)[number];

export interface Mix { send: number; edit: number; delete: number; react: number; typing: number }

/** Today's load: every action a send, no typing (the wire is then exactly what it was before `--mix`). */
export const DEFAULT_MIX: Mix = { send: 100, edit: 0, delete: 0, react: 0, typing: 0 };

/** Reactions are drawn from these (each one grapheme, well under the protocol's 32 bytes). */
export const EMOJI = ['👍', '❤️', '😂', '🎉', '👀', '🚀'];

/**
 * Per sender and second, at most this many of each kind: 80 % of the servers' default per-member
 * buckets (SEND_RATE 5/s is the tool's MAX_RATE_PER_SENDER 4, EDIT_RATE and DELETE_RATE 2/s,
 * REACT_RATE 5/s, TYPING_RATE 1/s; docs/security.md), so a mix is spread over enough senders that
 * none of them is rate-limited in the steady state.
 */
export const PER_SENDER_MAX: Record<Action | 'typing', number> = { send: 4, edit: 1.6, delete: 1.6, react: 4, typing: 0.8 };

/** Own acked messages a sender keeps as edit/delete targets, and acked messages per room as reaction targets. */
const OWN_RECENT = 16;
/** Typing frames closer than this at one client are counted as `closePairs` (see TypingFigures). */
export const CLOSE_GAP_MS = 900;
const ROOM_RECENT = 32;

/** Parses `send=90,edit=5,react=5,typing=20` (see the module comment); throws RangeError on anything else. */
export function parseMix(spec: string): Mix {
  const m: Mix = { send: 0, edit: 0, delete: 0, react: 0, typing: 0 };
  const seen = new Set<string>();
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    const raw = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (!(key in m)) throw new RangeError(`--mix: unknown kind "${key}" (send, edit, delete, react, typing)`);
    if (seen.has(key)) throw new RangeError(`--mix: ${key} given twice`);
    const v = Number(raw);
    if (raw === '' || !Number.isFinite(v) || v < 0) throw new RangeError(`--mix: ${key} needs a number >= 0, got "${raw}"`);
    if (key === 'typing' && v > 100) throw new RangeError(`--mix: typing is a percentage (0-100), got ${v}`);
    seen.add(key);
    m[key as keyof Mix] = v;
  }
  if (!ACTIONS.some((a) => seen.has(a))) m.send = 100;
  else if (ACTIONS.every((a) => m[a] === 0)) throw new RangeError('--mix: the action weights (send, edit, delete, react) add up to 0');
  return m;
}

/** The canonical spec of a mix: the kinds with a non-zero weight, in a fixed order. */
export function mixSpec(m: Mix): string {
  return (['send', 'edit', 'delete', 'react', 'typing'] as const).filter((k) => m[k] > 0).map((k) => `${k}=${m[k]}`).join(',');
}

/** Whether a mix is today's load (sends only, no typing): then the tool runs without any of this module. */
export function isDefaultMix(m: Mix | undefined): boolean {
  return !m || (m.edit === 0 && m.delete === 0 && m.react === 0 && m.typing === 0 && m.send > 0);
}

/** The fewest senders that keep every kind under PER_SENDER_MAX at `rate` actions per second. */
export function sendersNeeded(rate: number, m: Mix): number {
  const total = m.send + m.edit + m.delete + m.react;
  let need = rate / PER_SENDER_MAX.send;
  for (const a of ACTIONS) need = Math.max(need, (rate * m[a]) / total / PER_SENDER_MAX[a]);
  need = Math.max(need, (rate * m.typing) / 100 / PER_SENDER_MAX.typing);
  return Math.ceil(need - 1e-9);
}

export interface KindFigures {
  /** Requests sent, acked, refused (an `error` naming their cid), never answered. */
  sent: number; acked: number; rejected: number; unacked: number;
  /** Draws of this kind that found no target and became a send (0 for send). */
  noTarget: number;
  /** Request → `ack`, ms. */
  ack: Percentiles;
  /** Entries of this kind delivered (`message` frames for send, `update` frames otherwise), and the ledger's verdicts on them. */
  delivered: number; expected: number; lost: number; duplicated: number; outOfOrder: number;
  /** The action's send time → each client's arrival, ms. */
  latency: Percentiles;
  /** Error answers to this kind's requests, by code. */
  errors: Record<string, number>;
}

export interface TypingFigures {
  /** The spec's typing percentage, requests sent, error answers to them by code. */
  percent: number; sent: number; errors: Record<string, number>;
  /** `typing` frames the clients held received in the window, clients that received at least one, clients held. */
  frames: number; clients: number; members: number;
  /** Seconds counted: from the first action to the end of the drain. */
  windowS: number;
  /** A client's frames / windowS: mean over the clients held, and the largest. */
  perClientPerSec: { mean: number; max: number };
  /** The shortest time between two consecutive frames at one client (null: no client had two). */
  minGapMs: number | null;
  /**
   * Consecutive frames at one client less than CLOSE_GAP_MS apart. The contract allows one frame a
   * second per room, so none; the allowance is for the network and the tool's own event loop, which
   * can hand two frames sent a second apart over a few ms apart.
   */
  closePairs: number;
}

export interface MixFigures {
  spec: string;
  weights: Mix;
  kinds: Record<Action, KindFigures>;
  /** All update entries together (they share the ledger with messages: the report's integrity line covers both). */
  updates: { delivered: number; expected: number; lost: number; duplicated: number; outOfOrder: number };
  /**
   * The rooms' entries: ids acked to this run (messages and updates), and `gaps`: ids between the
   * rooms' `joined.last` and their highest acked id that no ack named (entries from outside the run,
   * or ids skipped). The room's sequence is shared, so in a fresh room with only this run in it: 0.
   */
  entries: { acked: number; gaps: number };
  typing: TypingFigures;
}

/**
 * What the load engine knows about the sends (they stay on its own hot path); `duplicated` and
 * `outOfOrder` are its ledgers' totals over every entry (the updates' share is taken out here).
 */
export interface SendFigures {
  sent: number; acked: number; rejected: number; unacked: number; ack: Percentiles;
  delivered: number; expected: number; lost: number; duplicated: number; outOfOrder: number; latency: Percentiles;
}

/** A client as this module sees it. */
export interface MixClient { i: number; room: string; roomBuf: Buffer; ledger: DeliveryLedger | null; closedUnexpectedly: boolean }

interface Tally {
  sent: number; acked: number; rejected: number; noTarget: number; delivered: number; duplicated: number; outOfOrder: number;
  ack: Histogram; latency: Histogram; errors: Record<string, number>;
}

interface Pending { kind: number; t: number; room: string; i: number; target: number; key: string }

const tally = (): Tally => ({
  sent: 0, acked: 0, rejected: 0, noTarget: 0, delivered: 0, duplicated: 0, outOfOrder: 0,
  ack: new Histogram(), latency: new Histogram(), errors: {},
});
const bump = (rec: Record<string, number>, code: string) => { rec[code] = (rec[code] ?? 0) + 1; };
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];

/** One run's mix: draws the senders' actions, and counts what comes back. */
export class MixRun {
  readonly spec: string;
  private readonly weight: number;
  private readonly tallies = UPDATE_KINDS.map(tally);
  private readonly sendErrors: Record<string, number> = {};
  private readonly pending = new Map<string, Pending>();
  /** Send time of each deletion and reaction, by cid (their update frames carry the cid, not the time). */
  private readonly sentAt = new Map<string, number>();
  /** Per room, the ids acked for each kind of update (the messages' are the engine's AckedIds). */
  private readonly acked = new Map<string, AckedIds[]>();
  /** Targets: a sender's own acked messages, a room's acked messages, edits/reactions in flight per `room id`. */
  private readonly own = new Map<number, number[]>();
  private readonly recent = new Map<string, number[]>();
  private readonly inFlight = new Map<string, number>();
  /** Reactions a sender has on: `i id emoji`. */
  private readonly reactions = new Set<string>();
  private typingSent = 0;
  private readonly typingErrors: Record<string, number> = {};
  private readonly typingAt = new Map<number, number[]>();
  private typingFrames = 0;
  private readonly su: ScannedUpdate = { id: -1, kind: -1, roomStart: 0, roomEnd: 0, cidStart: 0, cidEnd: 0, sentAt: NaN };
  /** Update frames delivered, all kinds. */
  updatesDelivered = 0;

  constructor(
    readonly mix: Mix,
    private readonly size: number,
    private readonly encode: (req: { type: string } & Record<string, unknown>) => string,
    private readonly now: () => number,
  ) {
    this.spec = mixSpec(mix);
    this.weight = mix.send + mix.edit + mix.delete + mix.react;
  }

  /** Edits, deletions and reactions sent (the engine's action count minus these is its sends). */
  get nonSends(): number {
    return this.tallies.reduce((a, t) => a + t.sent, 0);
  }

  /** Edits, deletions and reactions not answered yet. */
  get inFlightCount(): number {
    return this.pending.size;
  }

  /** The highest update id acked in `room` (0 when none). */
  maxAcked(room: string): number {
    return Math.max(0, ...(this.acked.get(room) ?? []).map((a) => a.max));
  }

  /**
   * One action of sender `c`: maybe a `typing` request first, then an edit, delete or react with a
   * target. Returns false when the action is a send, which the engine then sends itself.
   */
  act(c: { i: number; room: string }, send: (text: string) => void): boolean {
    if (this.mix.typing > 0 && Math.random() * 100 < this.mix.typing) {
      send(this.encode({ type: 'typing', room: c.room, rid: 'typing' }));
      this.typingSent++;
    }
    let r = Math.random() * this.weight - this.mix.send;
    if (r < 0) return false;
    let kind = 0;
    for (; kind < 2; kind++) {
      r -= this.mix[UPDATE_KINDS[kind]];
      if (r < 0) break;
    }
    while (this.mix[UPDATE_KINDS[kind]] === 0) kind--; // (rounding at the upper edge: the last kind with a weight)
    const t = this.tallies[kind];
    const own = this.own.get(c.i) ?? [];
    const at = this.now();
    const cid = randomUUID();
    let req: { type: string } & Record<string, unknown>;
    let target = -1;
    let key = '';
    if (kind === U_EDIT) {
      if (own.length) target = pick(own);
      req = { type: 'edit', room: c.room, id: target, text: messageText(at, this.size), cid };
    } else if (kind === U_REACT) {
      const recent = this.recent.get(c.room);
      if (recent?.length) target = pick(recent);
      const emoji = pick(EMOJI);
      key = `${c.i} ${target} ${emoji}`;
      const on = !this.reactions.has(key);
      req = { type: 'react', room: c.room, id: target, emoji, on, cid };
    } else {
      const free = own.filter((id) => !this.inFlight.get(`${c.room} ${id}`));
      if (free.length) target = pick(free);
      req = { type: 'delete', room: c.room, id: target, cid };
    }
    if (target < 0) {
      t.noTarget++;
      return false;
    }
    if (kind === U_REACT) {
      if (!this.reactions.delete(key)) this.reactions.add(key);
    } else if (kind !== U_EDIT) {
      // Deleted: no edit, deletion or reaction of it from now on.
      own.splice(own.indexOf(target), 1);
      const recent = this.recent.get(c.room);
      if (recent?.includes(target)) recent.splice(recent.indexOf(target), 1);
    }
    if (kind !== U_EDIT) this.sentAt.set(cid, at);
    const tk = `${c.room} ${target}`;
    this.inFlight.set(tk, (this.inFlight.get(tk) ?? 0) + 1);
    this.pending.set(cid, { kind, t: at, room: c.room, i: c.i, target, key });
    t.sent++;
    send(this.encode(req));
    return true;
  }

  /** A message of sender `i` was acked: a target from now on. */
  onSendAcked(i: number, room: string, id: number): void {
    const own = this.own.get(i) ?? [];
    own.push(id);
    if (own.length > OWN_RECENT) own.shift();
    this.own.set(i, own);
    const recent = this.recent.get(room) ?? [];
    recent.push(id);
    if (recent.length > ROOM_RECENT) recent.shift();
    this.recent.set(room, recent);
  }

  /** An error answering a send (by its cid). */
  onSendError(code: string): void {
    bump(this.sendErrors, code);
  }

  /** An `ack` the engine did not recognise: true when it answers one of this module's requests. */
  onAck(cid: string, id: number): boolean {
    const p = this.settle(cid);
    if (!p) return false;
    const t = this.tallies[p.kind];
    t.acked++;
    t.ack.record((this.now() - p.t) * 1000);
    let ids = this.acked.get(p.room);
    if (!ids) this.acked.set(p.room, (ids = UPDATE_KINDS.map(() => new AckedIds())));
    ids[p.kind].add(id);
    return true;
  }

  /** An `error` the engine did not recognise: true when it answers one of this module's requests. */
  onError(code: string, cid: string | undefined, rid: string | undefined): boolean {
    if (rid === 'typing') {
      bump(this.typingErrors, code);
      return true;
    }
    const p = cid === undefined ? undefined : this.settle(cid);
    if (!p) return false;
    const t = this.tallies[p.kind];
    t.rejected++;
    bump(t.errors, code);
    if (p.kind === U_REACT && !this.reactions.delete(p.key)) this.reactions.add(p.key); // not applied: as before
    return true;
  }

  private settle(cid: string): Pending | undefined {
    const p = this.pending.get(cid);
    if (!p) return undefined;
    this.pending.delete(cid);
    const tk = `${p.room} ${p.target}`;
    const n = (this.inFlight.get(tk) ?? 1) - 1;
    if (n > 0) this.inFlight.set(tk, n);
    else this.inFlight.delete(tk);
    return p;
  }

  /**
   * An `update` frame at client `c`: into its ledger (entries share ids with messages), counted and
   * timed per kind. Returns null, or what was wrong with it (the engine counts it).
   */
  onUpdate(c: MixClient, data: Buffer, start: number, end: number): 'wrong_room' | 'update_before_joined' | 'unparsable_update' | null {
    const su = scanUpdate(data, start, end, this.su);
    if (su.id < 0) return 'unparsable_update';
    if (!c.ledger) return 'update_before_joined';
    if (data.compare(c.roomBuf, 0, c.roomBuf.length, su.roomStart, su.roomEnd) !== 0) return 'wrong_room';
    const t = this.tallies[su.kind];
    t.delivered++;
    this.updatesDelivered++;
    const arrival = c.ledger.record(su.id);
    if (arrival === 'dup') t.duplicated++;
    else if (arrival === 'ooo') t.outOfOrder++;
    const sentAt = su.kind === U_EDIT ? su.sentAt : this.sentAt.get(cidOf(data, su)) ?? NaN;
    if (sentAt === sentAt) t.latency.record((this.now() - sentAt) * 1000);
    return null;
  }

  /** A `typing` frame at client `i`. */
  onTyping(i: number, t: number): void {
    this.typingFrames++;
    const at = this.typingAt.get(i);
    if (at) at.push(t);
    else this.typingAt.set(i, [t]);
  }

  /** The progress line's part. */
  progress(): string {
    return ` updates ${this.updatesDelivered} typing ${this.typingFrames}`;
  }

  /**
   * The figures once the run is over. `ready`: the clients held; [from, to): first action to the end
   * of the drain (now() ms); `messageIds`: the ids the engine's sends were acked with, per room.
   */
  figures(ready: readonly MixClient[], from: number, to: number, sends: SendFigures, messageIds: (room: string) => readonly number[]): MixFigures {
    const kinds = { send: { ...sends, noTarget: 0, errors: this.sendErrors } } as Record<Action, KindFigures>;
    const updates = { delivered: 0, expected: 0, lost: 0, duplicated: 0, outOfOrder: 0 };
    UPDATE_KINDS.forEach((name, k) => {
      const t = this.tallies[k];
      let expected = 0, lost = 0;
      for (const c of ready) {
        if (!c.ledger || c.closedUnexpectedly) continue;
        const ids = this.acked.get(c.room)?.[k].all() ?? [];
        lost += c.ledger.lostAmong(ids);
        for (const id of ids) if (id > c.ledger.base) expected++;
      }
      kinds[name] = {
        sent: t.sent, acked: t.acked, rejected: t.rejected, unacked: t.sent - t.acked - t.rejected, noTarget: t.noTarget,
        ack: percentilesMs(t.ack), delivered: t.delivered, expected, lost, duplicated: t.duplicated, outOfOrder: t.outOfOrder,
        latency: percentilesMs(t.latency), errors: t.errors,
      };
      updates.delivered += t.delivered;
      updates.expected += expected;
      updates.lost += lost;
      updates.duplicated += t.duplicated;
      updates.outOfOrder += t.outOfOrder;
    });
    kinds.send.duplicated -= updates.duplicated;
    kinds.send.outOfOrder -= updates.outOfOrder;
    const entries = { acked: 0, gaps: 0 };
    const bases = new Map<string, number>();
    for (const c of ready) if (c.ledger) bases.set(c.room, Math.min(bases.get(c.room) ?? Infinity, c.ledger.base));
    for (const [room, base] of bases) {
      const ids = [...messageIds(room), ...(this.acked.get(room) ?? []).flatMap((a) => a.all())].filter((id) => id > base);
      entries.acked += ids.length;
      if (ids.length) entries.gaps += Math.max(...ids) - base - new Set(ids).size;
    }
    return { spec: this.spec, weights: { ...this.mix }, kinds, updates, entries, typing: this.typingFigures(ready, from, to) };
  }

  private typingFigures(ready: readonly MixClient[], from: number, to: number): TypingFigures {
    const windowS = Math.max(0.001, (to - from) / 1000);
    let sum = 0, max = 0, clients = 0, frames = 0, closePairs = 0;
    let minGap = Infinity;
    for (const c of ready) {
      const at = (this.typingAt.get(c.i) ?? []).filter((t) => t >= from && t < to);
      if (at.length) clients++;
      frames += at.length;
      const rate = at.length / windowS;
      sum += rate;
      max = Math.max(max, rate);
      for (let b = 1; b < at.length; b++) {
        const gap = at[b] - at[b - 1];
        minGap = Math.min(minGap, gap);
        if (gap < CLOSE_GAP_MS) closePairs++;
      }
    }
    const r2 = (v: number) => Math.round(v * 100) / 100;
    return {
      percent: this.mix.typing, sent: this.typingSent, errors: this.typingErrors,
      frames, clients, members: ready.length, windowS: r2(windowS),
      perClientPerSec: { mean: r2(ready.length ? sum / ready.length : 0), max: r2(max) },
      minGapMs: minGap === Infinity ? null : Math.round(minGap), closePairs,
    };
  }
}

/** Failures a mix adds to the run's (update losses go into the engine's lost count). */
export function mixFailures(f: MixFigures): string[] {
  return UPDATE_KINDS.filter((k) => f.kinds[k].unacked > 0).map((k) => `${f.kinds[k].unacked} ${k}s never acked`);
}
