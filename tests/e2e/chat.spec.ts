// The chat flows of issue 6, end to end against `qins serve` with a fresh home: first-run
// conversion, streaming turns, sampling, regenerate, stop/continue, edit + branches, new chat,
// search, reload persistence, export, render cost while streaming, screenshots.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { type BrowserContext, type Locator, type Page, expect, test } from '@playwright/test';
import { type ServedApp, startServe } from './server';
import {
  audit,
  expectCleanConsole,
  firstPaint,
  instrument,
  lastReplyDone,
  longTasks,
  messages,
  rambleSettings,
  recordStreaming,
  send,
  setSampling,
  traceMainThread,
  waitForModel,
} from './helpers';

test.describe.configure({ mode: 'serial' });

/** Waits that depend on the engine: generous, the machines running these tests are shared. */
const ENGINE_MS = 60_000;

let app: ServedApp;
let context: BrowserContext;
let page: Page;
let errors: string[];
let firstChatUrl = '';

test.beforeAll(async ({ browser }) => {
  app = await startServe();
  context = await browser.newContext({ viewport: { width: 1400, height: 880 }, acceptDownloads: true });
  page = await context.newPage();
  ({ errors } = await instrument(page));
});

test.afterAll(async () => {
  await context?.close();
  await app?.stop();
});

test('first run converts the embedded model with visible progress, then offers example prompts', async () => {
  await page.goto(app.url);
  const bar = page.getByRole('progressbar', { name: 'Converting tiny-phi3-chat' });
  await expect(bar).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('convert-progress')).toContainText(/MB of [\d.]+ MB/);
  const paint = await firstPaint(page);
  test.info().annotations.push({ type: 'first-contentful-paint (first run, conversion running)', description: `${paint.fcp?.toFixed(0)} ms` });
  await expect(page.getByRole('heading', { name: 'What shall we talk about?' })).toBeVisible({ timeout: 120_000 });
  await waitForModel(page);
  await expect(page.getByRole('list', { name: 'Example prompts' }).getByRole('button')).toHaveCount(4);
});

