/** In-process bus for the embedded single node and fast tests: synchronous, ordered fan-out. */
import type { Bus, BusHandler } from './bus.js';

export class MemoryBus implements Bus {
  private readonly handlers: BusHandler[] = [];

  subscribe(handler: BusHandler): void {
    this.handlers.push(handler);
  }

  /** Delivers synchronously, like a script that publishes inside the same atomic step as it stores. */
  deliver(payload: string): void {
    for (const h of this.handlers) h(payload);
  }

  async publish(payload: string): Promise<void> {
    this.deliver(payload);
  }

  onResubscribed(): void {
    // An in-process bus never drops a subscription.
  }
}
