/**
 * The store seam: the six storage interfaces the chat layer works with, as one Backend. Types only —
 * the implementations (memory and Redis) are wired up beside the node (app/src/backends.ts), so
 * nothing here reaches back up into them.
 *   Bus       the `livechat` channel (receiving side; stores publish in the step that stores)
 *   History   each room's log of entries: append (store + publish), resume, pages
 *   Presence  who is in each room, cluster-wide, with owner heartbeats
 *   Sessions  session tokens -> members
 *   Accounts  accounts, room lists, read markers, sign-in failure counters
 *   Access    private rooms' and DMs' access lists
 *   Uploads   upload grants: which member may attach which uploaded file where
 *   Limits    rate and quota buckets that span servers and outlive connections
 *   Relay     requests POSTed for an SSE stream, handed to the server that holds it (not storage: it
 *             travels on the store's connections)
 */
import type { Access } from '../access/access.js';
import type { Accounts } from '../accounts/accounts.js';
import type { Bus } from '../bus/bus.js';
import type { History } from '../history/history.js';
import type { Limits } from '../limits/limits.js';
import type { Presence } from '../presence/presence.js';
import type { StreamRelay } from '../relay/relay.js';
import type { Sessions } from '../sessions/sessions.js';
import type { Uploads } from '../uploads/uploads.js';

export type { Access, Accounts, Bus, History, Limits, Presence, Sessions, StreamRelay, Uploads };

export interface Backend {
  bus: Bus;
  history: History;
  presence: Presence;
  sessions: Sessions;
  accounts: Accounts;
  access: Access;
  uploads: Uploads;
  limits: Limits;
  relay: StreamRelay;
  /** The store's memory use and limit; null in memory mode. */
  memory(): Promise<{ used: number; max: number } | null>;
  /** True when the store can take writes (Redis connected); always true in memory. */
  isReady(): boolean;
  /** True when the store answers on every connection within the deadline (store/cut-off.ts); always true in memory. */
  probe(): Promise<boolean>;
  /** Starts connections and the subscription; waits for Redis if it is not up yet. */
  start(): Promise<void>;
  close(): Promise<void>;
}
