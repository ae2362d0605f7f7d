/**
 * An account's sessions: `sessions` lists them, `revoke` ends one, this connection's own (`current`),
 * or all. A revocation is published; every server closes the connections on a revoked session (AccountEvents).
 */
import { revokedFrame, sessionsFrame } from '../../protocol/encode.js';
import type { RevokeRequest } from '../../protocol/messages.js';
import { tokenDigest } from '../../sessions/sessions.js';
import type { ChatParts } from '../parts.js';
import type { RequestContext } from '../request.js';

/** Session ids as `sessions` lists them: a prefix of the stored digest, enough to tell them apart. */
const SESSION_ID_LEN = 16;

export class SessionsFeature {
  constructor(private readonly p: Pick<ChatParts, 'backend' | 'log' | 'links'>) {}

  async sessions(ctx: RequestContext): Promise<void> {
    const current = tokenDigest(ctx.client.session);
    const list = await this.p.backend.sessions.list(ctx.member.id);
    ctx.reply(sessionsFrame({
      sessions: list.map((s) => ({ id: s.digest.slice(0, SESSION_ID_LEN), created: s.created, current: s.digest === current })),
    }));
  }

  async revoke(ctx: RequestContext, req: RevokeRequest): Promise<void> {
    // `current`: this connection's own session ("sign out" on this device, for good).
    const which = req.session === 'current' ? tokenDigest(ctx.client.session) : req.session;
    // `revoked` is written before this connection is closed for its own session ("sign out").
    await this.p.links.revoking(ctx.client, async () => {
      const revoked = await this.p.backend.sessions.revoke(ctx.member.id, which);
      this.p.log.info({ conn: ctx.client.id, count: revoked.length, all: req.session === undefined }, 'sessions revoked');
      ctx.reply(revokedFrame({ count: revoked.length }));
    });
  }
}
