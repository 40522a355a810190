// Longrope beyond original_max_position_embeddings: a 4100-token input to tiny-phi3 (long factors
// and the attention factor), against the numpy float64 reference of /work/shared/tools/
// reference_forward.py (which matches HF transformers to < 1e-4 on the golden prompts). The
// reference logits are stored in fixtures/longrope-phi3-4100.json.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openQinsBackend } from '../../../src-main/engine/qins-backend.js';
import { argmax, converted, maxAbsDiff, workDir } from './helpers.js';

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

interface LongropeRef {
  ids: number[];
  last_logits_f32_b64: string;
  last_top1: number;
}

describe('longrope long factors', () => {
  it('tiny-phi3 f32, 4100 tokens in one call, matches the float64 reference', async () => {
    const ref = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'longrope-phi3-4100.json'), 'utf8')) as LongropeRef;
    const b64 = Buffer.from(ref.last_logits_f32_b64, 'base64');
    const want = new Float32Array(b64.buffer.slice(b64.byteOffset, b64.byteOffset + b64.byteLength));
    const b = await openQinsBackend(await converted('tiny-phi3', 'f32'), { threads: 2, contextLength: 4100, kvType: 'f32' });
    try {
      expect(ref.ids.length).toBeGreaterThan(b.spec.rope.original_max_position_embeddings!);
      const got = await b.forward(Int32Array.from(ref.ids), 0);
      const diff = maxAbsDiff(got, want);
      console.log(`longrope 4100 tokens: max |logit diff| vs the float64 reference ${diff.toExponential(2)}`);
      expect(diff).toBeLessThan(1e-3);
      expect(argmax(got)).toBe(ref.last_top1);
    } finally {
      await b.dispose();
    }
  }, 600_000);
});
