/**
 * axe-core (the engine behind most accessibility checkers) in the page under test. The page's CSP
 * allows only its own scripts, so axe goes in through a script tag in a context opened with
 * `bypassCSP` — in tests only; the page as served keeps its policy. Runs axe's default rule set
 * (WCAG 2.0/2.1/2.2 A and AA plus axe's best practices, all impacts) and WCAG 2.2's target-size,
 * which axe ships switched off.
 */
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string; summary: string }>;
}

/** Waits until finite CSS animations (a message fading in) are over, so colours are measured at rest. */
export async function settleAnimations(page: Page): Promise<void> {
  await page.evaluate(() => Promise.all(document.getAnimations()
    .filter((a) => a.effect?.getComputedTiming().iterations !== Infinity)
    .map((a) => a.finished.catch(() => undefined))));
}

/** Every axe violation on the page as it is now. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE_PATH });
  await settleAnimations(page);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: Array<{ id: string; impact?: string | null; help: string; nodes: Array<{ target: unknown[]; failureSummary?: string }> }> }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'], rules: { 'target-size': { enabled: true } } });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact ?? null, help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.map(String).join(' '), summary: n.failureSummary ?? '' })),
    }));
  });
}

/** A readable list for a failing assertion. */
export function formatViolations(list: AxeViolation[]): string {
  return list.map((v) => `  ${v.id} (${v.impact}): ${v.help}\n${v.nodes.slice(0, 5).map((n) => `    ${n.target}: ${n.summary.replace(/\s+/g, ' ').slice(0, 300)}`).join('\n')}`).join('\n');
}
