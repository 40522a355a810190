// What the library lists for an ONNX folder comes from its graph: bits per weight are the matrix
// weights' bytes over their parameters (not a constant per precision), and the codec label follows
// how those weights are stored.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConvertEvent, ModelInfo } from '../../../src-shared/contract.js';
import type { EngineSupervisor } from '../../../src-main/core/engine-supervisor.js';
import { ModelLibrary } from '../../../src-main/core/library.js';
import { ChatStore } from '../../../src-main/core/store/index.js';
import { exportOnnx } from '../../../src-main/engine/onnx/export.js';
import { inspectGraph, onnxWeightSummary } from '../../../src-main/engine/onnx/inspect.js';
import { writeSynthetic } from '../ort/synthetic.js';

let home: string;
let store: ChatStore;
let library: ModelLibrary;
const done: ModelInfo[] = [];

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'qins-lib-onnx-'));
  store = ChatStore.open(join(home, 'qins.db'));
  // Registering a folder in place never asks the engine host.
  const engine = { on: () => undefined } as unknown as EngineSupervisor;
  library = new ModelLibrary(store, engine, (event, payload) => {
    const e = payload as ConvertEvent;
    if (event === 'convert.event' && e.type === 'done') done.push(e.model);
  });
});

afterAll(() => {
  store?.close();
  rmSync(home, { recursive: true, force: true });
});

async function register(dir: string): Promise<ModelInfo> {
  const job = await library.import(dir, 'qins8');
  expect(job.kind).toBe('register');
  for (let i = 0; i < 100 && !done.some((m) => m.path === dir); i++) await new Promise((r) => setTimeout(r, 10));
  return done.find((m) => m.path === dir)!;
}

describe('ONNX folders in the library', () => {
  it('an FP32 export lists 8 × matrix bytes / matrix parameters bits per weight (32) as f32', async () => {
    const syn = writeSynthetic(join(home, 'src-fp32'), { modelType: 'llama', hidden: 128, inter: 256, vocab: 512 });
    const dir = join(home, 'fp32');
    const r = await exportOnnx(syn.dir, dir, { maxPositions: 64 });
    const w = await inspectGraph(r.modelFile);
    const m = await register(dir);
    expect(m).toMatchObject({ engine: 'ort', codec: 'f32' });
    expect(m.bitsPerWeight).toBe((8 * w.matmulBytes) / w.matmulParams);
    expect(m.bitsPerWeight).toBe(32);
    // the folder's size over the parameters is more (embedding and RoPE tables, norms): not what is listed
    expect((m.fileBytes * 8) / m.params).toBeGreaterThan(32);
  }, 120_000);

  it('an int4 export (MatMulNBits) lists its measured bits per weight, not 32, as q4', async () => {
    const syn = writeSynthetic(join(home, 'src-int4'), { modelType: 'llama', hidden: 128, inter: 256, vocab: 512 });
    const dir = join(home, 'int4');
    const r = await exportOnnx(syn.dir, dir, { maxPositions: 64, int4: { blockSize: 32, accuracyLevel: 4, lmHead: true } });
    const w = await inspectGraph(r.modelFile);
    expect(w.matmulParamsByType).toEqual({ int4: w.matmulParams });
    const m = await register(dir);
    expect(m).toMatchObject({ engine: 'ort', codec: 'q4' });
    expect(m.bitsPerWeight).not.toBe(32);
    expect(m.bitsPerWeight).toBe((8 * w.matmulBytes) / w.matmulParams);
    expect(m.bitsPerWeight).toBeGreaterThan(4.5); // 4-bit codes + a scale and a zero point per 32
    expect(m.bitsPerWeight).toBeLessThan(5.5);
  }, 120_000);

  it('labels by the storage holding most matrix parameters; without matrix products the folder size decides', () => {
    const base = { totalBytes: 0, perTokenBytes: 0, opTypes: [] };
    expect(onnxWeightSummary({ ...base, matmulParams: 100, matmulBytes: 200, matmulParamsByType: { bfloat16: 100 } }, { fileBytes: 0, params: 1 })).toEqual({ codec: 'bf16', bitsPerWeight: 16 });
    // int4 layers with an FP32 output matrix: mostly int4
    expect(onnxWeightSummary({ ...base, matmulParams: 1000, matmulBytes: 1000, matmulParamsByType: { int4: 900, float32: 100 } }, { fileBytes: 0, params: 1 })).toEqual({ codec: 'q4', bitsPerWeight: 8 });
    expect(onnxWeightSummary({ ...base, matmulParams: 0, matmulBytes: 0, matmulParamsByType: {} }, { fileBytes: 400, params: 100 })).toEqual({ codec: 'f32', bitsPerWeight: 32 });
  });
});
