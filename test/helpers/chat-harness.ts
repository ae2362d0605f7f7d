/**
 * The chat layer without sockets, for unit tests: a fake ClientLink that records what a ChatClient
 * writes to it, a ChatClient over one, a store proxy whose next calls the test can fail or hold, and a
 * harness that runs one ChatService (one server) over the memory backend — a fresh world, or a world
 * shared with other harnesses to simulate several servers.
 */
import { pino } from 'pino';
import { expect } from 'vitest';
import { createMemoryBackend, createMemoryWorld, type Backend, type MemoryWorld } from '../../app/src/backends.js';
import { ChatService } from '../../app/src/chat/chat-service.js';
import { ChatClient, type ClientLink } from '../../app/src/chat/client.js';
import { PreparedFrame } from '../../app/src/chat/prepared-frame.js';
import { loadConfig, type Config } from '../../app/src/config.js';
import { createFileStore } from '../../app/src/files/files-config.js';
import { createImageChecker } from '../../app/src/files/image-checker.js';
import { Metrics } from '../../app/src/metrics.js';
import type { Frame } from '../../app/src/protocol/encode.js';
import type { Member, Request } from '../../app/src/protocol/messages.js';
import { StoreUnavailableError } from '../../app/src/store/errors.js';

export const silent = pino({ level: 'silent' });

/** A server frame as a test reads it. */
export type TestFrame = { type: string } & Record<string, any>;

/** The text of a frame as written: a room frame's prepared bytes, or a reply. */
export const frameText = (f: PreparedFrame | Frame): string => (f instanceof PreparedFrame ? f.payload.toString() : f);

/**
 * A ClientLink that records: every frame written (as given, and as text), every close call, and
 * answers bufferedAmount() with `buffered`, read on every write (a test may change it).
 */
export class FakeLink implements ClientLink {
  /** Every frame written, as given: the same PreparedFrame object for every member of a room. */
  readonly writes: Array<PreparedFrame | Frame> = [];
  /** Every frame written, as text. */
  readonly texts: string[] = [];
  /** Every close call, [code, reason]. */
  readonly closes: Array<[number, string]> = [];
  buffered = 0;
  private taken = 0;

  /** `onWrite` sees each frame's text as it is written. */
  constructor(private readonly onWrite?: (text: string) => void) {}

  write(frame: PreparedFrame | Frame): void {
    const text = frameText(frame);
    this.writes.push(frame);
    this.texts.push(text);
    this.onWrite?.(text);
  }

  bufferedAmount(): number {
    return this.buffered;
  }

  close(code: number, reason: string): void {
    this.closes.push([code, reason]);
  }

  /** Every frame written, parsed. */
  frames(): TestFrame[] {
    return this.texts.map((t) => JSON.parse(t) as TestFrame);
  }

  /** The frames written since the last take, parsed. */
  take(): TestFrame[] {
    const out = this.texts.slice(this.taken).map((t) => JSON.parse(t) as TestFrame);
    this.taken = this.texts.length;
    return out;
  }
}

export interface LinkedClientOptions {
  link?: FakeLink;
  slowConsumerBytes?: number;
  /** The connection's token bucket (the transport's; ChatService does not take from it). */
  limits?: { burst: number; perSec: number };
  onSlow?: (client: ChatClient) => void;
  address?: string;
}

/** A real ChatClient over a FakeLink. */
export function linkedClient(id: string, o: LinkedClientOptions = {}): { c: ChatClient; link: FakeLink } {
  const link = o.link ?? new FakeLink();
  const c = new ChatClient(id, link, o.slowConsumerBytes ?? 1 << 20, o.limits ?? { burst: 10, perSec: 10 }, o.onSlow ?? (() => {}), o.address ?? '');
  return { c, link };
}

/** What the next call of a store method does: fail (StoreUnavailableError), or wait for a promise before (or after) running for real. One-shot. */
export interface Fault { fail?: boolean; before?: Promise<void>; after?: Promise<void> }

