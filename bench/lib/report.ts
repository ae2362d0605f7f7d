/**
 * Presenting a load report: the end-of-run text summary, and a self-contained HTML page (inline
 * SVG, no external assets) with latency over time and the latency histogram.
 */
import { Histogram } from './histogram.js';
import type { LoadReport } from './load.js';
import { countsText, type Dist } from './presence-stats.js';
import { procKind } from './proc-stats.js';
import { PRESENCE_EVENTS } from './wire.js';

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** The human summary printed at the end of a run. */
export function summaryText(r: LoadReport): string {
  const o = r.options;
  const lines = [
    `livechat loadtest: ${o.clients} clients (${o.wire}) → ${o.url}, ${o.senders} senders, ${o.rate} msg/s for ${o.duration}s, ${o.rooms} room(s), ${o.size} B text`,
    `clients     ready ${r.clients.ready}/${r.clients.requested}, failed ${r.clients.failed}, disconnected ${r.clients.disconnected}; connect phase ${(r.phases.connectMs / 1000).toFixed(1)}s`,
    `per APPID   ${Object.entries(r.clients.byAppId).sort().map(([k, v]) => `${k}: ${v}`).join(', ') || '-'}`,
    pctLine('connect', r.connect),
    ...joinLines(r),
    pctLine('latency', r.latency),
    pctLine('ack', r.ack),
    `messages    sent ${r.messages.sent}, acked ${r.messages.acked}, rejected ${r.messages.rejected}, unacked ${r.messages.unacked}; delivered ${r.messages.delivered} (${r.messages.deliveriesPerSec}/s), expected ${r.messages.expected}`,
    `integrity   lost ${r.messages.lost}, duplicated ${r.messages.duplicated}, out of order ${r.messages.outOfOrder}, wrong room ${r.messages.wrongRoom}`,
    `errors      ${Object.entries(r.errors).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'}`,
  ];
  const s = r.server;
  if (s.source !== 'none') {
    lines.push(`server      (${s.source}) CPU ${s.cpuMs} ms (${s.cpuPercent}% of one core), ${s.cpuMsPer1000Deliveries} ms per 1000 deliveries; RSS ${mb(s.rssKBBefore)} → ${mb(s.rssKBConnected)} connected → ${mb(s.rssKBAfter)} after (${s.rssKBPerConnection} KB/connection)`);
    if (s.byPid.length) lines.push(`memory      ${memoryLine(r)}`);
  }
  lines.push(`load tool   CPU ${r.client.cpuMs} ms (${r.client.cpuSystemMs} in the kernel), event loop ${(r.client.eventLoopUtilization * 100).toFixed(0)}% busy, max send lag ${r.client.maxSendLagMs} ms${r.client.eventLoopUtilization > 0.9 ? '  (the tool itself is near saturation: numbers are pessimistic)' : ''}`);
  lines.push(r.ok ? 'result      OK' : `result      FAILED: ${r.failures.join('; ')}`);
  return lines.join('\n');
}

