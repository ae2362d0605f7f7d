/**
 * The DOM of one message of the log and of one outbox item (built for log-view.ts): sender, time, the
 * APPID that accepted it, and its life — the quote of the message it answers (a button that shows the
 * original), its text or a deleted message's tombstone, "(edited)" with the edit time (in a `<time>`,
 * read by screen readers, shown on hover and focus), its reactions as toggle chips (this member's own
 * pressed), its files (attachment-view.ts: images inline, other files to download), and one "Message actions" button that discloses Reply, Edit, Delete and the emoji picker.
 * Focusable parts carry `data-fk` so the log can give focus back to the same part when it rebuilds a
 * message that changed. Text goes in only through textContent, never innerHTML.
 */
import type { Member, ReplyQuote } from '@livechat/protocol';
import { attachmentsNode, outboxFilesNode } from './attachment-view.js';
import { avatar } from './avatar.js';
import { quoteLabel, type ShownMessage } from './message-changes.js';
import { el, fullFmt, memberLabel, nameWithTag } from './nodes.js';
import type { OutboxItem } from './outbox.js';
import { TEXT } from './texts.js';

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** The picker's emoji (any other can be typed). */
export const COMMON_EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀'] as const;

/** How one message is shown: what this member may do with it, and whether its actions are open. */
export interface MessageShown {
  m: ShownMessage;
  own: boolean;
  canEdit: boolean;
  canDelete: boolean;
  /** It names this member (`@Ann`): highlighted. */
  namesMe: boolean;
  /** Its actions (Reply, Edit, Delete, the picker) are disclosed. */
  open: boolean;
}

function button(cls: string, text: string, data: Record<string, string>): HTMLButtonElement {
  const b = el('button', cls, text);
  b.type = 'button';
  Object.assign(b.dataset, data);
  return b;
}

function timeOf(ts: number, cls: string, text: string): HTMLTimeElement {
  const t = el('time', cls, text);
  t.dateTime = new Date(ts).toISOString();
  t.title = fullFmt.format(ts);
  return t;
}

function metaLine(from: Member, ts: number, extra: HTMLElement[]): HTMLElement {
  const meta = el('div', 'meta');
  meta.append(nameWithTag(from, 'sender'), timeOf(ts, 'time', timeFmt.format(ts)), ...extra);
  return meta;
}

/** "(edited)", the time shown on hover and focus and always read: "(edited 14:05)". */
function editedMark(at: number): HTMLElement {
  const t = timeOf(at, 'edited', '(edited');
  t.title = `Edited ${fullFmt.format(at)}`;
  t.append(el('span', 'edited-at', ` ${timeFmt.format(at)}`), ')');
  return t;
}

/** "✓ sent" for one's own stored message: the tick is drawn, the word is there for screen readers. */
function sentMark(): HTMLElement {
  const mark = el('span', 'delivery is-sent');
  const tick = el('span', 'tick', '✓');
  tick.setAttribute('aria-hidden', 'true');
  mark.append(tick, el('span', 'visually-hidden', 'sent'));
  return mark;
}

/** The quote of the message a reply answers: a button that scrolls to it and focuses it. */
function quoteNode(q: ReplyQuote): HTMLElement {
  const b = button('quote', '', { quote: String(q.id), fk: 'quote' });
  const text = q.text === '' ? el('em', 'quote-text', quoteLabel(q)) : el('span', 'quote-text', q.text);
  b.append(nameWithTag(q.from, 'quote-who'), ' ', text);
  b.setAttribute('aria-label', `In reply to ${memberLabel(q.from)}: ${quoteLabel(q)}. Show that message.`);
  b.title = 'Show the message this one answers';
  return b;
}

/** The reactions under a message: "👍 2" chips, this member's own pressed; a click toggles it. */
function reactionsNode(m: ShownMessage): HTMLElement | null {
  if (!m.reactions?.length) return null;
  const group = el('div', 'reactions');
  group.setAttribute('role', 'group');
  group.setAttribute('aria-label', 'Reactions');
  for (const r of m.reactions) {
    const mine = (m.mine ?? []).includes(r.emoji);
    const chip = button(mine ? 'chip is-mine' : 'chip', '', { react: r.emoji, fk: `react:${r.emoji}` });
    chip.setAttribute('aria-pressed', String(mine));
    chip.title = mine ? 'Remove your reaction' : `React with ${r.emoji}`;
    chip.setAttribute('aria-label', `${r.emoji} ${r.count} ${r.count === 1 ? 'reaction' : 'reactions'}`);
    chip.append(el('span', 'chip-emoji', r.emoji), el('span', 'chip-count', String(r.count)));
    group.append(chip);
  }
  return group;
}

