/**
 * `npm run loadtest -- --url ws://127.0.0.1:8080/ws --clients 1000 --senders 20 --rate 100 --duration 30`
 * Big room: `npm run loadtest -- --clients 8000 --rooms 1 --ramp 10 --local-ips 40 --probe --warmup 3 --pids …`
 * A chat's mix of actions: `npm run loadtest -- --mix send=90,edit=5,react=5,typing=20` (lib/mix.ts).
 * Attachments: `npm run loadtest -- --attach 1/20:200k --page-url http://127.0.0.1:8000/` (lib/attach.ts):
 * a baseline run without uploads first, then the run with them, delivery p99 of both side by side.
 * The load tool's command line: parses flags, makes room for the sockets, runs the load (lib/load.ts),
 * prints the summary, writes report.json + report.html, and exits 1 when anything was lost,
 * duplicated, reordered or dropped (2 for bad usage).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureFds } from './lib/fd-limit.js';
import { defaultOptions, MAX_RATE_PER_SENDER, runLoad, type LoadOptions } from './lib/load.js';
import { isDefaultMix, parseMix } from './lib/mix.js';
import { withAttachHtml, withAttachText } from './lib/attach-report.js';
import { DEFAULT_PUT_CONCURRENCY, parseAttach } from './lib/attach-spec.js';
import { withMixHtml, withMixText } from './lib/mix-report.js';
import { reportHtml, summaryText } from './lib/report.js';
import { transportFigures, transportText } from './lib/transport-report.js';

/**
 * Connections one source address may hold at once: the protocol's bound (shared/PROTOCOL.md, resource
 * bounds) is 1000; a production stack allows 50 (LC_MAX_CONN_PER_IP) unless started with LC_LOAD_TEST=1.
 */
const PER_ADDRESS_MAX = 1000;

const USAGE = `usage: npm run loadtest -- [options]
  --url URL            default $LOADTEST_URL, else ws://127.0.0.1:8080/ws (HAProxy); ws://…/socket.io/?EIO=4&transport=websocket with --wire socketio
  --clients N          connections (default ${defaultOptions.clients})
  --senders N          how many of them send (default ${defaultOptions.senders}; raised so none sends over
                       ${MAX_RATE_PER_SENDER} msg/s, like a person: the servers' per-member send limit)
  --rate N             messages (with --mix: actions) per second, in total (default ${defaultOptions.rate})
  --mix SPEC           what each action is, e.g. send=90,edit=5,react=5,typing=20 (default send=100): send, edit,
                       delete, react are relative weights of one draw per action; typing is the percentage of
                       actions a typing request precedes. Per-kind acks, update deliveries, typing frames, errors
  --attach N/M[:SIZE]  N of every M messages carry one PNG of ~SIZE bytes (default 200k; k = KiB, m = MiB), e.g. 1/20:200k:
                       upload, PUT of the bytes to the page's origin, send with the key. Runs a baseline without
                       uploads first (same options) and reports delivery p99 of both, upload→ack, PUT MB/s, errors
  --page-url URL       the page's origin the PUTs go to (nginx; default: the --url's host, ws://h:8000/ws → http://h:8000/)
  --attach-concurrency N   PUTs in flight at once, all clients together (default ${DEFAULT_PUT_CONCURRENCY})
  --no-baseline        with --attach or --transport sse: skip the baseline run
  --transport ws|sse   how clients reach the servers (default ws): sse = GET /sse for the stream and a POST
                       /sse/<stream> per request, on the --url's host (ws://h:8080/ws → http://h:8080/sse).
                       Runs the same load over WebSocket first (the baseline) and prints both side by side:
                       delivery p99, CPU per 1,000 deliveries, memory per client
  --duration S         seconds of sending (default ${defaultOptions.duration})
  --rooms N            rooms; clients and senders are spread round-robin (default 1)
  --ramp S             connect the clients over S seconds (default 0: all at once)
  --size BYTES         message text size (default ${defaultOptions.size})
  --drain S            wait up to S seconds for late acks/deliveries (default ${defaultOptions.drain})
  --settle S           pause between connecting and sending (default ${defaultOptions.settle})
  --connect-timeout S  per-client limit from connect to joined (default ${defaultOptions.connectTimeout})
  --pids 1,2,3         server processes to read CPU/RSS from /proc
  --metrics URL[,URL]  or scrape process_* from Prometheus /metrics endpoints
  --wire livechat|socketio   client protocol (default livechat)
  --room-prefix P      room names P-0, P-1, … (default: fresh per run)
  --local-ips N        spread loopback source addresses over 127.0.0.1..N (default ${defaultOptions.localIps})
  --warmup S           S seconds of a small load (≤200 clients, own room) before the memory baseline (default 0)
  --probe              big-room checks once presence is quiet: a probe member's joined.count is exact, the paged
                       member list holds every member once, every server agrees, every member sees the new count
  --probe-urls URL,…   per-server URLs for the count check (default: through --url until every APPID was reached)
  --propagation-window S   seconds for every member to see the probe's count (default ${defaultOptions.propagationWindow})
  --out FILE.json      write the JSON report, and FILE.html beside it
  --quiet              no progress line`;

