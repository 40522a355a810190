// Models from Hugging Face, end to end in the browser against a mock hub (HF_ENDPOINT): paste a repo
// id, see the preflight, download with progress, convert, load and chat with it; pause, resume and
// cancel a download; a gated repo and an unknown one are explained; a checkpoint already in the
// Hugging Face cache (a snapshot of symlinks, as Python leaves it) is converted in place.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Page, expect, test } from '@playwright/test';
import { type MockHub, startMockHub } from '../mock-hub/mock-hub';
import { expectCleanConsole, lastReplyDone, messages, openModelsPage, send } from './helpers';
import { type ServedApp, startServe } from './server';

test.describe.configure({ mode: 'serial' });

const TINY = join(process.cwd(), 'assets', 'models', 'tiny-phi3-chat');
const REPO = 'qins-test/hub-phi3';
const SLOW = 'qins-test/slow-phi3';
const CACHED_COMMIT = 'c0ffee'.padEnd(40, '0');

let hub: MockHub;
let app: ServedApp;
let context: BrowserContext;
let page: Page;
let errors: string[];
let scratch: string;
let cache: string;

test.beforeAll(async ({ browser }) => {
  hub = await startMockHub([
    { id: REPO, dir: TINY, license: 'mit' },
    { id: SLOW, dir: TINY, license: 'apache-2.0' },
    { id: 'qins-test/gated-phi3', dir: TINY, gated: 'manual', tokens: ['hf_e2etoken123'] },
  ]);
  scratch = mkdtempSync(join(tmpdir(), 'qins-e2e-hub-'));
  cache = join(scratch, 'hf-cache');
  // a checkpoint Python's huggingface_hub left in the cache: blobs, symlinks, refs/main
  const repoDir = join(cache, 'models--local--cached-phi3');
  mkdirSync(join(repoDir, 'blobs'), { recursive: true });
  mkdirSync(join(repoDir, 'snapshots', CACHED_COMMIT), { recursive: true });
  mkdirSync(join(repoDir, 'refs'), { recursive: true });
  writeFileSync(join(repoDir, 'refs', 'main'), CACHED_COMMIT);
  for (const f of readdirSync(TINY)) {
    symlinkSync(join(TINY, f), join(repoDir, 'blobs', `b-${f}`));
    symlinkSync(`../../blobs/b-${f}`, join(repoDir, 'snapshots', CACHED_COMMIT, f));
  }
  app = await startServe({ HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, HF_HOME: join(scratch, 'hf-home'), HF_TOKEN: '' });
  ({ context, page, errors } = await openModelsPage(browser, app.url, { width: 1400, height: 900 }));
});