test('an example prompt sends; two turns stream token by token', async () => {
  const stop = await recordStreaming(page);
  await page.getByRole('button', { name: /What does "harbor" mean\?/ }).click();
  await expect(messages(page, 'user').first()).toContainText('What does "harbor" mean?');
  const first = await lastReplyDone(page);
  await expect(first).toHaveAttribute('data-status', 'complete');
  const stats = first.getByTestId('reply-stats');
  await expect(stats).toContainText(/\d+ tokens/);
  await expect(stats).toContainText(/tok\/s/);
  await expect(stats).toContainText(/TTFT \d/);
  await expect(stats).toContainText('tiny-phi3-chat · qins8');
  await expect(stats).toContainText(/finished|reached max tokens/);
  const seenFirst = await stop();
  expect(seenFirst.partialLengths.length, 'the first reply was shown before it ended').toBeGreaterThan(0);
  firstChatUrl = page.url();
  expect(firstChatUrl).toMatch(/#\/c\//);

  // A longer second turn: the text must grow on screen while the reply is still streaming.
  await rambleSettings(page, 240);
  const stop2 = await recordStreaming(page);
  await send(page, 'Tell me more about it.');
  await expect(page.getByRole('button', { name: 'Stop', exact: true })).toBeVisible({ timeout: ENGINE_MS });
  const second = await lastReplyDone(page);
  const seen = await stop2();
  const finalLength = (await second.locator('.markdown').textContent())?.length ?? 0;
  expect(seen.partialLengths.length, `partial lengths seen while streaming: ${seen.partialLengths.join(',')}`).toBeGreaterThanOrEqual(3);
  expect(seen.partialLengths[0]!).toBeLessThan(finalLength);
  await expect(messages(page, 'user')).toHaveCount(2);
  await expect(messages(page, 'assistant')).toHaveCount(2);
  await expect(page.getByRole('button', { name: 'Send', exact: true })).toBeVisible();
});

test('Temperature changed through its slider is kept with the conversation', async () => {
  const slider = page.getByRole('slider', { name: 'Temperature' });
  await expect(slider).toHaveAttribute('aria-valuenow', '2'); // the slider shows its range end; the number box holds 5
  await expect(page.getByRole('spinbutton', { name: 'Temperature value' })).toHaveValue('5.00');
  // Keyboard on the slider: Home then two steps right.
  await slider.focus();
  await slider.press('Home');
  await slider.press('ArrowRight');
  await slider.press('ArrowRight');
  await expect(page.getByRole('spinbutton', { name: 'Temperature value' })).toHaveValue('0.02');
  // Back to rambling for the next tests (the saved value is checked after the reload).
  await setSampling(page, 'Temperature', '5');
  await expect(page.getByRole('spinbutton', { name: 'Temperature value' })).toHaveValue('5.00');
});

test('Regenerate makes a second version of the last reply; ‹ › switches between them', async () => {
  const before = (await messages(page, 'assistant').last().locator('.markdown').textContent()) ?? '';
  await page.getByRole('button', { name: 'Regenerate', exact: true }).click();
  const reply = await lastReplyDone(page);
  await expect(reply.getByTestId('branch-position')).toHaveText('2/2');
  await reply.getByRole('button', { name: 'Previous version' }).click();
  await expect(messages(page, 'assistant').last().getByTestId('branch-position')).toHaveText('1/2');
  await expect(messages(page, 'assistant').last().locator('.markdown')).toHaveText(before);
  await messages(page, 'assistant').last().getByRole('button', { name: 'Next version' }).click();
  await expect(messages(page, 'assistant').last().getByTestId('branch-position')).toHaveText('2/2');
});

test('Stop (button and Esc) ends a reply mid-stream; Continue picks it up', async () => {
  await setSampling(page, 'Max tokens', '1500');
  await send(page, 'Go on, at length.');
  const live = page.locator('article[data-status="streaming"] .markdown');
  await expect(live).not.toBeEmpty({ timeout: ENGINE_MS });
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  const stopped = await lastReplyDone(page);
  await expect(stopped.getByTestId('reply-stats')).toContainText('stopped');
  const tokens = Number(/(\d+) tokens/.exec((await stopped.getByTestId('reply-stats').textContent()) ?? '')?.[1]);
  expect(tokens).toBeGreaterThan(0);
  expect(tokens).toBeLessThan(1500);

  // Continue extends the same message.
  const text = (await stopped.locator('.markdown').textContent()) ?? '';
  await stopped.getByRole('button', { name: 'Continue' }).click();
  await expect(page.locator('article[data-status="streaming"]')).toHaveCount(1, { timeout: ENGINE_MS });
  await expect
    .poll(async () => ((await page.locator('article[data-status="streaming"] .markdown').textContent()) ?? '').length, { timeout: ENGINE_MS })
    .toBeGreaterThan(text.length);
  // Esc stops it again.
  await page.keyboard.press('Escape');
  const continued = await lastReplyDone(page);
  await expect(continued.getByTestId('reply-stats')).toContainText('stopped');
  expect((await continued.locator('.markdown').textContent()) ?? '').toContain(text.slice(0, 40));
  await expect(messages(page, 'assistant')).toHaveCount(3);
});

test('editing a user message makes a branch; ‹ 1/2 › brings the original thread back', async () => {
  await setSampling(page, 'Max tokens', '120');
  const firstUser = messages(page, 'user').first();
  await firstUser.hover();
  await firstUser.getByRole('button', { name: 'Edit message' }).click();
  const box = page.getByRole('textbox', { name: 'Edit message' });
  await box.fill('What does "anchor" mean?');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await lastReplyDone(page);
  await expect(messages(page, 'user')).toHaveCount(1);
  await expect(messages(page, 'user').first()).toContainText('anchor');
  await expect(messages(page, 'user').first().getByTestId('branch-position')).toHaveText('2/2');

  await messages(page, 'user').first().getByRole('button', { name: 'Previous version' }).click();
  await expect(messages(page, 'user').first()).toContainText('harbor');
  await expect(messages(page, 'user').first().getByTestId('branch-position')).toHaveText('1/2');
  await expect(messages(page, 'user')).toHaveCount(3);
});

test('New chat (Ctrl+N) and search (Ctrl+K) finds the first chat', async () => {
  await page.keyboard.press('Control+n');
  await expect(page.getByRole('heading', { name: 'What shall we talk about?' })).toBeVisible();
  await expect(page).toHaveURL(/#\/$/);
  const nav = page.getByRole('navigation', { name: 'Conversations' });
  await expect(nav.getByRole('link', { name: 'What does "harbor" mean?' })).toBeVisible();

  await page.keyboard.press('Control+k');
  const search = page.getByRole('combobox', { name: 'Search conversations' });
  await expect(search).toBeFocused();
  await search.fill('harbor');
  const hit = page.getByRole('listbox', { name: 'Results' }).getByRole('option').first();
  await expect(hit).toContainText('What does "harbor" mean?');
  await expect(hit.locator('mark').first()).toHaveText(/harbor/i);
  await search.press('Enter');
  await expect(page).toHaveURL(firstChatUrl);
  await expect(messages(page, 'user').first()).toContainText('harbor');
});

test('the New chat button starts an empty conversation; its first message names it', async () => {
  await page.getByRole('button', { name: 'New chat', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'What shall we talk about?' })).toBeVisible();
  await send(page, 'Hello there, who are you?');
  await lastReplyDone(page);
  const nav = page.getByRole('navigation', { name: 'Conversations' });
  await expect(nav.getByRole('link', { name: 'Hello there, who are you?' })).toHaveAttribute('aria-current', 'page');
  await expect(nav.getByRole('link')).toHaveCount(2);
  await nav.getByRole('link', { name: 'What does "harbor" mean?' }).click();
  await expect(page).toHaveURL(firstChatUrl);
});

test('after a reload, history, settings, branches and the theme are intact; first paint < 1 s', async () => {
  await page.goto(`${firstChatUrl.split('#')[0]}#/settings`);
  await page.getByText('Dark', { exact: true }).click();
  await expect(page.locator('html')).toHaveClass(/dark/);
  await page.goto(firstChatUrl);
  await page.reload();
  const paint = await firstPaint(page);
  test.info().annotations.push({ type: 'first-contentful-paint (reload)', description: `${paint.fcp?.toFixed(0)} ms` });
  console.log(`first contentful paint after reload: ${paint.fcp?.toFixed(0)} ms`);
  expect(paint.fcp).not.toBeNull();
  expect(paint.fcp!).toBeLessThan(1000);
  await expect(page.locator('html')).toHaveClass(/dark/);
  await expect(messages(page, 'user')).toHaveCount(3);
  await expect(messages(page, 'assistant')).toHaveCount(3);
  await expect(messages(page, 'user').first().getByTestId('branch-position')).toHaveText('1/2');
  await expect(messages(page, 'assistant').nth(1).getByTestId('branch-position')).toHaveText('2/2');
  await expect(page.getByRole('spinbutton', { name: 'Temperature value' })).toHaveValue('5.00');
  await expect(page.getByRole('spinbutton', { name: 'Max tokens value' })).toHaveValue('120');
  await waitForModel(page);
});

test('Export downloads JSON and Markdown that contain the messages', async () => {
  for (const [item, check] of [
    ['JSON (.json)', (text: string) => {
      const doc = JSON.parse(text) as { format: string; conversations: Array<{ messages: Array<{ role: string; content: string }> }> };
      expect(doc.format).toBe('qins-chat-export');
      const contents = doc.conversations[0]!.messages.map((m) => m.content);
      expect(contents).toContain('What does "harbor" mean?');
      expect(contents).toContain('What does "anchor" mean?');
      expect(doc.conversations[0]!.messages.filter((m) => m.role === 'assistant').length).toBeGreaterThanOrEqual(4);
    }],
    ['Markdown (.md)', (text: string) => {
      expect(text).toContain('What does "harbor" mean?');
      expect(text).toContain('Tell me more about it.');
    }],
  ] as const) {
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('menuitem', { name: item }).click()]);
    const path = await download.path();
    expect(download.suggestedFilename()).toMatch(item.startsWith('JSON') ? /\.json$/ : /\.md$/);
    check(readFileSync(path!, 'utf8'));
  }
});