function parse(argv: string[]): { opts: Partial<LoadOptions>; out: string | null; quiet: boolean; baseline: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' }, clients: { type: 'string' }, senders: { type: 'string' }, rate: { type: 'string' },
      duration: { type: 'string' }, rooms: { type: 'string' }, ramp: { type: 'string' }, size: { type: 'string' },
      drain: { type: 'string' }, settle: { type: 'string' }, 'connect-timeout': { type: 'string' }, pids: { type: 'string' },
      metrics: { type: 'string' }, wire: { type: 'string' }, 'room-prefix': { type: 'string' }, 'local-ips': { type: 'string' },
      warmup: { type: 'string' }, probe: { type: 'boolean' }, 'probe-urls': { type: 'string' }, 'propagation-window': { type: 'string' },
      mix: { type: 'string' }, attach: { type: 'string' }, 'page-url': { type: 'string' }, 'attach-concurrency': { type: 'string' },
      'no-baseline': { type: 'boolean' }, transport: { type: 'string' }, out: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const num = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new RangeError(`--${name}: not a number: ${v}`);
    return n;
  };
  const opts: Partial<LoadOptions> = {};
  const set = <K extends keyof LoadOptions>(k: K, v: LoadOptions[K] | undefined) => { if (v !== undefined) opts[k] = v; };
  set('url', values.url ?? process.env.LOADTEST_URL);
  set('clients', num(values.clients, 'clients'));
  set('senders', num(values.senders, 'senders'));
  set('rate', num(values.rate, 'rate'));
  set('duration', num(values.duration, 'duration'));
  set('rooms', num(values.rooms, 'rooms'));
  set('ramp', num(values.ramp, 'ramp'));
  set('size', num(values.size, 'size'));
  set('drain', num(values.drain, 'drain'));
  set('settle', num(values.settle, 'settle'));
  set('connectTimeout', num(values['connect-timeout'], 'connect-timeout'));
  set('localIps', num(values['local-ips'], 'local-ips'));
  set('warmup', num(values.warmup, 'warmup'));
  set('propagationWindow', num(values['propagation-window'], 'propagation-window'));
  if (values.probe) opts.probe = true;
  if (values['probe-urls']) opts.probeUrls = values['probe-urls'].split(',').filter(Boolean);
  set('roomPrefix', values['room-prefix']);
  if (values.wire !== undefined) {
    if (values.wire !== 'livechat' && values.wire !== 'socketio') throw new RangeError(`--wire: livechat or socketio, got ${values.wire}`);
    opts.wire = values.wire;
  }
  if (values.pids) opts.pids = values.pids.split(',').filter(Boolean).map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`--pids: not a pid: ${p}`);
    return n;
  });
  if (values.metrics) opts.metrics = values.metrics.split(',').filter(Boolean);
  if (values.mix !== undefined) {
    const mix = parseMix(values.mix);
    if (!isDefaultMix(mix)) opts.mix = mix; // sends only: today's run, options and all
  }
  if (values.attach !== undefined) opts.attach = parseAttach(values.attach);
  set('pageUrl', values['page-url']);
  set('attachConcurrency', num(values['attach-concurrency'], 'attach-concurrency'));
  if (values.transport !== undefined) {
    if (values.transport !== 'ws' && values.transport !== 'sse') throw new RangeError(`--transport: ws or sse, got ${values.transport}`);
    if (values.transport === 'sse' && (opts.wire ?? 'livechat') !== 'livechat') throw new RangeError('--transport sse: livechat wire only');
    if (values.transport === 'sse' && opts.attach) throw new RangeError('--transport sse: not with --attach (one baseline per run)');
    opts.transport = values.transport;
  }
  if (!opts.attach && (values['page-url'] || values['attach-concurrency'])) {
    throw new RangeError('--page-url and --attach-concurrency go with --attach');
  }
  if (!opts.attach && opts.transport !== 'sse' && values['no-baseline']) throw new RangeError('--no-baseline goes with --attach or --transport sse');
  return { opts, out: values.out ?? null, quiet: values.quiet ?? false, baseline: !values['no-baseline'] };
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const { opts, out, quiet, baseline } = parsed;
  ensureFds((opts.clients ?? defaultOptions.clients) + (opts.warmup ? 200 : 0) + 256);
  const clients = opts.clients ?? defaultOptions.clients;
  const ips = opts.localIps ?? defaultOptions.localIps;
  if (/^wss?:\/\/127\./.test(opts.url ?? defaultOptions.url) && clients / Math.max(1, ips) > PER_ADDRESS_MAX) {
    process.stderr.write(`note: ${clients} clients from ${ips} source address(es) is over ${PER_ADDRESS_MAX} per address, the protocol's bound ` +
      '(HAProxy refuses the rest: LC_MAX_CONN_PER_IP, 50 unless the stack runs with LC_LOAD_TEST=1); ' +
      `use --local-ips ${Math.ceil(clients / PER_ADDRESS_MAX)} or more (e.g. --local-ips ${Math.ceil(clients / 200)} for 200 each)\n`);
  }
  const progress = (tag: string) => (quiet ? null : (line: string) => process.stderr.write(`${tag}${line}\n`));
  // With --attach: the same load without uploads first, so delivery p99 has its reference from this
  // machine, this cluster, this minute (the baseline's own members leave before the next run starts).
  // With --transport sse: the same load over WebSocket first, for the side-by-side figures.
  const sse = opts.transport === 'sse';
  const base = (opts.attach || sse) && baseline
    ? await runLoad({ ...opts, attach: undefined, transport: 'ws', onProgress: progress(sse ? '[ws] ' : '[baseline] ') }) : null;
  if (base) await new Promise((r) => setTimeout(r, 4000));
  const report = await runLoad({ ...opts, onProgress: progress(opts.attach ? '[attach] ' : sse ? '[sse] ' : '') });
  if (base && report.attach) {
    const { histogram: _h, ...latency } = base.latency;
    report.attach.baseline = { latency, messages: base.messages.sent, delivered: base.messages.delivered, lost: base.messages.lost, ok: base.ok, failures: base.failures };
    if (!base.ok) { report.ok = false; report.failures.push(...base.failures.map((f) => `baseline: ${f}`)); }
  }
  if (base && sse) {
    report.transportBaseline = transportFigures(base);
    if (!base.ok) { report.ok = false; report.failures.push(...base.failures.map((f) => `ws baseline: ${f}`)); }
  }
  console.log(withAttachText(withMixText(summaryText(report), report), report));
  if (base && sse) console.log(transportText(transportFigures(report), report.transportBaseline!));
  if (out) {
    const json = resolve(out);
    mkdirSync(dirname(json), { recursive: true });
    writeFileSync(json, `${JSON.stringify(report, null, 1)}\n`);
    const html = json.replace(/\.json$/i, '') + '.html';
    if (base) writeFileSync(json.replace(/\.json$/i, '') + '.baseline.json', `${JSON.stringify(base, null, 1)}\n`);
    writeFileSync(html, withAttachHtml(withMixHtml(reportHtml(report), report), report));
    console.log(`report      ${json}, ${html}`);
  }
  process.exit(report.ok ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err instanceof RangeError ? `${err.message}\n\n${USAGE}` : err);
  process.exit(2);
});
