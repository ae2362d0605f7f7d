/**
 * In-process bus for the embedded single node and fast tests: synchronous, ordered fan-out.
 * Only for a single process; the memory stores publish through `publish`.
 */
import type { Bus, BusHandler, Publish } from './bus.js';

export class MemoryBus implements Bus {
  private readonly handlers: BusHandler[] = [];

  subscribe(handler: BusHandler): void {
    this.handlers.push(handler);
  }

  /** Delivers synchronously to every subscriber, like a script that publishes inside its atomic step. */
  readonly publish: Publish = (payload) => {
    for (const h of this.handlers) h(payload);
  };

  async publishTransient(payload: string): Promise<void> {
    this.publish(payload);
  }

  onResubscribed(): void {
    // An in-process bus never drops a subscription.
  }
}
