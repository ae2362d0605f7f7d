/**
 * The stream relay: hands a request POSTed to any server to the server holding its SSE stream (no
 * sticky sessions). Each server listens under its instance id — the one named in its stream tokens —
 * and answers whether the stream took the request, so a POST is answered 202 only once the holder
 * queued it (and POSTs made one after another keep their order).
 *   memory-relay.ts  one process: the embedded node, or tests' simulated servers sharing a world
 *   redis-relay.ts   the cluster: a channel per server (RELAY_CHANNEL_PREFIX + instance)
 */

/** What became of a forwarded request: queued by the stream, no such stream (404), or no answer (503). */
export type RelayOutcome = 'accepted' | 'gone' | 'unavailable';

/** The holder's side: true when `stream` is open here and took `body` (a request's text). */
export type Deliver = (stream: string, body: string) => boolean;

/** Every server's relay channel starts with this (the Redis ACL allows `&livechat:srv:*`). */
export const RELAY_CHANNEL_PREFIX = 'livechat:srv:';

export interface StreamRelay {
  /** Starts taking requests for the streams of this server (`instance`: its id in stream tokens). */
  listen(instance: string, deliver: Deliver): Promise<void>;
  /** Hands `body` to `stream` on the server `instance`; never rejects. */
  forward(instance: string, stream: string, body: string): Promise<RelayOutcome>;
}
