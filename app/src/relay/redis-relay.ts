/**
 * Stream relay over Redis pub/sub: every server subscribes to its own channel, `livechat:srv:<instance>`,
 * on the bus's subscriber connection (resubscribed after a reconnect or failover like the bus).
 *   q <request id> <from instance> <stream>\n<body>    a POSTed request for a stream held here
 *   a <request id> <1|0>                               the holder's answer: the stream took it (1) or is gone (0)
 * A PUBLISH that reached no subscriber means the holder is gone (its process died): the stream too.
 * A holder that does not answer within the deadline (Redis or the holder stalled) makes it
 * `unavailable`; the client retries the same request (sends are idempotent by cid).
 */
import type { Logger } from '../log.js';
import type { RedisConnections } from '../store/redis-connections.js';
import { RELAY_CHANNEL_PREFIX, type Deliver, type RelayOutcome, type StreamRelay } from './relay.js';

interface Pending {
  resolve: (outcome: RelayOutcome) => void;
  timer: NodeJS.Timeout;
}

export class RedisRelay implements StreamRelay {
  private instance = '';
  private deliver: Deliver = () => false;
  private nextId = 0;
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly redis: RedisConnections, private readonly log: Logger, private readonly timeoutMs: number) {}

  async listen(instance: string, deliver: Deliver): Promise<void> {
    this.instance = instance;
    this.deliver = deliver;
    await this.redis.subscribe(RELAY_CHANNEL_PREFIX + instance, (payload) => this.onPayload(payload));
  }

  async forward(instance: string, stream: string, body: string): Promise<RelayOutcome> {
    if (!this.instance) return 'unavailable';
    const id = String(++this.nextId);
    const answer = new Promise<RelayOutcome>((resolve) => {
      const timer = setTimeout(() => this.settle(id, 'unavailable'), this.timeoutMs);
      this.pending.set(id, { resolve, timer });
    });
    try {
      const receivers = await this.redis.command<number>(['PUBLISH', RELAY_CHANNEL_PREFIX + instance, `q ${id} ${this.instance} ${stream}\n${body}`]);
      if (Number(receivers) === 0) this.settle(id, 'gone');
    } catch {
      this.settle(id, 'unavailable');
    }
    return answer;
  }

  private settle(id: string, outcome: RelayOutcome): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(outcome);
  }

  /** Decided on the first character before anything is split; anything else is logged and dropped. */
  private onPayload(payload: string): void {
    if (payload.startsWith('a ')) {
      const [, id, ok] = payload.split(' ');
      this.settle(id, ok === '1' ? 'accepted' : 'gone');
      return;
    }
    const nl = payload.indexOf('\n');
    const head = (nl < 0 ? '' : payload.slice(0, nl)).split(' ');
    if (payload[0] !== 'q' || head.length !== 4) {
      this.log.warn({ head: payload.slice(0, 40) }, 'relay: unknown payload dropped');
      return;
    }
    const [, id, from, stream] = head;
    const ok = this.deliver(stream, payload.slice(nl + 1));
    this.redis.command(['PUBLISH', RELAY_CHANNEL_PREFIX + from, `a ${id} ${ok ? 1 : 0}`])
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'relay: answer not published'));
  }
}