test('streaming long replies causes no long task over 100 ms', async () => {
  // The tiny model sometimes ends early even when rambling: stream until 400+ tokens were shown.
  await setSampling(page, 'Max tokens', '600');
  let tokens = 0;
  const rates: string[] = [];
  const tasks: Array<{ start: number; duration: number }> = [];
  const load = loadavg()[0]!;
  const cost = await traceMainThread(page, async () => {
    for (let i = 0; i < 6 && tokens < 400; i++) {
      const since = await page.evaluate(() => performance.now());
      await send(page, i === 0 ? 'One more, as long as you like.' : 'And more.');
      const reply = await lastReplyDone(page, 120_000);
      const until = await page.evaluate(() => performance.now());
      const stats = (await reply.getByTestId('reply-stats').textContent()) ?? '';
      tokens += Number(/(\d+) tokens/.exec(stats)?.[1] ?? 0);
      rates.push(/[\d.]+ tok\/s/.exec(stats)?.[0] ?? '?');
      tasks.push(...(await longTasks(page, since)).filter((t) => t.start <= until));
    }
  });
  const worst = Math.max(0, ...tasks.map((t) => t.duration));
  const loadNow = Math.max(load, loadavg()[0]!);
  const summary =
    `${tokens} tokens streamed (${rates.join(', ')}); Long Tasks API: ${tasks.length} over 50 ms, longest ${worst.toFixed(0)} ms; ` +
    `trace: ${cost.tasks} main-thread tasks, most CPU in one task ${cost.maxCpuMs.toFixed(1)} ms, longest wall ${cost.maxWallMs.toFixed(0)} ms ` +
    `(long ones wall/cpu: ${cost.long.slice(0, 5).map((t) => `${t.wallMs}/${t.cpuMs}`).join(', ')}); load average ${loadNow.toFixed(1)} on ${cpus().length} cores`;
  console.log(`render cost while streaming: ${summary}`);
  test.info().annotations.push({ type: 'long tasks while streaming', description: summary });
  expect(tokens).toBeGreaterThanOrEqual(400);
  // The page's own work: no task may need more than 50 ms of CPU (a quiet machine runs it in that time).
  expect(cost.maxCpuMs, summary).toBeLessThanOrEqual(50);
  // Wall-clock long tasks also count the time the OS gave other processes. They are asserted when
  // the machine is not oversubscribed; above one runnable process per core they are reported only.
  if (loadNow <= cpus().length) expect(worst, summary).toBeLessThanOrEqual(100);
  else test.info().annotations.push({ type: 'wall-clock long tasks not asserted', description: `load average ${loadNow.toFixed(1)} > ${cpus().length} cores` });
});

