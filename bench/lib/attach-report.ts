/**
 * The `--attach` figures (lib/attach.ts) in the text summary and the HTML report: an `attach` block
 * before the run's `errors` line (after integrity and any mix block), and a table in the HTML with
 * delivery p99 beside the baseline run's. Nothing is added for a run without attachments.
 */
import type { Percentiles } from './histogram.js';
import type { LoadReport } from './load.js';
import type { AttachFigures } from './attach.js';

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const codes = (e: Record<string, number>) => Object.entries(e).map(([k, v]) => `${k} ${v}`).join(', ');
const pp = (p: Percentiles) => `p50 ${ms(p.p50)} ms, p99 ${ms(p.p99)}`;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '-');

function headText(f: AttachFigures): string {
  const [n, m] = f.spec.split(':')[0].split('/');
  return `${f.spec}: ${n} in ${m} messages with a ${f.image.width}×${f.image.height} PNG of ${f.image.bytes} B, PUT to ${f.pageUrl} (at most ${f.concurrency} at once)`;
}

function deliveryText(f: AttachFigures): string {
  const d = f.delivery;
  const b = f.baseline;
  return `delivery p99: all ${ms(d.all.p99)} ms (n=${d.all.count}), without attachment ${ms(d.plain.p99)} (n=${d.plain.count}), ` +
    `with ${ms(d.attached.p99)} (n=${d.attached.count})` +
    (b ? `; baseline run without uploads ${ms(b.latency.p99)} ms (n=${b.latency.count}): all ÷ baseline ${ratio(d.all.p99, b.latency.p99)}` : '; no baseline run');
}

/** The summary's attach block (empty without attachments). */
export function attachLines(r: LoadReport): string[] {
  const f = r.attach;
  if (!f) return [];
  const u = f.uploads;
  const t = f.throughput;
  const a = f.attachedDeliveries;
  const s = f.sample;
  return [
    `attach      ${headText(f)}`,
    `  uploads   started ${u.started}, granted ${u.granted}, PUT ${u.put}, sent ${u.sent}, acked ${u.acked}, failed ${u.failed}, unfinished ${u.unfinished}; errors ${codes(f.errors) || 'none'}`,
    `  timing    upload→ack ${pp(f.uploadToAck)}, max ${ms(f.uploadToAck.max)} (n=${f.uploadToAck.count}); grant ${pp(f.grant)}; PUT wait ${pp(f.putWait)}; ` +
      `PUT ${pp(f.put)}; send→ack ${pp(f.sendToAck)}`,
    `  PUT       ${(t.bytes / 1e6).toFixed(1)} MB in ${t.puts} PUTs: ${t.mbPerSecBusy} MB/s while uploading (${t.busyS} s busy), ${t.mbPerSecWindow} MB/s over send + drain; at most ${t.maxQueued} queued`,
    `  ${deliveryText(f)}`,
    `  attached  ${a.ok}/${a.expected} copies delivered with their attachment, ${a.bad} wrong; ` +
      (s ? `one fetched: url ${s.url}, thumb ${s.thumb} (${s.thumbType || '?'})` : 'none fetched'),
  ];
}

/** The text summary with the attach block before its errors line (unchanged without attachments). */
export function withAttachText(text: string, r: LoadReport): string {
  const lines = attachLines(r);
  if (!lines.length) return text;
  const all = text.split('\n');
  const at = all.findIndex((l) => l.startsWith('errors '));
  all.splice(at < 0 ? all.length - 1 : at, 0, ...lines);
  return all.join('\n');
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The HTML report's attachments section (empty without attachments). */
export function attachHtml(r: LoadReport): string {
  const f = r.attach;
  if (!f) return '';
  const row = (name: string, p: Percentiles | undefined) =>
    p ? `<tr><th>${esc(name)}</th><td>${ms(p.p50)}</td><td>${ms(p.p99)}</td><td>${ms(p.p999)}</td><td>${ms(p.max)}</td><td>${p.count}</td></tr>` : '';
  const u = f.uploads;
  const t = f.throughput;
  return `<h2>Attachments (--attach ${esc(f.spec)})</h2>
<p>${esc(headText(f))}.</p>
<table>
<tr><th>delivery latency, ms</th><th>p50</th><th>p99</th><th>p99.9</th><th>max</th><th>n</th></tr>
${row('baseline run, no uploads', f.baseline?.latency)}
${row('this run, all messages', f.delivery.all)}
${row('without attachment', f.delivery.plain)}
${row('with attachment', f.delivery.attached)}
<tr><th>upload → ack</th><td colspan="5"></td></tr>
${row('upload → ack (whole)', f.uploadToAck)}
${row('upload → grant', f.grant)}
${row('PUT queued', f.putWait)}
${row('PUT', f.put)}
${row('send → ack', f.sendToAck)}
</table>
<p>Uploads: started ${u.started}, granted ${u.granted}, PUT ${u.put}, sent ${u.sent}, acked ${u.acked}, failed ${u.failed}, unfinished ${u.unfinished};
errors: ${esc(codes(f.errors) || 'none')}. PUT throughput: ${(t.bytes / 1e6).toFixed(1)} MB in ${t.puts} PUTs, ${t.mbPerSecBusy} MB/s while uploading
(${t.busyS} s busy), ${t.mbPerSecWindow} MB/s over send + drain. Attached copies delivered with their attachment:
${f.attachedDeliveries.ok} / ${f.attachedDeliveries.expected}, wrong ${f.attachedDeliveries.bad}.</p>
`;
}

/** The HTML report with the attachments section before the latency charts (unchanged without attachments). */
export function withAttachHtml(html: string, r: LoadReport): string {
  const section = attachHtml(r);
  if (!section) return html;
  const marker = html.indexOf('<h2>Delivery latency over time</h2>');
  const at = marker >= 0 ? marker : html.lastIndexOf('</body>');
  return html.slice(0, at) + section + html.slice(at);
}
