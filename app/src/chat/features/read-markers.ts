/** Read markers: `read` moves the account's marker for a room (never past its newest message); the store publishes it to the account's other connections. */
import { readFrame } from '../../protocol/encode.js';
import type { ReadRequest } from '../../protocol/messages.js';
import type { ChatParts } from '../parts.js';
import type { RequestContext } from '../request.js';

export class ReadMarkersFeature {
  constructor(private readonly p: Pick<ChatParts, 'backend' | 'rooms'>) {}

  async read(ctx: RequestContext, req: ReadRequest): Promise<void> {
    if (!this.p.rooms.has(ctx.client, req.room)) return ctx.error('not_joined');
    const [last] = await this.p.backend.history.lastIds([req.room]);
    const id = await this.p.backend.accounts.markRead(ctx.member.id, req.room, Math.min(req.id, last));
    ctx.reply(readFrame({ room: req.room, id }));
  }
}