/** Text length of the reply that is streaming, or null once no reply is streaming. */
async function streamingLength(live: Locator): Promise<number | null> {
  if ((await live.count()) === 0) return null;
  const text = await live.textContent({ timeout: 2000 }).catch(() => null);
  return text === null ? null : text.length;
}

/** Waits until the streaming text is longer than `from + by` (true) or the reply has ended (false). */
async function grows(live: Locator, from: number, by: number): Promise<boolean> {
  let grew = false;
  await expect
    .poll(
      async () => {
        const n = await streamingLength(live);
        if (n === null) return 'ended';
        grew = n > from + by;
        return grew ? 'grew' : 'waiting';
      },
      { timeout: ENGINE_MS },
    )
    .not.toBe('waiting');
  return grew;
}

test('the view follows a streaming reply until you scroll up; Jump to latest follows again', async () => {
  await setSampling(page, 'Max tokens', '1500');
  const scroller = page.getByTestId('message-scroller');
  const jump = page.getByRole('button', { name: 'Jump to latest' });
  const gap = () => scroller.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
  const live = page.locator('article[data-status="streaming"] .markdown');
  // The tiny model samples its end of text now and then, so a reply can end before every check has
  // run: then another one is asked for. Every check runs, in order, on one reply (at most three).
  let checked = false;
  for (let attempt = 1; attempt <= 3 && !checked; attempt++) {
    await send(page, 'Keep going for a while.');
    await expect(live).not.toBeEmpty({ timeout: ENGINE_MS });
    await expect.poll(gap).toBeLessThan(60);
    // Scroll up: the view stays where the reader left it while the text keeps growing.
    await scroller.hover();
    await page.mouse.wheel(0, -1500);
    await expect(jump).toBeVisible();
    const top = await scroller.evaluate((el) => el.scrollTop);
    const length = await streamingLength(live);
    if (length === null || !(await grows(live, length, 200))) {
      await lastReplyDone(page);
      continue;
    }
    expect(Math.abs((await scroller.evaluate((el) => el.scrollTop)) - top)).toBeLessThan(5);
    // Jump to latest pins it to the newest text again.
    await jump.click();
    await expect(jump).toBeHidden();
    const after = await streamingLength(live);
    if (after === null || !(await grows(live, after, 100))) {
      await lastReplyDone(page);
      continue;
    }
    expect(await gap()).toBeLessThan(60);
    await page.keyboard.press('Escape');
    await lastReplyDone(page);
    checked = true;
  }
  expect(checked, 'three replies in a row ended before the checks could run').toBe(true);
});

