/**
 * One WebSocket connection: frames in -> parsed requests -> the chat service, strictly in order;
 * answers out through a ChatClient. Enforces the per-connection limits (binary -> 1003, malformed
 * frames -> bad_request then 1008, token bucket -> rate_limited) and logs through its own child
 * logger without ever logging message text.
 */
import type { WebSocket } from 'ws';
import type { ChatService } from '../chat/chat-service.js';
import { ChatClient } from '../chat/client.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { CLOSE_REASONS, CloseCode, type CloseCodeValue } from '../protocol/close-codes.js';
import { parseRequest } from '../protocol/parse.js';
import { writeFrame } from './write-frame.js';

/** Past this many unanswered requests, valid ones get rate_limited instead of being handled. */
const MAX_QUEUED = 256;
/** Past this many (answers to refusals included), the connection is closed with 1008. */
const MAX_QUEUED_TOTAL = 2 * MAX_QUEUED;

export interface ConnectionDeps {
  chat: ChatService;
  config: Config;
  log: Logger;
  metrics: Metrics;
}

export class Connection {
  readonly client: ChatClient;
  alive = true;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(readonly id: string, readonly ws: WebSocket, private readonly deps: ConnectionDeps, readonly log: Logger) {
    const { config, metrics } = deps;
    this.client = new ChatClient(id, {
      write: (frame) => writeFrame(ws, frame),
      bufferedAmount: () => ws.bufferedAmount,
      close: (code, reason) => ws.close(code, reason),
    }, config.slowConsumerBytes, { burst: config.rateBurst, perSec: config.ratePerSec }, () => {
      metrics.slowConsumers.inc();
      log.warn({ buffered: ws.bufferedAmount }, 'slow consumer closed');
      this.close(CloseCode.TryAgainLater);
    });
    ws.on('message', (data, isBinary) => this.onFrame(data as Buffer, isBinary));
    ws.on('pong', () => { this.alive = true; });
    // Without this listener a protocol error (oversized frame, bad UTF-8, reset) would crash the process.
    ws.on('error', (err: Error & { code?: string }) => log.info({ err: err.message, code: err.code }, 'connection error'));
  }

  /** Closes with a code from the table; the socket is destroyed if the peer does not answer the close. */
  close(code: CloseCodeValue): void {
    this.deps.metrics.closes.inc({ code: String(code) });
    this.client.close(code, CLOSE_REASONS[code]);
    const timer = setTimeout(() => this.ws.terminate(), 2000);
    timer.unref();
    this.ws.once('close', () => clearTimeout(timer));
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    if (this.client.closed) return;
    if (isBinary) {
      this.log.info('binary frame refused');
      this.close(CloseCode.UnsupportedData);
      return;
    }
    const { chat, config, metrics } = this.deps;
    // Every answer waits its turn in the queue, refusals included: a client that keeps sending while
    // its answers cannot be produced (Redis stalled) would otherwise grow it without bound.
    if (this.queued >= MAX_QUEUED_TOTAL) {
      this.log.warn('closing: too many requests waiting for an answer');
      this.close(CloseCode.Policy);
      return;
    }
    const parsed = parseRequest(data.toString('utf8'));
    if (!parsed.ok) {
      metrics.requests.inc({ type: 'invalid' });
      const { message, cid } = parsed.error;
      // Answered in turn, after the requests before it.
      this.enqueue(() => chat.error(this.client, 'bad_request', message, cid === undefined ? {} : { cid }));
      if (this.client.badRequests.hit() > config.badRequestLimit) {
        this.log.warn('closing after repeated malformed requests');
        this.close(CloseCode.Policy);
      }
      return;
    }
    const req = parsed.value;
    const wait = this.client.bucket.take();
    if (wait > 0 || this.queued >= MAX_QUEUED) {
      metrics.rateLimited.inc();
      const cid = req.type === 'send' ? { cid: req.cid } : {};
      const retryAfterMs = Math.max(wait, 100);
      this.enqueue(() => chat.error(this.client, 'rate_limited', undefined, { ...cid, retryAfterMs }));
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
        this.close(CloseCode.Internal);
      })
      .finally(() => { this.queued--; });
  }
}
