/**
 * Attachments in Chromium on the native cluster (2 servers behind HAProxy, nginx keeping the files):
 * Ann, on one server, attaches a PNG and a PDF with the keyboard (Attach files → the file chooser),
 * pastes a screenshot (named "pasted-image-<time>.png") and drops a text file onto the room; a slow
 * upload shows a named progress bar and is cancelled, an 11 MiB file fails on its chip at once (no
 * Retry); she removes the extra ones by keyboard, and sends the rest with a caption once every chip is uploaded. Bob, on the
 * other server, sees the image inline (its thumbnail loads, its box reserved from width/height) and
 * the PDF as a download link (served as an attachment); Enter on the image opens it full size in a
 * modal dialog, Escape closes it and focus goes back to the image; axe finds nothing on either page
 * (chips shown, dialog open and closed). Ann's page runs under the page's real CSP: her own image
 * loads there too, with no CSP violation.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FileChooser, Page } from 'playwright-core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { axeViolations, formatViolations } from './lib/axe.js';
import { entries, join as joinAs, joinElsewhere, openPage, send, useStage } from './lib/browser.js';

const run = Date.now().toString(36).slice(-5);
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** The smallest file a PDF reader opens (and the servers sniff as application/pdf). */
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n');

/**
 * Makes Playwright take the page's file choosers. It starts doing so asynchronously, when the first
 * "filechooser" listener is added: a chooser opened before then is a native one, which headless
 * Chromium never closes, and while it is open no other chooser opens. So the listener is added as
 * soon as the page exists, long (two joins) before the first press.
 */
function interceptChoosers(p: Page): void {
  p.on('filechooser', () => {});
}

/** Focuses "Attach files" and presses Enter: the file chooser opens. */
async function openChooser(p: Page): Promise<FileChooser> {
  const attach = p.getByRole('button', { name: 'Attach files', exact: true });
  await attach.focus();
  const [chooser] = await Promise.all([p.waitForEvent('filechooser', { timeout: 10_000 }), p.keyboard.press('Enter')]);
  return chooser;
}

/** axe on a page whose CSP is in force: its source evaluated through the devtools protocol, not a script tag. */
async function expectAxeClean(p: Page, where: string): Promise<void> {
  if (!(await p.evaluate(() => 'axe' in window))) await p.evaluate(AXE_SOURCE);
  const found = await axeViolations(p);
  expect(found, `${where}:\n${formatViolations(found)}`).toEqual([]);
}

/** The image's pixels arrived (a lazy image is scrolled into view first). */
async function loadedWidth(p: Page, selector: string): Promise<number> {
  const img = p.locator(selector).first();
  await img.scrollIntoViewIfNeeded();
  let width = 0;
  await expect.poll(async () => (width = await img.evaluate((i: HTMLImageElement) => (i.complete ? i.naturalWidth : 0))), { timeout: 15_000 }).toBeGreaterThan(0);
  return width;
}