/** A store whose next call of a method (`next`) the test fails or holds; every method becomes async. */
export function faulty<T extends object>(target: T) {
  const faults = new Map<string, Fault>();
  const proxy = new Proxy(target, {
    get(t, key, recv) {
      const v: unknown = Reflect.get(t, key, recv);
      if (typeof v !== 'function' || typeof key !== 'string') return v;
      return async (...args: unknown[]) => {
        const f = faults.get(key);
        faults.delete(key);
        if (f?.before) await f.before;
        if (f?.fail) throw new StoreUnavailableError(`${key} failed (test)`);
        const result: unknown = await v.apply(t, args);
        if (f?.after) await f.after;
        return result;
      };
    },
  });
  return { proxy, next: (method: keyof T & string, fault: Fault) => faults.set(method, fault) };
}

/** Settings every harness starts from (env names as in app/src/config.ts); a test's `env` goes over them. */
export const HARNESS_ENV: Record<string, string> = {
  APPID: 't', STORE: 'memory', PRESENCE_GRACE_MS: '0', SCRYPT_LOG2_N: '10',
  // Password hashes per address: not what most tests are about (test/unit/signin-limits.test.ts and test/security are).
  KDF_ADDRESS_RATE_BURST: '1000', KDF_ADDRESS_RATE_PER_SEC: '1000',
};

export interface HarnessOptions {
  /** Settings over HARNESS_ENV, as environment variables. */
  env?: Record<string, string>;
  /** The memory world to share with other harnesses (other servers of one cluster); a fresh one by default. */
  world?: MemoryWorld;
  /** The backend the service uses, made from the memory backend (e.g. with a store wrapped by `faulty`); that backend by default. */
  backend?: (base: Backend) => Backend;
  metrics?: Metrics;
  /** Sees the text of every frame written to any of the harness's clients. */
  onWrite?: (text: string) => void;
}

/** A connection of the harness: the ChatClient, its link, and its requests. */
export interface Conn {
  c: ChatClient;
  link: FakeLink;
  /** Its link's close calls, [code, reason]. */
  closed: Array<[number, string]>;
  /** The frames written since the last take, parsed. */
  take(): TestFrame[];
  /** Hands the request to the service (as the transport does a parsed one). */
  req(r: Request): Promise<void>;
}

/** A connection that identified (its welcome taken). */
export interface MemberConn extends Conn {
  m: Member;
}

export interface ChatHarness {
  config: Config;
  world: MemoryWorld;
  /** The memory backend. */
  base: Backend;
  /** What the service runs on (`base` unless `backend` wrapped it). */
  backend: Backend;
  metrics: Metrics;
  chat: ChatService;
  /** A new connection from `address` (10.0.0.1 by default). */
  client(address?: string): Conn;
  /** A connection that said hello as `name`. */
  member(name: string): Promise<MemberConn>;
  /** A connection that signed up as `username`. */
  account(username: string, password?: string): Promise<MemberConn>;
}

export function chatHarness(o: HarnessOptions = {}): ChatHarness {
  const config = loadConfig({ ...HARNESS_ENV, ...o.env });
  const world = o.world ?? createMemoryWorld();
  const base = createMemoryBackend(config, world);
  const backend = o.backend ? o.backend(base) : base;
  const metrics = o.metrics ?? new Metrics(config.appId);
  // Files: the embedded node's local driver (signing only: nothing here PUTs or GETs).
  const store = createFileStore(config.files, silent)!;
  const chat = new ChatService(backend, config, silent, metrics, { store, images: createImageChecker(store, silent, () => process.env) });
  let n = 0;

  const client = (address = '10.0.0.1'): Conn => {
    const link = new FakeLink(o.onWrite);
    const { c } = linkedClient(`c${++n}`, { link, limits: { burst: 1000, perSec: 1000 }, address });
    return { c, link, closed: link.closes, take: () => link.take(), req: (r) => chat.handle(c, r) };
  };

  const member = async (name: string): Promise<MemberConn> => {
    const cl = client();
    await cl.req({ type: 'hello', name });
    expect(cl.take()).toMatchObject([{ type: 'welcome', appId: config.appId, member: { name } }]);
    return { ...cl, m: cl.c.member as Member };
  };

  const account = async (username: string, password = 'password-1234'): Promise<MemberConn> => {
    const cl = client();
    await cl.req({ type: 'signup', username, password });
    const [w] = cl.take();
    expect(w).toMatchObject({ type: 'welcome', account: { username } });
    return { ...cl, m: cl.c.member as Member };
  };

  return { config, world, base, backend, metrics, chat, client, member, account };
}
