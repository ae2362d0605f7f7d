// The load tool's --attach (bench/lib/attach*.ts): the spec, the made image, the bounded PUT pool, and on
// the native cluster (4 servers + HAProxy + nginx with the local driver + Redis) a short run: a baseline
// without uploads, then 1 in 10 messages with a ~200 KiB PNG uploaded over HTTP to nginx — nothing lost,
// every attached message delivered to every client with its attachment, the files on nginx's disk, and
// the figures (delivery p99 with and without, upload→ack, PUT MB/s) printed.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PutPool } from '../../bench/lib/attach-put.js';
import { attaches, attachSendersNeeded, attachSpecText, makeImage, pageUrlFor, parseAttach } from '../../bench/lib/attach-spec.js';
import type { LoadReport } from '../../bench/lib/load.js';
import { useCluster } from '../helpers/use-cluster.js';

const ROOT = join(import.meta.dirname, '..', '..');
const LOADTEST = join(ROOT, 'dist', 'loadtest.js');

/** Runs the CLI with --out into a temp dir; returns its exit code, stdout, the JSON reports and the HTML. */
function runReport(args: string[]): Promise<{ code: number; stdout: string; r: LoadReport; base: LoadReport | null; html: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'loadtest-attach-'));
  const out = join(dir, 'report.json');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [LOADTEST, ...args, '--quiet', '--out', out], { timeout: 110_000 }, (err, stdout, stderr) => {
      try {
        const code = err ? (typeof err.code === 'number' ? err.code : 99) : 0;
        if (code !== 0 && code !== 1) throw new Error(`loadtest exited ${code}: ${stdout}${stderr}`);
        const basePath = join(dir, 'report.baseline.json');
        resolve({
          code, stdout, r: JSON.parse(readFileSync(out, 'utf8')) as LoadReport, html: readFileSync(join(dir, 'report.html'), 'utf8'),
          base: existsSync(basePath) ? JSON.parse(readFileSync(basePath, 'utf8')) as LoadReport : null,
        });
      } catch (e) {
        reject(e);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

describe('--attach: the spec and its parts', () => {
  it('parses N/M[:SIZE] and refuses what it cannot mean', () => {
    expect(parseAttach('1/20:200k')).toEqual({ n: 1, m: 20, bytes: 200 * 1024 });
    expect(parseAttach('1/20')).toEqual({ n: 1, m: 20, bytes: 200 * 1024 });
    expect(parseAttach(' 3/100:1.5m ')).toEqual({ n: 3, m: 100, bytes: 1.5 * 1024 * 1024 });
    expect(parseAttach('1/1:50000')).toEqual({ n: 1, m: 1, bytes: 50000 });
    expect(attachSpecText(parseAttach('1/20'))).toBe('1/20:200k');
    for (const [spec, why] of [['1:20', /N\/M/], ['0/20', /1 <= N <= M/], ['3/2', /1 <= N <= M/], ['1/20:big', /not a number of bytes/],
      ['1/20:100', /at least 1k/], ['1/20:65m', /at most 64m/]] as const) {
      expect(() => parseAttach(spec), spec).toThrow(why);
    }
  });

  it('attaches exactly N of every M messages, spread over enough senders for the per-member upload rate', () => {
    for (const [n, m] of [[1, 20], [3, 7], [5, 5]]) {
      const spec = { n, m, bytes: 1024 };
      const count = Array.from({ length: m * 10 }, (_, k) => attaches(spec, k)).filter(Boolean).length;
      expect(count, `${n}/${m}`).toBe(n * 10);
    }
    expect(attachSendersNeeded(40, parseAttach('1/20'))).toBe(5); // 2 uploads/s at ≤ 0.4/s each
    expect(attachSendersNeeded(100, parseAttach('1/2'))).toBe(125);
  });

  it('derives the page origin from a ws URL through nginx; --page-url wins', () => {
    expect(pageUrlFor('ws://127.0.0.1:8000/ws')).toBe('http://127.0.0.1:8000/');
    expect(pageUrlFor('wss://chat.example/ws')).toBe('https://chat.example/');
    expect(pageUrlFor('ws://127.0.0.1:8080/ws', 'http://127.0.0.1:8000')).toBe('http://127.0.0.1:8000/');
    expect(() => pageUrlFor('ws://x/ws', 'ftp://x/')).toThrow(/--page-url/);
  });

  it('makes a real PNG of about the size asked (noise for the decoder and thumbnailer, not one colour)', async () => {
    for (const bytes of [8 * 1024, 200 * 1024]) {
      const img = await makeImage(bytes);
      expect(Math.abs(img.png.length - bytes) / bytes, String(bytes)).toBeLessThan(0.05);
      const meta = await sharp(img.png).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', img.width, img.height]);
      expect(img.noiseRows).toBeGreaterThan(0);
    }
    expect((await makeImage(200 * 1024)).width).toBe(1280);
  });

  it('PUTs at most `concurrency` at once, each from the source address it is given, with the exact length', async () => {
    let now = 0, max = 0;
    const seen: Array<{ from: string; length: string | undefined; type: string | undefined; bytes: number }> = [];
    const server = http.createServer((req, res) => {
      now++;
      max = Math.max(max, now);
      let bytes = 0;
      req.on('data', (d: Buffer) => { bytes += d.length; });
      req.on('end', () => setTimeout(() => {
        seen.push({ from: req.socket.remoteAddress ?? '', length: req.headers['content-length'], type: req.headers['content-type'], bytes });
        now--;
        res.writeHead(req.url === '/refuse' ? 403 : 201).end();
      }, 20));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const pool = new PutPool(3);
    try {
      const body = Buffer.alloc(5000, 7);
      const results = await Promise.all(Array.from({ length: 12 }, (_, k) =>
        pool.put(new URL(k === 11 ? '/refuse' : `/f/${k}`, base), { 'Content-Type': 'image/png' }, body, `127.0.0.${1 + (k % 3)}`)));
      expect(max).toBe(3);
      expect(results.filter((r) => r.error === null)).toHaveLength(11);
      expect(results[11]).toMatchObject({ status: 403, error: 'http_403' });
      expect(new Set(seen.map((s) => s.from))).toEqual(new Set(['127.0.0.1', '127.0.0.2', '127.0.0.3']));
      for (const s of seen) expect(s).toMatchObject({ length: '5000', type: 'image/png', bytes: 5000 });
      expect([pool.puts, pool.bytes, pool.inFlight]).toEqual([11, 55_000, 0]);
      expect(pool.busyMs).toBeGreaterThan(70); // 12 PUTs of ≥ 20 ms, 3 at a time
    } finally {
      pool.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('--attach against the native cluster (nginx keeps the files)', () => {
  // A load test from few addresses: every per-address limit lifted (LC_LOAD_TEST=1), as the README says.
  const stage = useCluster({ servers: 4, haproxyCheckInterMs: 300, env: { LC_LOAD_TEST: '1' }, haproxyEnv: { LC_LOAD_TEST: '1' } });

  it('a baseline, then 1 in 10 messages with a 200 KiB PNG: nothing lost, every attached message delivered with its attachment', async () => {
    const clients = 40, rate = 20, duration = 10;
    const { code, stdout, r, base, html } = await runReport(['--url', stage.cluster.wsUrl, '--page-url', stage.cluster.pageUrl,
      '--clients', String(clients), '--rate', String(rate), '--duration', String(duration), '--attach', '1/10:200k', '--pids', stage.cluster.pids().join(',')]);
    console.log(stdout.split('\n').filter((l) => /^(latency|ack|messages|attach| {2}\w)/.test(l)).join('\n'));
    expect(code, stdout).toBe(0);
    expect(r.failures).toEqual([]);
    expect(r.errors).toEqual({});
    expect(r.clients.ready).toBe(clients);
    expect(Object.keys(r.clients.byAppId).sort()).toEqual(['1000', '2000', '3000', '4000']);
    const sends = rate * duration;
    expect(r.messages).toMatchObject({ sent: sends, acked: sends, rejected: 0, unacked: 0, delivered: sends * clients, expected: sends * clients,
      lost: 0, duplicated: 0, outOfOrder: 0, wrongRoom: 0 });

    const f = r.attach!;
    const images = sends / 10;
    expect(f.spec).toBe('1/10:200k');
    expect(f.pageUrl).toBe(stage.cluster.pageUrl);
    expect(f.uploads).toEqual({ started: images, granted: images, put: images, sent: images, acked: images, failed: 0, unfinished: 0 });
    expect(f.errors).toEqual({});
    expect(f.attachedDeliveries).toEqual({ ok: images * clients, expected: images * clients, bad: 0 });
    expect(f.delivery.attached.count).toBe(images * clients);
    expect(f.delivery.plain.count + f.delivery.attached.count).toBe(f.delivery.all.count);
    expect(f.delivery.all.count).toBe(sends * clients);
    expect(f.sample).toEqual({ url: 200, thumb: 200, thumbType: 'image/webp' });
    expect(f.throughput.bytes).toBe(images * f.image.bytes);
    expect(f.throughput.mbPerSecBusy).toBeGreaterThan(0);
    expect(f.uploadToAck.count).toBe(images);
    expect(f.uploadToAck.p50).toBeGreaterThanOrEqual(f.sendToAck.p50);
    // The files are on nginx's disk (the local driver): each image and its thumbnail, in the run's room.
    const roomDir = join(stage.cluster.runDir, 'files', 'r', `${r.options.roomPrefix}-0`);
    const stored = readdirSync(roomDir);
    expect(stored.filter((n) => n.endsWith('.thumb.webp'))).toHaveLength(images);
    expect(stored.filter((n) => n.endsWith('.png'))).toHaveLength(images);

    // The baseline: the same load without uploads, in the same invocation, before.
    expect(base).not.toBeNull();
    expect(base!.attach).toBeUndefined();
    expect(base!.messages).toMatchObject({ sent: sends, delivered: sends * clients, lost: 0 });
    expect(f.baseline).toMatchObject({ messages: sends, delivered: sends * clients, lost: 0, ok: true, failures: [] });
    expect(f.baseline!.latency.p99).toBe(base!.latency.p99);

    // The report: the attach block before the errors line; a section in the HTML.
    const lines = stdout.split('\n');
    const at = lines.findIndex((l) => l.startsWith('attach '));
    expect(lines[at]).toMatch(/^attach {6}1\/10:200k: 1 in 10 messages with a 1280×960 PNG of \d+ B, PUT to http:\/\/127\.0\.0\.1:\d+\/ \(at most 8 at once\)$/);
    expect(lines[at + 1]).toBe(`  uploads   started ${images}, granted ${images}, PUT ${images}, sent ${images}, acked ${images}, failed 0, unfinished 0; errors none`);
    expect(lines[at + 2]).toMatch(/^ {2}timing {4}upload→ack p50 [\d.]+ ms, p99 [\d.]+, max [\d.]+ \(n=20\); grant p50/);
    expect(lines[at + 3]).toMatch(/^ {2}PUT {7}[\d.]+ MB in 20 PUTs: [\d.]+ MB\/s while uploading/);
    expect(lines[at + 4]).toMatch(/^ {2}delivery p99: all [\d.]+ ms \(n=8000\), without attachment [\d.]+ \(n=7200\), with [\d.]+ \(n=800\); baseline run without uploads [\d.]+ ms \(n=8000\)/);
    expect(lines[at + 5]).toBe('  attached  800/800 copies delivered with their attachment, 0 wrong; one fetched: url 200, thumb 200 (image/webp)');
    expect(lines[at + 6]).toBe('errors      none');
    expect(html).toContain('Attachments (--attach 1/10:200k)');
    expect(html).toContain('<th>baseline run, no uploads</th>');
  }, 150_000);
});
