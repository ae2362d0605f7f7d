/**
 * The big-room probe: one more member that joins the room once the connect storm has settled and
 * checks what the room looks like from outside:
 *  1. `joined.count` is exact (every member held by the load, plus the probe);
 *  2. (the load engine measures how fast the other members see that count change);
 *  3. paging the whole list with `members` requests lists every member exactly once, ascending;
 *  4. every server reports the same count: the probe (same session, so the same member) joins again
 *     once per given server URL, or through the load balancer until it has landed on every APPID
 *     the load's clients were spread over, and compares `joined.count` across APPIDs.
 * livechat wire only (the comparison servers have no presence).
 */
import { performance } from 'node:perf_hooks';
import type { Joined, MembersResponse, ServerMessage, Welcome } from '@livechat/protocol';
import { countAgreement, MemberPages, type CountAgreement, type CountSample, type MemberListCheck } from './presence-stats.js';
import { RawWsClient } from './raw-ws-client.js';
import { startsWith, wireFor } from './wire.js';

const wire = wireFor('livechat');
const now = () => performance.now();

/** A request/response view of one livechat connection (frames other than answers are skipped). */
export class ProbeConn {
  private readonly queue: ServerMessage[] = [];
  private waiter: { pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void; reject: (e: Error) => void } | null = null;
  private closedWith: string | null = null;
  private readonly ws: RawWsClient;

  private constructor(url: string, localAddress: string | undefined, timeoutMs: number, onOpen: () => void, onFail: (e: Error) => void) {
    this.ws = new RawWsClient({ url, protocols: wire.protocols, localAddress, handshakeTimeout: timeoutMs }, {
      onOpen,
      onText: (buf, start, end) => {
        // Live traffic of the room is not the probe's business.
        if (startsWith(buf, start, end, wire.messagePrefix) || startsWith(buf, start, end, wire.presencePrefix)) return;
        let m: ServerMessage;
        try {
          m = JSON.parse(buf.toString('utf8', start, end)) as ServerMessage;
        } catch {
          return;
        }
        if (this.waiter?.pred(m)) {
          const w = this.waiter;
          this.waiter = null;
          w.resolve(m);
        } else if (this.queue.length < 64) {
          this.queue.push(m);
        }
      },
      onError: (code) => { this.closedWith ??= code; },
      onClose: (code) => {
        this.closedWith ??= `closed ${code}`;
        onFail(new Error(`connection ${this.closedWith}`));
        this.waiter?.reject(new Error(`connection ${this.closedWith}`));
        this.waiter = null;
      },
    });
  }

  static open(url: string, localAddress: string | undefined, timeoutMs: number): Promise<ProbeConn> {
    return new Promise((resolve, reject) => {
      let done = false;
      const c: ProbeConn = new ProbeConn(url, localAddress, timeoutMs,
        () => { if (!done) { done = true; resolve(c); } },
        (e) => { if (!done) { done = true; reject(e); } });
    });
  }

  send(req: { type: string } & Record<string, unknown>): void {
    this.ws.send(wire.encode(req));
  }

