/**
 * Making a connection a member: the one step after `hello`, `signup` and `signin`, whichever made
 * the member — the connection takes the member and session, its account index attaches,
 * and it gets `welcome`.
 */
import { welcomeFrame } from '../protocol/encode.js';
import { isAccountId, type Member } from '../protocol/messages.js';
import type { AccountLinks } from './account-links.js';
import type { RequestContext } from './request.js';

export class Identities {
  constructor(private readonly appId: string, private readonly links: AccountLinks) {}

  /** Makes the connection this member and answers `welcome`; false when the client closed meanwhile. */
  identify(ctx: RequestContext, member: Member, token: string): boolean {
    const { client } = ctx;
    if (client.closed) return false;
    client.member = member;
    client.session = token;
    if (!this.links.attach(client, member)) return false;
    this.welcome(ctx);
    return true;
  }

  /** `welcome` for the member the connection already is (a repeated hello). */
  welcome(ctx: RequestContext): void {
    const member = ctx.member;
    ctx.reply(welcomeFrame({
      appId: this.appId, session: ctx.client.session, member,
      ...(isAccountId(member.id) ? { account: { username: member.name } } : {}),
    }));
  }
}
