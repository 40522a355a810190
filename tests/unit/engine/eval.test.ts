import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ForwardOptions, InferenceBackend } from '../../../src-main/engine/backend.js';
import { checkGolden, EvalError, parseGolden, perplexity, type GoldenFile } from '../../../src-main/engine/eval.js';
import { fakeSpec, GOLDEN } from './helpers.js';

/** Logits at a position are a deterministic function of the token there and its position. */
class TableBackend implements InferenceBackend {
  readonly kind = 'qins' as const;
  readonly spec;
  calls: Array<{ pos: number; n: number; all: boolean }> = [];
  constructor(
    readonly vocab = 50,
    readonly contextLength = 64,
  ) {
    this.spec = fakeSpec(vocab);
  }
  row(tok: number, pos: number): Float32Array {
    const r = new Float32Array(this.vocab);
    for (let v = 0; v < this.vocab; v++) {
      const x = Math.sin(tok * 12.9898 + v * 78.233 + pos * 37.719) * 43758.5453;
      r[v] = (x - Math.floor(x)) * 6 - 3;
    }
    return r;
  }
  async forward(tokens: Int32Array, pos: number, o?: ForwardOptions): Promise<Float32Array> {
    this.calls.push({ pos, n: tokens.length, all: !!o?.allLogits });
    if (pos + tokens.length > this.contextLength) throw new Error('overflow');
    if (!o?.allLogits) return this.row(tokens[tokens.length - 1]!, pos + tokens.length - 1);
    const out = new Float32Array(tokens.length * this.vocab);
    tokens.forEach((t, i) => out.set(this.row(t, pos + i), i * this.vocab));
    return out;
  }
  memory() {
    return { weightBytes: 0, kvBytes: 0, kvBytesUsed: 0, mappedBytes: 0 };
  }
  async residentWeightBytes() {
    return null;
  }
  resetCache() {}
  async dispose() {}
}

describe('perplexity', () => {
  it('uniform logits give exactly the vocabulary size', async () => {
    const be = new TableBackend(37, 16);
    be.row = () => new Float32Array(37);
    const ids = Array.from({ length: 100 }, (_, i) => i % 37);
    const r = await perplexity(be, ids, { window: 16 });
    expect(r.ppl).toBeCloseTo(37, 10);
    expect(r.tokens).toBe(99);
  });

  it('non-overlapping windows from position 0, every token after the first predicted once', async () => {
    const be = new TableBackend(50, 64);
    const ids = Array.from({ length: 150 }, (_, i) => (i * 7 + 3) % 50);
    const W = 32;
    const r = await perplexity(be, ids, { window: W });
    // Reference, computed directly.
    let nll = 0;
    for (let t = 1; t < ids.length; t++) {
      const s = Math.floor((t - 1) / W) * W;
      const row = be.row(ids[t - 1]!, t - 1 - s);
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0));
      nll += lse - row[ids[t]!]!;
    }
    expect(r.tokens).toBe(149);
    expect(r.nll_sum).toBeCloseTo(nll, 8);
    expect(r.ppl).toBeCloseTo(Math.exp(nll / 149), 8);
    expect(be.calls.map((c) => [c.pos, c.n, c.all])).toEqual([
      [0, 32, true],
      [0, 32, true],
      [0, 32, true],
      [0, 32, true],
      [0, 21, true],
    ]);
    expect(r.windows).toBe(5);
  });

  it('refuses bad windows and tiny texts', async () => {
    const be = new TableBackend(50, 64);
    await expect(perplexity(be, [1, 2, 3], { window: 65 })).rejects.toThrow(/exceeds the model's context/);
    await expect(perplexity(be, [1, 2, 3], { window: 0 })).rejects.toThrow(EvalError);
    await expect(perplexity(be, [1], { window: 8 })).rejects.toThrow(/at least 2/);
  });
});

