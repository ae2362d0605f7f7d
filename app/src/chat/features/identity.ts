/**
 * Identity for guests and liveness: `hello` (a new guest, or a session of an earlier `welcome`
 * given back on any server) and `ping`. Accounts identify with `signup`/`signin` (sign-in.ts).
 */
import { v4 as uuidv4 } from 'uuid';
import { PONG_FRAME } from '../../protocol/encode.js';
import { isAccountId, type HelloRequest, type Member } from '../../protocol/messages.js';
import { usernameKey } from '../../protocol/text.js';
import { background } from '../background.js';
import type { ChatParts } from '../parts.js';
import type { RequestContext } from '../request.js';
import { addressCounter } from '../signin-limits.js';
import { TEXTS } from '../texts.js';

type Parts = Pick<ChatParts, 'backend' | 'settings' | 'log' | 'limits' | 'identities' | 'signinLimits'>;

export class IdentityFeature {
  constructor(private readonly p: Parts) {}

  async hello(ctx: RequestContext, req: HelloRequest): Promise<void> {
    const { backend, settings, identities } = this.p;
    if (ctx.client.member) return identities.welcome(ctx);
    let member: Member | null = null;
    let token = '';
    if (req.session !== undefined) {
      member = await backend.sessions.resolve(req.session);
      token = req.session;
    }
    // With REQUIRE_ACCOUNTS a guest's session no longer identifies anyone.
    if (member && settings.requireAccounts && !isAccountId(member.id)) member = null;
    if (member && isAccountId(member.id)) this.touched(member);
    else if (member) {
      member = await this.resumedGuest(ctx, member, token, req.name);
      if (!member) return;
    } else if (!(await this.guestAllowed(ctx, req.name))) return;
    if (!member) {
      // A person makes a session now and then; a loop of fresh hellos from one address is refused.
      const wait = await this.p.limits.takeSession(ctx.client.address);
      if (wait > 0) return ctx.error('rate_limited', TEXTS.tooManySessions, wait);
      member = { id: uuidv4(), name: req.name };
      token = uuidv4();
      await backend.sessions.save(token, member);
    }
    identities.identify(ctx, member, token);
  }

  ping(ctx: RequestContext): void {
    ctx.reply(PONG_FRAME);
  }

  /**
   * May a `hello` that got no account session go on as a guest with this name? Answers the refusal
   * itself and returns false when not. An address at its limit gets one answer before any name is
   * looked up, so a registered and an unregistered name cannot be told apart past it.
   */
  private async guestAllowed(ctx: RequestContext, name: string): Promise<boolean> {
    if (this.p.settings.requireAccounts) {
      ctx.error('forbidden', TEXTS.accountsRequired);
      return false;
    }
    if (await this.p.signinLimits.addressLocked(ctx)) return false;
    return this.nameFree(ctx, name, TEXTS.nameRegistered);
  }

  /** Answers name_taken (counted like a failed sign-in of the address) and returns false when `name` is registered. */
  private async nameFree(ctx: RequestContext, name: string, message: string): Promise<boolean> {
    if (!(await this.p.backend.accounts.isRegistered(usernameKey(name)))) return true;
    // Each one tells that a username exists: counted like a failed sign-in of the address.
    if (await this.p.signinLimits.overLimit(ctx, addressCounter(ctx.client.address))) return false;
    ctx.error('name_taken', message);
    return false;
  }

  /**
   * A guest's session given back. Its name may have been registered by an account since: then the
   * guest keeps its session and member but not the name — `name_taken`, and a `hello` with the same
   * session and a free name continues under that name (the session is renamed). Null: answered.
   */
  private async resumedGuest(ctx: RequestContext, member: Member, token: string, name: string): Promise<Member | null> {
    if (await this.p.signinLimits.addressLocked(ctx)) return null;
    if (!(await this.p.backend.accounts.isRegistered(usernameKey(member.name)))) return member;
    if (usernameKey(name) === usernameKey(member.name)) {
      ctx.error('name_taken', TEXTS.nameRegisteredSince);
      return null;
    }
    if (!(await this.nameFree(ctx, name, TEXTS.nameRegisteredSince))) return null;
    // Renamed in place: the session keeps its creation time (and so its SESSION_MAX_AGE_SEC end).
    await this.p.backend.sessions.rename(token, name);
    return { id: member.id, name };
  }

  /** An account's session was used (hello): keep the account for another ACCOUNT_TTL_SEC. */
  private touched(member: Member): void {
    if (!isAccountId(member.id)) return;
    background(this.p.log, this.p.backend.accounts.touch(member.id, usernameKey(member.name)), 'account touch failed');
  }
}
