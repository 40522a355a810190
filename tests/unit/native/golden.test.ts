// Correctness gates of the native engine against HF transformers (the golden references), through
// openQinsBackend on bf16 and f32 files of all three fixtures:
//  - last-position logits within 1e-3 of the golden logits,
//  - top-1 equal at every position whose golden top-1/top-2 margin exceeds 1e-3,
//  - greedy continuations identical for all 8 prompts,
//  - perplexity on eval_dev.txt within 0.1 %, computed as the references do: tokens without special
//    tokens, non-overlapping windows of 512 input tokens each run from position 0, every position
//    predicting the next token of the text (so all T - 1 tokens after the first are predicted once).
import { Tokenizer } from '@huggingface/tokenizers';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openQinsBackend } from '../../../src-main/engine/qins-backend.js';
import { argmax, converted, FIXTURE_DIRS, FIXTURES, GOLDEN, lastLogits, loadGolden, maxAbsDiff, nll, workDir, type FixtureName } from './helpers.js';

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const NAMES: FixtureName[] = ['tiny-phi3', 'tiny-llama', 'tiny-qwen2'];

describe('golden gates (native engine)', () => {
  for (const name of NAMES) {
    for (const codec of ['bf16', 'f32'] as const) {
      it(`${name} ${codec}: logits, top-1 and greedy continuations match HF`, async () => {
        const golden = loadGolden(name);
        const backend = await openQinsBackend(await converted(name, codec), { threads: 2, contextLength: 2048, kvType: 'f32' });
        const V = backend.spec.vocab_size;
        let worst = 0;
        try {
          expect(golden.prompts.length).toBe(8);
          for (const [index, p] of golden.prompts.entries()) {
            const where = `${name} ${codec} prompt ${index} (${p.kind}, ${p.ids.length} tokens)`;
            const n = p.ids.length;
            const all = await backend.forward(Int32Array.from(p.ids), 0, { allLogits: true });
            expect(all.length).toBe(n * V);
            const diff = maxAbsDiff(all, lastLogits(p), (n - 1) * V);
            worst = Math.max(worst, diff);
            expect(diff, where).toBeLessThanOrEqual(1e-3);
            const mismatches: number[] = [];
            for (let i = 0; i < n; i++) {
              const margin = p.top5_logits[i]![0]! - p.top5_logits[i]![1]!;
              if (margin > 1e-3 && argmax(all, i * V, V) !== p.top5_ids[i]![0]) mismatches.push(i);
            }
            expect(mismatches, where).toEqual([]);
            // Greedy continuation, one token at a time on the KV cache.
            const got: number[] = [];
            let next = argmax(all, (n - 1) * V, V);
            for (let k = 0; k < p.greedy_ids.length; k++) {
              got.push(next);
              if (k + 1 === p.greedy_ids.length) break;
              const l = await backend.forward(Int32Array.of(next), n + k);
              next = argmax(l);
            }
            expect(got, where).toEqual(p.greedy_ids);
          }
          console.log(`${name} ${codec}: max |logit diff| over the 8 prompts ${worst.toExponential(2)} (kernels ${backend.info.kernels})`);
        } finally {
          await backend.dispose();
        }
      }, 600_000);
    }

    it(`${name} bf16: perplexity on eval_dev.txt within 0.1 % of the reference`, async () => {
      const golden = loadGolden(name);
      const dir = join(FIXTURES, FIXTURE_DIRS[name]);
      const tok = new Tokenizer(
        JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')),
        JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')),
      );
      const ids = tok.encode(readFileSync(join(GOLDEN, 'eval_dev.txt'), 'utf8'), { add_special_tokens: false }).ids;
      const backend = await openQinsBackend(await converted(name, 'bf16'), { threads: 2, contextLength: 512, kvType: 'f32' });
      const V = backend.spec.vocab_size;
      let sum = 0;
      let count = 0;
      try {
        for (let s = 0; s + 1 < ids.length; s += 512) {
          const n = Math.min(512, ids.length - 1 - s);
          const logits = await backend.forward(Int32Array.from(ids.slice(s, s + n)), 0, { allLogits: true });
          for (let i = 0; i < n; i++) sum += nll(logits, i * V, V, ids[s + i + 1]!);
          count += n;
        }
      } finally {
        await backend.dispose();
      }
      const ppl = Math.exp(sum / count);
      console.log(`${name} bf16 perplexity ${ppl.toFixed(4)} over ${count} tokens (reference ${golden.eval_dev.ppl.toFixed(4)})`);
      expect(count).toBe(golden.eval_dev.tokens);
      expect(Math.abs(ppl / golden.eval_dev.ppl - 1)).toBeLessThan(0.001);
    }, 900_000);
  }
});
