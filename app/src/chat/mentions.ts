/**
 * Who a message names: `@username` of an account (in a private room or DM: one on its list), or `@name`
 * of a guest in the room (small rooms: the member list the server has). Resolved once, by the server
 * that accepts the send, into `mentions: [member id]` on the message; an account named gets the
 * message counted in its room list (`mentions`, unread ones) until it reads past it.
 */
import { isAccountId, roomKind, type Member } from '../protocol/messages.js';
import { usernameKey } from '../protocol/text.js';
import type { Backend } from '../store/backend.js';

/** Names resolved per message at most (each an account lookup). */
export const MENTIONS_MAX = 10;
const TOKEN = /(?:^|[^\p{L}\p{N}_@])@([^\s@]{1,40})/gu;
const TRAILING = /[.,!?:;)\]}'"…]+$/u;

/** The distinct names a text mentions (by username key), in order, at most MENTIONS_MAX. */
export function mentionTokens(text: string): string[] {
  if (!text.includes('@')) return [];
  const out = new Set<string>();
  for (const m of text.matchAll(TOKEN)) {
    const key = usernameKey(m[1].replace(TRAILING, ''));
    if (key.length > 0 && key.length <= 32) out.add(key);
    if (out.size >= MENTIONS_MAX) break;
  }
  return [...out];
}

export class Mentions {
  constructor(private readonly backend: Pick<Backend, 'accounts' | 'access' | 'presence'>, private readonly largeRoomThreshold: number) {}

  /** The member ids `text` names in `room` (nobody twice). */
  async resolve(room: string, text: string): Promise<string[]> {
    const tokens = mentionTokens(text);
    if (tokens.length === 0) return [];
    const kind = roomKind(room);
    const [accounts, acl, guests] = await Promise.all([
      Promise.all(tokens.map((t) => this.backend.accounts.find(t))),
      kind === 'public' ? null : this.backend.access.get(room),
      kind === 'public' ? this.backend.presence.snapshot(room, this.largeRoomThreshold).then((s) => s.members) : ([] as Member[]),
    ]);
    const ids = new Set<string>();
    tokens.forEach((t, i) => {
      const account = accounts[i];
      if (account && (acl === null || acl.members.some((m) => m.id === account.id))) ids.add(account.id);
      for (const g of guests) if (!isAccountId(g.id) && usernameKey(g.name) === t) ids.add(g.id);
    });
    return [...ids];
  }
}