  /** The next answer matching `pred` (an `error` answer matches too, and rejects). */
  next<T extends ServerMessage>(pred: (m: ServerMessage) => boolean, timeoutMs: number, what: string): Promise<T> {
    const match = (m: ServerMessage) => m.type === 'error' || pred(m);
    const settle = (m: ServerMessage): T => {
      if (m.type === 'error') throw new Error(`${what}: error ${m.code}: ${m.message}`);
      return m as T;
    };
    const k = this.queue.findIndex(match);
    if (k >= 0) return Promise.resolve(this.queue.splice(k, 1)[0]).then(settle);
    if (this.closedWith && !this.ws.isOpen) return Promise.reject(new Error(`${what}: connection ${this.closedWith}`));
    return new Promise<ServerMessage>((resolve, reject) => {
      const timer = setTimeout(() => { this.waiter = null; reject(new Error(`${what}: no answer within ${timeoutMs} ms`)); }, timeoutMs);
      this.waiter = {
        pred: match,
        resolve: (m) => { clearTimeout(timer); resolve(m); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
    }).then(settle);
  }

  /** hello (with a session to be the same member again) → welcome. */
  async hello(name: string, session: string | undefined, timeoutMs: number): Promise<Welcome> {
    this.send(session ? { type: 'hello', name, session } : { type: 'hello', name });
    return this.next<Welcome>((m) => m.type === 'welcome', timeoutMs, 'hello');
  }

  async join(room: string, timeoutMs: number): Promise<Joined> {
    this.send({ type: 'join', room });
    return this.next<Joined>((m) => m.type === 'joined' && m.room === room, timeoutMs, 'join');
  }

  close(): void {
    this.ws.close(1000);
  }
}

export interface PagedMembers extends MemberListCheck {
  /** Time to page the whole list. */
  ms: number;
  /** Why paging stopped early (an error answer, a timeout, a cursor that did not advance), or null. */
  error: string | null;
}

/** Pages the room's whole member list with `members` requests of `limit`, checking it against `expected`. */
export async function pageMembers(conn: ProbeConn, room: string, limit: number, expected: ReadonlySet<string>, known: ReadonlySet<string>,
  timeoutMs: number): Promise<PagedMembers> {
  const pages = new MemberPages();
  const t = now();
  let after: string | undefined;
  let error: string | null = null;
  // Bounded: enough pages for every expected member twice over.
  const maxPages = Math.ceil((expected.size * 2 + known.size) / limit) + 10;
  try {
    for (;;) {
      conn.send(after === undefined ? { type: 'members', room, limit } : { type: 'members', room, after, limit });
      const page = await conn.next<MembersResponse>((m) => m.type === 'members' && m.room === room, timeoutMs, 'members');
      pages.add(page.members ?? []);
      if (page.next === undefined) break;
      if (page.next === after) { error = `cursor did not advance past ${after}`; break; }
      if (pages.pages >= maxPages) { error = `still paging after ${maxPages} pages`; break; }
      after = page.next;
    }
  } catch (err) {
    error = (err as Error).message;
  }
  const check = pages.check(expected, known);
  return { ...check, ok: check.ok && error === null, ms: Math.round(now() - t), error };
}

export interface ProbeReport {
  /** Why the probe could not run at all (could not connect, no joined), or null. */
  error: string | null;
  appId: string;
  memberId: string;
  /** The probe's `joined.count` and what it must be (members held by the load + the probe). */
  joinedCount: number | null;
  expectedCount: number;
  exact: boolean;
  /** hello → joined of the probe, ms. */
  joinMs: number;
  members: PagedMembers | null;
  servers: (CountAgreement & { via: 'urls' | 'lb'; samples: CountSample[] }) | null;
}

export interface ProbeInput {
  url: string;
  room: string;
  localAddress?: string;
  /** Per-server URLs for the count check; empty: go through `url` (the load balancer) repeatedly. */
  serverUrls: string[];
  /** APPIDs the load's clients were on (what the LB round-robin should reach). */
  appIds: string[];
  /** Ids of the members the load holds in `room` (the probe's own is added). */
  memberIds: ReadonlySet<string>;
  /** Other member ids of this run (clients that never got ready) that may still be listed. */
  knownIds: ReadonlySet<string>;
  timeoutMs: number;
  pageLimit: number;
  /** Called just before the probe's join goes out (the count changes from here). */
  onJoinSent(): void;
  /** Awaited after the probe's `joined`, with its count: the engine measures propagation meanwhile. */
  afterJoined(count: number): Promise<void>;
}

/** Runs the probe; never rejects (problems are in the report). */
export async function runProbe(p: ProbeInput): Promise<ProbeReport> {
  const expectedCount = p.memberIds.size + 1;
  const rep: ProbeReport = { error: null, appId: '', memberId: '', joinedCount: null, expectedCount, exact: false, joinMs: 0, members: null, servers: null };
  let conn: ProbeConn | null = null;
  try {
    conn = await ProbeConn.open(p.url, p.localAddress, p.timeoutMs);
    const t = now();
    const welcome = await conn.hello('lt-probe', undefined, p.timeoutMs);
    rep.appId = welcome.appId;
    rep.memberId = welcome.member.id;
    p.onJoinSent();
    const joined = await conn.join(p.room, p.timeoutMs);
    rep.joinMs = Math.round(now() - t);
    rep.joinedCount = typeof joined.count === 'number' ? joined.count : null;
    rep.exact = rep.joinedCount === expectedCount;
    await p.afterJoined(rep.joinedCount ?? -1);
    const expected = new Set(p.memberIds);
    expected.add(welcome.member.id);
    rep.members = await pageMembers(conn, p.room, p.pageLimit, expected, p.knownIds, p.timeoutMs);
    rep.servers = await serverCounts(p, welcome, rep.joinedCount, expectedCount);
  } catch (err) {
    rep.error = (err as Error).message;
  } finally {
    conn?.close();
  }
  return rep;
}

/** joined.count as each server sees it, with the probe's session (the same member, so the count must not move). */
async function serverCounts(p: ProbeInput, welcome: Welcome, firstCount: number | null, expected: number): Promise<ProbeReport['servers']> {
  const samples: CountSample[] = [{ appId: welcome.appId, count: firstCount, url: p.url }];
  const once = async (url: string): Promise<CountSample> => {
    let c: ProbeConn | null = null;
    try {
      c = await ProbeConn.open(url, p.localAddress, p.timeoutMs);
      const w = await c.hello('lt-probe', welcome.session, p.timeoutMs);
      const j = await c.join(p.room, p.timeoutMs);
      return { appId: w.appId, count: typeof j.count === 'number' ? j.count : null, url };
    } catch (err) {
      return { appId: '?', count: null, url, error: (err as Error).message };
    } finally {
      c?.close();
    }
  };
  if (p.serverUrls.length > 0) {
    for (const url of p.serverUrls) samples.push(await once(url));
  } else {
    // Round-robin: consecutive connections land on consecutive servers; stop once every APPID of the load was seen.
    const want = new Set(p.appIds);
    const seen = new Set([welcome.appId]);
    const attempts = Math.max(4, 2 * want.size + 2);
    for (let k = 0; k < attempts && [...want].some((a) => !seen.has(a)); k++) {
      const s = await once(p.url);
      samples.push(s);
      seen.add(s.appId);
    }
  }
  return { via: p.serverUrls.length > 0 ? 'urls' : 'lb', samples, ...countAgreement(samples, expected, p.appIds) };
}
