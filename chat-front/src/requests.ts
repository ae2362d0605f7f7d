/**
 * The requests of one socket that wait for their answer, by request id (shared/PROTOCOL.md "Request
 * ids"). Every request the page sends carries a fresh `rid` (`r1`, `r2`, … — never reused by one
 * Connection), and every answer to it — its reply or an `error` — carries the same rid back; frames
 * pushed to others never carry one. The table keeps, per rid, what acting on the answer needs and the
 * frame itself does not say: the request's type, and e.g. the room of a join, the session a revoke
 * signs out, the way a history page moves the window. An answer takes its entry out. A socket that
 * closes takes its table with it: nothing in flight will be answered, and the page makes its requests
 * again on the next welcome, as it always did.
 *
 * A request that has no answer — `typing` — is never kept: it gets a rid of its own kind (`y1`, `y2`,
 * …), so the rare `error` about it (rate_limited) is known for what it is and not shown to anyone.
 *
 * A server older than request ids answers without them: its welcome does not carry the hello's rid.
 * From then on nothing is kept for that socket (no answer would ever take it out), and the controller
 * falls back to telling answers apart by what they carry.
 */
import type { Request } from '@livechat/protocol';
import type { PageDir } from './log-window.js';

/** A request as the page remembers it until its answer. */
export type InFlight =
  | { type: 'hello' | 'signin' | 'signup' | 'ping' | 'rooms' | 'sessions' | 'password' }
  | { type: 'create' }
  | { type: 'join'; room: string }
  | { type: 'leave' | 'room' | 'invite' | 'remove' | 'accept' | 'decline' | 'part'; room: string }
  | { type: 'send'; room: string; cid: string }
  | { type: 'history'; room: string; dir: PageDir }
  | { type: 'members'; room: string; after?: string }
  | { type: 'read'; room: string; id: number }
  | { type: 'revoke'; session?: string }
  | { type: 'dm'; member: string }
  | { type: 'edit' | 'delete' | 'react'; room: string; id: number; cid: string }
  | { type: 'typing'; room: string }
  | { type: 'upload'; room: string; cid: string };

/**
 * What to remember about `req`: its type and what it names (never a password or a message's text).
 * A history request's direction is read from its range; "latest" (a `before` past the newest id) is
 * the caller's to say.
 */
export function inFlightOf(req: Request): InFlight {
  switch (req.type) {
    case 'join': return { type: 'join', room: req.room };
    case 'leave': case 'room': case 'invite': case 'remove': case 'accept': case 'decline': case 'part':
      return { type: req.type, room: req.room };
    case 'send': return { type: 'send', room: req.room, cid: req.cid };
    case 'history': return { type: 'history', room: req.room, dir: req.after !== undefined ? 'newer' : 'older' };
    case 'members': return req.after === undefined ? { type: 'members', room: req.room } : { type: 'members', room: req.room, after: req.after };
    case 'read': return { type: 'read', room: req.room, id: req.id };
    case 'revoke': return req.session === undefined ? { type: 'revoke' } : { type: 'revoke', session: req.session };
    case 'dm': return { type: 'dm', member: req.member };
    case 'edit': case 'delete': case 'react': return { type: req.type, room: req.room, id: req.id, cid: req.cid };
    case 'typing': return { type: 'typing', room: req.room };
    case 'upload': return { type: 'upload', room: req.room, cid: req.cid };
    default: return { type: req.type };
  }
}

/** Requests that have no answer: never kept in the table. */
const UNANSWERED = new Set<InFlight['type']>(['typing']);
/** The rids of those. */
const SIGNAL_PREFIX = 'y';

/** A bound for a server that echoes rids but fails to answer some requests: the oldest entries go first. */
export const MAX_IN_FLIGHT = 1000;

export class RequestTable {
  private readonly waiting = new Map<string, InFlight>();
  private issued = 0;
  /** Whether this socket's server echoes rids: unknown until its welcome. */
  private echoes: boolean | null = null;

  /** A fresh rid for a request going out; `about` is kept until the answer that carries it (one with none is not kept). */
  add(about: InFlight): string {
    if (UNANSWERED.has(about.type)) return `${SIGNAL_PREFIX}${++this.issued}`;
    const rid = `r${++this.issued}`;
    if (this.echoes === false) return rid;
    this.waiting.set(rid, about);
    if (this.waiting.size > MAX_IN_FLIGHT) this.waiting.delete(this.waiting.keys().next().value!);
    return rid;
  }

  /** The request a frame answers, taken out of the table; undefined for no rid or one not waiting here. */
  answer(rid: string | undefined): InFlight | undefined {
    if (rid === undefined) return undefined;
    const about = this.waiting.get(rid);
    this.waiting.delete(rid);
    return about;
  }

  /** Whether `rid` is one this table gave a request that has no answer (an `error` about it is dropped). */
  isUnanswered(rid: string | undefined): boolean {
    return rid !== undefined && rid.startsWith(SIGNAL_PREFIX) && Number(rid.slice(SIGNAL_PREFIX.length)) <= this.issued;
  }

  /** A request that could not go out after all: nothing will answer it. */
  forget(rid: string): void {
    this.waiting.delete(rid);
  }

  /** The welcome came: `echoed` tells whether it carried the hello's rid (an older server's does not). */
  welcomed(echoed: boolean): void {
    this.echoes = echoed;
    if (!echoed) this.waiting.clear();
  }

  /** The socket is gone (or a new one opens): nothing in flight will be answered. */
  reset(): void {
    this.waiting.clear();
    this.echoes = null;
  }

  /** True once this socket's server showed it echoes rids: an answer without one answers nothing the page sent. */
  get echoed(): boolean {
    return this.echoes === true;
  }

  get size(): number {
    return this.waiting.size;
  }
}
