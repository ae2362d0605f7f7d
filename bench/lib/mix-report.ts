/**
 * The `--mix` figures (lib/mix.ts) in the text summary and the HTML report: a `mix` block after the
 * integrity line, one line per kind of action and one for typing, and a per-kind table in the HTML.
 * Nothing is added for a run without a mix (sends only), so such a run prints what it always did.
 */
import type { LoadReport } from './load.js';
import { ACTIONS, CLOSE_GAP_MS, type KindFigures, type MixFigures } from './mix.js';

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const pct = (v: number) => `${Math.round(v * 10) / 10}%`;
const codes = (e: Record<string, number>) => Object.entries(e).map(([k, v]) => `${k} ${v}`).join(', ');
/** The kinds worth a line: those with a weight, and send always (draws without a target become sends). */
const shown = (f: MixFigures) => ACTIONS.filter((a) => a === 'send' || f.weights[a] > 0 || f.kinds[a].sent > 0);

/** `send 90%, edit 5%, react 5%; a typing request before 20% of them`. */
function weightsText(f: MixFigures): string {
  const w = f.weights;
  const total = w.send + w.edit + w.delete + w.react;
  const each = ACTIONS.filter((a) => w[a] > 0).map((a) => `${a} ${pct((w[a] / total) * 100)}`).join(', ');
  return `each action one of ${each}; a typing request before ${pct(w.typing)} of them`;
}

function kindText(name: string, k: KindFigures): string {
  const what = name === 'send' ? 'messages' : 'updates';
  return `  ${name.padEnd(9)} sent ${k.sent}, acked ${k.acked}, rejected ${k.rejected}, unacked ${k.unacked}` +
    `${name === 'send' ? '' : `, no target ${k.noTarget}`}; ack p50 ${ms(k.ack.p50)} ms, p99 ${ms(k.ack.p99)}; ` +
    `delivered ${k.delivered}/${k.expected} ${what}, lost ${k.lost}, duplicated ${k.duplicated}, out of order ${k.outOfOrder}; ` +
    `latency p50 ${ms(k.latency.p50)} ms, p99 ${ms(k.latency.p99)}, max ${ms(k.latency.max)} (n=${k.latency.count})`;
}

function typingText(f: MixFigures): string {
  const t = f.typing;
  return `  ${'typing'.padEnd(9)} sent ${t.sent}; ${t.frames} frames to ${t.clients}/${t.members} clients over ${t.windowS} s: ` +
    `per client per second mean ${t.perClientPerSec.mean.toFixed(2)}, max ${t.perClientPerSec.max.toFixed(2)}; ` +
    `closest two at one client ${t.minGapMs === null ? '-' : `${t.minGapMs} ms`}, ${t.closePairs} under ${CLOSE_GAP_MS} ms`;
}

function errorsText(f: MixFigures): string {
  const parts = [...ACTIONS.map((a) => [a, f.kinds[a].errors] as const), ['typing', f.typing.errors] as const]
    .filter(([, e]) => Object.keys(e).length > 0).map(([a, e]) => `${a}: ${codes(e)}`);
  return `  ${'errors'.padEnd(9)} ${parts.join('; ') || 'none'}`;
}

/** The summary's mix block (empty without a mix). */
export function mixLines(r: LoadReport): string[] {
  const f = r.mix;
  if (!f) return [];
  const u = f.updates;
  return [
    `mix         ${f.spec}: ${weightsText(f)}`,
    ...shown(f).map((a) => kindText(a, f.kinds[a])),
    typingText(f),
    errorsText(f),
    `  ${'entries'.padEnd(9)} ${f.entries.acked} acked (messages and updates share the ids), id gaps ${f.entries.gaps}; ` +
      `updates delivered ${u.delivered}/${u.expected}, lost ${u.lost}, duplicated ${u.duplicated}, out of order ${u.outOfOrder} (integrity above counts both)`,
  ];
}

/** The text summary with the mix block after its integrity line (unchanged without a mix). */
export function withMixText(text: string, r: LoadReport): string {
  const lines = mixLines(r);
  if (!lines.length) return text;
  const all = text.split('\n');
  const at = all.findIndex((l) => l.startsWith('integrity '));
  all.splice(at < 0 ? all.length - 1 : at + 1, 0, ...lines);
  return all.join('\n');
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The HTML report's per-kind section (empty without a mix). */
export function mixHtml(r: LoadReport): string {
  const f = r.mix;
  if (!f) return '';
  const td = (v: string | number) => `<td>${esc(String(v))}</td>`;
  const rows = shown(f).map((a) => {
    const k = f.kinds[a];
    return `<tr><th>${a}</th>${td(k.sent)}${td(`${k.acked} / ${k.rejected} / ${k.unacked}`)}${td(`${ms(k.ack.p50)} / ${ms(k.ack.p99)}`)}` +
      `${td(`${k.delivered} / ${k.expected}`)}${td(`${k.lost} / ${k.duplicated} / ${k.outOfOrder}`)}` +
      `${td(`${ms(k.latency.p50)} / ${ms(k.latency.p99)} / ${ms(k.latency.max)}`)}${td(a === 'send' ? '' : k.noTarget)}${td(codes(k.errors) || 'none')}</tr>`;
  }).join('\n');
  const t = f.typing;
  return `<h2>Per kind of action (--mix ${esc(f.spec)})</h2>
<p>${esc(weightsText(f).replace(/^e/, "E"))}.</p>
<table>
<tr><th>kind</th><th>sent</th><th>acked / rejected / unacked</th><th>ack p50 / p99 ms</th><th>delivered / expected</th>` +
    `<th>lost / dup / out of order</th><th>latency p50 / p99 / max ms</th><th>no target</th><th>errors</th></tr>
${rows}
</table>
<p>Typing: ${t.sent} requests (${esc(codes(t.errors) || 'no errors')}); ${t.frames} frames to ${t.clients}/${t.members} clients over ${t.windowS} s;
per client per second mean ${t.perClientPerSec.mean.toFixed(2)}, max ${t.perClientPerSec.max.toFixed(2)}; closest two at one client
${t.minGapMs === null ? '-' : `${t.minGapMs} ms`}, ${t.closePairs} under ${CLOSE_GAP_MS} ms.</p>
<p>Entries (messages and updates share the room's ids; the integrity row counts both): ${f.entries.acked} acked, id gaps ${f.entries.gaps};
updates delivered ${f.updates.delivered} / expected ${f.updates.expected}, lost ${f.updates.lost}, duplicated ${f.updates.duplicated},
out of order ${f.updates.outOfOrder}.</p>
`;
}

/** The HTML report with the per-kind section before the latency charts (unchanged without a mix). */
export function withMixHtml(html: string, r: LoadReport): string {
  const section = mixHtml(r);
  if (!section) return html;
  const marker = html.indexOf('<h2>Delivery latency over time</h2>');
  const at = marker >= 0 ? marker : html.lastIndexOf('</body>');
  return html.slice(0, at) + section + html.slice(at);
}
