/**
 * Lighthouse (npm `lighthouse`, no browser of its own) against Debian's Chromium: playwright-core
 * launches it with a DevTools port, Lighthouse drives a tab of it. Scores are 0-100 per category;
 * `failing` names each scored audit below 1, for a readable assertion.
 */
import { chromium } from 'playwright-core';
import { freePort } from '../../../scripts/lib/procs.js';
import { BROWSER_ARGS, CHROMIUM } from './browser.js';

export interface LighthouseResult {
  version: string;
  scores: Record<string, number>;
  failing: string[];
}

export async function runLighthouse(url: string, categories: string[]): Promise<LighthouseResult> {
  const port = await freePort();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...BROWSER_ARGS, `--remote-debugging-port=${port}`] });
  try {
    const { default: lighthouse } = await import('lighthouse');
    const run = await lighthouse(url, { port, output: 'json', logLevel: 'error', onlyCategories: categories });
    if (!run) throw new Error('lighthouse returned nothing');
    const { lhr } = run;
    const scores = Object.fromEntries(Object.entries(lhr.categories).map(([k, c]) => [k, Math.round((c.score ?? 0) * 100)]));
    const failing = Object.entries(lhr.audits)
      .filter(([, a]) => a.score !== null && a.score < 1 && ['binary', 'numeric', 'metricSavings'].includes(a.scoreDisplayMode))
      .map(([id, a]) => `${id}: ${a.title}`);
    return { version: lhr.lighthouseVersion, scores, failing };
  } finally {
    await browser.close().catch(() => {});
  }
}
