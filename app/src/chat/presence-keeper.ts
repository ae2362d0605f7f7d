/**
 * Keeps this server's presence alive in the cluster-wide store: a heartbeat marks the server alive
 * (one write, however many members), and a sweep beside it removes the entries of servers that stopped
 * beating. When the store says this server had been counted gone (a stall past the TTL, a data loss)
 * it becomes a new owner and re-asserts its members under it, so a sweep of the old owner in progress
 * cannot remove them. A leave that failed is retried until it works (else a ghost would stay listed).
 * On shutdown its entries lapse after the grace period.
 */
import type { Logger } from '../log.js';
import type { Presence } from '../presence/presence.js';
import type { RoomRegistry } from './rooms.js';

export interface KeeperSettings {
  roomTtlSec: number;
  presenceGraceMs: number;
  presenceHeartbeatMs: number;
  presenceTtlMs: number;
}

export class PresenceKeeper {
  private heartbeat: NodeJS.Timeout | null = null;
  private beatFailed = false;
  private beating = false;
  private sweeping = false;
  private sweepHeldUntil = 0;
  private hasBeaten = false;
  private reassertNext = false;
  private lastReassert = Date.now();
  /** Leaves that failed (Redis down or slow), retried on every beat until they succeed. */
  private readonly failedLeaves = new Map<string, Set<string>>();

  constructor(
    private readonly presence: Presence,
    private readonly rooms: RoomRegistry,
    private readonly settings: KeeperSettings,
    private readonly log: Logger,
  ) {}

  start(): void {
    void this.beat();
    this.heartbeat = setInterval(() => void this.beat(), this.settings.presenceHeartbeatMs);
    this.heartbeat.unref();
  }

  async beat(): Promise<void> {
    // A beat slower than the interval (Redis timing out) must not pile up behind itself.
    if (this.beating) return;
    this.beating = true;
    try {
      const stale = await this.presence.heartbeat();
      if (stale && this.hasBeaten) {
        // Counted gone (a stall past the TTL, or Redis lost its data): others may be sweeping our old
        // entries right now. Re-assert as a new owner, then let the old one go at once; members held
        // by both are never unlisted (holders count 2 -> 1).
        const old = this.presence.renew();
        await this.presence.heartbeat();
        this.log.warn({ old }, 'presence: counted gone, re-asserting as a new owner');
        await this.reassert();
        await this.presence.retire(0, old);
      } else {
        // Re-asserting also pushes out the expiry of the rooms' keys: a quiet room with members online keeps them.
        const refreshDue = Date.now() - this.lastReassert > Math.min(this.settings.roomTtlSec * 250, 6 * 3600_000);
        if (stale || this.reassertNext || refreshDue) await this.reassert();
      }
      this.hasBeaten = true;
      this.reassertNext = false;
      await this.retryLeaves();
      // After a store outage every server's heartbeat may look stale: sweeping at once would announce
      // a leave (then a join) for members still connected elsewhere. Judge others only once a whole
      // TTL has given every live server time to beat again.
      if (this.beatFailed) {
        this.beatFailed = false;
        // Capped so a server that died meanwhile still leaves every list within the protocol's 30 s.
        const { presenceTtlMs: ttl, presenceHeartbeatMs: hb } = this.settings;
        this.sweepHeldUntil = Date.now() + Math.max(0, Math.min(ttl, 30_000 - ttl - 2 * hb));
      }
    } catch (err) {
      this.beatFailed = true;
      this.reassertNext = true;
      this.log.warn({ err: (err as Error).message }, 'presence heartbeat failed');
    } finally {
      this.beating = false;
    }
    // The sweep runs beside the heartbeat, never in its way: a long sweep must not make this server look dead.
    if (!this.beatFailed && Date.now() >= this.sweepHeldUntil) void this.sweep();
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      await this.presence.sweep();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'presence sweep failed');
    } finally {
      this.sweeping = false;
    }
  }

  /** Every local member of every room, again (idempotent). One round trip: node-redis pipelines a tick's commands. */
  private async reassert(): Promise<void> {
    await Promise.all([...this.rooms.localMembers()].map(([room, members]) => this.presence.join(room, members)));
    this.lastReassert = Date.now();
  }

  /** The member's last local connection left the room: remove this server's entry (retried until it works). */
  memberGone(room: string, memberId: string): void {
    const lastLocal = this.rooms.get(room) === undefined;
    this.presence.leave(room, [memberId], lastLocal).catch((err: Error) => {
      this.log.warn({ room, err: err.message }, 'presence leave failed; retrying on the next heartbeat');
      this.retryLater(room, [memberId]);
    });
  }

  private retryLater(room: string, memberIds: string[]): void {
    const ids = this.failedLeaves.get(room) ?? new Set<string>();
    for (const id of memberIds) ids.add(id);
    this.failedLeaves.set(room, ids);
  }

  private async retryLeaves(): Promise<void> {
    const jobs: Array<Promise<void>> = [];
    for (const [room, ids] of this.failedLeaves) {
      this.failedLeaves.delete(room);
      const local = this.rooms.get(room);
      // A member that came back meanwhile is local again: its entry stays.
      const gone = [...ids].filter((id) => !local?.members.has(id));
      if (gone.length === 0) continue;
      jobs.push(this.presence.leave(room, gone, local === undefined).catch((err: Error) => {
        this.retryLater(room, gone);
        throw err;
      }));
    }
    await Promise.all(jobs);
  }

  /** On shutdown: let this server's entries lapse after the grace period, so clients that reconnect elsewhere don't flicker. */
  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.presence.retire(Math.max(this.settings.presenceGraceMs, 1000)).catch((err: Error) =>
      this.log.warn({ err: err.message }, 'presence retire failed; entries go when the heartbeat is missed'));
  }
}
