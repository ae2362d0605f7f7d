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
import { committedName, thumbName } from '../../files/file-store.js';
import { background } from '../background.js';
import type { ChatParts } from '../parts.js';
import type { RequestContext } from '../request.js';
import { chargeRequest } from '../request-charge.js';
import { TEXTS } from '../texts.js';

/** Room a stored message may need beyond its text: a reply's quote and its reactions. */
export const QUOTE_RESERVE_BYTES = 1024;
export const REACTIONS_RESERVE_BYTES = 1280;

type Parts = Pick<ChatParts, 'settings' | 'rooms' | 'events' | 'admission' | 'backend' | 'files' | 'log' | 'limits'>;
type Change = { kind: 'edit'; text: string } | { kind: 'delete' } | { kind: 'react'; emoji: string; on: boolean };

export class LifecycleFeature {
  constructor(private readonly p: Parts) {}

  async edit(ctx: RequestContext, req: EditRequest): Promise<void> {
    const max = this.p.settings.maxMessageBytes;
    const bytes = messageFrameBytes(messageParts(req.room, ctx.member, req.text, req.cid, this.p.settings.appId)) +
      QUOTE_RESERVE_BYTES + REACTIONS_RESERVE_BYTES;
    if (bytes > max) return ctx.error('bad_request', TEXTS.editTooBig(bytes, max));
    await this.change(ctx, req.room, req.id, { kind: 'edit', text: req.text });
  }

  /** A deleted message's files leave the file store too (after the deletion is stored; URLs given out stop working). */
  async delete(ctx: RequestContext, req: DeleteRequest): Promise<void> {
    const files = this.p.files;
    const names = files ? await this.p.backend.history.page(req.room, { before: req.id + 1, limit: 1 })
      .then((page) => (page[0]?.id === req.id ? fileNames(page[0].json) : [])) : [];
    const deleted = await this.change(ctx, req.room, req.id, { kind: 'delete' });
    if (deleted && files && names.length > 0) background(this.p.log, files.store.remove(req.room, names), 'a deleted message\'s files were not removed');
  }

  async react(ctx: RequestContext, req: ReactRequest): Promise<void> {
    await this.change(ctx, req.room, req.id, { kind: 'react', emoji: req.emoji, on: req.on });
  }

  /** Resolves true when the change was stored now (not refused, not a repeated cid). */
  private async change(ctx: RequestContext, room: string, target: number, change: Change): Promise<boolean> {
    const { client, member } = ctx;
    const cid = ctx.cid!;
    if (!this.p.rooms.has(client, room)) {
      this.p.admission.notJoined(ctx, room);
      return false;
    }
    let stored = false;
    const input = { ...change, room, cid, target, from: member, via: this.p.settings.appId, restricted: roomKind(room) !== 'public' } as ChangeInput;
    // What it leaves in the store counts against the address's and the member's quotas (a deletion frees).
    const charge = change.kind === 'delete' ? null : change.kind === 'edit' ? Buffer.byteLength(change.text) : 0;
    // With the route's token when the router left it (edit, react: ctx.bucket), in one store round trip.
    if (charge !== null && !(await chargeRequest(ctx, this.p.limits, charge))) return false;
    const giveBack = () => (charge === null ? Promise.resolve() : this.p.limits.giveStored(client.address, member.id, charge));
    try {
      await client.send(cid, async () => {
        const r = await this.p.events.store(input);
        stored = !r.duplicate && !r.noop;
        return ctx.answer(ackFrame({ cid, room, id: r.id, ts: r.ts }));
      });
      if (!stored) await giveBack();
    } catch (err) {
      background(this.p.log, giveBack(), 'a store quota was not given back');
      if (err instanceof EntryRefusedError) {
        refused(ctx, err, change.kind);
        return false;
      }
      // The store found the member off the room's list (its removal lost on the bus): out of the room now.
      if (err instanceof ForbiddenError) this.p.admission.evict(room, member.id);
      throw err;
    }
    return stored;
  }
}

/** The names in the file store of a stored message's files (committed file, and thumbnail). */
function fileNames(json: string): string[] {
  if (!json.includes('"attachments":[')) return [];
  const m = JSON.parse(json) as { attachments?: Array<{ key: string; mime: string; thumb?: string }> };
  return (m.attachments ?? []).flatMap((a) => (a.thumb ? [committedName(a.key, a.mime), thumbName(a.key)] : [committedName(a.key, a.mime)]));
}

function refused(ctx: RequestContext, err: EntryRefusedError, kind: Change['kind']): void {
  switch (err.reason) {
    case 'no_target': return ctx.error('bad_request', TEXTS.noTarget);
    case 'reactions_full': return ctx.error('bad_request', TEXTS.reactionsFull(LIMITS.reactionsMax));
    case 'not_allowed': return ctx.error('forbidden', kind === 'edit' ? TEXTS.notAuthorEdit : TEXTS.notAuthorDelete);
  }
}
