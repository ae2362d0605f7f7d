/**
 * What every client transport shares, whatever carries its frames (a WebSocket, an SSE stream with
 * POSTed requests): request text in -> parsed requests -> the chat service, strictly in order; answers
 * out through a ChatClient (this object is its ClientLink). Enforces the per-client limits in one
 * place (malformed requests -> bad_request then 1008, token bucket -> rate_limited, the budget of big
 * unsent answers, the bound on unanswered requests) and logs through a child logger made on first use,
 * never logging message text. A transport subclass only moves bytes: `transmit`, `bufferedAmount`,
 * `close`.
 */
import { randomBytes } from 'node:crypto';
import type { ChatService } from '../chat/chat-service.js';
import { BIG_ANSWER, ChatClient, type ClientLink } from '../chat/client.js';
import type { PreparedFrame } from '../chat/prepared-frame.js';
import type { Frame } from '../protocol/encode.js';
import type { ReplyBudget } from './reply-budget.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { TEXTS } from '../chat/texts.js';
import { CLOSE_REASONS, CloseCode, type CloseCodeValue } from '../protocol/close-codes.js';
import { parseRequest } from '../protocol/parse.js';

/**
 * A connection's id (for its log lines): 96 random bits as 16 base64url characters, one flat string.
 * Not a UUID: Node builds randomUUID()'s text by concatenation, and the rope it leaves (14 cons
 * strings, ~450 bytes) stayed alive with every idle connection.
 */
export const connectionId = (): string => randomBytes(12).toString('base64url');

/** Past this many unanswered requests, valid ones get rate_limited instead of being handled. */
const MAX_QUEUED = 256;
/** Past this many (answers to refusals included), the client is closed with 1008. */
const MAX_QUEUED_TOTAL = 2 * MAX_QUEUED;

export interface ConnectionDeps {
  chat: ChatService;
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** Bytes of big answers written to sockets but not yet sent, across the server and per address. */
  replyBudget: ReplyBudget;
}

function onSlowClient(client: ChatClient): void {
  (client.link as ClientConnection).slowConsumer();
}

export abstract class ClientConnection implements ClientLink {
  readonly client: ChatClient;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private childLog: Logger | null = null;
  /** Bytes of this client's big answers not yet written out (its share of the server's budget). */
  private unsentBig = 0;

  constructor(readonly id: string, protected readonly deps: ConnectionDeps, readonly ip: string) {
    const { config } = deps;
    this.client = new ChatClient(id, this, config.slowConsumerBytes, { burst: config.rateBurst, perSec: config.ratePerSec }, onSlowClient, ip);
  }

  /** Writes one frame to the transport; `written` (when given) runs once it left for the socket, or failed to. */
  protected abstract transmit(frame: PreparedFrame | Frame, written?: () => void): void;
  abstract bufferedAmount(): number;
  /** ClientLink.close: the chat layer closes (through closeWith, or the slow-consumer rule). */
  abstract close(code: number, reason: string): void;

  /** This client's child logger (conn id and address on every line), made when first needed. */
  get log(): Logger {
    return (this.childLog ??= this.deps.log.child({ conn: this.id, ip: this.ip }));
  }

  write(frame: PreparedFrame | Frame): void {
    // Big answers (joined, history, members) count against the server-wide budget until written out.
    if (typeof frame === 'string' && frame.length > BIG_ANSWER) {
      const budget = this.deps.replyBudget;
      const n = Buffer.byteLength(frame);
      budget.add(this.ip, n);
      this.unsentBig += n;
      this.transmit(frame, () => {
        budget.sent(this.ip, n);
        this.unsentBig -= n;
      });
      return;
    }
    this.transmit(frame);
  }

  slowConsumer(): void {
    this.deps.metrics.slowConsumers.inc();
    this.log.warn({ buffered: this.bufferedAmount() }, 'slow consumer closed');
    this.closeWith(CloseCode.TryAgainLater);
  }

  /** Closes with a code from the table (transports add how they make sure the peer goes). */
  closeWith(code: CloseCodeValue): void {
    this.deps.metrics.closes.inc({ code: String(code) });
    this.client.close(code, CLOSE_REASONS[code]);
  }

  /** One request as text (a WebSocket text frame, a POST body): answered in turn, or refused by a limit. */
  onRequestText(text: string): void {
    if (this.client.closed) return;
    const { chat, config, metrics } = this.deps;
    // Every answer waits its turn in the queue, refusals included: a client that keeps sending while
    // its answers cannot be produced (Redis stalled) would otherwise grow it without bound.
    if (this.queued >= MAX_QUEUED_TOTAL) {
      this.log.warn('closing: too many requests waiting for an answer');
      this.closeWith(CloseCode.Policy);
      return;
    }
    const parsed = parseRequest(text);
    if (!parsed.ok) {
      metrics.requests.inc({ type: 'invalid' });
      const { message, cid, rid } = parsed.error;
      // Answered in turn, after the requests before it.
      this.enqueue(() => chat.error(this.client, 'bad_request', message, { cid, rid }));
      if (this.client.badRequests.hit() > config.badRequestLimit) {
        this.log.warn('closing after repeated malformed requests');
        this.closeWith(CloseCode.Policy);
      }
      return;
    }
    const req = parsed.value;
    // Past its address's or this client's share of the budget of unsent answers (their clients have
    // not read earlier big answers), or past the server's while holding some, big answers wait.
    if ((req.type === 'join' || req.type === 'history' || req.type === 'members') &&
      (this.deps.replyBudget.full(this.ip) || this.unsentBig > config.slowConsumerBytes)) {
      this.enqueue(() => chat.error(this.client, 'rate_limited', TEXTS.busySending, { rid: req.rid, retryAfterMs: 1000 }));
      return;
    }
    const wait = this.client.bucket.take();
    if (wait > 0 || this.queued >= MAX_QUEUED) {
      const cid = 'cid' in req ? req.cid : undefined;
      const retryAfterMs = Math.max(wait, 100);
      this.enqueue(() => chat.error(this.client, 'rate_limited', undefined, { cid, rid: req.rid, retryAfterMs }));
      return;
    }
    this.enqueue(() => chat.handle(this.client, req));
  }

  /**
   * Runs `job` after every earlier one, so answers come in request order; a closed client's jobs are
   * skipped. `queued` counts the jobs not yet finished.
   */
  private enqueue(job: () => unknown): void {
    this.queued++;
    this.queue = this.queue
      .then(async () => { if (!this.client.closed) await job(); })
      .catch((err: unknown) => {
        this.log.error({ err }, 'request handler failed');
        this.closeWith(CloseCode.Internal);
      })
      .finally(() => { this.queued--; });
  }
}
