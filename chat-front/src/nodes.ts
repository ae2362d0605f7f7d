/**
 * The DOM nodes for one member, one message and one outbox item, built for view.ts. Every piece of
 * text (names, messages, errors) goes in through textContent, never innerHTML, so none of it can
 * become markup.
 */
import type { ChatMessage, Member } from '@livechat/protocol';
import { avatar } from './avatar.js';
import type { OutboxItem } from './outbox.js';

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}


export function memberNode(m: Member, isMe: boolean): HTMLElement {
  const li = el('li', isMe ? 'member is-me' : 'member');
  li.dataset.id = m.id;
  li.append(avatar(m, 28), el('span', 'member-name', m.name));
  if (isMe) li.append(el('span', 'you', 'you'));
  return li;
}

function metaLine(name: string, ts: number, extra: HTMLElement[]): HTMLElement {
  const meta = el('div', 'meta');
  const time = el('time', 'time', timeFmt.format(ts));
  time.dateTime = new Date(ts).toISOString();
  time.title = fullFmt.format(ts);
  meta.append(el('span', 'sender', name), time, ...extra);
  return meta;
}

export function messageNode(m: ChatMessage, mine: boolean): HTMLElement {
  const row = el('div', mine ? 'msg mine' : 'msg');
  row.dataset.id = String(m.id);
  const via = el('span', 'via', `via ${m.via}`);
  via.title = `Accepted by server ${m.via} · message #${m.id}`;
  const body = el('div', 'bubble');
  body.append(metaLine(m.from.name, m.ts, [via]), el('p', 'text', m.text));
  row.append(avatar(m.from), body);
  return row;
}

const OUTBOX_LABEL: Record<OutboxItem['status'], string> = {
  pending: 'pending', sending: 'sending…', sent: 'sent', failed: 'not sent',
};

export function outboxNode(o: OutboxItem, me: Member | null): HTMLElement {
  const row = el('div', `msg mine outbox is-${o.status}`);
  row.dataset.cid = o.cid;
  const badge = el('span', 'delivery', OUTBOX_LABEL[o.status]);
  const extra: HTMLElement[] = [badge];
  const body = el('div', 'bubble');
  const who = me ?? { id: 'me', name: 'You' };
  body.append(metaLine(who.name, o.createdAt, extra), el('p', 'text', o.text));
  if (o.status === 'failed') {
    const why = el('p', 'failure', o.error ?? 'The server refused this message.');
    const retry = el('button', 'retry', 'Retry');
    retry.type = 'button';
    retry.dataset.retry = o.cid;
    why.append(' ', retry);
    body.append(why);
  }
  row.append(avatar(who), body);
  return row;
}
