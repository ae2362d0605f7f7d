/**
 * Issue 23 "Hostile internet II", attack 8, against a real server process on Redis: a guest that keeps
 * a name registered after it, sessions without bound (per account, and renewed forever), no password
 * change. Each: the session cap revokes the oldest; a session ends at its absolute lifetime however
 * often it is used; a password change revokes the account's other sessions; a resumed guest session
 * whose name was registered since gets `name_taken` and keeps its member under a free name.
 */
import { describe, expect, it } from 'vitest';
import { sleep } from '../helpers/server-proc.js';
import { TestClient } from '../helpers/ws-client.js';
import { useTarget } from './lib/target.js';

const PASSWORD = 'correct horse battery';
type Frame = Record<string, unknown> & { type: string };
type Welcome = Frame & { session: string; member: { id: string; name: string } };

describe('account sessions (8)', () => {
  const t = useTarget({ appId: 'sec-sessions', env: { SCRYPT_LOG2_N: '12', ACCOUNT_MAX_SESSIONS: '3', KDF_ADDRESS_RATE_BURST: '1000' } });

  async function conn(): Promise<TestClient> {
    const c = await TestClient.connect(t.srv.url);
    t.open.push(c);
    return c;
  }
  async function signin(username: string, password = PASSWORD, type = 'signin'): Promise<[TestClient, Welcome]> {
    const c = await conn();
    const w = (await c.request({ type, username, password }, 'welcome')) as unknown as Welcome;
    expect(w.type).toBe('welcome');
    return [c, w];
  }

  it('creating one session past ACCOUNT_MAX_SESSIONS revokes the oldest', async () => {
    const [first, w1] = await signin('Capped8', PASSWORD, 'signup');
    const rest = [];
    for (let i = 0; i < 3; i++) rest.push(await signin('Capped8'));
    const list = (await rest[2][0].request({ type: 'sessions' }, 'sessions')) as unknown as { sessions: unknown[] };
    expect(list.sessions).toHaveLength(3);
    // The oldest connection is told (closed, signed out) and its token identifies nobody.
    await first.next(() => first.closeCode !== null, 5000).catch(() => undefined);
    for (let i = 0; i < 50 && first.closeCode === null; i++) await sleep(50);
    expect(first.closeCode).toBe(1008);
    const again = await conn();
    const f = await again.request({ type: 'hello', name: 'someone8', session: w1.session }, 'welcome');
    expect(f).toMatchObject({ type: 'welcome' });
    expect((f as unknown as Welcome).member.id).not.toBe(w1.member.id);
    // The newer ones still resume.
    const r = await conn();
    expect((await r.hello('x', rest[0][1].session)).member.id).toBe(w1.member.id);
  });

  it('password: verifies the old one, re-hashes, and revokes every other session', async () => {
    const [a] = await signin('Changer8', PASSWORD, 'signup');
    const [b, wb] = await signin('Changer8');
    expect(await a.request({ type: 'password', old: 'not the password', new: 'a brand new secret' }, 'password'))
      .toMatchObject({ type: 'error', code: 'auth_failed' });
    expect(await a.request({ type: 'password', old: PASSWORD, new: 'a brand new secret' }, 'password'))
      .toMatchObject({ type: 'password', revoked: 1 });
    for (let i = 0; i < 50 && b.closeCode === null; i++) await sleep(50);
    expect(b.closeCode).toBe(1008);
    const c = await conn();
    expect(await c.request({ type: 'signin', username: 'changer8', password: PASSWORD }, 'welcome')).toMatchObject({ code: 'auth_failed' });
    await signin('Changer8', 'a brand new secret');
    // The changing connection stays signed in; the other's token identifies nobody.
    expect((await a.request({ type: 'sessions' }, 'sessions')).type).toBe('sessions');
    const d = await conn();
    expect((await d.request({ type: 'hello', name: 'guest8', session: wb.session }, 'welcome') as unknown as Welcome).member.id).not.toBe(wb.member.id);
  });

  it('a resumed guest session whose name was registered since gets name_taken, then keeps its member under a free name', async () => {
    const g = await conn();
    const w = await g.hello('Later8');
    g.terminate();
    await signin('Later8', PASSWORD, 'signup');
    const back = await conn();
    expect(await back.request({ type: 'hello', name: 'Later8', session: w.session }, 'welcome')).toMatchObject({ type: 'error', code: 'name_taken' });
    const renamed = await back.hello('Later8-guest', w.session);
    expect(renamed.member).toEqual({ id: w.member.id, name: 'Later8-guest' });
    // The session keeps the new name.
    const again = await conn();
    expect((await again.hello('whatever', w.session)).member).toEqual({ id: w.member.id, name: 'Later8-guest' });
  });
});

describe('absolute session lifetime (8)', () => {
  const t = useTarget({ appId: 'sec-lifetime', env: { SCRYPT_LOG2_N: '12', SESSION_MAX_AGE_SEC: '3' } });

  it('a session used all along still ends SESSION_MAX_AGE_SEC after it was made', async () => {
    const c = await TestClient.connect(t.srv.url);
    t.open.push(c);
    const w = (await c.request({ type: 'signup', username: 'Aging8', password: PASSWORD }, 'welcome')) as unknown as Welcome;
    for (let i = 0; i < 4; i++) {
      await sleep(500);
      const r = await TestClient.connect(t.srv.url);
      t.open.push(r);
      expect((await r.hello('x', w.session)).member.id).toBe(w.member.id);
      r.terminate();
    }
    await sleep(1500);
    const late = await TestClient.connect(t.srv.url);
    t.open.push(late);
    const f = await late.request({ type: 'hello', name: 'aging8-guest', session: w.session }, 'welcome');
    expect((f as unknown as Welcome).member?.id).not.toBe(w.member.id);
  });
});
