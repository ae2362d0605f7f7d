/**
 * What the compose and Swarm tests do to a running stack, through its published page port as a
 * person or a load test would: two Chromium pages chat, the load tool counts APPIDs and losses, and
 * resuming clients keep a ledger while a replica goes away under them.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { LoadReport } from '../../../bench/lib/load.js';
import { connectedAppId, entries, join as joinAs, launchBrowser, openPage, send } from '../../browser/lib/browser.js';
import { audit, Ledger, ResumingClient } from '../../faults/lib/resuming-client.js';
import { settle, startTraffic, type Traffic } from '../../faults/lib/traffic.js';
import { ROOT, run } from './docker.js';

/** Two headless Chromium pages join one room on `pageUrl` and see each other's message; returns their APPIDs. */
export async function chatTwoPages(pageUrl: string, room: string): Promise<string[]> {
  const tb = await launchBrowser();
  try {
    const ann = await openPage(tb.browser, `${pageUrl}#${room}`);
    const bob = await openPage(tb.browser, `${pageUrl}#${room}`);
    await joinAs(ann.page, 'Ann');
    await joinAs(bob.page, 'Bob');
    const appIds = [await connectedAppId(ann.page), await connectedAppId(bob.page)];
    await send(ann.page, `hi Bob, from Ann in ${room}`);
    await send(bob.page, `hello Ann, from Bob in ${room}`);
    for (const p of [ann, bob]) {
      await entries(p.page, `hi Bob, from Ann in ${room}`).first().waitFor({ timeout: 15_000 });
      await entries(p.page, `hello Ann, from Bob in ${room}`).first().waitFor({ timeout: 15_000 });
      expect(await entries(p.page, `hi Bob, from Ann in ${room}`).count()).toBe(1);
      expect(p.pageErrors).toEqual([]);
      expect(p.cspViolations).toEqual([]);
    }
    return appIds;
  } finally {
    await tb.close();
  }
}

/** Runs the load tool (dist/loadtest.js) against `url`; returns its JSON report (throws on a usage error or a hang). */
export async function loadTest(url: string, args: string[]): Promise<LoadReport> {
  const dir = mkdtempSync(join(tmpdir(), 'lc-docker-load-'));
  try {
    const out = join(dir, 'report.json');
    const r = await run(process.execPath, [join(ROOT, 'dist', 'loadtest.js'), '--url', url, '--quiet', '--out', out, ...args],
      { timeoutMs: 90_000, env: process.env });
    if (r.code !== 0 && r.code !== 1) throw new Error(`loadtest exited ${r.code}: ${r.stderr.slice(-2000)}`);
    const report = JSON.parse(readFileSync(out, 'utf8')) as LoadReport;
    if (!report.ok) console.log(r.stdout);
    return report;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A load report with nothing lost, duplicated or reordered, every client ready. */
export function expectCleanLoad(r: LoadReport, clients: number): void {
  expect(r.failures).toEqual([]);
  expect(r.clients.ready).toBe(clients);
  expect(r.messages.acked).toBe(r.messages.sent);
  expect(r.messages.lost + r.messages.duplicated + r.messages.outOfOrder + r.messages.wrongRoom).toBe(0);
  expect(r.messages.delivered).toBe(r.messages.expected);
  expect(r.ok).toBe(true);
}

/** Resuming clients on one room, through `url`, sending steadily: the ledger of a run with a fault in it. */
export class ChatUnderFault {
  readonly ledger = new Ledger();
  readonly clients: ResumingClient[] = [];
  private traffic: Traffic | null = null;

  constructor(readonly url: string, readonly room: string, readonly count = 16) {}

  async start(): Promise<void> {
    for (let i = 0; i < this.count; i++) this.clients.push(new ResumingClient(`c${i}`, [this.room], () => this.url, this.ledger, { maxBackoffMs: 1000 }));
    await Promise.all(this.clients.map((c) => c.start(20_000)));
    this.traffic = startTraffic(this.clients, this.room, 100);
  }

  /** Clients per APPID now. */
  byAppId(): Record<string, string[]> {
    const m: Record<string, string[]> = {};
    for (const c of this.clients) (m[c.appId] ??= []).push(c.name);
    return m;
  }

  /** Stops sending, waits for every ack and every delivery, and returns the audit (empty = nothing lost or doubled). */
  async finish(): Promise<string[]> {
    await this.traffic?.stop(30_000);
    await settle(this.clients, this.ledger, this.room, 30_000);
    const problems = audit(this.ledger, this.clients, this.room);
    const ids = this.ledger.ids(this.room);
    if (ids.join() !== Array.from({ length: ids.length }, (_, i) => i + 1).join()) problems.push(`acked ids are not 1..${ids.length}: ${ids.slice(0, 10).join(',')}…`);
    return problems;
  }

  get acked(): number {
    return this.ledger.ids(this.room).length;
  }

  stop(): void {
    for (const c of this.clients) c.stop();
  }
}