/** A golden file made from the backend itself (what a perfect engine would reproduce). */
async function selfGolden(be: TableBackend, prompts: number[][], greedyLen = 5): Promise<GoldenFile> {
  const V = be.vocab;
  const out: GoldenFile = { model: 'table', prompts: [] };
  for (const ids of prompts) {
    const rows = ids.map((t, i) => be.row(t, i));
    const top5 = rows.map((r) => Array.from(r.keys()).sort((a, b) => r[b]! - r[a]! || a - b).slice(0, 5));
    const greedy: number[] = [];
    let last = rows[rows.length - 1]!;
    for (let k = 0; k < greedyLen; k++) {
      const t = top5.length && k === 0 ? top5[top5.length - 1]![0]! : Array.from(last.keys()).sort((a, b) => last[b]! - last[a]! || a - b)[0]!;
      greedy.push(t);
      last = be.row(t, ids.length + k);
    }
    const lastRow = rows[rows.length - 1]!;
    out.prompts.push({
      kind: 'plain',
      text: null,
      ids,
      last_logits_f32_b64: Buffer.from(lastRow.buffer.slice(0)).toString('base64'),
      top5_ids: top5,
      top5_logits: top5.map((t, i) => t.map((id) => rows[i]![id]!)),
      greedy_ids: greedy,
    });
  }
  expect(out.prompts[0]!.top5_ids[0]!.length).toBe(Math.min(5, V));
  return out;
}

describe('golden check', () => {
  it('a backend checked against its own outputs passes with zero diff', async () => {
    const be = new TableBackend();
    const g = await selfGolden(be, [[1, 2, 3], [4, 5, 6, 7, 8, 9, 10]]);
    const r = await checkGolden(be, g);
    expect(r.pass).toBe(true);
    expect(r.max_abs_logit_diff).toBe(0);
    expect(r.greedy_matches).toBe(2);
    expect(r.prompts.every((p) => p.greedy_match && p.top1_agree === p.top1_checked)).toBe(true);
    expect(r.top1_checked).toBeGreaterThan(0);
  });

  it('reports logit diffs, top-1 disagreements and greedy divergence', async () => {
    const be = new TableBackend();
    const g = await selfGolden(be, [[1, 2, 3, 4]]);
    const other = new TableBackend();
    // Shift one logit at the last position a little, and swap the top-1 at position 1.
    const orig = other.row.bind(other);
    other.row = (tok, pos) => {
      const r = orig(tok, pos);
      if (pos === 3) r[0]! += 0.01;
      if (pos === 1) {
        const top = g.prompts[0]!.top5_ids[1]!;
        r[top[1]!] = r[top[0]!]! + 1;
      }
      if (pos >= 5) r.fill(0).fill(9, 7, 8);
      return r;
    };
    const r = await checkGolden(other, g);
    const p = r.prompts[0]!;
    expect(p.max_abs_logit_diff).toBeCloseTo(0.01, 5);
    expect(p.top1_mismatches).toEqual([1]);
    expect(g.prompts[0]!.greedy_ids.slice(2)).not.toEqual([7, 7, 7]);
    expect(p.greedy_got.slice(2)).toEqual([7, 7, 7]);
    expect(p.greedy_match).toBe(false);
    expect(p.greedy_first_diff).toBe(p.greedy_got.findIndex((t, k) => t !== g.prompts[0]!.greedy_ids[k]));
    expect(r.pass).toBe(false);
    // A tolerance above the diff still fails on top-1.
    expect((await checkGolden(other, g, { tolerance: 0.1 })).pass).toBe(false);
  });

  it('skips near ties (golden margin ≤ 1e-3) when comparing top-1', async () => {
    const be = new TableBackend();
    const g = await selfGolden(be, [[1, 2, 3]]);
    const p = g.prompts[0]!;
    p.top5_logits[0]![1] = p.top5_logits[0]![0]! - 1e-4;
    p.top5_ids[0] = [p.top5_ids[0]![1]!, p.top5_ids[0]![0]!, ...p.top5_ids[0]!.slice(2)];
    const r = await checkGolden(be, g);
    expect(r.prompts[0]!.top1_checked).toBe(2);
    expect(r.pass).toBe(true);
  });

  it('the fixture golden files parse, and a wrong model is refused clearly', async () => {
    const g = parseGolden(JSON.parse(readFileSync(resolve(GOLDEN, 'tiny-phi3.json'), 'utf8')));
    expect(g.prompts.length).toBe(8);
    expect(g.eval_dev?.ppl).toBeCloseTo(120.24, 2);
    await expect(checkGolden(new TableBackend(50, 4096), g)).rejects.toThrow(/another model/);
    expect(() => parseGolden({ model: 'x', prompts: [] })).toThrow(/not a golden reference file/);
    expect(() => parseGolden([1, 2])).toThrow(EvalError);
  });
});
