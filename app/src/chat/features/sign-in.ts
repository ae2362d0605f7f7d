/**
 * Accounts identifying a connection: `signup` and `signin` (instead of `hello`). Sign-in failures are
 * counted per account and per address across the cluster (SigninLimits); an unknown username is
 * checked against a dummy hash (same answer, same time); hashing is bounded per server (PasswordHasher).
 */
import { v4 as uuidv4 } from 'uuid';
import { KdfBusyError, PasswordHasher } from '../../accounts/password.js';
import { ACCOUNT_ID_PREFIX, type Member, type SigninRequest, type SignupRequest } from '../../protocol/messages.js';
import { usernameKey } from '../../protocol/text.js';
import type { ChatParts } from '../parts.js';
import type { RequestContext } from '../request.js';
import { accountCounter, addressCounter } from '../signin-limits.js';
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
    // Hashed before the name is looked up: a taken name answers in the same time as a free one.
    const hash = await this.kdf(ctx, () => this.hasher.hash(req.password));
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
    const { backend, metrics, signinLimits } = this.p;
    if (ctx.client.member) return ctx.error('bad_request', TEXTS.alreadyIdentifiedSignin);
    const key = usernameKey(req.username);
    const counters = [accountCounter(key), addressCounter(ctx.client.address)];
    // Counted as a failure before the check (and forgiven on success), so concurrent guesses cannot
    // all pass the limit while the hashes run.
    const wait = await signinLimits.count(counters);
    if (wait > 0) return signinLimits.limited(ctx, TEXTS.tooManyFailedSignins, wait);
    const account = await backend.accounts.find(key);
    // The dummy hash an unknown username is checked against is made by the first sign-in on this server,
    // whoever it is for: that one takes two hashes' time whether the username exists or not, and a
    // server that never sees a sign-in never pays 128 MiB for it (it would at every start otherwise).
    const ok = await this.kdf(ctx, async () => {
      await this.hasher.prepare();
      return this.hasher.verify(req.password, account?.hash ?? null);
    });
    if (ok === null) return signinLimits.forgive(counters);
    if (!ok || !account) {
      metrics.auth.inc({ result: 'failed' });
      this.p.log.info({ conn: ctx.client.id }, 'sign-in failed');
      return ctx.error('auth_failed');
    }
    await signinLimits.forgive(counters);
    metrics.auth.inc({ result: 'signin' });
    await backend.accounts.touch(account.id, key);
    await this.startSession(ctx, { id: account.id, name: account.username });
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
