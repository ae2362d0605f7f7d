/**
 * `--transport sse`: the figures that compare it with WebSocket under the same load in the same run
 * (issue 25's row in docs/benchmarks.md): delivery p99, CPU per 1,000 deliveries, memory per client.
 */
import type { LoadReport, TransportFigures } from './load.js';

export type { TransportFigures };


export function transportFigures(r: LoadReport): TransportFigures {
  return {
    transport: r.options.transport ?? 'ws', clients: r.options.clients, ready: r.clients.ready,
    deliveryP50: r.latency.p50, deliveryP99: r.latency.p99, ackP99: r.ack.p99,
    lost: r.messages.lost, duplicated: r.messages.duplicated,
    cpuMsPer1000: r.server.cpuMsPer1000Deliveries ?? null, rssKBPerClient: r.server.rssKBPerConnection ?? null,
  };
}

const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? ` (${(a / b).toFixed(2)}×)` : '');
const ms = (n: number) => `${n.toFixed(1)} ms`;
const opt = (n: number | null, unit: string) => (n === null ? 'n/a' : `${n.toFixed(1)} ${unit}`);

/** Two lines: SSE against the WebSocket baseline of the same run. */
export function transportText(sse: TransportFigures, ws: TransportFigures): string {
  return [
    `transport   sse vs ws, same load, same run: delivery p99 ${ms(sse.deliveryP99)} vs ${ms(ws.deliveryP99)}${ratio(sse.deliveryP99, ws.deliveryP99)}, ` +
      `p50 ${ms(sse.deliveryP50)} vs ${ms(ws.deliveryP50)}; ack p99 ${ms(sse.ackP99)} vs ${ms(ws.ackP99)}`,
    `            CPU per 1,000 deliveries ${opt(sse.cpuMsPer1000, 'ms')} vs ${opt(ws.cpuMsPer1000, 'ms')}${ratio(sse.cpuMsPer1000, ws.cpuMsPer1000)}; ` +
      `memory per client ${opt(sse.rssKBPerClient, 'KB')} vs ${opt(ws.rssKBPerClient, 'KB')}${ratio(sse.rssKBPerClient, ws.rssKBPerClient)}; ` +
      `lost ${sse.lost} / ${ws.lost}, duplicated ${sse.duplicated} / ${ws.duplicated}`,
  ].join('\n');
}
