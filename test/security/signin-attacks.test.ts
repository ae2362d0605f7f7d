/**
 * Issue 23 "Hostile internet II", attacks 4–6, against a real server process on Redis, each from
 * loopback addresses of its own (127.0.0.x: the server sees them as different clients):
 *  (4) enumerating usernames past the address's limit: a registered and an unregistered name in a
 *      guest `hello` get the same answer;
 *  (5) locking the owner out: a stranger's failures from one address never stop the owner's right
 *      password from another address (within 10 s);
 *  (6) starving password hashing with valid sign-ins from 4 addresses: the victim is never "busy".
 */
import { describe, expect, it } from 'vitest';
import { sleep } from '../helpers/server-proc.js';
import { TestClient } from '../helpers/ws-client.js';
import { useTarget } from './lib/target.js';

const PASSWORD = 'correct horse battery';
type Frame = Record<string, unknown> & { type: string };

describe('sign-in attacks (4, 5, 6)', () => {
  const t = useTarget({
    appId: 'sec-signin',
    env: {
      SCRYPT_LOG2_N: '14', KDF_CONCURRENCY: '1', KDF_QUEUE: '6', SIGNIN_ADDRESS_LIMIT: '20',
      // The defaults (the loose test limits lift them otherwise).
      KDF_ADDRESS_RATE_BURST: '10', KDF_ADDRESS_RATE_PER_SEC: '0.1',
    },
  });

  async function from(address: string): Promise<TestClient> {
    const c = await TestClient.connect(t.srv.url, { localAddress: address });
    t.open.push(c);
    return c;
  }

  async function signup(username: string, address = '127.0.0.1'): Promise<void> {
    const c = await from(address);
    expect(await c.request({ type: 'signup', username, password: PASSWORD }, 'welcome')).toMatchObject({ type: 'welcome' });
    c.terminate();
  }

  /** The answer to a guest hello, without what differs from one answer to the next. */
  const shape = (f: Frame) => (f.type === 'error' ? { type: f.type, code: f.code, message: f.message } : { type: f.type });

  it('(4) past the address limit, a registered and an unregistered name get the same answer', async () => {
    await signup('Enum4');
    const c = await from('127.0.0.40');
    let last: Frame = { type: '' };
    for (let i = 0; i < 40 && !(last.type === 'error' && last.code === 'rate_limited'); i++) {
      last = await c.request({ type: 'hello', name: 'enum4' }, 'welcome');
    }
    expect(last).toMatchObject({ type: 'error', code: 'rate_limited' });
    const registered = await c.request({ type: 'hello', name: 'Enum4' }, 'welcome');
    const unregistered = await c.request({ type: 'hello', name: 'Nobody4-unregistered' }, 'welcome');
    expect(shape(unregistered)).toEqual(shape(registered));
    expect(registered).toMatchObject({ type: 'error', code: 'rate_limited' });
    // Another address is not affected.
    const other = await from('127.0.0.41');
    expect((await other.request({ type: 'hello', name: 'Nobody4-unregistered' }, 'welcome')).type).toBe('welcome');
    await t.by.stillChats();
  });

  it('(5) a stranger\'s failures from one address never lock the owner (another address) out', async () => {
    await signup('Owner5');
    const stranger = await from('127.0.0.50');
    const answers: string[] = [];
    for (let i = 0; i < 14; i++) {
      const f = await stranger.request({ type: 'signin', username: 'owner5', password: `wrong password ${i}` }, 'welcome');
      answers.push(String(f.code));
    }
    // The stranger is limited on that pair…
    expect(answers.slice(0, 10).every((a) => a === 'auth_failed')).toBe(true);
    expect(answers.at(-1)).toBe('rate_limited');
    // …while the owner, from another address, gets in within 10 s.
    const deadline = Date.now() + 10_000;
    let got: Frame = { type: '' };
    while (Date.now() < deadline) {
      const owner = await from('127.0.0.51');
      got = await owner.request({ type: 'signin', username: 'Owner5', password: PASSWORD }, 'welcome');
      if (got.type === 'welcome') break;
      await sleep(Math.min(Number(got.retryAfterMs ?? 500), Math.max(0, deadline - Date.now())));
    }
    expect(got).toMatchObject({ type: 'welcome', account: { username: 'Owner5' } });
  });

  it('(6) valid sign-ins looped from 4 addresses do not make the victim\'s sign-in "busy"', async () => {
    await signup('Loop6');
    await signup('Victim6');
    const busy: Frame[] = [];
    const attack = async (address: string) => {
      const loop = async () => {
        for (let i = 0; i < 4; i++) {
          const c = await from(address);
          await c.request({ type: 'signin', username: 'Loop6', password: PASSWORD }, 'welcome', 10_000).catch(() => null);
          c.terminate();
        }
      };
      // 12 loops of 4 (48 valid sign-ins) per address, all at once.
      await Promise.all(Array.from({ length: 12 }, loop));
    };
    const attacks = Promise.all(['127.0.0.61', '127.0.0.62', '127.0.0.63', '127.0.0.64'].map(attack));
    const victim: Frame[] = [];
    for (let i = 0; i < 3; i++) {
      await sleep(150);
      const v = await from('127.0.0.65');
      const f = await v.request({ type: 'signin', username: 'Victim6', password: PASSWORD }, 'welcome', 10_000);
      victim.push(f);
      if (f.type === 'error') busy.push(f);
    }
    await attacks;
    expect(busy).toEqual([]);
    expect(victim.every((f) => f.type === 'welcome')).toBe(true);
    await t.by.stillChats();
  });
});
