/**
 * Redis pub/sub bus (the stores' scripts PUBLISH what they store; publishTransient what is never stored). Subscribes on its own connection (a subscribed connection can issue no other
 * command); node-redis resubscribes after a reconnect (RedisConnections after a failover), and we tell
 * the chat layer so it can repair whatever was published while the subscription was down.
 */
import type { Bus, BusHandler } from './bus.js';
import { CHANNEL } from './bus.js';
import type { RedisConnections } from '../store/redis-connections.js';

export class RedisBus implements Bus {
  private readonly handlers: BusHandler[] = [];
  private readonly resubscribed: Array<() => void> = [];
  private subscribed = false;

  constructor(private readonly redis: RedisConnections) {
    redis.onSubscriberReady(() => {
      if (!this.subscribed) return;
      for (const cb of this.resubscribed) cb();
    });
  }

  /** Subscribes to the channel; resolves once Redis confirmed the subscription. */
  async start(): Promise<void> {
    await this.redis.subscribe(CHANNEL, (payload: string) => {
      for (const h of this.handlers) h(payload);
    });
    this.subscribed = true;
  }

  async publishTransient(payload: string): Promise<void> {
    await this.redis.command(['PUBLISH', CHANNEL, payload]);
  }

  subscribe(handler: BusHandler): void {
    this.handlers.push(handler);
  }

  onResubscribed(cb: () => void): void {
    this.resubscribed.push(cb);
  }
}
