/**
 * Messages: `send` stores a message in the room's log and publishes it in one step (RoomEvents),
 * answering `ack` before the sender's own `message` (ChatClient.send); `history` pages the log.
 */
import { EntryRefusedError, ForbiddenError } from '../../store/errors.js';
import { ackFrame, historyFrame, messageFrameBytes, messageParts } from '../../protocol/encode.js';
import { LIMITS, roomKind, type HistoryRequest, type SendRequest } from '../../protocol/messages.js';
import type { ChatParts } from '../parts.js';
import type { RequestContext } from '../request.js';
import { QUOTE_RESERVE_BYTES } from './lifecycle.js';
import { TEXTS } from '../texts.js';

type Parts = Pick<ChatParts, 'backend' | 'settings' | 'metrics' | 'rooms' | 'events' | 'admission' | 'typing'>;

export class MessagingFeature {
  constructor(private readonly p: Parts) {}

  async send(ctx: RequestContext, req: SendRequest): Promise<void> {
    const { settings, admission } = this.p;
    const { client, member } = ctx;
    if (!this.p.rooms.has(client, req.room)) return admission.notJoined(ctx, req.room);
    const bytes = messageFrameBytes(messageParts(req.room, member, req.text, req.cid, settings.appId)) +
      (req.replyTo === undefined ? 0 : QUOTE_RESERVE_BYTES);
    if (bytes > settings.maxMessageBytes) return ctx.error('bad_request', TEXTS.messageTooBig(bytes, settings.maxMessageBytes));
    try {
      await client.send(req.cid, async () => {
        const r = await this.p.events.store({
          room: req.room, cid: req.cid, from: member, text: req.text, via: settings.appId, restricted: roomKind(req.room) !== 'public',
          ...(req.replyTo === undefined ? {} : { replyTo: req.replyTo }),
        });
        if (!r.duplicate) this.p.metrics.messagesIn.inc();
        this.p.typing.sent(req.room, member);
        return ctx.answer(ackFrame({ cid: req.cid, room: req.room, id: r.id, ts: r.ts }));
      });
    } catch (err) {
      if (err instanceof EntryRefusedError) return ctx.error('bad_request', TEXTS.noTarget);
      // The store found the sender off the room's list (its removal lost on the bus): out of the room now.
      if (err instanceof ForbiddenError) admission.evict(req.room, member.id);
      throw err;
    }
  }

  async history(ctx: RequestContext, req: HistoryRequest): Promise<void> {
    const { admission } = this.p;
    if (!this.p.rooms.has(ctx.client, req.room)) return admission.notJoined(ctx, req.room);
    const entries = await this.p.backend.history.page(req.room, {
      before: req.before, after: req.after, limit: req.limit ?? LIMITS.historyLimitDefault,
    });
    if (await admission.stillAdmitted(ctx, req.room)) ctx.reply(historyFrame(req.room, entries.map((m) => m.json)));
  }
}
