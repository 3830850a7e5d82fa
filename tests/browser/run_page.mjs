// A person follows a run in Debian's Chromium, with the page's own CSP in force: signed in at
// /, a signed webhook makes the run appear without a reload; its page shows the log growing
// in colour while the step runs; cancel and retry from the page. axe-core checks each page (in
// a second context that lets axe's script in); screenshots at desktop and phone sizes. Prints
// one JSON object for tests/integration/run_page_test.cpp.
//
//   node run_page.mjs BASE_URL TOKEN HOOK_PATH HOOK_BODY HOOK_SIGNATURE SCREENSHOT_PREFIX
import { accessibilityProblems, launch } from './browser.mjs';

const [base, token, hookPath, hookBody, signature, shots] = process.argv.slice(2);
if (!shots) {
  console.error('usage: node run_page.mjs BASE_URL TOKEN HOOK_PATH HOOK_BODY HOOK_SIGNATURE PREFIX');
  process.exit(2);
}

async function signIn(page) {
  await page.goto(base + '/');
  await page.getByLabel('API token').fill(token);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
}

const browser = await launch();
const out = { problems: [], csp_violations: [], timings_ms: {} };
const start = Date.now();
const mark = (what) => { out.timings_ms[what] = Date.now() - start; };
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const axeContext = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) out.csp_violations.push(m.text());
  });
  page.on('pageerror', (e) => out.problems.push('script error: ' + e.message));
  await signIn(page);
  mark('signed_in');
  out.before = await page.locator('#runs').innerText();
  await page.evaluate(() => { globalThis.notReloaded = true; });

  const hook = await fetch(base + hookPath, {
    method: 'POST',
    body: hookBody,
    headers: {
      'Content-Type': 'application/json',
      'X-GitHub-Event': 'push',
      'X-GitHub-Delivery': 'browser-run-page-1',
      'X-Hub-Signature-256': signature,
    },
  });
  out.hook_status = hook.status;
  const link = page.locator('#runs a[href^="/runs/"]').first();
  await link.waitFor({ timeout: 30000 });
  mark('run_listed');
  out.appeared_without_reload = await page.evaluate(() => globalThis.notReloaded === true);
  out.first_row = await page.locator('#runs tbody tr').first().innerText();
  await page.screenshot({ path: `${shots}-runs-desktop.png`, fullPage: true });

  const axePage = await axeContext.newPage();
  await signIn(axePage);
  out.problems.push(...(await accessibilityProblems(axePage, 'runs')));

  await Promise.all([page.waitForNavigation(), link.click()]);
  out.run_url = new URL(page.url()).pathname;
  await page.evaluate(() => { globalThis.notReloaded = true; });
  const red = page.locator('#steps pre.log .ansi-fg1').first();
  await red.waitFor({ timeout: 60000 });
  mark('log_shown');
  // Text and colour of one element in one synchronous look: the page replaces a step's log as
  // it grows, and an element read in two steps may be detached by the second (no colour then).
  [out.red_text, out.red_colour] = await page.evaluate(() => {
    const e = document.querySelector('#steps pre.log .ansi-fg1');
    return [e.innerText, getComputedStyle(e).color];
  });
  const redLines = () => page.locator('#steps pre.log .ansi-fg1').count();
  out.red_lines_before = await redLines();
  await page.waitForFunction(
    (n) => document.querySelectorAll('#steps pre.log .ansi-fg1').length > n,
    out.red_lines_before,
    { timeout: 30000 });
  out.red_lines_after = await redLines();
  out.log_after = await page.locator('#steps pre.log').first().innerText();
  out.green_bold = await page.locator('#steps pre.log .ansi-fg2').first().evaluate((e) => getComputedStyle(e).fontWeight);
  out.grew_without_reload = await page.evaluate(() => globalThis.notReloaded === true);
  out.state_while_running = await page.locator('#run-state').innerText();
  out.script_injected = await page.evaluate(() => globalThis.pwned === true);
  await page.screenshot({ path: `${shots}-run-desktop.png`, fullPage: true });
  await axePage.goto(base + out.run_url);
  out.problems.push(...(await accessibilityProblems(axePage, 'run')));

  const phone = await context.newPage();
  await phone.setViewportSize({ width: 375, height: 740 });
  for (const [path, name] of [['/', 'runs'], [out.run_url, 'run']]) {
    await phone.goto(base + path);
    await phone.waitForTimeout(300);
    if (await phone.evaluate(() => document.documentElement.scrollWidth > 375)) {
      out.problems.push(`phone: ${path} scrolls sideways`);
    }
    await phone.screenshot({ path: `${shots}-${name}-phone.png`, fullPage: true });
  }
  await phone.close();

  mark('phone_done');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Cancel run' }).click()]);
  await page.locator('#run-state.state-cancelled').waitFor({ timeout: 60000 });
  const retry = page.getByRole('button', { name: 'Retry run', exact: true });
  await retry.waitFor({ timeout: 30000 });
  mark('cancelled');
  out.state_after_cancel = await page.locator('#run-state').innerText();
  await page.screenshot({ path: `${shots}-run-cancelled-desktop.png`, fullPage: true });
  await axePage.goto(base + out.run_url);
  out.problems.push(...(await accessibilityProblems(axePage, 'cancelled run')));

  await Promise.all([page.waitForNavigation(), retry.click()]);
  out.retry_url = new URL(page.url()).pathname;
  mark('retried');
  out.retry_heading = await page.locator('h1').innerText();
  out.retry_trigger = await page.locator('dd', { hasText: 'retry of' }).innerText();
  // The new run runs the same slow step: end it from its page too.
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Cancel run' }).click()]);
  await page.locator('#run-state.state-cancelled').waitFor({ timeout: 60000 });
  mark('done');
} catch (e) {
  out.error = String(e?.stack ?? e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
