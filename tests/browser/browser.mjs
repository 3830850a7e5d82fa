// What every page test shares: Debian's Chromium through playwright-core (no browser is
// downloaded) and axe-core's verdict on a page.
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axeSource = require.resolve('axe-core/axe.min.js');

// Root runs Chromium only without its own sandbox; the tests' daemons are on loopback.
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
}

// Serious and critical axe findings (WCAG 2 A and AA rules, best practices) on the page as it
// is now, each prefixed with `where`. The page's context needs bypassCSP: juanie's pages
// forbid every script, axe's included.
export async function accessibilityProblems(page, where) {
  await page.addScriptTag({ path: axeSource });
  const result = await page.evaluate(() =>
    globalThis.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'best-practice'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${where}: ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}
