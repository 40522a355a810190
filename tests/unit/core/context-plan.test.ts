// Context length: the estimate (weights + KV cache at that length against free memory), the model's
// maximum as the ceiling, the per-model and default settings, and loading with the chosen length —
// or refusing when it cannot fit. A Phi-3.5-mini-shaped .qins header (131 072 positions, longrope)
// stands in for the model; the engine host is a stub that records what it is asked to load.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSampling } from '../../../src-shared/records.js';
import { DEFAULT_CONTEXT_LENGTH, chooseContextLength, modelMemorySpec, planContext } from '../../../src-main/core/context-plan.js';
import type { EngineSupervisor } from '../../../src-main/core/engine-supervisor.js';
import { ModelLibrary } from '../../../src-main/core/library.js';
import { ChatStore } from '../../../src-main/core/store/index.js';
import { encodeHeader, type QinsHeader } from '../../../src-main/engine/format/qins-format.js';
import { fakeSpec, fixtureFiles } from '../engine/helpers.js';

const GiB = 1024 ** 3;
const dir = mkdtempSync(join(tmpdir(), 'qins-ctx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Phi-3.5-mini: 32 layers, 32 KV heads of 96, 131 072 positions (longrope). */
const phi35 = join(dir, 'phi35.qins');
const header: QinsHeader = {
  format: 'qins',
  version: 1,
  model: {
    ...fakeSpec(32064),
    num_layers: 32,
    num_heads: 32,
    num_kv_heads: 32,
    head_dim: 96,
    hidden_size: 3072,
    max_position_embeddings: 131072,
    rope: { type: 'longrope', theta: 10000, dim: 96, original_max_position_embeddings: 4096, short_factor: Array(48).fill(1), long_factor: Array(48).fill(1) },
  },
  files: fixtureFiles(),
  codec: 'qins8',
  codebooks: {},
  tensors: [],
  source: { name: 'Phi-3.5-mini-instruct', bytes: 0, dtype: 'bf16', files: [] },
  stats: { seconds: 0, params: 3_821_079_552, coded_params: 0, weight_bytes: 0, bits_per_weight: 8.5, snr_db: null },
  created: new Date(0).toISOString(),
};
writeFileSync(phi35, encodeHeader(header));
const KV_PER_TOKEN = 32 * 2 * 32 * 96 * 2; // layers × K,V × KV heads × head size × f16

describe('the estimate', () => {
  it('reads the model\'s maximum and KV bytes per position from the file', async () => {
    const spec = await modelMemorySpec(phi35);
    expect(spec.maxContextLength).toBe(131072);
    expect(spec.kvBytesPerToken).toBe(KV_PER_TOKEN);
    expect(spec.weightBytes).toBeGreaterThan(0);
    await expect(modelMemorySpec(join(dir, 'missing.qins'))).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('chooses the setting, else the engine default, never above the maximum', () => {
    expect(chooseContextLength(null, 131072)).toBe(DEFAULT_CONTEXT_LENGTH);
    expect(chooseContextLength(null, 2048)).toBe(2048);
    expect(chooseContextLength(32768, 131072)).toBe(32768);
    expect(chooseContextLength(1_000_000, 131072)).toBe(131072);
  });

  it('adds weights and the KV cache and compares them with free memory', () => {
    const spec = { maxContextLength: 131072, kvBytesPerToken: KV_PER_TOKEN, weightBytes: 4 * GiB };
    const small = planContext(spec, 8192, 16 * GiB);
    expect(small).toMatchObject({ contextLength: 8192, kvBytes: 8192 * KV_PER_TOKEN, totalBytes: 4 * GiB + 3 * GiB, fits: true, message: null });
    const full = planContext(spec, 131072, 16 * GiB);
    expect(full.kvBytes).toBe(48 * GiB);
    expect(full.fits).toBe(false);
    expect(full.message).toBe('131072 tokens of context need 52.0 GB (weights 4.00 GB + context 48.0 GB), but only 16.0 GB of memory is free. Choose a shorter context or close other programs.');
    expect(() => planContext(spec, 131073, 1e15)).toThrow(/at most 131072 tokens/);
  });
});

describe('loading with a context length', () => {
  let store: ChatStore;
  let library: ModelLibrary;
  let free = 16 * GiB;
  const loads: Array<Record<string, unknown>> = [];
  let engineStatus: ((s: { state: string; lastError: string | null }) => void) | undefined;
  beforeAll(() => {
    store = ChatStore.open(join(dir, 'qins.db'));
    store.upsertModel({
      id: 'phi35', name: 'Phi-3.5', path: phi35, codec: 'qins8', architecture: 'phi3', params: 3_821_079_552, fileBytes: 1, contextLength: 131072,
      bitsPerWeight: 8.5, snrDb: null, sourceName: null, sourceBytes: null, builtin: false, addedAt: 1, lastUsedAt: null,
    });
    const engine = {
      on(event: string, l: typeof engineStatus) {
        if (event === 'status') engineStatus = l;
      },
      start: async () => undefined,
      call: async (method: string, params: Record<string, unknown>) => {
        if (method !== 'model.load') throw new Error(`unexpected ${method}`);
        loads.push(params);
        return { engine: 'qins', codec: 'qins8', architecture: 'phi3', params: 1, contextLength: params.contextLength, weightBytes: 1, fileBytes: 1, loadMs: 1, chat: true, defaults: defaultSampling() };
      },
    } as unknown as EngineSupervisor;
    library = new ModelLibrary(store, engine, () => undefined, join(dir, 'eval.txt'), () => free);
  });
  afterAll(() => store.close());

  it('loads with the engine default when nothing is set, and shows that estimate', async () => {
    expect((await library.contextPlan('phi35')).contextLength).toBe(4096);
    expect((await library.load('phi35')).contextLength).toBe(4096);
    expect(loads.at(-1)).toMatchObject({ contextLength: 4096 });
  });

  it('refuses a per-model length that does not fit, keeping the setting as it was', async () => {
    await expect(library.setContextLength('phi35', 131072)).rejects.toMatchObject({ code: 'NO_MEMORY', message: expect.stringMatching(/131072 tokens of context need/) });
    expect(store.getSettings().modelContextLengths).toEqual({});
    await expect(library.setContextLength('phi35', 262144)).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('a per-model length that fits is saved and reloads the loaded model with it', async () => {
    const n = loads.length;
    const plan = await library.setContextLength('phi35', 16384);
    expect(plan).toMatchObject({ contextLength: 16384, fits: true });
    expect(store.getSettings().modelContextLengths).toEqual({ phi35: 16384 });
    expect(loads.length).toBe(n + 1);
    expect(loads.at(-1)).toMatchObject({ contextLength: 16384 });
    expect(library.modelStatus().loaded?.contextLength).toBe(16384);
    // loading again with the same setting does not reload
    await library.load('phi35');
    expect(loads.length).toBe(n + 1);
  });

  it('the default setting applies to models without their own, capped at their maximum', async () => {
    await library.setContextLength('phi35', null);
    store.updateSettings({ defaultContextLength: 1_000_000 });
    free = 1024 * GiB;
    expect((await library.contextPlan('phi35')).contextLength).toBe(131072);
    expect((await library.load('phi35')).contextLength).toBe(131072);
    store.updateSettings({ defaultContextLength: null });
  });

  it('counts the memory the loaded model gives back', async () => {
    free = 1 * GiB;
    // Phi-3.5 is loaded at 131 072 positions: its 48 GiB cache would be freed by the new load.
    expect((await library.contextPlan('phi35', 65536)).fits).toBe(true);
    engineStatus!({ state: 'crashed', lastError: 'gone' }); // the engine lost it
    expect((await library.contextPlan('phi35', 65536)).fits).toBe(false);
  });

  it('a load that cannot fit is refused before the engine is asked, and says why', async () => {
    free = 1 * GiB;
    store.updateSettings({ modelContextLengths: { phi35: 65536 } });
    const n = loads.length;
    await expect(library.load('phi35')).rejects.toMatchObject({ code: 'NO_MEMORY', message: expect.stringMatching(/^Phi-3\.5: 65536 tokens of context need .* but only .* is free/) });
    expect(loads.length).toBe(n);
    expect(library.modelStatus()).toMatchObject({ state: 'error', error: expect.stringMatching(/65536 tokens/) });
  });
});
