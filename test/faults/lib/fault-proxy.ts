/**
 * A TCP proxy between one server and Redis that can cut that server off while the others keep Redis:
 *   forward    bytes flow both ways (connections to the target are made on accept);
 *   refuse     every open connection is reset and new ones are reset on accept (Redis "gone");
 *   blackhole  sockets stay open but nothing is forwarded either way (a partition: the nasty case,
 *              since the client sees a healthy socket). What was sent meanwhile is held, in order,
 *              and delivered when forwarding resumes, as TCP retransmission would after the partition heals;
 *   blackhole-subscriber  the same for the subscriber connection only (the one that sent (p)subscribe):
 *              the server can store but hears nothing from the bus.
 */
import net from 'node:net';

export type FaultMode = 'forward' | 'refuse' | 'blackhole' | 'blackhole-subscriber';

export interface FaultProxy {
  readonly port: number;
  readonly mode: FaultMode;
  /** Redis's port; set before the first connection arrives. */
  targetPort: number;
  set(mode: FaultMode): void;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** Bytes held while black-holed, per direction. */
  toUpstream: Buffer[];
  toClient: Buffer[];
  /** This connection sent SUBSCRIBE (the server's bus connection). */
  subscriber: boolean;
}

export async function startFaultProxy(targetPort = 0): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  let mode: FaultMode = 'forward';
  const held = (p: Pair) => mode === 'blackhole' || (mode === 'blackhole-subscriber' && p.subscriber);
  const drop = (p: Pair) => {
    pairs.delete(p);
    p.client.destroy();
    p.upstream.destroy();
  };
  const flush = (p: Pair) => {
    for (const b of p.toUpstream.splice(0)) p.upstream.write(b);
    for (const b of p.toClient.splice(0)) p.client.write(b);
  };
  const server = net.createServer((client) => {
    client.on('error', () => {});
    if (mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(proxy.targetPort, '127.0.0.1');
    upstream.on('error', () => {});
    const p: Pair = { client, upstream, toUpstream: [], toClient: [], subscriber: false };
    pairs.add(p);
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    client.on('data', (d) => {
      if (!p.subscriber && /subscribe/i.test(d.toString('latin1'))) p.subscriber = true;
      if (held(p)) p.toUpstream.push(d);
      else upstream.write(d);
    });
    upstream.on('data', (d) => (held(p) ? p.toClient.push(d) : client.write(d)));
    // A side that closes while black-holed is not seen by the other until forwarding resumes.
    const end = () => {
      if (!held(p)) drop(p);
      else closedDuringBlackhole.add(p);
    };
    client.on('close', end);
    upstream.on('close', end);
  });
  const closedDuringBlackhole = new Set<Pair>();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: FaultProxy = {
    port: (server.address() as net.AddressInfo).port,
    targetPort,
    get mode() {
      return mode;
    },
    set(next) {
      mode = next;
      if (next === 'refuse') {
        for (const p of [...pairs]) {
          pairs.delete(p);
          p.client.resetAndDestroy();
          p.upstream.destroy();
        }
      } else if (next === 'forward') {
        for (const p of pairs) flush(p);
        for (const p of closedDuringBlackhole) {
          // Deliver what was held, then let the close through.
          p.upstream.end();
          p.client.end();
          pairs.delete(p);
        }
        closedDuringBlackhole.clear();
      }
    },
    async close() {
      for (const p of [...pairs]) drop(p);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
