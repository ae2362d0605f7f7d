/**
 * The bus: one channel (`livechat`) that every server subscribes to and rebroadcasts to its own
 * clients. Nothing stored is published through it: a message is
 * published by History.append in the same atomic step that stores it, and a presence event by the
 * Presence change that causes it (as centrifuge's Broker keeps "save to history and publish" one
 * operation), so the channel carries each room's messages in id order. Payloads are envelopes
 * (bus/envelope.ts). Delivery is at-most-once (pub/sub); the chat layer repairs gaps from history.
 */

export const CHANNEL = 'livechat';

export type BusHandler = (payload: string) => void;

export interface Bus {
  /**
   * Publishes a payload that is never stored (a `t` entry: typing). Everything stored is published by
   * its store, in the step that stores it; this is only for what has no place in a room's log.
   */
  publishTransient(payload: string): Promise<void>;
  /** Registers the handler for every payload on the channel, this server's own included, in publish order. */
  subscribe(handler: BusHandler): void;
  /** Called after the subscription is re-established following an outage: payloads may have been missed. */
  onResubscribed(cb: () => void): void;
}

/** How an in-process store publishes: synchronously, inside the same step as its change. */
export type Publish = (payload: string) => void;
