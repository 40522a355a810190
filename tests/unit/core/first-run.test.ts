// `qins serve` defers the first-run conversion (firstRun: 'when-needed') until someone looks: the
// first UI client sees it from its first progress event; an API request waits for its outcome.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConvertEvent, EventChannel } from '../../../src-shared/contract.js';
import { AppCore } from '../../../src-main/core/app-core.js';
import { forkLauncher } from '../../../src-main/core/engine-supervisor.js';
import { builtEngineHost } from '../helpers/built.js';

let core: AppCore | undefined;
let home: string | undefined;

async function deferredCore(): Promise<AppCore> {
  home = mkdtempSync(join(tmpdir(), 'qins-first-run-'));
  process.env.QINS_HOME = home;
  core = new AppCore({ mode: 'web', launcher: forkLauncher(builtEngineHost()), firstRun: 'when-needed' });
  await core.start();
  return core;
}

afterEach(async () => {
  await core?.stop();
  core = undefined;
  if (home) rmSync(home, { recursive: true, force: true });
});

describe("first run 'when-needed'", () => {
  it('starts nothing until a client connects; that client sees the whole conversion', async () => {
    const c = await deferredCore();
    await new Promise((r) => setTimeout(r, 300));
    expect(c.library.listJobs()).toEqual([]);
    expect(c.library.list()).toEqual([]);
    expect(c.firstRunWaiting()).toBe(true); // what `qins serve` tells its terminal

    const events: Array<{ event: EventChannel; payload: unknown }> = [];
    const client = c.connect((event, payload) => events.push({ event, payload }));
    // The client's first question already sees the job (no empty-library flash).
    const jobs = await c.router.handle({ id: 1, channel: 'models.jobs', payload: {} }, client);
    expect(jobs).toMatchObject({ ok: true, result: [{ codec: 'qins8', builtin: true }] });

    const convert = () => events.filter((e) => e.event === 'convert.event').map((e) => e.payload as ConvertEvent);
    const deadline = Date.now() + 120_000;
    while (!convert().some((e) => e.type !== 'progress') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(convert().at(-1)?.type).toBe('done');
    expect(convert().filter((e) => e.type === 'progress').length).toBeGreaterThan(2);
    expect(c.library.list()).toHaveLength(1);
    expect(c.firstRunWaiting()).toBe(false);

    // A second client does not start another conversion.
    c.connect(() => undefined);
    expect(c.library.listJobs()).toEqual([]);
  }, 180_000);

  it('an API request starts it and waits for the converted model', async () => {
    const c = await deferredCore();
    expect(c.library.listJobs()).toEqual([]);
    const models = await c.completions.listModels();
    expect(models.map((m) => m.id)).toEqual(['tiny-phi3-chat-qins8']);
  }, 180_000);
});
