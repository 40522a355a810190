// Shared steps of the end-to-end specs: page instrumentation (CSP violations, console errors,
// long tasks, paint timing), waiting for the model, sending and recording a streamed reply.
import { type Browser, type BrowserContext, type Locator, type Page, expect } from '@playwright/test';

/** Installs listeners before any page script runs: CSP violations and long tasks are recorded. */
export async function instrument(page: Page): Promise<{ errors: string[] }> {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[]; __longtasks: Array<{ start: number; duration: number }> };
    w.__csp = [];
    w.__longtasks = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longtasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: true });
    } catch {
      // no long task API: the measurement reports nothing
    }
  });
  return { errors };
}

/** No CSP violation and no console error so far. */
export async function expectCleanConsole(page: Page, errors: string[]): Promise<void> {
  const csp = await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
  expect(csp, 'CSP violations').toEqual([]);
  expect(errors, 'console errors').toEqual([]);
}

/** First contentful paint of the current document, in ms since navigation start. */
export async function firstPaint(page: Page): Promise<{ fp: number | null; fcp: number | null }> {
  return page.evaluate(async () => {
    const get = (name: string) => performance.getEntriesByName(name, 'paint')[0]?.startTime ?? null;
    // The entries appear once the page has painted (a little after the load event).
    for (let i = 0; i < 100 && get('first-contentful-paint') === null; i++) await new Promise((r) => setTimeout(r, 50));
    return { fp: get('first-paint'), fcp: get('first-contentful-paint') };
  });
}

export async function longTasks(page: Page, sinceMs = 0): Promise<Array<{ start: number; duration: number }>> {
  return page.evaluate((since) => (window as unknown as { __longtasks: Array<{ start: number; duration: number }> }).__longtasks.filter((t) => t.start >= since), sinceMs);
}

/** Waits until the first-run conversion is over and a model is loaded. */
export async function waitForModel(page: Page): Promise<void> {
  await expect(page.getByTestId('model-picker')).toContainText('tiny-phi3-chat', { timeout: 120_000 });
  await expect(page.getByTestId('model-picker')).not.toContainText('Loading', { timeout: 60_000 });
}

export const messages = (page: Page, role: 'user' | 'assistant'): Locator => page.getByRole('article', { name: new RegExp(`^${role}`) });

/**
 * Watches the last assistant message from now on and records every distinct length its text had
 * while it was still streaming (data-status="streaming"). Returns a function that stops watching
 * and hands back what was seen.
 */
export async function recordStreaming(page: Page): Promise<() => Promise<{ partialLengths: number[] }>> {
  await page.evaluate(() => {
    const w = window as unknown as { __partials: number[]; __partialObserver?: MutationObserver };
    w.__partials = [];
    const check = () => {
      const el = document.querySelector('article[data-status="streaming"] .markdown');
      const n = el?.textContent?.length ?? 0;
      if (n > 0 && w.__partials.at(-1) !== n) w.__partials.push(n);
    };
    w.__partialObserver?.disconnect();
    w.__partialObserver = new MutationObserver(check);
    w.__partialObserver.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-status'] });
  });
  return async () =>
    page.evaluate(() => {
      const w = window as unknown as { __partials: number[]; __partialObserver?: MutationObserver };
      w.__partialObserver?.disconnect();
      return { partialLengths: w.__partials };
    });
}

/** The last assistant message, once it has finished streaming. */
export async function lastReplyDone(page: Page, timeout = 90_000): Promise<Locator> {
  const reply = messages(page, 'assistant').last();
  await expect(reply).toHaveAttribute('data-status', /^(complete|incomplete|error)$/, { timeout });
  return reply;
}

/** Types into the message box and sends with Enter. */
export async function send(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
}

/** Sets a sampling control through its number box. */
export async function setSampling(page: Page, label: string, value: string): Promise<void> {
  const input = page.getByRole('spinbutton', { name: `${label} value` });
  await input.fill(value);
  await input.press('Enter');
}

