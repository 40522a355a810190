// End-to-end correctness gates: each fixture converted to bf16 (and f32) .qins, run by the native
// engine through openModel, compared with HF transformers' golden outputs:
// last-position logits within 1e-3, top-1 equal wherever the golden margin exceeds 1e-3, greedy
// continuations identical for all 8 prompts; perplexity on eval_dev.txt (bf16) within 0.1 %.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../../src-main/engine/convert/index.js';
import { checkGolden, parseGolden, perplexity } from '../../../src-main/engine/eval.js';
import { openModel } from '../../../src-main/engine/model.js';
import { FIXTURES, GOLDEN } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'qins-golden-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const FIXTURE_SETS = [
  { name: 'tiny-phi3', dir: 'tiny-phi3-chat', ppl: 120.24 },
  { name: 'tiny-llama', dir: 'tiny-llama-chat', ppl: 115.5 },
  { name: 'tiny-qwen2', dir: 'tiny-qwen2-chat', ppl: null },
] as const;

async function convert(dir: string, codec: 'bf16' | 'f32'): Promise<string> {
  const out = join(tmp, `${dir}-${codec}.qins`);
  if (!existsSync(out)) await convertCheckpoint({ source: join(FIXTURES, dir), destination: out, codec });
  return out;
}

describe('golden gates through the native engine', () => {
  for (const f of FIXTURE_SETS) {
    for (const codec of ['bf16', 'f32'] as const) {
      it(`${f.name} ${codec}: logits, top-1 and greedy continuations match HF`, async () => {
        const golden = parseGolden(JSON.parse(readFileSync(join(GOLDEN, `${f.name}.json`), 'utf8')));
        const model = await openModel(await convert(f.dir, codec), { threads: 2, contextLength: 2048, qins: { kvType: 'f32' } });
        try {
          const r = await checkGolden(model.backend, golden);
          for (const p of r.prompts) {
            const where = `${f.name} ${codec} prompt ${p.index}`;
            expect(p.max_abs_logit_diff, where).toBeLessThanOrEqual(1e-3);
            expect(p.top1_mismatches, where).toEqual([]);
            expect(p.greedy_got, where).toEqual(p.greedy_expected);
          }
          expect(r.prompts.length).toBe(8);
          expect(r.pass).toBe(true);
        } finally {
          await model.dispose();
        }
      }, 600_000);
    }
    if (f.ppl !== null) {
      it(`${f.name} bf16: perplexity on eval_dev.txt within 0.1 % of ${f.ppl}`, async () => {
        const golden = parseGolden(JSON.parse(readFileSync(join(GOLDEN, `${f.name}.json`), 'utf8')));
        const model = await openModel(await convert(f.dir, 'bf16'), { threads: 2, contextLength: 512, qins: { kvType: 'f32' } });
        try {
          const ids = model.tokenizer.encode(readFileSync(join(GOLDEN, 'eval_dev.txt'), 'utf8'));
          const r = await perplexity(model.backend, ids, { window: 512 });
          expect(r.tokens).toBe(golden.eval_dev!.tokens);
          expect(Math.abs(r.ppl / f.ppl - 1)).toBeLessThan(0.001);
          expect(Math.abs(r.ppl / golden.eval_dev!.ppl - 1)).toBeLessThan(0.001);
        } finally {
          await model.dispose();
        }
      }, 900_000);
    }
  }
});
