// A prod deployment waits for approval. In Debian's Chromium: a signed-in non-approver opens it
// and finds no Approve button; the approver signs in, goes from the runs page to the project
// and from there to the deployment, and approves it. Both pages are checked with axe-core and
// on a phone-sized window. Prints one JSON object for the test that started it
// (tests/integration/deployment_page_test.cpp).
//
//   node deployment_page.mjs BASE_URL APPROVER_TOKEN OTHER_TOKEN PROJECT DEPLOYMENT SCREENSHOT_PREFIX
import { accessibilityProblems, launch } from './browser.mjs';

const [base, approverToken, otherToken, project, deployment, shots] = process.argv.slice(2);
if (!base || !approverToken || !otherToken || !project || !deployment || !shots) {
  console.error('usage: node deployment_page.mjs BASE_URL APPROVER_TOKEN OTHER_TOKEN PROJECT ' +
                'DEPLOYMENT SCREENSHOT_PREFIX');
  process.exit(2);
}

const browser = await launch();

async function signIn(context, token) {
  const page = await context.newPage();
  await page.goto(base + '/');
  await page.getByLabel('API token').fill(token);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
  return page;
}

// Whether the page at `path` makes a phone-sized window scroll sideways; a screenshot of it.
async function onPhone(context, path, shot) {
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 375, height: 740 });
  await phone.goto(base + path);
  const overflows = await phone.evaluate(() => document.documentElement.scrollWidth > 375);
  await phone.screenshot({ path: `${shots}-${shot}-phone.png`, fullPage: true });
  await phone.close();
  return overflows;
}

const out = { problems: [] };
try {
  // bypassCSP only lets axe's script in: the pages themselves run none.
  const options = { viewport: { width: 1280, height: 800 }, bypassCSP: true };

  const other = await browser.newContext(options);
  const looker = await signIn(other, otherToken);
  await looker.goto(`${base}/deployments/${deployment}`);
  out.non_approver_buttons = await looker.getByRole('button', { name: 'Approve' }).count();
  out.problems.push(...(await accessibilityProblems(looker, 'deployment, non-approver')));
  await other.close();

  const context = await browser.newContext(options);
  const page = await signIn(context, approverToken);
  await Promise.all([page.waitForNavigation(),
    page.getByRole('navigation', { name: 'Projects' }).getByRole('link', { name: project }).click()]);
  out.project_heading = await page.locator('h1').innerText();
  out.problems.push(...(await accessibilityProblems(page, 'project')));
  await page.screenshot({ path: `${shots}-project-desktop.png`, fullPage: true });
  out.project_phone_overflows = await onPhone(context, `/projects/${project}`, 'project');

  await Promise.all([page.waitForNavigation(),
    page.getByRole('region', { name: 'Approvals waiting' })
      .getByRole('link', { name: `deployment ${deployment}` }).click()]);
  out.deployment_heading = await page.locator('h1').innerText();
  out.approver_buttons = await page.getByRole('button', { name: 'Approve' }).count();
  out.problems.push(...(await accessibilityProblems(page, 'deployment')));
  await page.screenshot({ path: `${shots}-deployment-desktop.png`, fullPage: true });
  out.deployment_phone_overflows = await onPhone(context, `/deployments/${deployment}`, 'deployment');

  await page.getByLabel('Comment (optional)').fill('approved from the page');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Approve' }).click()]);
  out.outcome = await page.getByRole('status').innerText();
  out.problems.push(...(await accessibilityProblems(page, 'deployment, decided')));
  await page.screenshot({ path: `${shots}-decided-desktop.png`, fullPage: true });
} catch (e) {
  out.error = String(e?.stack ?? e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
