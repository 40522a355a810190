// Long histories: 5 000 conversations (imported with `qins import` before the server starts) are all
// in the sidebar, which renders only the rows in view; scrolling to the end and searching stay
// responsive. The timings are measured in this run and printed (and attached to the report).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { expectCleanConsole, instrument } from './helpers';
import { type ServedApp, startServe } from './server';

const COUNT = 5000;
let app: ServedApp;

/** A QINS Chat export document with COUNT one-exchange conversations, one a minute apart. */
function exportDocument(): string {
  const t0 = Date.UTC(2026, 0, 1);
  const iso = (ms: number) => new Date(ms).toISOString();
  const sampling = { temperature: 0.7, top_p: 0.95, top_k: 40, min_p: 0.05, repetition_penalty: 1.1, max_tokens: 1024, seed: null, stop: [] };
  const conversations = Array.from({ length: COUNT }, (_, i) => {
    const t = t0 + i * 60_000;
    const id = `hist-${i}`;
    const topic = i === 1234 ? 'lighthouse keeper' : `topic number ${i}`;
    return {
      id,
      title: `Conversation ${i}`,
      createdAt: iso(t),
      updatedAt: iso(t),
      modelId: null,
      modelName: null,
      systemPrompt: '',
      sampling,
      currentLeafId: `${id}-a`,
      messages: [
        { id: `${id}-u`, parentId: null, role: 'user', content: `Tell me about the ${topic}.`, status: 'complete', error: null, stats: null, createdAt: iso(t), updatedAt: iso(t) },
        { id: `${id}-a`, parentId: `${id}-u`, role: 'assistant', content: `Here is something about the ${topic}.`, status: 'complete', error: null, stats: null, createdAt: iso(t), updatedAt: iso(t) },
      ],
    };
  });
  return JSON.stringify({ format: 'qins-chat-export', version: 1, exportedAt: iso(t0), conversations });
}

test.beforeAll(async () => {
  app = await startServe({}, (home) => {
    const file = join(home, 'history.json');
    writeFileSync(file, exportDocument());
    execFileSync(process.execPath, ['bin/qins.js', 'import', file], { env: { ...process.env, QINS_HOME: home }, stdio: 'ignore' });
  });
});
test.afterAll(async () => {
  await app?.stop();
});

test('5 000 conversations: all listed, few rendered, scrolling and search stay responsive', async ({ page }, testInfo) => {
  const { errors } = await instrument(page);
  const t0 = Date.now();
  await page.goto(app.url);
  const list = page.getByTestId('conversation-list');
  await expect(list).toHaveAttribute('data-count', String(COUNT), { timeout: 30_000 });
  await expect(list.getByRole('link', { name: 'Conversation 4999' })).toBeVisible();
  const listShownMs = Date.now() - t0;
  const rendered = await list.getByRole('link').count();
  expect(rendered).toBeLessThan(100);

  // Scroll to the end in steps, as a wheel would, timing each frame; then the oldest is there.
  const scroll = await page.evaluate(async () => {
    const nav = document.querySelector<HTMLElement>('[data-testid="conversation-list"]')!;
    const frames: number[] = [];
    let last = performance.now();
    const start = last;
    while (nav.scrollTop + nav.clientHeight < nav.scrollHeight - 1) {
      nav.scrollTop += 2000;
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      frames.push(now - last);
      last = now;
    }
    frames.sort((a, b) => a - b);
    return { totalMs: performance.now() - start, steps: frames.length, medianFrameMs: frames[Math.floor(frames.length / 2)]!, worstFrameMs: frames.at(-1)! };
  });
  await expect(list.getByRole('link', { name: 'Conversation 0', exact: true })).toBeVisible();
  expect(await list.getByRole('link').count()).toBeLessThan(100);

  // Search across all 5 000 conversations.
  const s0 = Date.now();
  await page.keyboard.press('Control+k');
  const search = page.getByRole('combobox', { name: 'Search conversations' });
  await search.fill('lighthouse keeper');
  const hit = page.getByRole('listbox', { name: 'Results' }).getByRole('option').first();
  await expect(hit).toContainText('Conversation 1234');
  const searchMs = Date.now() - s0;
  // Opening the hit scrolls the sidebar to it, deep in the list.
  await search.press('Enter');
  await expect(list.getByRole('link', { name: 'Conversation 1234', exact: true })).toHaveAttribute('aria-current', 'page');

  const longTasks = await page.evaluate(() => (window as unknown as { __longtasks: Array<{ duration: number }> }).__longtasks.map((t) => t.duration));
  const report = { conversations: COUNT, rendered, listShownMs, scroll, searchMs, longestTaskMs: Math.max(0, ...longTasks) };
  console.log(`history: ${JSON.stringify(report)}`);
  testInfo.annotations.push({ type: 'history timings', description: JSON.stringify(report) });
  // Generous bounds: the machine is shared, but a list that renders every row takes far longer.
  expect(scroll.medianFrameMs).toBeLessThan(100);
  expect(searchMs).toBeLessThan(5000);
  await expectCleanConsole(page, errors);
});

test('the sidebar keeps the width it is dragged to across a reload', async ({ page }) => {
  await page.goto(app.url);
  const aside = page.getByRole('complementary', { name: 'Sidebar' });
  await expect(aside).toHaveCSS('width', '256px');
  const edge = page.getByRole('separator', { name: 'Resize the sidebar' });
  const box = (await edge.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + 300);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 100, box.y + 300, { steps: 5 });
  await page.mouse.up();
  await expect(aside).toHaveCSS('width', '356px');
  await page.reload();
  await expect(page.getByTestId('conversation-list')).toHaveAttribute('data-count', String(COUNT), { timeout: 30_000 });
  await expect(aside).toHaveCSS('width', '356px');
});
