/**
 * Messages: `send` stores a message in the room's log and publishes it in one step (RoomEvents),
 * answering `ack` before the sender's own `message` (ChatClient.send); `history` pages the log.
 */
import { EntryRefusedError, ForbiddenError } from '../../store/errors.js';
import { ackFrame, historyFrame, messageFrameBytes, messageParts } from '../../protocol/encode.js';
import { isAccountId, LIMITS, roomKind, type Attachment, type HistoryRequest, type SendRequest } from '../../protocol/messages.js';
import { background } from '../background.js';
import type { ChatParts } from '../parts.js';
import type { RequestContext } from '../request.js';
import { chargeRequest } from '../request-charge.js';
import { QUOTE_RESERVE_BYTES } from './lifecycle.js';
import { TEXTS } from '../texts.js';

const NO_MENTIONS: string[] = [];

type Parts = Pick<ChatParts, 'backend' | 'settings' | 'log' | 'metrics' | 'rooms' | 'events' | 'admission' | 'typing' | 'mentions' | 'files' | 'limits'>;
const NO_FILES: Attachment[] = [];

export class MessagingFeature {
  constructor(private readonly p: Parts) {}

  async send(ctx: RequestContext, req: SendRequest): Promise<void> {
    const { settings, admission } = this.p;
    const { client, member } = ctx;
    if (!this.p.rooms.has(client, req.room)) return admission.notJoined(ctx, req.room);
    // Mentions are looked up in the store: the member's send token is taken first, alone.
    const mentioning = req.text.includes('@');
    if (mentioning && !(await chargeRequest(ctx, this.p.limits, null))) return;
    const mentions = mentioning ? await this.p.mentions.resolve(req.room, req.text) : NO_MENTIONS;
    const bytes = (files: readonly Attachment[]) => messageFrameBytes(messageParts(req.room, member, req.text, req.cid, settings.appId, mentions, files)) +
      (req.replyTo === undefined ? 0 : QUOTE_RESERVE_BYTES);
    const plain = bytes(NO_FILES);
    if (plain > settings.maxMessageBytes) return ctx.error('bad_request', TEXTS.messageTooBig(plain, settings.maxMessageBytes));
    // What it leaves in the store counts against the address's and the member's quotas, taken before
    // anything is stored (files included) and given back when nothing was (a repeated cid, a failure).
    // With the send token when it is still to take (ctx.bucket): one store round trip for all three.
    if (!(await chargeRequest(ctx, this.p.limits, plain))) return;
    let charged = true;
    const giveBack = () => {
      if (charged) background(this.p.log, this.p.limits.giveStored(client.address, member.id, plain), 'a store quota was not given back');
      charged = false;
    };
    // Files: checked and committed before the message is stored (nothing is stored when one is refused).
    let attachments = NO_FILES;
    const files = req.attachments && this.p.files?.attachments;
    if (req.attachments) {
      if (!files) {
        giveBack();
        return ctx.error('bad_request', TEXTS.filesOff);
      }
      // The size with the files at their largest is checked before any of them moves.
      const checked = await files.check(req.room, member, req.cid, req.attachments, (planned) => {
        const n = bytes(planned);
        return n > settings.maxMessageBytes ? TEXTS.messageTooBig(n, settings.maxMessageBytes) : null;
      }).catch((err: unknown) => { giveBack(); throw err; });
      if (!checked.ok) {
        giveBack();
        return ctx.error('bad_request', checked.reason);
      }
      attachments = checked.attachments;
    }
    try {
      await client.send(req.cid, async () => {
        const r = await this.p.events.store({
          room: req.room, cid: req.cid, from: member, text: req.text, via: settings.appId, restricted: roomKind(req.room) !== 'public',
          ...(req.replyTo === undefined ? {} : { replyTo: req.replyTo }),
          ...(mentions.length === 0 ? {} : { mentions }),
          ...(attachments.length === 0 ? {} : { attachments }),
        });
        if (!r.duplicate) {
          this.p.metrics.messagesIn.inc();
          this.counted(req.room, r.id, member.id, mentions);
        } else giveBack();
        this.p.typing.sent(req.room, member);
        return ctx.answer(ackFrame({ cid: req.cid, room: req.room, id: r.id, ts: r.ts }));
      });
    } catch (err) {
      giveBack();
      // Not stored: its checked files are free for the next send (this one's retry claims them again).
      if (files && req.attachments) await files.release(req.attachments, req.cid);
      if (err instanceof EntryRefusedError) return ctx.error('bad_request', TEXTS.noTarget);
      // The store found the sender off the room's list (its removal lost on the bus): out of the room now.
      if (err instanceof ForbiddenError) admission.evict(req.room, member.id);
      throw err;
    }
  }

  /** Accounts the message names (not its sender) count it in their room lists until they read past it. */
  private counted(room: string, id: number, sender: string, mentions: string[]): void {
    for (const m of mentions) {
      if (m !== sender && isAccountId(m)) background(this.p.log, this.p.backend.accounts.addMention(m, room, id), 'mention not counted');
    }
  }

  async history(ctx: RequestContext, req: HistoryRequest): Promise<void> {
    const { admission } = this.p;
    if (!this.p.rooms.has(ctx.client, req.room)) return admission.notJoined(ctx, req.room);
    const entries = await this.p.backend.history.page(req.room, {
      before: req.before, after: req.after, limit: req.limit ?? LIMITS.historyLimitDefault,
    });
    const messages = entries.map((m) => m.json);
    const frames = this.p.files ? await this.p.files.attachments.refresh(req.room, messages) : messages;
    if (await admission.stillAdmitted(ctx, req.room)) ctx.reply(historyFrame(req.room, frames));
  }
}
