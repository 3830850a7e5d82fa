// Opens an approval link in Debian's Chromium as an approver would — on a desktop and on a
// phone-sized window —, checks the page with axe-core, and decides by keyboard. Prints one JSON
// object for the test that started it (tests/integration/approval_test.cpp).
//
//   node approval_page.mjs URL approve|reject COMMENT SCREENSHOT_PREFIX
import { accessibilityProblems, launch } from './browser.mjs';

const [url, decision, comment, shots] = process.argv.slice(2);
if (!url || !['approve', 'reject'].includes(decision) || shots === undefined) {
  console.error('usage: node approval_page.mjs URL approve|reject COMMENT SCREENSHOT_PREFIX');
  process.exit(2);
}

const browser = await launch();

const out = { problems: [] };
try {
  // A phone first: a person opens the link from the mail on their phone as often as not. It
  // must not make them scroll sideways.
  const phoneWidth = 375;
  const phone = await browser.newContext({
    viewport: { width: phoneWidth, height: 740 }, isMobile: true, hasTouch: true, bypassCSP: true,
  });
  const small = await phone.newPage();
  await small.goto(url);
  await small.screenshot({ path: `${shots}-phone.png`, fullPage: true });
  // A mobile browser zooms out to fit wide content, so the window grows with it: compare the
  // page's width with the phone's.
  out.phone_overflows = await small.evaluate(
    (width) => document.documentElement.scrollWidth > width, phoneWidth);
  out.problems.push(...(await accessibilityProblems(small, 'phone')));
  await phone.close();

  // bypassCSP only lets axe's script in: the page itself runs none.
  const desktop = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  const page = await desktop.newPage();
  await page.goto(url);
  out.title = await page.title();
  out.heading = await page.locator('h1').innerText();
  await page.screenshot({ path: `${shots}-desktop.png`, fullPage: true });
  out.problems.push(...(await accessibilityProblems(page, 'desktop')));

  // By keyboard alone: Tab to the comment (found by its label), type, Tab to the button, Enter.
  const box = page.getByLabel('Comment (optional)');
  for (let i = 0; i < 20 && !(await box.evaluate((e) => e === document.activeElement)); ++i) {
    await page.keyboard.press('Tab');
  }
  out.comment_reached_by_tab = await box.evaluate((e) => e === document.activeElement);
  await page.keyboard.type(comment);
  const button = page.getByRole('button', { name: decision === 'approve' ? /approve/i : /reject/i });
  for (let i = 0; i < 5 && !(await button.evaluate((e) => e === document.activeElement)); ++i) {
    await page.keyboard.press('Tab');
  }
  out.button_reached_by_tab = await button.evaluate((e) => e === document.activeElement);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  out.answer_heading = await page.locator('h1').innerText();
  out.answer_text = await page.locator('body').innerText();
  await page.screenshot({ path: `${shots}-answer.png`, fullPage: true });
} catch (e) {
  out.error = String(e?.stack ?? e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
