/**
 * Steady chat traffic for fault tests, and the wait for it to settle: every send acked and every
 * acked id delivered to every client. Used with ResumingClient and Ledger.
 */
import type { Ledger, ResumingClient } from './resuming-client.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Traffic {
  /** Sends started so far. */
  readonly started: number;
  /** Stops starting new sends and waits until every started send is acked (bounded). */
  stop(timeoutMs?: number): Promise<void>;
}

/** Each sender sends to `room` one message at a time (waiting for its ack), pausing ~`gapMs` between. */
export function startTraffic(senders: ResumingClient[], room: string, gapMs = 40): Traffic {
  let running = true;
  let started = 0;
  const loops = senders.map(async (s, i) => {
    for (let n = 0; running; n++) {
      started++;
      await s.send(room, `${s.name} #${n}`);
      await sleep(gapMs / 2 + Math.random() * gapMs + i % 3);
    }
  });
  return {
    get started() {
      return started;
    },
    async stop(timeoutMs = 20_000) {
      running = false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`sends still unacked after ${timeoutMs} ms: ${senders.map((s) => s.unacked).join(',')}`)), timeoutMs);
      });
      try {
        await Promise.race([Promise.all(loops), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Waits until every client is connected, joined, and has received up to the highest acked id. */
export async function settle(clients: ResumingClient[], ledger: Ledger, room: string, timeoutMs = 20_000): Promise<void> {
  const top = ledger.ids(room).at(-1) ?? 0;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const behind = clients.filter((c) => !c.ready || (c.lastId.get(room) ?? 0) < top);
    if (behind.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`${behind.length} clients behind id ${top} after ${timeoutMs} ms, e.g. ` +
        behind.slice(0, 3).map((c) => `${c.name}@${c.appId} ready=${c.ready} last=${c.lastId.get(room)} ${JSON.stringify(c.stats)}`).join('; '));
    }
    await sleep(50);
  }
}
