import { expect, test } from '@playwright/test';
import { expectCleanConsole, instrument } from './helpers';
import { type ServedApp, startServe } from './server';

let app: ServedApp;

test.beforeAll(async () => {
  app = await startServe();
});
test.afterAll(async () => {
  await app?.stop();
});

test('the app shell renders and live telemetry updates', async ({ page }) => {
  const { errors } = await instrument(page);
  await page.goto(app.url);
  await expect(page.getByRole('navigation', { name: 'Conversations' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'New chat' })).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Message' })).toBeVisible();
  await expect(page.getByText('Engine ready')).toBeVisible();

  // A telemetry value arrives, then changes as new samples stream in.
  await page.getByRole('tab', { name: 'Telemetry' }).click();
  const updated = page.getByTestId('telemetry-updated');
  await expect(updated).toHaveText(/Updated/);
  const first = await updated.textContent();
  await expect(updated).not.toHaveText(first ?? '', { timeout: 5000 });
  await expect(page.getByTestId('telemetry-engine-rss')).toHaveText(/\d+(\.\d)? (KB|MB|GB)/);
  await expect(page.getByTestId('telemetry-main-rss')).toHaveText(/\d+(\.\d)? (KB|MB|GB)/);
  await expect(page.getByTestId('memory-chart').locator('canvas')).toHaveCount(1);

  await page.screenshot({ path: 'tests/e2e/screenshots/shell-light.png' });
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByText('Dark', { exact: true }).click();
  await expect(page.locator('html')).toHaveClass(/dark/);
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.screenshot({ path: 'tests/e2e/screenshots/shell-dark.png' });
  await expectCleanConsole(page, errors);
});

test('the token is required, the Host header is checked', async ({ request }) => {
  const base = `http://127.0.0.1:${app.port}/`;
  expect((await request.get(base)).status()).toBe(401);
  expect((await request.get(`${base}?token=wrong`)).status()).toBe(401);
  expect((await request.get(`${base}?token=${app.token}`)).status()).toBe(200);
  expect((await request.get(`${base}?token=${app.token}`, { headers: { Host: `attacker.example:${app.port}` } })).status()).toBe(403);
});