/** Sampling that makes the tiny model ramble (near-uniform tokens, no early end of text). */
export async function rambleSettings(page: Page, maxTokens: number): Promise<void> {
  await page.getByRole('tab', { name: 'Parameters' }).click();
  await setSampling(page, 'Temperature', '5');
  await setSampling(page, 'Top-p', '1');
  await setSampling(page, 'Top-k', '0');
  await setSampling(page, 'Min-p', '0');
  await setSampling(page, 'Max tokens', String(maxTokens));
}

/** Simulates dropping a path string on the window (what a browser can carry). */
export async function dropPath(page: Page, path: string): Promise<void> {
  await page.evaluate((p) => {
    const dt = new DataTransfer();
    dt.setData('text/plain', p);
    const target = document.querySelector('main') ?? document.body;
    for (const type of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
  }, path);
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** Runs axe-core (WCAG 2.1 A and AA rules, colour contrast included) on the page as it is now. */
export async function audit(page: Page): Promise<AxeViolation[]> {
  const axe = await import('axe-core');
  const source = (axe as unknown as { source?: string; default?: { source: string } }).source ?? (axe as unknown as { default: { source: string } }).default.source;
  // Colours mid-transition (a theme switch, a hovered or just-selected control) are not what a
  // reader sees once the page settles: wait for running CSS transitions to end before measuring.
  await page.waitForFunction(() => document.getAnimations().every((a) => a.constructor.name !== 'CSSTransition' || a.playState !== 'running'));
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(source);
  return page.evaluate(async () => {
    const run = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: string[]; failureSummary?: string }> }> }> } }).axe.run;
    const r = await run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 6).map((n) => `${n.target.join(' ')} :: ${(n.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 220)}`) }));
  });
}

export interface TaskCost {
  tasks: number;
  /** Longest main-thread task, wall clock (what the Long Tasks API measures). */
  maxWallMs: number;
  /** Largest CPU time one main-thread task used: the page's own cost, whatever the machine load. */
  maxCpuMs: number;
  /** Wall and CPU time of the longest tasks (wall > 50 ms). */
  long: Array<{ wallMs: number; cpuMs: number }>;
}

/** Runs `work` under a Chrome trace and measures the renderer main thread's tasks. */
export async function traceMainThread(page: Page, work: () => Promise<void>): Promise<TaskCost> {
  const browser = page.context().browser();
  if (!browser) throw new Error('tracing needs a browser');
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  try {
    await work();
  } finally {
    // stopTracing below
  }
  const buffer = await browser.stopTracing();
  const trace = JSON.parse(buffer.toString('utf8')) as { traceEvents: Array<{ name: string; ph: string; pid: number; tid: number; dur?: number; tdur?: number; args?: { name?: string } }> };
  const mains = new Set(trace.traceEvents.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const tasks = trace.traceEvents.filter((e) => e.ph === 'X' && e.name === 'RunTask' && mains.has(`${e.pid}:${e.tid}`));
  if (tasks.length === 0 || tasks.every((t) => t.tdur === undefined)) throw new Error('the trace has no main-thread tasks with CPU times');
  const long = tasks
    .filter((t) => (t.dur ?? 0) > 50_000)
    .sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0))
    .map((t) => ({ wallMs: Math.round((t.dur ?? 0) / 100) / 10, cpuMs: Math.round((t.tdur ?? 0) / 100) / 10 }));
  return {
    tasks: tasks.length,
    maxWallMs: Math.max(...tasks.map((t) => (t.dur ?? 0) / 1000)),
    maxCpuMs: Math.max(...tasks.map((t) => (t.tdur ?? 0) / 1000)),
    long,
  };
}

/** A new instrumented page on the served app, once the model is loaded, showing the Models page. */
export async function openModelsPage(
  browser: Browser,
  url: string,
  viewport: { width: number; height: number },
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const { errors } = await instrument(page);
  await page.goto(url);
  await waitForModel(page);
  await page.getByRole('link', { name: 'Models' }).click();
  return { context, page, errors };
}
