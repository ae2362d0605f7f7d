/**
 * The message bus: one channel (`livechat`) that every server subscribes to. Chat messages and
 * presence events travel on it as finished JSON frames, so a server forwards them to its clients
 * without re-encoding. Delivery is at-most-once (pub/sub); the chat layer repairs gaps from history.
 */

export const CHANNEL = 'livechat';

export type BusHandler = (payload: string) => void;

export interface Bus {
  /** Registers the handler for every payload on the channel, this server's own included, in publish order. */
  subscribe(handler: BusHandler): void;
  /** Publishes a payload to every subscriber. Rejects when the bus is down. */
  publish(payload: string): Promise<void>;
  /** Called after the subscription is re-established following an outage: payloads may have been missed. */
  onResubscribed(cb: () => void): void;
}
