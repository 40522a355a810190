// The exported graph against a float64 reference on small random checkpoints: every architecture,
// both RoPE placements, RoPE variants (default, linear, llama3, longrope short and long, partial
// rotary), biases, tied embeddings, F16/BF16 sources, and int4 MatMulNBits.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { exportOnnx } from '../../../src-main/engine/onnx/export.js';
import { dequantizeInt4, quantizeInt4 } from '../../../src-main/engine/onnx/int4.js';
import { openOrtBackend } from '../../../src-main/engine/ort-backend.js';
import { maxAbsDiff, referenceForward, writeSynthetic, type Synthetic, type SyntheticOptions } from './synthetic.js';

const root = mkdtempSync(join(tmpdir(), 'qins-ort-graph-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const ids = (len: number, vocab = 300) => Array.from({ length: len }, (_, i) => (i * 97 + 11) % vocab);

async function runAll(dir: string, prompt: number[]): Promise<Float32Array> {
  const b = await openOrtBackend(dir, { inThread: true });
  try {
    return await b.forward(Int32Array.from(prompt), 0, { allLogits: true });
  } finally {
    await b.dispose();
  }
}

async function check(o: SyntheticOptions, rotary: 'op' | 'attention', len: number, tol = 2e-4): Promise<Synthetic> {
  const syn = writeSynthetic(join(root, `src${++n}`), o);
  const out = join(root, `onnx${n}`);
  await exportOnnx(syn.dir, out, { rotary });
  const prompt = ids(len);
  const got = await runAll(out, prompt);
  const ref = referenceForward(syn, prompt);
  const flat = Float64Array.from(ref.flatMap((r) => [...r]));
  expect(maxAbsDiff(got, flat)).toBeLessThan(tol);
  return syn;
}

describe.each(['op', 'attention'] as const)('graph vs float64 reference (rotary %s)', (rotary) => {
  test('llama, separate projections, default RoPE, f32', () => check({ modelType: 'llama' }, rotary, 9));
  test('mistral, bf16 source, linear RoPE scaling', () =>
    check({ modelType: 'mistral', dtype: 'BF16', ropeScaling: { rope_type: 'linear', factor: 2 } }, rotary, 10));
  test('qwen2, f16 source, q/k/v biases, tied embeddings', () =>
    check({ modelType: 'qwen2', dtype: 'F16', qkvBias: true, tied: true }, rotary, 7));
  test('llama, llama3 RoPE', () =>
    check(
      {
        modelType: 'llama',
        ropeScaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 },
      },
      rotary,
      8,
    ));
  test('head_dim not hidden / heads, MHA (kv heads = heads)', () =>
    check({ modelType: 'llama', hidden: 64, heads: 4, kvHeads: 4, headDim: rotary === 'op' ? 24 : 32 }, rotary, 6));
  const longrope = {
    modelType: 'phi3' as const,
    fused: true,
    maxPositions: 64,
    originalMaxPositions: 8,
    ropeScaling: {
      type: 'longrope',
      short_factor: [1, 1.1, 1.3, 1.6, 2, 2.5, 3, 3.6],
      long_factor: [1, 2, 4, 8, 16, 24, 32, 48],
    },
  };
  test('phi3 fused, longrope at the original length (short factors)', () => check(longrope, rotary, 8));
  test('phi3 fused, longrope beyond the original length (long factors)', () => check(longrope, rotary, 9));
  test('phi3 partial rotary (half the head)', () =>
    check({ modelType: 'phi3', fused: true, hidden: 128, heads: 4, kvHeads: 2, partialRotaryFactor: 0.5 }, rotary, 7));
});

test("rotary 'attention' refuses head sizes GroupQueryAttention cannot rotate, before writing anything", async () => {
  const syn = writeSynthetic(join(root, 'hd24'), { modelType: 'llama', hidden: 64, heads: 4, kvHeads: 4, headDim: 24 });
  const out = join(root, 'hd24onnx');
  await expect(exportOnnx(syn.dir, out, { rotary: 'attention' })).rejects.toThrow(/multiple of 16.*head size 24/);
  expect(existsSync(out)).toBe(false);
});

describe('int4 MatMulNBits', () => {
  test('quantize → dequantize stays within half a step of every weight', () => {
    const rows = 5;
    const cols = 80; // not a multiple of the block: the last block is padded
    const data = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 7)));
    const q = quantizeInt4({ data, rows, cols }, 32);
    expect(q.blocksPerRow).toBe(3);
    const deq = dequantizeInt4(q, rows, cols, 32);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) {
        const scale = q.scales[r * 3 + Math.floor(c / 32)] as number;
        expect(Math.abs((deq[r * cols + c] as number) - (data[r * cols + c] as number))).toBeLessThanOrEqual(scale / 2 + 1e-6);
      }
  });

  test('rejects block sizes ORT does not take', () => {
    expect(() => quantizeInt4({ data: new Float32Array(64), rows: 1, cols: 64 }, 24)).toThrow(/power of two/);
  });

  test('int4 graph (fp32 accuracy) equals the reference run on the dequantized weights', async () => {
    const syn = writeSynthetic(join(root, 'int4src'), { modelType: 'llama', hidden: 64, inter: 96, vocab: 300 });
    const out = join(root, 'int4onnx');
    await exportOnnx(syn.dir, out, { int4: { blockSize: 32, accuracyLevel: 1, lmHead: true } });
    const override = new Map<string, Float32Array>();
    for (const [name, t] of syn.tensors)
      if (t.shape.length === 2 && name !== 'model.embed_tokens.weight') {
        const [rows, cols] = t.shape as [number, number];
        override.set(name, dequantizeInt4(quantizeInt4({ data: t.data, rows, cols }, 32), rows, cols, 32));
      }
    const prompt = ids(8);
    const got = await runAll(out, prompt);
    const deqRef = Float64Array.from(referenceForward(syn, prompt, override).flatMap((r) => [...r]));
    const fpRef = Float64Array.from(referenceForward(syn, prompt).flatMap((r) => [...r]));
    expect(maxAbsDiff(got, deqRef)).toBeLessThan(2e-4);
    // and quantization really happened: the fp32 reference differs
    expect(maxAbsDiff(got, fpRef)).toBeGreaterThan(1e-3);
  });

  test('int4 with int8 activations (accuracy level 4) stays close to the fp32-accuracy int4 graph', async () => {
    const syn = writeSynthetic(join(root, 'int4src4'), { modelType: 'phi3', fused: true });
    const a = join(root, 'int4acc1');
    const b = join(root, 'int4acc4');
    await exportOnnx(syn.dir, a, { int4: { blockSize: 32, accuracyLevel: 1, lmHead: false } });
    await exportOnnx(syn.dir, b, { int4: { blockSize: 32, accuracyLevel: 4, lmHead: false } });
    const prompt = ids(6);
    const la = await runAll(a, prompt);
    const lb = await runAll(b, prompt);
    let range = 0;
    for (const v of la) range = Math.max(range, Math.abs(v));
    expect(maxAbsDiff(la, lb)).toBeLessThan(0.05 * range);
  });
});
