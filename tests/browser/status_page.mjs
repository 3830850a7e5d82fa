// Signs in to the status page in Debian's Chromium as a person would, looks at the runs on a
// desktop and a phone-sized window, checks each page with axe-core, and signs out. Prints one
// JSON object for the test that started it (tests/integration/status_page_test.cpp).
//
//   node status_page.mjs BASE_URL TOKEN SCREENSHOT_PREFIX
import { accessibilityProblems, launch } from './browser.mjs';

const [base, token, shots] = process.argv.slice(2);
if (!base || !token || !shots) {
  console.error('usage: node status_page.mjs BASE_URL TOKEN SCREENSHOT_PREFIX');
  process.exit(2);
}

const browser = await launch();

const out = { problems: [] };
try {
  // bypassCSP only lets axe's script in: the page itself runs none.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  const page = await context.newPage();
  await page.goto(base + '/');
  out.problems.push(...(await accessibilityProblems(page, 'sign-in')));
  await page.screenshot({ path: `${shots}-sign-in.png`, fullPage: true });

  await page.getByLabel('API token').fill('wrong');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
  out.wrong_token_alert = await page.getByRole('alert').innerText();

  await page.getByLabel('API token').fill(token);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  out.heading = await page.locator('h1').innerText();
  out.signed_in_as = await page.locator('header strong').innerText();
  out.first_row = await page.locator('tbody tr').first().innerText();
  out.cookie_visible_to_scripts = await page.evaluate(() => document.cookie.includes('juanie_session'));
  out.problems.push(...(await accessibilityProblems(page, 'runs')));
  await page.screenshot({ path: `${shots}-desktop.png`, fullPage: true });

  const phone = await context.newPage();
  await phone.setViewportSize({ width: 375, height: 740 });
  await phone.goto(base + '/');
  out.phone_overflows = await phone.evaluate(() => document.documentElement.scrollWidth > 375);
  await phone.screenshot({ path: `${shots}-phone.png`, fullPage: true });
  await phone.close();

  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign out' }).click()]);
  await page.goto(base + '/');
  out.after_sign_out = await page.locator('h1').innerText();
} catch (e) {
  out.error = String(e?.stack ?? e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