const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
const kb = (bytes: number) => (bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${Math.round(bytes)} B`);
const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(v >= 100 ? 0 : 2));
const dist = (d: Dist, unit: (v: number) => string = num) => `mean ${unit(d.mean)}, p50 ${unit(d.p50)}, p99 ${unit(d.p99)}, max ${unit(d.max)}`;

/** Join latency, member counts, presence per member and the probe: the big-room lines of the summary. */
export function joinLines(r: LoadReport): string[] {
  const j = r.join;
  const out = [
    `join        hello→joined p50 ${ms(j.helloToJoined.p50)} ms, p90 ${ms(j.helloToJoined.p90)}, p99 ${ms(j.helloToJoined.p99)}, max ${ms(j.helloToJoined.max)} (n=${j.helloToJoined.count}); ` +
      `connect→joined p50 ${ms(j.connectToJoined.p50)}, p90 ${ms(j.connectToJoined.p90)}, p99 ${ms(j.connectToJoined.p99)}, max ${ms(j.connectToJoined.max)}`,
    `            never joined ${j.neverJoined} (${j.noWelcome} without welcome), ${j.late} joined after the connect timeout; first connect → last joined ${(j.firstConnectToLastJoinedMs / 1000).toFixed(2)} s`,
  ];
  const errs = Object.entries(j.errors);
  if (errs.length) {
    out.push(`            errors to hello/join: ${errs.map(([code, by]) => `${code} ${Object.entries(by).map(([a, n]) => `${n} from ${a}`).join(', ')}`).join('; ')}; ` +
      `${j.retriedClients} clients retried (${j.retries} retries)`);
  }
  const c = r.counts;
  if (c.joined.n > 0) {
    out.push(`counts      joined.count min ${c.joined.min}, p50 ${c.joined.p50}, max ${c.joined.max} (n=${c.joined.n}); joined.members max ${c.joinedMembers.max}, ` +
      `${c.truncated} truncated, inconsistent ${c.inconsistent}; joined frame p50 ${kb(c.joinedBytes.p50)}, max ${kb(c.joinedBytes.max)}`);
    out.push(`            last count seen after the storm: ${c.converged}/${c.members} equal the members held (min ${c.lastSeen.min}, max ${c.lastSeen.max})`);
  }
  const p = r.presence;
  const st = p.storm;
  if (st.frames.max > 0 || r.options.probe) {
    const by = PRESENCE_EVENTS.filter((e) => st.byEvent[e].max > 0).map((e) => `${e} ${num(st.byEvent[e].mean)}/${st.byEvent[e].p99}/${st.byEvent[e].max}`).join(', ');
    const after = PRESENCE_EVENTS.filter((e) => p.after[e] > 0).map((e) => `${e} ${p.after[e]}`).join(', ') || 'none';
    out.push(`presence    storm ${(p.stormMs / 1000).toFixed(1)} s${p.quiet === null ? '' : p.quiet ? ', then quiet' : ', NOT quiet'}: frames per member ${dist(st.frames)} ` +
      `(mean/p99/max: ${by || 'none'}); bytes per member ${dist(st.bytes, kb)}; after the storm, all clients: ${after}`);
  }
  const pr = r.probe;
  if (pr) {
    if (pr.error) out.push(`probe       FAILED: ${pr.error}`);
    if (pr.joinedCount !== null || !pr.error) {
      out.push(`probe       joined.count ${pr.joinedCount ?? 'none'} ${pr.exact ? '=' : '≠'} expected ${pr.expectedCount} (APPID ${pr.appId}, hello→joined ${pr.joinMs} ms)`);
    }
    const m = pr.members;
    if (m) {
      out.push(`            members: ${m.unique} listed in ${m.pages} page(s), ${m.ms} ms: missing ${m.missing}, duplicated ${m.duplicates}, unexpected ${m.unexpected}` +
        `${m.unexpectedKnown ? ` (${m.unexpectedKnown} of this run's unready clients)` : ''}, out of order ${m.outOfOrder}${m.error ? `; ${m.error}` : ''} → ${m.ok ? 'OK' : 'FAILED'}`);
    }
    const sv = pr.servers;
    if (sv) {
      out.push(`            servers (${sv.via === 'urls' ? 'one connection per server URL' : 'through the LB'}): ` +
        `${countsText(sv.samples)} → ${sv.exact ? 'all exact' : sv.agree ? 'agree, not exact' : 'DISAGREE'}` +
        `${sv.unreached.length ? `; APPIDs not reached: ${sv.unreached.join(', ')}` : ''}`);
    }
    const g = pr.propagation;
    if (g) {
      out.push(`            propagation: ${g.reached}/${g.members} (${(g.fraction * 100).toFixed(2)}%) saw count ${g.target} within ${g.windowMs / 1000} s ` +
        `(next frame carried it: ${g.nextMatched}, no count frame: ${g.silent}); p50 ${num(g.ms.p50)} ms, p99 ${num(g.ms.p99)}, max ${num(g.ms.max)}`);
    }
  }
  return out;
}

/** Per-member memory: total, by kind of process, and per process. */
export function memoryLine(r: LoadReport): string {
  const byKind = new Map<string, number>();
  for (const p of r.server.byPid) byKind.set(procKind(p.label), (byKind.get(procKind(p.label)) ?? 0) + p.kbPerMember);
  const kinds = [...byKind].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
  const pids = r.server.byPid.map((p) => `${p.label} ${p.kbPerMember.toFixed(2)}`).join(', ');
  return `per member ${r.server.rssKBPerConnection} KB = ${kinds} (${pids})${r.warmup ? `; baseline after a ${r.warmup.seconds} s warm-up` : '; baseline not warmed up'}`;
}

function pctLine(name: string, p: { p50: number; p90: number; p99: number; p999: number; max: number; count: number }): string {
  return `${name.padEnd(11)} p50 ${ms(p.p50)} ms, p90 ${ms(p.p90)}, p99 ${ms(p.p99)}, p99.9 ${ms(p.p999)}, max ${ms(p.max)} (n=${p.count})`;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Latency over time: p50, p99 and max per second (ms), as an inline SVG. */
export function timeseriesSvg(r: LoadReport, width = 760, height = 260): string {
  const pts = r.timeseries;
  const pad = { l: 50, r: 10, t: 10, b: 30 };
  const w = width - pad.l - pad.r, h = height - pad.t - pad.b;
  const tMax = Math.max(1, ...pts.map((p) => p.t));
  const yMax = niceCeil(Math.max(1, ...pts.map((p) => p.p99)) * 1.2);
  const x = (t: number) => pad.l + (t / tMax) * w;
  const y = (v: number) => pad.t + h - (Math.min(v, yMax) / yMax) * h;
  const line = (key: 'p50' | 'p99' | 'max', color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts.map((p) => `${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ')}"/>`;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const v = yMax * f;
    return `<line x1="${pad.l}" x2="${pad.l + w}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${pad.l - 4}" y="${y(v) + 4}" text-anchor="end">${ms(v)}</text>`;
  }).join('');
  const xt = [0, 0.5, 1].map((f) => `<text x="${x(tMax * f)}" y="${height - 8}" text-anchor="middle">${(tMax * f).toFixed(0)} s</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="#fff"/>${ticks}${xt}
${line('max', '#f4a6a6')}${line('p99', '#d62728')}${line('p50', '#1f77b4')}
<text x="${pad.l + 6}" y="${pad.t + 12}" fill="#1f77b4">p50</text><text x="${pad.l + 36}" y="${pad.t + 12}" fill="#d62728">p99</text><text x="${pad.l + 66}" y="${pad.t + 12}" fill="#e07b7b">max (clipped)</text>
<text x="12" y="${pad.t + h / 2}" transform="rotate(-90 12 ${pad.t + h / 2})" text-anchor="middle">ms</text></svg>`;
}

