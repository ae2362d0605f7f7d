/**
 * Changing a message: `edit` (its author), `delete` (its author, or a private room's owner), `react`
 * (anyone in the room). Each is an entry of the room's log, stored and published in one step of the
 * store, which also decides — inside that step — whether the member may make it (RoomEvents.store);
 * `ack` comes before the member's own `update`, as for `send` (ChatClient.send).
 */
import { ackFrame, messageFrameBytes, messageParts } from '../../protocol/encode.js';
import { LIMITS, roomKind, type DeleteRequest, type EditRequest, type ReactRequest } from '../../protocol/messages.js';
import type { ChangeInput } from '../../history/history.js';
import { EntryRefusedError, ForbiddenError } from '../../store/errors.js';
import type { ChatParts } from '../parts.js';
import type { RequestContext } from '../request.js';
import { TEXTS } from '../texts.js';

/** Room a stored message may need beyond its text: a reply's quote and its reactions. */
export const QUOTE_RESERVE_BYTES = 1024;
export const REACTIONS_RESERVE_BYTES = 1280;

type Parts = Pick<ChatParts, 'settings' | 'rooms' | 'events' | 'admission'>;
type Change = { kind: 'edit'; text: string } | { kind: 'delete' } | { kind: 'react'; emoji: string; on: boolean };

export class LifecycleFeature {
  constructor(private readonly p: Parts) {}

  edit(ctx: RequestContext, req: EditRequest): Promise<void> {
    const max = this.p.settings.maxMessageBytes;
    const bytes = messageFrameBytes(messageParts(req.room, ctx.member, req.text, req.cid, this.p.settings.appId)) +
      QUOTE_RESERVE_BYTES + REACTIONS_RESERVE_BYTES;
    if (bytes > max) {
      ctx.error('bad_request', TEXTS.editTooBig(bytes, max));
      return Promise.resolve();
    }
    return this.change(ctx, req.room, req.id, { kind: 'edit', text: req.text });
  }

  delete(ctx: RequestContext, req: DeleteRequest): Promise<void> {
    return this.change(ctx, req.room, req.id, { kind: 'delete' });
  }

  react(ctx: RequestContext, req: ReactRequest): Promise<void> {
    return this.change(ctx, req.room, req.id, { kind: 'react', emoji: req.emoji, on: req.on });
  }

  private async change(ctx: RequestContext, room: string, target: number, change: Change): Promise<void> {
    const { client, member } = ctx;
    const cid = ctx.cid!;
    if (!this.p.rooms.has(client, room)) return this.p.admission.notJoined(ctx, room);
    const input = { ...change, room, cid, target, from: member, via: this.p.settings.appId, restricted: roomKind(room) !== 'public' } as ChangeInput;
    try {
      await client.send(cid, async () => {
        const r = await this.p.events.store(input);
        return ctx.answer(ackFrame({ cid, room, id: r.id, ts: r.ts }));
      });
    } catch (err) {
      if (err instanceof EntryRefusedError) return refused(ctx, err, change.kind);
      // The store found the member off the room's list (its removal lost on the bus): out of the room now.
      if (err instanceof ForbiddenError) this.p.admission.evict(room, member.id);
      throw err;
    }
  }
}

function refused(ctx: RequestContext, err: EntryRefusedError, kind: Change['kind']): void {
  switch (err.reason) {
    case 'no_target': return ctx.error('bad_request', TEXTS.noTarget);
    case 'reactions_full': return ctx.error('bad_request', TEXTS.reactionsFull(LIMITS.reactionsMax));
    case 'not_allowed': return ctx.error('forbidden', kind === 'edit' ? TEXTS.notAuthorEdit : TEXTS.notAuthorDelete);
  }
}
