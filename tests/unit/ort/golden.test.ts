// Golden gates for the ONNX Runtime reference engine: each fixture exported to FP32 ONNX, opened
// through openModel (the same path as `qins eval <onnx-dir> --golden`), compared with HF
// transformers' outputs: last-position logits within 1e-3, top-1 equal wherever the golden margin
// exceeds 1e-3, greedy continuations identical for all 8 prompts. Plus the eval_dev perplexity of
// tiny-phi3, and tiny-phi3 in the layout of Microsoft's CPU folders (rotary inside attention, no
// position_ids input, a differently named decoder file).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkGolden, parseGolden, perplexity } from '../../../src-main/engine/eval.js';
import { openModel } from '../../../src-main/engine/model.js';
import { exportOnnx, type ExportOptions } from '../../../src-main/engine/onnx/export.js';
import { FIXTURES, GOLDEN } from '../helpers/fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'qins-ort-golden-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const golden = (name: string) => parseGolden(JSON.parse(readFileSync(join(GOLDEN, `${name}.json`), 'utf8')));

async function gate(fixture: string, name: string, opts: ExportOptions = {}, tag = 'fp32'): Promise<void> {
  const dir = join(tmp, `${name}-${tag}`);
  await exportOnnx(join(FIXTURES, fixture), dir, opts);
  const model = await openModel(dir, { threads: 2, contextLength: 2048 });
  try {
    expect(model.engine).toBe('ort');
    const r = await checkGolden(model.backend, golden(name));
    expect(r.prompts.length).toBe(8);
    for (const p of r.prompts) {
      const where = `${name} ${tag} prompt ${p.index}`;
      expect(p.max_abs_logit_diff, where).toBeLessThanOrEqual(1e-3);
      expect(p.top1_mismatches, where).toEqual([]);
      expect(p.greedy_got, where).toEqual(p.greedy_expected);
    }
    expect(r.pass).toBe(true);
  } finally {
    await model.dispose();
  }
}

describe('ORT FP32 golden gates', () => {
  it('tiny-phi3 (longrope, fused projections)', () => gate('tiny-phi3-chat', 'tiny-phi3'), 600_000);
  it('tiny-llama (llama3 RoPE, separate projections)', () => gate('tiny-llama-chat', 'tiny-llama'), 600_000);
  it('tiny-qwen2 (q/k/v biases, tied embeddings, f16 source)', () => gate('tiny-qwen2-chat', 'tiny-qwen2'), 600_000);
  it(
    'tiny-phi3 in the Microsoft CPU layout (GQA rotary, If-selected longrope tables, no position_ids)',
    () => gate('tiny-phi3-chat', 'tiny-phi3', { rotary: 'attention', modelFile: 'phi3-tiny-cpu-fp32.onnx' }, 'ms-layout'),
    600_000,
  );

  it('tiny-phi3 perplexity on eval_dev.txt within 0.1 % of the reference', async () => {
    const dir = join(tmp, 'tiny-phi3-ppl');
    await exportOnnx(join(FIXTURES, 'tiny-phi3-chat'), dir, { maxPositions: 4096 });
    const model = await openModel(dir, { threads: 2, contextLength: 512 });
    try {
      const g = golden('tiny-phi3');
      const ids = model.tokenizer.encode(readFileSync(join(GOLDEN, 'eval_dev.txt'), 'utf8'));
      const r = await perplexity(model.backend, ids, { window: 512 });
      expect(r.tokens).toBe(g.eval_dev!.tokens);
      expect(Math.abs(r.ppl / g.eval_dev!.ppl - 1)).toBeLessThan(0.001);
    } finally {
      await model.dispose();
    }
  }, 900_000);
});
