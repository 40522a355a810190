// Models, end to end: a dropped corrupt checkpoint and an unsupported architecture give readable
// errors and leave nothing behind; a typed path converts with a chosen codec and progress; the
// converted model loads; "Measure quality" streams its progress.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Page, expect, test } from '@playwright/test';
import { dropPath, expectCleanConsole, openModelsPage } from './helpers';
import { type ServedApp, startServe } from './server';

test.describe.configure({ mode: 'serial' });

let app: ServedApp;
let context: BrowserContext;
let page: Page;
let errors: string[];
let scratch: string;

test.beforeAll(async ({ browser }) => {
  app = await startServe();
  scratch = mkdtempSync(join(tmpdir(), 'qins-e2e-ckpt-'));
  ({ context, page, errors } = await openModelsPage(browser, app.url, { width: 1400, height: 880 }));
});

test.afterAll(async () => {
  await context?.close();
  await app?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The embedded default model, a real HF checkpoint folder. */
const TINY = join(process.cwd(), 'assets', 'models', 'tiny-phi3-chat');
const modelFiles = () => readdirSync(join(app.home, 'models')).filter((f) => !f.startsWith('.'));

test('the library shows the converted built-in model with its size against FP32', async () => {
  const card = page.getByRole('listitem', { name: 'tiny-phi3-chat' });
  await expect(card).toContainText('phi3');
  await expect(card).toContainText('24.3 M');
  await expect(card).toContainText('8.50');
  await expect(card.getByTestId('model-compression')).toHaveText(/^\d\.\d\d× smaller$/);
  await expect(card).toContainText('loaded');
});

test('dropping a corrupt checkpoint (truncated shard) gives a readable error and leaves no file', async () => {
  const dir = join(scratch, 'truncated-phi3');
  const src = TINY;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(src)) copyFileSync(join(src, f), join(dir, f));
  truncateSync(join(dir, 'model-00002-of-00004.safetensors'), 300_000);
  const before = modelFiles();

  await dropPath(page, dir);
  const dialog = page.getByRole('dialog', { name: 'Convert truncated-phi3' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Convert' }).click();
  const error = page.getByTestId('convert-error');
  await expect(error).toContainText('Corrupt or incomplete checkpoint — truncated-phi3', { timeout: 60_000 });
  await expect(error).toContainText('model-00002-of-00004.safetensors');
  expect(modelFiles()).toEqual(before);
  await error.getByRole('button', { name: 'Dismiss' }).click();
  await expect(error).toHaveCount(0);
});

test('an unsupported architecture and a missing folder are explained', async () => {
  const dir = join(scratch, 'gpt2-small');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] }));
  const path = page.getByRole('textbox', { name: 'Checkpoint folder' });
  await path.fill(dir);
  await page.getByRole('button', { name: 'Convert', exact: true }).click();
  await expect(page.getByTestId('convert-error')).toContainText('Unsupported model — gpt2-small', { timeout: 60_000 });
  await expect(page.getByTestId('convert-error')).toContainText('"gpt2" is not supported');

  await path.fill(join(scratch, 'does-not-exist'));
  await path.press('Enter');
  await expect(page.getByTestId('import-error')).toContainText('no such file or folder');
  await expect(path).toHaveAttribute('aria-invalid', 'true');
});

test('a typed path converts with the chosen codec, with progress, and the new model loads', async () => {
  const path = page.getByRole('textbox', { name: 'Checkpoint folder' });
  await path.fill(TINY);
  await page.getByRole('radio', { name: /qins4/ }).check();
  await page.getByRole('button', { name: 'Convert', exact: true }).click();
  await expect(page.getByRole('progressbar', { name: 'Converting tiny-phi3-chat' })).toBeVisible();
  await expect(page.getByTestId('convert-progress')).toContainText(/MB of [\d.]+ MB/);
  const card = page.getByRole('listitem').filter({ has: page.getByText('qins4', { exact: true }) });
  await expect(card).toHaveCount(1, { timeout: 120_000 });
  await expect(card.getByTestId('model-compression')).toHaveText(/× smaller/);
  await card.getByRole('button', { name: 'Load' }).click();
  await expect(card).toContainText('loaded', { timeout: 60_000 });
  await expect(page.getByRole('listitem', { name: 'tiny-phi3-chat' }).filter({ hasText: 'built-in' })).not.toContainText('loaded');
  await page.getByRole('link', { name: 'Models' }).focus();
  await page.screenshot({ path: 'tests/e2e/screenshots/models-light.png' });
});

test('Measure quality reports its progress', async () => {
  const card = page.getByRole('listitem').filter({ has: page.getByText('qins4', { exact: true }) });
  await card.getByRole('button', { name: 'Measure quality' }).click();
  await expect(card.getByTestId('eval-progress')).toBeVisible();
  await expect(card.getByTestId('eval-progress')).toContainText(/\d+\/\d+ windows/, { timeout: 60_000 });
  await expect(card.getByRole('button', { name: 'Measure quality' })).toBeDisabled();
  await expectCleanConsole(page, errors);
});