/** Latency histogram on log-spaced bins (4 per power of two), as an inline SVG. */
export function histogramSvg(r: LoadReport, width = 760, height = 220): string {
  const hist = Histogram.fromJSON(r.latency.histogram);
  const bins = new Map<number, number>();
  for (const [low, n] of r.latency.histogram.buckets) {
    const k = Math.floor(Math.log2(Math.max(1, low)) * 4);
    bins.set(k, (bins.get(k) ?? 0) + n);
  }
  const keys = [...bins.keys()].sort((a, b) => a - b);
  const pad = { l: 50, r: 10, t: 10, b: 40 };
  const w = width - pad.l - pad.r, h = height - pad.t - pad.b;
  if (keys.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="40"><text x="10" y="20">no deliveries</text></svg>`;
  const k0 = keys[0], k1 = keys[keys.length - 1];
  const n = k1 - k0 + 1;
  const bw = w / n;
  const top = Math.max(...bins.values());
  const bars = keys.map((k) => {
    const v = bins.get(k)!;
    const bh = (v / top) * h;
    return `<rect x="${(pad.l + (k - k0) * bw).toFixed(1)}" y="${(pad.t + h - bh).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="#1f77b4"><title>${ms(2 ** (k / 4) / 1000)} ms: ${v}</title></rect>`;
  }).join('');
  const labels = keys.filter((_, i) => i % Math.max(1, Math.ceil(keys.length / 8)) === 0)
    .map((k) => `<text x="${(pad.l + (k - k0 + 0.5) * bw).toFixed(1)}" y="${height - 22}" text-anchor="middle">${ms(2 ** (k / 4) / 1000)}</text>`).join('');
  const marks = ([['p50', 50], ['p99', 99]] as const).map(([name, p]) => {
    const v = hist.percentile(p);
    const xk = Math.log2(Math.max(1, v)) * 4 - k0;
    return `<line x1="${pad.l + xk * bw}" x2="${pad.l + xk * bw}" y1="${pad.t}" y2="${pad.t + h}" stroke="#d62728" stroke-dasharray="3,3"/><text x="${pad.l + xk * bw + 3}" y="${pad.t + 12}" fill="#d62728">${name}</text>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="#fff"/>${bars}${marks}${labels}
<text x="${pad.l + w / 2}" y="${height - 6}" text-anchor="middle">delivery latency (ms, log scale)</text></svg>`;
}

/** The self-contained HTML report. */
export function reportHtml(r: LoadReport): string {
  const row = (k: string, v: string) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`;
  const pct = (p: LoadReport['ack']) => `p50 ${ms(p.p50)} · p90 ${ms(p.p90)} · p99 ${ms(p.p99)} · p99.9 ${ms(p.p999)} · max ${ms(p.max)} ms (n=${p.count})`;
  const m = r.messages;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>livechat load test ${esc(r.startedAt)}</title>
<style>body{font:14px/1.4 sans-serif;margin:24px;max-width:820px}th{text-align:left;padding-right:16px;vertical-align:top}
.ok{color:#2a7d2a}.bad{color:#c00}h2{margin-top:28px}</style></head><body>
<h1>livechat load test</h1>
<p class="${r.ok ? 'ok' : 'bad'}"><strong>${r.ok ? 'OK' : `FAILED: ${esc(r.failures.join('; '))}`}</strong></p>
<table>
${row('started', r.startedAt)}
${row('target', `${r.options.url} (${r.options.wire})`)}
${row('load', `${r.options.clients} clients, ${r.options.senders} senders, ${r.options.rate} msg/s for ${r.options.duration} s, ${r.options.rooms} room(s), ${r.options.size} B`)}
${row('clients', `ready ${r.clients.ready}/${r.clients.requested}, disconnected ${r.clients.disconnected}`)}
${row('per APPID', Object.entries(r.clients.byAppId).map(([k, v]) => `${k}: ${v}`).join(', '))}
${row('connect', pct(r.connect))}
${joinLines(r).map((l) => row(l.slice(0, 11).trim() || '', l.slice(12))).join('\n')}
${row('delivery latency', pct(r.latency))}
${row('ack latency', pct(r.ack))}
${row('messages', `sent ${m.sent}, acked ${m.acked}, delivered ${m.delivered} (${m.deliveriesPerSec}/s), expected ${m.expected}`)}
${row('integrity', `lost ${m.lost}, duplicated ${m.duplicated}, out of order ${m.outOfOrder}, wrong room ${m.wrongRoom}`)}
${row('errors', Object.entries(r.errors).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none')}
${r.server.source === 'none' ? '' : row('server', `CPU ${r.server.cpuMs} ms (${r.server.cpuMsPer1000Deliveries} ms / 1000 deliveries), RSS ${(r.server.rssKBConnected / 1024).toFixed(1)} MB connected (${r.server.rssKBPerConnection} KB / connection)`)}
${r.server.byPid.length ? row('memory', memoryLine(r)) : ''}
${row('load tool', `CPU ${r.client.cpuMs} ms, event loop ${(r.client.eventLoopUtilization * 100).toFixed(0)}% busy`)}
</table>
<h2>Delivery latency over time</h2>
${timeseriesSvg(r)}
<h2>Delivery latency histogram</h2>
${histogramSvg(r)}
</body></html>
`;
}

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const f of [1, 2, 2.5, 5, 10]) if (f * p >= v) return f * p;
  return 10 * p;
}