test.afterAll(async () => {
  await context?.close();
  await app?.stop();
  await hub?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const repoBox = () => page.getByRole('textbox', { name: 'Hugging Face repository' });

test('an unknown repo and a gated one are explained before anything downloads', async () => {
  await repoBox().fill('qins-test/does-not-exist');
  await page.getByRole('button', { name: 'Check' }).click();
  await expect(page.getByTestId('hub-check-error')).toContainText('qins-test/does-not-exist: no such model repository');
  await repoBox().fill('qins-test/gated-phi3');
  await repoBox().press('Enter');
  await expect(page.getByTestId('hub-check-error')).toContainText('accept the license on the model page and add a token');
  await repoBox().fill('not a repo!');
  await repoBox().press('Enter');
  await expect(page.getByTestId('hub-check-error')).toContainText('is not a repository id');
  await expect(page.getByRole('button', { name: 'Download and convert' })).toBeDisabled();
});

test('paste a model URL: the preflight, then download, convert, load and chat', async () => {
  await repoBox().fill(`https://huggingface.co/${REPO}`);
  await page.getByRole('button', { name: 'Check' }).click();
  const pre = page.getByTestId('hub-preflight');
  await expect(pre).toContainText('phi3 — supported');
  await expect(pre).toContainText('mit');
  await expect(pre).toContainText('public');
  await expect(pre).toContainText(new RegExp(`${readdirSync(TINY).length} files, 4[\\d.]+ MB`));
  await expect(pre).toContainText(/needs 4[\d.]+ MB to download \+ about 2[\d.]+ MB for the converted file · [\d.]+ [MGT]B free/);
  // the converted size follows the codec: 4.5 bits/weight, then 8.5
  await page.getByRole('combobox', { name: 'Codec for the download' }).selectOption('qins4');
  await expect(pre).toContainText(/about 1[\d.]+ MB for the converted file/);
  await page.getByRole('combobox', { name: 'Codec for the download' }).selectOption('q8');
  await expect(pre).toContainText(/about 2[\d.]+ MB for the converted file/);
  await page.getByRole('switch', { name: 'Keep the downloaded checkpoint' }).click();
  await page.getByRole('button', { name: 'Download and convert' }).click();

  // the download card, then the conversion card, then the model in the library
  const card = page.getByTestId('hub-done');
  await expect(card).toContainText(`${REPO} is in the library (q8); the downloaded checkpoint was deleted.`, { timeout: 120_000 });
  expect(existsSync(join(cache, 'models--qins-test--hub-phi3'))).toBe(false);
  const model = page.getByRole('list', { name: 'Library' }).getByRole('listitem', { name: 'hub-phi3', exact: true });
  await expect(model).toContainText('q8');
  await model.getByRole('button', { name: 'Load' }).click();
  await expect(model).toContainText('loaded', { timeout: 60_000 });

  await page.getByRole('button', { name: 'New chat', exact: true }).click();
  await expect(page.getByTestId('model-picker')).toContainText('hub-phi3');
  await send(page, 'Hello from the hub');
  const reply = await lastReplyDone(page);
  await expect(reply).toHaveAttribute('data-status', 'complete');
  expect(((await reply.locator('.markdown').textContent()) ?? '').length).toBeGreaterThan(0);
  await expect(messages(page, 'assistant').last()).toContainText(/q8/);
  await page.getByRole('link', { name: 'Models' }).click();
  await page.getByTestId('hub-done').getByRole('button', { name: 'Dismiss' }).click();
});

test('a download shows bytes, speed and the current file; pause, resume and cancel', async () => {
  hub.fault(SLOW, 'model-00001-of-00004.safetensors', { bytesPerSecond: 1_000_000 });
  await repoBox().fill(SLOW);
  await repoBox().press('Enter');
  await expect(page.getByTestId('hub-preflight')).toContainText('apache-2.0');
  await page.getByRole('heading', { name: 'Download from Hugging Face' }).evaluate((h) => h.closest('section')!.scrollIntoView());
  await page.getByRole('link', { name: 'Models' }).focus();
  await page.screenshot({ path: 'tests/e2e/screenshots/models-hub.png' });
  await page.getByRole('button', { name: 'Download and convert' }).click();
  const job = page.getByTestId('hub-job');
  await expect(page.getByRole('progressbar', { name: `Downloading ${SLOW}` })).toBeVisible();
  await expect(job.getByTestId('hub-progress')).toContainText(/[\d.]+ [KM]B of 4[\d.]+ MB · \d+ % · [\d.]+ [KM]B\/s/, { timeout: 30_000 });
  await expect(job).toContainText('model-00001-of-00004.safetensors');
  await job.getByRole('button', { name: 'Pause' }).click();
  await expect(job.getByTestId('hub-state')).toContainText('paused');
  const paused = await job.getByTestId('hub-progress').textContent();
  await page.waitForTimeout(1500);
  await expect(job.getByTestId('hub-progress')).toHaveText(paused ?? '');
  const before = hub.requests.length;
  await job.getByRole('button', { name: 'Resume' }).click();
  await expect(job.getByTestId('hub-state')).toContainText('downloading');
  await expect.poll(() => hub.requests.slice(before).some((r) => r.range !== null && /^bytes=[1-9]\d*-$/.test(r.range))).toBe(true);
  await job.getByRole('button', { name: 'Cancel' }).click();
  const cancelled = page.getByTestId('hub-error');
  await expect(cancelled).toContainText(`Download cancelled — ${SLOW}`);
  await expect(cancelled).toContainText('Its partial files were removed.');
  await cancelled.getByRole('button', { name: 'Dismiss' }).click();
  hub.clearFaults();
});

test('On this computer: a checkpoint in the Hugging Face cache converts in place', async () => {
  const row = page.getByRole('listitem', { name: 'local/cached-phi3 (main)' });
  await expect(row).toContainText(/phi3 · 4[\d.]+ MB of weights/);
  await row.getByRole('button', { name: 'Convert' }).click();
  await expect(page.getByRole('progressbar', { name: 'Converting cached-phi3' })).toBeVisible({ timeout: 30_000 });
  const model = page.getByRole('list', { name: 'Library' }).getByRole('listitem', { name: 'cached-phi3', exact: true });
  await expect(model).toContainText('qins8', { timeout: 120_000 });
  await expect(model).toContainText('phi3');
  await expect(page.getByRole('progressbar', { name: 'Converting cached-phi3' })).toHaveCount(0);
  // nothing was copied: the snapshot is still the symlinks it was
  expect(readdirSync(join(cache, 'models--local--cached-phi3', 'snapshots', CACHED_COMMIT)).sort()).toEqual(readdirSync(TINY).sort());
  await expectCleanConsole(page, errors);
});
