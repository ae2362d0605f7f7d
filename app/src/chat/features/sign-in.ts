/**
 * Accounts identifying a connection: `signup` and `signin` (instead of `hello`), and `password` (a
 * change). Sign-in failures are counted per (account, address) pair and per address, with a short
 * backoff per account (SigninLimits); every hash takes a token of the address's bucket; an unknown
 * username is checked against a dummy hash (same answer, same time); hashing is bounded per server
 * and fair per address (PasswordHasher).
 */
import { v4 as uuidv4 } from 'uuid';
import { KdfBusyError, PasswordHasher } from '../../accounts/password.js';
import { passwordFrame } from '../../protocol/encode.js';
import { ACCOUNT_ID_PREFIX, type Member, type PasswordRequest, type SigninRequest, type SignupRequest } from '../../protocol/messages.js';
import { usernameKey } from '../../protocol/text.js';
import { tokenDigest } from '../../sessions/sessions.js';
import type { ChatParts } from '../parts.js';
import type { RequestContext } from '../request.js';
import { addressCounter, type SigninAttempt } from '../signin-limits.js';
import { TEXTS } from '../texts.js';

type Parts = Pick<ChatParts, 'backend' | 'settings' | 'log' | 'metrics' | 'limits' | 'identities' | 'signinLimits'>;

export class SignInFeature {
  readonly hasher: PasswordHasher;

  constructor(private readonly p: Parts) {
    this.hasher = new PasswordHasher(p.settings);
  }

  async signup(ctx: RequestContext, req: SignupRequest): Promise<void> {
    const { backend, metrics, signinLimits } = this.p;
    if (ctx.client.member) return ctx.error('bad_request', TEXTS.alreadyIdentifiedSignup);
    const key = usernameKey(req.username);
    const address = addressCounter(ctx.client.address);
    const wait = Math.max(await this.p.limits.takeSession(ctx.client.address), await signinLimits.lockedFor([address]));
    if (wait > 0) return signinLimits.limited(ctx, TEXTS.tooManySignins, wait);
    if (!(await signinLimits.takeHash(ctx))) return;
    // Hashed before the name is looked up: a taken name answers in the same time as a free one.
    const hash = await this.kdf(ctx, () => this.hasher.hash(req.password, ctx.client.address));
    if (hash === null) return;
    const member: Member = { id: `${ACCOUNT_ID_PREFIX}${uuidv4()}`, name: req.username };
    if (!(await backend.accounts.create(key, { id: member.id, username: member.name, hash, created: Date.now() }))) {
      // Counted like a failed sign-in, so trying names one after another is limited too.
      await signinLimits.count([address]);
      metrics.auth.inc({ result: 'taken' });
      return ctx.error('name_taken', TEXTS.usernameTaken);
    }
    metrics.auth.inc({ result: 'signup' });
    await this.startSession(ctx, member);
  }

  async signin(ctx: RequestContext, req: SigninRequest): Promise<void> {
    const { backend, metrics } = this.p;
    if (ctx.client.member) return ctx.error('bad_request', TEXTS.alreadyIdentifiedSignin);
    const key = usernameKey(req.username);
    const account = await this.check(ctx, key, req.password, async () => {
      const a = await backend.accounts.find(key);
      return { id: a?.id ?? '', username: a?.username ?? '', hash: a?.hash ?? null };
    });
    if (!account) return;
    metrics.auth.inc({ result: 'signin' });
    await backend.accounts.touch(account.id, key);
    await this.startSession(ctx, { id: account.id, name: account.username });
  }

  /** Changes the account's password: the old one checked like a sign-in, then every other session revoked. */
  async password(ctx: RequestContext, req: PasswordRequest): Promise<void> {
    const { backend, signinLimits, log } = this.p;
    const me = ctx.member;
    const key = usernameKey(me.name);
    const account = await this.check(ctx, key, req.old, async () => {
      const a = await backend.accounts.find(key);
      return { id: me.id, username: me.name, hash: a && a.id === me.id ? a.hash : null };
    });
    if (!account || !(await signinLimits.takeHash(ctx))) return;
    const hash = await this.kdf(ctx, () => this.hasher.hash(req.new, ctx.client.address));
    if (hash === null) return;
    if (!(await backend.accounts.setHash(key, me.id, hash))) return ctx.error('auth_failed');
    const revoked = await backend.sessions.revoke(me.id, undefined, tokenDigest(ctx.client.session));
    log.info({ conn: ctx.client.id, count: revoked.length }, 'password changed');
    ctx.reply(passwordFrame({ revoked: revoked.length }));
  }

  /**
   * Checks a password of the account at `key` within the sign-in limits (counted ahead, forgiven on
   * success); answers the refusal and returns null, or the account when the password is right.
   */
  private async check(
    ctx: RequestContext, key: string, password: string, load: () => Promise<{ id: string; username: string; hash: string | null }>,
  ): Promise<{ id: string; username: string } | null> {
    const { metrics, signinLimits } = this.p;
    const address = ctx.client.address;
    const attempt: SigninAttempt = await signinLimits.attempt(key, address);
    if (attempt.wait > 0) {
      signinLimits.limited(ctx, attempt.message, attempt.wait);
      return null;
    }
    if (!(await signinLimits.takeHash(ctx))) {
      await signinLimits.forgive(attempt.counters);
      return null;
    }
    const account = await load();
    // The dummy hash an unknown username is checked against is made by the first sign-in on this server,
    // whoever it is for: that one takes two hashes' time whether the username exists or not, and a
    // server that never sees a sign-in never pays 128 MiB for it (it would at every start otherwise).
    const ok = await this.kdf(ctx, async () => {
      await this.hasher.prepare(address);
      return this.hasher.verify(password, account.hash, address);
    });
    if (ok === null) {
      await signinLimits.forgive(attempt.counters);
      return null;
    }
    if (!ok || account.hash === null) {
      await signinLimits.failedAttempt(key, attempt);
      metrics.auth.inc({ result: 'failed' });
      this.p.log.info({ conn: ctx.client.id }, 'sign-in failed');
      ctx.error('auth_failed');
      return null;
    }
    await signinLimits.forgive(attempt.counters);
    return account;
  }

  /** Runs a hash or a check; null (answered rate_limited) when the server's hashing is saturated. */
  private async kdf<T>(ctx: RequestContext, fn: () => Promise<T>): Promise<T | null> {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof KdfBusyError)) throw err;
      this.p.signinLimits.limited(ctx, TEXTS.hashingBusy, 1000);
      return null;
    }
  }

  private async startSession(ctx: RequestContext, member: Member): Promise<void> {
    const token = uuidv4();
    await this.p.backend.sessions.save(token, member);
    this.p.identities.identify(ctx, member, token);
  }
}
