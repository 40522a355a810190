// The engine host's memory figures for the telemetry panel (ModelSlot.memory): resident weight
// bytes as measured by the engine (or null when it cannot measure), the weight file's size, and the
// KV cache in use (positions the chat holds × bytes per position) against what is reserved — for the
// native engine and for ONNX Runtime.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../../src-main/engine/convert/index.js';
import { ModelSlot } from '../../../src-main/engine/host/model-slot.js';
import { exportOnnx } from '../../../src-main/engine/onnx/export.js';
import { openOrtBackend } from '../../../src-main/engine/ort-backend.js';
import { fixtureModel } from '../helpers/fixtures.js';
import { writeSynthetic } from '../ort/synthetic.js';

const root = mkdtempSync(join(tmpdir(), 'qins-engine-memory-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('ModelSlot.memory with the native engine', () => {
  const slot = new ModelSlot();
  let file: string;
  beforeAll(async () => {
    file = join(root, 'tiny-phi3-qins8.qins');
    await convertCheckpoint({ source: fixtureModel('tiny-phi3-chat'), destination: file, codec: 'qins8' });
  }, 120_000);
  afterAll(() => slot.unload());

  it('reports nothing without a model', async () => {
    expect(await slot.memory()).toEqual({ weightsMapped: 0, weightsFileBytes: 0, kvBytesUsed: 0, kvBytesReserved: 0 });
  });

  it('measures the resident weights and counts the KV positions a chat holds; a reset releases them', async () => {
    await slot.load(file, { threads: 2, contextLength: 256 });
    const { model, session } = slot.current();
    const s = model.spec;
    const perPosition = s.num_layers * 2 * s.num_kv_heads * s.head_dim * 2; // f16 KV cache (the default)
    const size = statSync(file).size;
    const before = await slot.memory();
    expect(before).toMatchObject({ weightsFileBytes: size, kvBytesUsed: 0, kvBytesReserved: 256 * perPosition });
    expect(before.weightsMapped).not.toBeNull();
    expect(before.weightsMapped!).toBeLessThanOrEqual(size);
    // The model is prefaulted at load: on Linux every page is mapped in the process.
    if (process.platform === 'linux') expect(before.weightsMapped).toBe(size);

    const r = await session!.generate({ messages: [{ role: 'user', content: 'Hello there' }], sampling: { temperature: 0, maxTokens: 6 } });
    expect(r.tokens).toBeGreaterThan(0);
    const held = session!.generator.cachedTokens.length;
    expect(held).toBeGreaterThanOrEqual(r.promptTokens);
    const after = await slot.memory();
    expect(after.kvBytesUsed).toBe(held * perPosition);
    expect(after.kvBytesUsed).toBeLessThan(after.kvBytesReserved);
    expect(after.kvBytesReserved).toBe(256 * perPosition);

    session!.reset();
    expect((await slot.memory()).kvBytesUsed).toBe(0);
  }, 120_000);
});

describe('the ONNX Runtime engine', () => {
  let dir: string;
  beforeAll(async () => {
    const syn = writeSynthetic(join(root, 'src'), { modelType: 'llama', layers: 2 });
    dir = join(root, 'onnx');
    await exportOnnx(syn.dir, dir, { maxPositions: 64 });
  }, 120_000);

  it('reports the past key/values it holds as in use (and reserved); resident weights are not measured', async () => {
    const b = await openOrtBackend(dir, { contextLength: 32 });
    try {
      const s = b.spec;
      const perPosition = s.num_layers * 2 * s.num_kv_heads * s.head_dim * 4;
      expect(await b.residentWeightBytes()).toBeNull();
      expect(b.memory()).toMatchObject({ kvBytes: 0, kvBytesUsed: 0, mappedBytes: 0 });
      await b.forward(Int32Array.from([1, 2, 3, 4, 5, 6, 7]), 0);
      expect(b.memory()).toMatchObject({ kvBytes: 7 * perPosition, kvBytesUsed: 7 * perPosition });
      await b.forward(Int32Array.from([8, 9]), 3);
      expect(b.memory().kvBytesUsed).toBe(5 * perPosition);
      b.resetCache();
      expect(b.memory().kvBytesUsed).toBe(0);
      // The worker dropped its cache too: position 5 is no longer there to continue from.
      await expect(b.forward(Int32Array.from([10]), 5)).rejects.toThrow(/not in 0\.\.0/);
      await b.forward(Int32Array.from([1, 2, 3]), 0);
      expect(b.memory().kvBytesUsed).toBe(3 * perPosition);
    } finally {
      await b.dispose();
    }
  }, 120_000);

  it('ModelSlot.memory says "not measured" (null) for its weights, with the folder size and the KV in use', async () => {
    const slot = new ModelSlot();
    try {
      await slot.load(dir, { contextLength: 32 });
      const { model } = slot.current();
      const s = model.spec;
      const perPosition = s.num_layers * 2 * s.num_kv_heads * s.head_dim * 4;
      await model.backend.forward(Int32Array.from([1, 2, 3, 4]), 0);
      const m = await slot.memory();
      expect(m).toEqual({ weightsMapped: null, weightsFileBytes: model.fileBytes, kvBytesUsed: 4 * perPosition, kvBytesReserved: 4 * perPosition });
      expect(m.weightsFileBytes).toBe(statSync(join(dir, 'model.onnx')).size + statSync(join(dir, 'model.onnx.data')).size);
    } finally {
      await slot.unload();
    }
  }, 120_000);
});