test('the long-task measurement itself detects a 150 ms task (control)', async () => {
  const since = await page.evaluate(() => performance.now());
  // A task the page itself runs (work evaluated through the DevTools protocol is not attributed).
  await page.evaluate(() => {
    setTimeout(() => {
      const t = performance.now();
      while (performance.now() - t < 150);
    }, 0);
  });
  await expect.poll(async () => Math.max(0, ...(await longTasks(page, since)).map((t) => t.duration))).toBeGreaterThanOrEqual(150);
});

test('screenshots in light and dark theme; no CSP violation or console error', async () => {
  // A fresh conversation with the model's own settings makes a readable picture.
  await page.goto(`${page.url().split('#')[0]}#/settings`);
  await page.getByText('Light', { exact: true }).click();
  await expect(page.locator('html')).not.toHaveClass(/dark/);
  await page.getByRole('button', { name: 'New chat', exact: true }).click();
  await page.getByRole('button', { name: /What does "harbor" mean\?/ }).click();
  await lastReplyDone(page);
  await send(page, 'Say hello to a sailor.');
  await lastReplyDone(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('What does "harbor" mean?');
  await page.getByRole('tab', { name: 'Parameters' }).click();
  await page.mouse.move(0, 0);
  await page.screenshot({ path: 'tests/e2e/screenshots/chat-light.png' });
  await page.getByRole('tab', { name: 'Telemetry' }).click();
  await expect(page.getByTestId('fp32-ratio')).toHaveText(/[\d.]+×/);
  await page.waitForTimeout(1500);
  await page.screenshot({ path: 'tests/e2e/screenshots/telemetry-light.png' });

  const chatUrl = page.url();
  await page.goto(`${chatUrl.split('#')[0]}#/settings`);
  await page.getByText('Dark', { exact: true }).click();
  await page.goto(chatUrl);
  await expect(messages(page, 'assistant')).toHaveCount(2);
  await page.getByRole('tab', { name: 'Parameters' }).click();
  await page.screenshot({ path: 'tests/e2e/screenshots/chat-dark.png' });
  await page.getByRole('tab', { name: 'Telemetry' }).click();
  await page.waitForTimeout(1200);
  await page.screenshot({ path: 'tests/e2e/screenshots/telemetry-dark.png' });

  // Narrow window: the side panels fold away behind buttons.
  await page.setViewportSize({ width: 800, height: 760 });
  await expect(page.getByRole('navigation', { name: 'Conversations' })).toBeHidden();
  await expect(page.getByRole('textbox', { name: 'Message' })).toBeVisible();
  await page.screenshot({ path: 'tests/e2e/screenshots/chat-narrow-dark.png' });
  await page.getByRole('button', { name: 'Show conversations' }).click();
  await expect(page.getByRole('navigation', { name: 'Conversations' })).toBeVisible();
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Close sidebar' }).click();
  await page.setViewportSize({ width: 1400, height: 880 });
  await expectCleanConsole(page, errors);
});

test('no WCAG 2.1 A/AA violation (axe-core, contrast included) in either theme', async () => {
  const base = page.url().split('#')[0]!;
  const chatUrl = page.url();
  const report: string[] = [];
  for (const theme of ['Light', 'Dark'] as const) {
    await page.goto(`${base}#/settings`);
    await page.getByText(theme, { exact: true }).click();
    report.push(...(await audit(page)).map((v) => `${theme} settings: ${v.id} ${v.nodes.join(' | ')}`));
    await page.getByRole('link', { name: 'Models' }).click();
    await expect(page.getByRole('heading', { name: 'Library' })).toBeVisible();
    report.push(...(await audit(page)).map((v) => `${theme} models: ${v.id} ${v.nodes.join(' | ')}`));
    await page.goto(chatUrl);
    await expect(messages(page, 'assistant').first()).toBeVisible();
    for (const tab of ['Parameters', 'Telemetry'] as const) {
      await page.getByRole('tab', { name: tab }).click();
      report.push(...(await audit(page)).map((v) => `${theme} chat/${tab}: ${v.id} ${v.nodes.join(' | ')}`));
    }
    await page.keyboard.press('Control+k');
    await page.getByRole('combobox', { name: 'Search conversations' }).fill('harbor');
    await expect(page.getByRole('listbox', { name: 'Results' }).getByRole('option').first()).toBeVisible();
    report.push(...(await audit(page)).map((v) => `${theme} search: ${v.id} ${v.nodes.join(' | ')}`));
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog')).toBeHidden();
  }
  expect(report).toEqual([]);
});
