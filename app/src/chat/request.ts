/**
 * One request being answered: the client, the request's `rid` and `cid`, and the only ways a feature
 * answers — `reply` (the answer frame, with the rid) and `error` (from the catalogue, with the rid,
 * and the cid when the request had one). Frames pushed to other members go through rooms and
 * RoomFeed, never through here, so they never carry a rid (shared/PROTOCOL.md "Request ids").
 */
import type { Metrics } from '../metrics.js';
import { errorFrame, withRid, type Frame } from '../protocol/encode.js';
import { protocolError } from '../protocol/errors.js';
import type { ErrorCode, Member } from '../protocol/messages.js';
import type { ChatClient } from './client.js';
import type { LimitedKind } from './member-limits.js';

export interface ErrorExtra {
  cid?: string;
  rid?: string;
  retryAfterMs?: number;
}

/** Writes an `error` from the catalogue to the client; every error answer goes through here and is counted. */
export function refuse(metrics: Metrics, client: ChatClient, code: ErrorCode, message?: string, extra: ErrorExtra = {}): void {
  metrics.errors.inc({ code });
  if (code === 'rate_limited') metrics.rateLimited.inc();
  client.reply(errorFrame(protocolError(code, message, extra)));
}

export class RequestContext {
  /**
   * The route's per-member bucket when the router left it to the feature (`bucketWithQuota`): the
   * feature takes it with the store quotas it charges, in one store round trip, before any store work.
   */
  bucket: LimitedKind | null = null;

  constructor(
    readonly client: ChatClient,
    private readonly metrics: Metrics,
    readonly rid: string | undefined,
    readonly cid: string | undefined,
  ) {}

  /** The member the connection is: set for every request but the three that identify it (the router checks). */
  get member(): Member {
    return this.client.member!;
  }

  /** Writes the answer to this request. */
  reply(frame: Frame): void {
    this.client.reply(withRid(frame, this.rid));
  }

  /** The answer frame as this request's (for an answer written later, as an `ack` by ChatClient.send). */
  answer(frame: Frame): Frame {
    return withRid(frame, this.rid);
  }

  /** Refuses this request. */
  error(code: ErrorCode, message?: string, retryAfterMs?: number): void {
    refuse(this.metrics, this.client, code, message, { cid: this.cid, rid: this.rid, retryAfterMs });
  }
}
