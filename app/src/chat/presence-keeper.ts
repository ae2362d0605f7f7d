/**
 * Keeps this server's presence entries alive in the cluster-wide store: a heartbeat refreshes them
 * and sweeps every server's expired ones, and on shutdown they are let lapse after the grace period.
 */
import type { Logger } from '../log.js';
import type { Presence } from '../presence/presence.js';
import type { RoomRegistry } from './rooms.js';

export interface KeeperSettings {
  presenceGraceMs: number;
  presenceHeartbeatMs: number;
  presenceTtlMs: number;
}

export class PresenceKeeper {
  private heartbeat: NodeJS.Timeout | null = null;
  private beatFailed = false;
  private beating = false;
  private sweepHeldUntil = 0;

  constructor(
    private readonly presence: Presence,
    private readonly rooms: RoomRegistry,
    private readonly settings: KeeperSettings,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.heartbeat = setInterval(() => void this.beat(), this.settings.presenceHeartbeatMs);
    this.heartbeat.unref();
  }

  async beat(): Promise<void> {
    // A beat slower than the interval (Redis timing out) must not pile up behind itself.
    if (this.beating) return;
    this.beating = true;
    try {
      // One round trip for all rooms: node-redis pipelines commands issued in the same tick.
      await Promise.all([...this.rooms.localMembers()].map(([room, members]) => this.presence.join(room, members)));
      // After a store outage every server's entries may have expired meanwhile: sweeping at once would
      // announce a leave (then a join) for members still connected elsewhere. Refresh now, and judge
      // others' entries only once a whole TTL has given every live server time to refresh its own.
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
    const ms = Math.max(this.settings.presenceGraceMs, 1000);
    await Promise.allSettled([...this.rooms.localMembers()].map(([room, members]) =>
      this.presence.expireSoon(room, members.map((m) => m.id), ms)));
  }
}
