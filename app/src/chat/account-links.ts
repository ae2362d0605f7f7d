/**
 * This server's connections of each account: for what is pushed to an account (its room list, its
 * read markers) and for closing the connections of a revoked session. Guests are not indexed.
 */
import type { Metrics } from '../metrics.js';
import { CloseCode, SIGNED_OUT_REASON } from '../protocol/close-codes.js';
import type { Frame } from '../protocol/encode.js';
import { isAccountId, type Member } from '../protocol/messages.js';
import { tokenDigest } from '../sessions/sessions.js';
import type { ChatClient } from './client.js';

/** Revocations remembered at most (each for a minute). */
const MAX_REVOKED = 10_000;

export class AccountLinks {
  private readonly links = new Map<string, Set<ChatClient>>();
  /**
   * Sessions revoked in the last minute (digest -> until when): a connection whose hello resolved its
   * session just before the revocation, and attaches just after the `k` entry went by, is caught here.
   */
  private readonly revokedLately = new Map<string, number>();
  /** Connections revoking sessions right now: their own close waits for their `revoked` answer. */
  private readonly answering = new Map<ChatClient, boolean>();

  constructor(private readonly metrics: Metrics) {}

  /** Indexes an account's connection; false (and closed) when its session was revoked a moment ago. */
  attach(client: ChatClient, member: Member): boolean {
    if (!isAccountId(member.id)) return true;
    if (this.revokedLately.size > 0 && this.revokedLately.has(tokenDigest(client.session))) {
      this.closeSignedOut(client);
      return false;
    }
    let set = this.links.get(member.id);
    if (!set) this.links.set(member.id, (set = new Set()));
    set.add(client);
    return true;
  }

  detach(client: ChatClient, member: Member): void {
    const set = this.links.get(member.id);
    if (!set) return;
    set.delete(client);
    if (set.size === 0) this.links.delete(member.id);
  }

  has(memberId: string): boolean {
    return this.links.has(memberId);
  }

  /** The member as one of its connections here knows it; null when it has none. */
  memberOf(memberId: string): Member | null {
    return this.links.get(memberId)?.values().next().value?.member ?? null;
  }

  /** Writes a frame to every connection of the account here (a push: no rid). */
  push(memberId: string, frame: Frame): void {
    for (const c of this.links.get(memberId) ?? []) c.reply(frame);
  }

  /** Every account connection here, with its account id. */
  *all(): Iterable<[string, ChatClient]> {
    for (const [memberId, clients] of this.links) for (const c of clients) yield [memberId, c];
  }

  /** Sessions were revoked: close this server's connections on them. */
  revoked(memberId: string, digest: string): void {
    const now = Date.now();
    if (this.revokedLately.size >= MAX_REVOKED) {
      for (const [d, until] of this.revokedLately) if (until <= now) this.revokedLately.delete(d);
    }
    if (this.revokedLately.size < MAX_REVOKED) this.revokedLately.set(digest, now + 60_000);
    for (const client of [...(this.links.get(memberId) ?? [])]) {
      if (tokenDigest(client.session) !== digest) continue;
      if (this.answering.has(client)) this.answering.set(client, true);
      else this.closeSignedOut(client);
    }
  }

  /**
   * Runs a revocation made by `client`: a revocation of its own session (arriving on the bus, which can
   * be faster than the store's answer) closes it only after `answer` wrote the `revoked` frame.
   */
  async revoking(client: ChatClient, revoke: () => Promise<void>): Promise<void> {
    this.answering.set(client, false);
    try {
      await revoke();
    } finally {
      const closeNow = this.answering.get(client);
      this.answering.delete(client);
      if (closeNow) this.closeSignedOut(client);
    }
  }

  closeSignedOut(client: ChatClient): void {
    this.metrics.closes.inc({ code: String(CloseCode.Policy) });
    client.close(CloseCode.Policy, SIGNED_OUT_REASON);
  }
}
