/** `typing`: the member types (for 6 s) or stopped. No answer; small rooms only (a large room's members get no typing frames). */
import type { TypingRequest } from '../../protocol/messages.js';
import type { ChatParts } from '../parts.js';
import type { RequestContext } from '../request.js';

export class TypingFeature {
  constructor(private readonly p: Pick<ChatParts, 'settings' | 'rooms' | 'typing' | 'admission'>) {}

  async typing(ctx: RequestContext, req: TypingRequest): Promise<void> {
    const local = this.p.rooms.get(req.room);
    if (!local || !this.p.rooms.has(ctx.client, req.room)) return this.p.admission.notJoined(ctx, req.room);
    if (local.feed.count.latest > this.p.settings.largeRoomThreshold) return;
    await this.p.typing.typing(req.room, ctx.member, req.stop !== true);
  }
}
