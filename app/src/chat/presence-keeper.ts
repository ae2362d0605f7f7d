/**
 * Keeps this server's presence alive in the cluster-wide store: a heartbeat marks the server alive
 * (one write, however many members) and sweeps the entries of servers that stopped beating; when the
 * store says this server had gone missing (a data loss, or a stall past the TTL that let others sweep
 * it) its members are re-asserted, twice (a sweep in progress may remove the first). On shutdown
 * its entries lapse after the grace period.
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
  private sweepHeldUntil = 0;
  private reassertNext = false;
  private lastReassert = Date.now();

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
      // Re-asserting also pushes out the expiry of the rooms' keys: a quiet room with members online keeps them.
      const refreshDue = Date.now() - this.lastReassert > Math.min(this.settings.roomTtlSec * 250, 6 * 3600_000);
      if (stale || this.reassertNext || refreshDue) {
        this.lastReassert = Date.now();
        // One round trip for all rooms: node-redis pipelines commands issued in the same tick.
        await Promise.all([...this.rooms.localMembers()].map(([room, members]) => this.presence.join(room, members)));
      }
      this.reassertNext = stale;
      // After a store outage every server's heartbeat may look stale: sweeping at once would announce
      // a leave (then a join) for members still connected elsewhere. Judge others only once a whole
      // TTL has given every live server time to beat again.
      if (this.beatFailed) {
        this.beatFailed = false;
        // Capped so a server that died meanwhile still leaves every list within the protocol's 30 s.
        const { presenceTtlMs: ttl, presenceHeartbeatMs: hb } = this.settings;
        this.sweepHeldUntil = Date.now() + Math.max(0, Math.min(ttl, 30_000 - ttl - 2 * hb));
      }
      if (Date.now() >= this.sweepHeldUntil) await this.presence.sweep();
    } catch (err) {
      this.beatFailed = true;
      this.log.warn({ err: (err as Error).message }, 'presence heartbeat failed');
    } finally {
      this.beating = false;
    }
  }

  /** The member's last local connection left the room: remove this server's entry. */
  memberGone(room: string, memberId: string): void {
    this.presence.leave(room, [memberId]).catch((err: Error) =>
      this.log.warn({ room, err: err.message }, 'presence leave failed; the entry will expire'));
  }

  /** On shutdown: let this server's entries lapse after the grace period, so clients that reconnect elsewhere don't flicker. */
  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.presence.retire(Math.max(this.settings.presenceGraceMs, 1000)).catch((err: Error) =>
      this.log.warn({ err: err.message }, 'presence retire failed; entries go when the heartbeat is missed'));
  }
}