/** The disclosed actions: Reply, Edit and Delete where allowed, the common emoji and a field for any other. */
function actionsPanel(v: MessageShown): HTMLElement {
  const { m } = v;
  const panel = el('div', 'actions');
  panel.id = `actions-${m.id}`;
  panel.setAttribute('role', 'group');
  panel.setAttribute('aria-label', 'Message actions');
  const row = el('div', 'action-row');
  row.append(button('secondary action', 'Reply', { act: 'reply', fk: 'act:reply' }));
  if (v.canEdit) row.append(button('secondary action', 'Edit', { act: 'edit', fk: 'act:edit' }));
  if (v.canDelete) row.append(button('secondary action danger', 'Delete', { act: 'delete', fk: 'act:delete' }));
  const picker = el('div', 'picker');
  picker.setAttribute('role', 'group');
  picker.setAttribute('aria-label', 'React');
  for (const emoji of COMMON_EMOJI) {
    const mine = (m.mine ?? []).includes(emoji);
    const b = button(mine ? 'pick is-mine' : 'pick', emoji, { react: emoji, fk: `pick:${emoji}` });
    b.setAttribute('aria-label', `React with ${emoji}`);
    b.setAttribute('aria-pressed', String(mine));
    picker.append(b);
  }
  const form = el('form', 'emoji-form');
  form.dataset.emojiForm = String(m.id);
  form.noValidate = true;
  const input = el('input', 'emoji-input');
  input.type = 'text';
  input.id = `emoji-${m.id}`;
  input.name = 'emoji';
  input.autocomplete = 'off';
  input.maxLength = 16;
  input.placeholder = 'Any emoji';
  input.dataset.fk = 'emoji';
  const label = el('label', 'visually-hidden', 'Any emoji');
  label.htmlFor = input.id;
  const error = el('p', 'form-error emoji-error');
  error.id = `emoji-error-${m.id}`;
  input.setAttribute('aria-describedby', error.id);
  const submit = button('secondary', 'React', { fk: 'emoji-send' });
  submit.type = 'submit';
  form.append(label, input, submit, error);
  panel.append(row, picker, form);
  return panel;
}

export function messageNode(v: MessageShown): HTMLElement {
  const { m, own } = v;
  const row = el('div', `msg${own ? ' mine' : ''}${m.deleted ? ' is-deleted' : ''}${v.namesMe ? ' names-me' : ''}`);
  row.dataset.id = String(m.id);
  row.tabIndex = -1; // a reply's quote moves focus here
  const via = el('span', 'via', `via ${m.via}`);
  via.title = `Accepted by server ${m.via} · message #${m.id}`;
  const extra: HTMLElement[] = [];
  if (m.editedAt !== undefined && !m.deleted) extra.push(editedMark(m.editedAt));
  extra.push(via);
  if (own) extra.push(sentMark());
  const bubble = el('div', 'bubble');
  bubble.append(metaLine(m.from, m.ts, extra));
  if (m.replyTo) bubble.append(quoteNode(m.replyTo));
  // A picture alone has no text; a deleted message has no files (entry-frames.ts, message-changes.ts).
  if (m.deleted) bubble.append(el('p', 'tombstone', TEXT.deleted));
  else if (m.text !== '' || !m.attachments?.length) bubble.append(el('p', 'text', m.text));
  if (!m.deleted && m.attachments?.length) bubble.append(attachmentsNode(m.attachments));
  if (v.namesMe) bubble.append(el('span', 'visually-hidden', 'Mentions you.'));
  const body = el('div', 'msg-body');
  const line = el('div', 'msg-line');
  line.append(bubble);
  body.append(line);
  if (!m.deleted) {
    const toggle = button('actions-toggle', '', { actions: String(m.id), fk: 'actions' });
    toggle.setAttribute('aria-expanded', String(v.open));
    if (v.open) toggle.setAttribute('aria-controls', `actions-${m.id}`);
    toggle.setAttribute('aria-label', `Actions for the message from ${memberLabel(m.from)} at ${timeFmt.format(m.ts)}`);
    toggle.title = 'Reply, react, edit or delete';
    const dots = el('span', '', '⋯');
    dots.setAttribute('aria-hidden', 'true');
    toggle.append(dots);
    line.append(toggle);
    const reactions = reactionsNode(m);
    if (reactions) body.append(reactions);
    if (v.open) body.append(actionsPanel(v));
  }
  row.append(avatar(m.from), body);
  return row;
}

/** The delivery state of one's own message, in words (shown, and read by screen readers). */
export const OUTBOX_LABEL: Record<OutboxItem['status'], string> = {
  pending: 'pending', sending: 'sending…', sent: 'sent', failed: 'not sent',
};

export function outboxNode(o: OutboxItem, me: Member | null): HTMLElement {
  const row = el('div', `msg mine outbox is-${o.status}`);
  row.dataset.cid = o.cid;
  const badge = o.status === 'sent' ? sentMark() : el('span', 'delivery', OUTBOX_LABEL[o.status]);
  if (o.status === 'pending') badge.title = 'Waiting for the connection; it goes out by itself.';
  const bubble = el('div', 'bubble');
  const who = me ?? { id: 'me', name: 'You' };
  bubble.append(metaLine(who, o.createdAt, [badge]));
  if (o.replyTo) bubble.append(quoteNode(o.replyTo));
  if (o.text !== '' || !o.attachments?.length) bubble.append(el('p', 'text', o.text));
  if (o.attachments?.length) bubble.append(outboxFilesNode(o.attachments));
  if (o.status === 'failed') {
    const why = el('p', 'failure', o.error ?? TEXT.sendRefused);
    const retry = button('retry', 'Retry', { retry: o.cid, fk: 'retry' });
    const shown = o.text || (o.attachments ?? []).map((f) => f.name).join(', ');
    const excerpt = [...shown].slice(0, 40).join('');
    retry.setAttribute('aria-label', `Retry sending “${excerpt}${excerpt.length < shown.length ? '…' : ''}”`);
    why.append(' ', retry);
    bubble.append(why);
  }
  const body = el('div', 'msg-body');
  body.append(bubble);
  row.append(avatar(who), body);
  return row;
}