describe('pictures and files between two servers', () => {
  const stage = useStage({ servers: 2, haproxyCheckInterMs: 300 });

  it('a PNG shows inline with its full-size dialog, a PDF downloads; attach by keyboard, paste and drop; axe clean', async () => {
    const room = `files-${run}`;
    const url = `${stage.cluster.pageUrl}#${room}`;
    const viewport = { width: 1280, height: 860 };
    const ann = await openPage(stage.tb.browser, url, { viewport });
    interceptChoosers(ann.page);
    const bob = await openPage(stage.tb.browser, url, { viewport, bypassCSP: true });
    const annAt = await joinAs(ann.page, 'Ann');
    await joinElsewhere(bob.page, 'Bob', annAt);

    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366cc' } }).png().toBuffer();

    // Attach files, by keyboard: the button opens the browser's file chooser.
    const chooser = await openChooser(ann.page);
    expect(chooser.isMultiple()).toBe(true);
    await chooser.setFiles([
      { name: 'dot.png', mimeType: 'image/png', buffer: png },
      { name: 'report.pdf', mimeType: 'application/pdf', buffer: PDF },
    ]);
    const chips = ann.page.getByRole('list', { name: 'Files to send', exact: true }).getByRole('listitem');
    await expect.poll(() => chips.count()).toBe(2);

    // A screenshot pasted into the box, and a file dropped onto the room, become chips too.
    await ann.page.evaluate((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const clip = new DataTransfer();
      clip.items.add(new File([bytes], 'image.png', { type: 'image/png' }));
      document.getElementById('message')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: clip, bubbles: true, cancelable: true }));
      const drag = new DataTransfer();
      drag.items.add(new File(['hello'], 'notes.txt', { type: 'text/plain' }));
      const zone = document.getElementById('chat')!;
      for (const type of ['dragenter', 'dragover', 'drop']) zone.dispatchEvent(new DragEvent(type, { dataTransfer: drag, bubbles: true, cancelable: true }));
    }, png.toString('base64'));
    await expect.poll(() => chips.count()).toBe(4);
    await chips.filter({ hasText: /pasted-image-\d{4}-\d{2}-\d{2}-\d{6}\.png/ }).waitFor();
    await chips.filter({ hasText: 'notes.txt' }).waitFor();
    // Each uploads (a named progress bar while it does) and ends ready to send.
    await expect.poll(() => ann.page.locator('#uploads li.is-done').count(), { timeout: 20_000 }).toBe(4);
    expect(await ann.page.locator('#uploads li.is-failed').count()).toBe(0);
    await expectAxeClean(ann.page, 'Ann with four chips');

    // While a PUT is on its way (held back here), its chip has a named progress bar and a Cancel button
    // that aborts it; a file over 10 MiB fails on its chip at once, with no Retry, and is removed.
    await ann.page.route(/\/files\/up\//, async (r) => { await new Promise((ok) => setTimeout(ok, 1500)); await r.continue().catch(() => {}); });
    await (await openChooser(ann.page)).setFiles([
      { name: 'slow.txt', mimeType: 'text/plain', buffer: Buffer.from('slow') },
      { name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(11 * 1024 * 1024) },
    ]);
    await ann.page.getByRole('progressbar', { name: 'Uploading slow.txt', exact: true }).waitFor();
    await ann.page.getByRole('button', { name: 'Cancel uploading slow.txt', exact: true }).press('Enter');
    const huge = chips.filter({ hasText: 'huge.bin' });
    await huge.filter({ hasText: /larger than 10 MB/ }).waitFor();
    expect(await huge.getByRole('button', { name: /^Retry/ }).count()).toBe(0);
    await ann.page.getByRole('button', { name: 'Remove huge.bin', exact: true }).press('Enter');
    await ann.page.unroute(/\/files\/up\//);
    await expect.poll(() => chips.count()).toBe(4);

    // Remove the pasted one and the dropped one, by keyboard; focus moves on, never to nowhere.
    await ann.page.getByRole('button', { name: /^Remove pasted-image-/ }).press('Enter');
    await ann.page.getByRole('button', { name: 'Remove notes.txt', exact: true }).press('Enter');
    await expect.poll(() => chips.count()).toBe(2);
    expect(await ann.page.evaluate(() => document.activeElement?.tagName)).not.toBe('BODY');

    await send(ann.page, 'Here are the files');
    await ann.page.locator('#uploads').waitFor({ state: 'hidden' });

    // Bob: the image inline (a thumbnail that loads, its size reserved), the PDF a download.
    const bobMsg = entries(bob.page, 'Here are the files').first();
    await bobMsg.waitFor({ timeout: 15_000 });
    const thumb = bobMsg.locator('img[alt="dot.png"]');
    await thumb.waitFor();
    expect(await thumb.getAttribute('width')).toBe('64');
    expect(await thumb.getAttribute('height')).toBe('48');
    expect(await thumb.getAttribute('loading')).toBe('lazy');
    expect(await loadedWidth(bob.page, '.msg img[alt="dot.png"]')).toBeGreaterThan(0);
    const link = bobMsg.getByRole('link', { name: /report\.pdf/ });
    expect(await link.getAttribute('download')).toBe('report.pdf');
    expect(await link.textContent()).toMatch(/report\.pdf\s*\d+ B/);
    const res = await bob.page.request.get(new URL((await link.getAttribute('href'))!, stage.cluster.pageUrl).toString());
    expect(res.status()).toBe(200);
    expect(res.headers()['content-disposition']).toMatch(/^attachment/);
    expect(res.headers()['x-content-type-options']).toBe('nosniff');
    expect((await res.body()).subarray(0, 5).toString()).toBe('%PDF-');

    // Enter on the image opens it full size in a modal dialog; Escape closes it, focus back on the image.
    const opener = bobMsg.getByRole('button', { name: 'dot.png' });
    await opener.focus();
    await bob.page.keyboard.press('Enter');
    const dialog = bob.page.getByRole('dialog', { name: 'dot.png' });
    await dialog.waitFor();
    expect(await loadedWidth(bob.page, '#image-dialog-img')).toBe(64);
    expect(await bob.page.locator('#image-dialog-img').getAttribute('alt')).toBe('dot.png');
    expect(await bob.page.evaluate(() => document.activeElement?.id)).toBe('image-dialog-close');
    await expectAxeClean(bob.page, 'Bob with the image dialog open');
    await bob.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => opener.evaluate((e) => e === document.activeElement)).toBe(true);
    await expectAxeClean(bob.page, 'Bob with the message and its files');

    // Ann's own message, under the page's CSP: her image loads there too.
    const annMsg = entries(ann.page, 'Here are the files').first();
    await annMsg.locator('img[alt="dot.png"]').waitFor();
    expect(await loadedWidth(ann.page, '.msg img[alt="dot.png"]')).toBeGreaterThan(0);
    await expectAxeClean(ann.page, 'Ann after sending');
    for (const p of [ann, bob]) {
      expect(p.cspViolations).toEqual([]);
      expect(p.pageErrors).toEqual([]);
      expect(p.dialogs).toEqual([]);
    }
  });
});
