// The ORT backend's InferenceBackend contract: KV cache across calls (chunked prefill equals one
// shot, rewinding overwrites), allLogits, memory(), serialised concurrent calls, the worker and
// in-thread runners agreeing, errors, and GenAI folders laid out the way Microsoft publishes them.
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx } from '../../../src-main/engine/onnx/export.js';
import { openOrtBackend, type OrtBackend } from '../../../src-main/engine/ort-backend.js';
import { maxAbsDiff, referenceForward, writeSynthetic, type Synthetic } from './synthetic.js';

const root = mkdtempSync(join(tmpdir(), 'qins-ort-backend-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const V = 300;
const prompt = Array.from({ length: 14 }, (_, i) => (i * 53 + 7) % V);
let syn: Synthetic;
let dir: string;

beforeAll(async () => {
  syn = writeSynthetic(join(root, 'src'), { modelType: 'llama', layers: 2 });
  dir = join(root, 'onnx');
  await exportOnnx(syn.dir, dir, { maxPositions: 64 });
});

const rows = (flat: Float32Array, from: number, to: number) => flat.subarray(from * V, to * V);

describe.each([
  ['worker thread', false],
  ['in-thread', true],
] as const)('ORT backend (%s)', (_, inThread) => {
  let b: OrtBackend;
  let oneShot: Float32Array;
  beforeAll(async () => {
    b = await openOrtBackend(dir, { inThread, contextLength: 32 });
    oneShot = await b.forward(Int32Array.from(prompt), 0, { allLogits: true });
  });
  afterAll(() => b.dispose());

  it('reports the model and matches the float64 reference', () => {
    expect(b.kind).toBe('ort');
    expect(b.spec).toMatchObject({ architecture: 'llama', vocab_size: V, num_layers: 2 });
    expect(b.contextLength).toBe(32);
    expect(oneShot.length).toBe(prompt.length * V);
    const ref = Float64Array.from(referenceForward(syn, prompt).flatMap((r) => [...r]));
    expect(maxAbsDiff(oneShot, ref)).toBeLessThan(2e-4);
  });

  it('chunked prefill through the KV cache equals one shot; last-position logits by default', async () => {
    const a = await b.forward(Int32Array.from(prompt.slice(0, 5)), 0, { allLogits: true });
    const c = await b.forward(Int32Array.from(prompt.slice(5, 6)), 5);
    const d = await b.forward(Int32Array.from(prompt.slice(6)), 6, { allLogits: true });
    expect(c.length).toBe(V);
    expect(maxAbsDiff(a, rows(oneShot, 0, 5))).toBeLessThan(1e-5);
    expect(maxAbsDiff(c, rows(oneShot, 5, 6))).toBeLessThan(1e-5);
    expect(maxAbsDiff(d, rows(oneShot, 6, prompt.length))).toBeLessThan(1e-5);
  });

  it('rewinding to an earlier position overwrites the cache from there', async () => {
    await b.forward(Int32Array.from(prompt), 0);
    const other = [9, 8, 7, 6];
    const r = await b.forward(Int32Array.from(other), 4, { allLogits: true });
    const whole = await b.forward(Int32Array.from([...prompt.slice(0, 4), ...other]), 0, { allLogits: true });
    expect(maxAbsDiff(r, rows(whole, 4, 8))).toBeLessThan(1e-5);
    // and back to a single token at 0
    const first = await b.forward(Int32Array.of(prompt[0] as number), 0);
    expect(maxAbsDiff(first, rows(oneShot, 0, 1))).toBeLessThan(1e-5);
  });

  it('memory(): per-token weight bytes and the KV bytes in use', async () => {
    await b.forward(Int32Array.from(prompt.slice(0, 10)), 0);
    const m = b.memory();
    // llama layers: qkv (64 × 128) + o (64 × 64) + gate_up (64 × 192) + down (96 × 64), norms; lm_head 64 × 300
    const matmul = 2 * (64 * 128 + 64 * 64 + 64 * 192 + 96 * 64) + 64 * 300;
    expect(m.weightBytes).toBe(4 * (matmul + 2 * 2 * 64 + 64));
    expect(m.kvBytes).toBe(2 * 2 * 2 * 10 * 16 * 4); // k+v × layers × kv heads × positions × head dim × f32
    expect(m.mappedBytes).toBe(0);
  });

  it('concurrent forward calls run in order', async () => {
    const [x, y] = await Promise.all([
      b.forward(Int32Array.from(prompt.slice(0, 3)), 0),
      b.forward(Int32Array.from(prompt.slice(3, 7)), 3, { allLogits: true }),
    ]);
    expect(maxAbsDiff(x, rows(oneShot, 2, 3))).toBeLessThan(1e-5);
    expect(maxAbsDiff(y, rows(oneShot, 3, 7))).toBeLessThan(1e-5);
  });

  it('rejects positions beyond the cache, the context, and empty input; stays usable', async () => {
    await b.forward(Int32Array.from(prompt.slice(0, 4)), 0);
    await expect(b.forward(Int32Array.of(1), 6)).rejects.toThrow(/position 6 is not in 0\.\.4/);
    await expect(b.forward(Int32Array.from({ length: 33 }, () => 1), 0)).rejects.toThrow(/exceed the context length 32/);
    await expect(b.forward(new Int32Array(0), 0)).rejects.toThrow(/no tokens/);
    const ok = await b.forward(Int32Array.from(prompt.slice(4, 5)), 4);
    expect(maxAbsDiff(ok, rows(oneShot, 4, 5))).toBeLessThan(1e-5);
  });
});

describe('ORT backend lifecycle and folders', () => {
  it('dispose() releases the session; later calls reject', async () => {
    const b = await openOrtBackend(dir);
    await b.forward(Int32Array.of(1, 2), 0);
    await b.dispose();
    await b.dispose();
    await expect(b.forward(Int32Array.of(1), 0)).rejects.toThrow(/after dispose/);
  });

  it('opens a folder laid out like Microsoft CPU int4 models (own file name, no position_ids, MatMulNBits)', async () => {
    const ms = join(root, 'ms-like');
    await exportOnnx(syn.dir, ms, {
      rotary: 'attention',
      modelFile: 'tiny-cpu-int4-rtn-block-32-acc-level-1.onnx',
      int4: { blockSize: 32, accuracyLevel: 1, lmHead: false },
      maxPositions: 64,
    });
    const genai = JSON.parse(readFileSync(join(ms, 'genai_config.json'), 'utf8')) as { model: { decoder: { inputs: object } } };
    expect(genai.model.decoder.inputs).not.toHaveProperty('position_ids');
    const fp = await openOrtBackend(dir, { inThread: true });
    const q = await openOrtBackend(ms);
    try {
      const a = await fp.forward(Int32Array.from(prompt), 0);
      const c = await q.forward(Int32Array.from(prompt.slice(0, 9)), 0);
      const d = await q.forward(Int32Array.from(prompt.slice(9)), 9);
      expect(c.length).toBe(V);
      // int4 weights: close to FP32, not equal
      let range = 0;
      for (const v of a) range = Math.max(range, Math.abs(v));
      const diff = maxAbsDiff(a, d);
      expect(diff).toBeGreaterThan(0);
      expect(diff).toBeLessThan(0.1 * range);
      expect(q.memory().weightBytes).toBeLessThan(fp.memory().weightBytes / 2);
    } finally {
      await fp.dispose();
      await q.dispose();
    }
  });

  it('bad folders fail with one-line reasons (and no worker is left running)', async () => {
    await expect(openOrtBackend(join(root, 'nothing'))).rejects.toThrow(/not an ONNX model folder \(no genai_config\.json\)/);
    const broken = join(root, 'broken');
    cpSync(dir, broken, { recursive: true });
    renameSync(join(broken, 'model.onnx'), join(broken, 'other.onnx'));
    await expect(openOrtBackend(broken)).rejects.toThrow(/decoder file model\.onnx is missing/);
    const badCfg = join(root, 'badcfg');
    cpSync(dir, badCfg, { recursive: true });
    writeFileSync(join(badCfg, 'genai_config.json'), '{"model": {"type": "llama"}}');
    await expect(openOrtBackend(badCfg)).rejects.toThrow(/genai_config\.json: invalid at model\./);
    const corrupt = join(root, 'corrupt');
    cpSync(dir, corrupt, { recursive: true });
    writeFileSync(join(corrupt, 'model.onnx'), Buffer.from('not a model'));
    await expect(openOrtBackend(corrupt)).rejects.toThrow();
  });
});
