// Quality measurements over an InferenceBackend:
// - perplexity exactly as the golden references compute it: the text is tokenized without special
//   tokens and cut into non-overlapping windows of `window` input tokens, evaluated from position 0
//   each; every position predicts the next token of the text, so the n tokens of a window predict
//   tokens 1..n after the window's first, and all T − 1 tokens after the first are predicted once;
// - the golden check against HF transformers' reference outputs (fixtures/golden/*.json): last
//   position logits, top-1 at every position with a clear golden margin, greedy continuation.
import { z } from 'zod';
import type { InferenceBackend } from './backend.js';
import { argmax } from './sampler.js';

export class EvalError extends Error {
  override name = 'EvalError';
}

export interface PerplexityOptions {
  /** Input tokens per window (default 512). */
  window?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface PerplexityResult {
  ppl: number;
  /** Tokens predicted (T − 1). */
  tokens: number;
  /** Sum of −ln p(token) over the predicted tokens. */
  nll_sum: number;
  window: number;
  windows: number;
  seconds: number;
  /** Tokens evaluated per second. */
  tokens_per_second: number;
}

/** ln Σ exp(row), in float64. */
function logSumExp(v: Float32Array, from: number, n: number): number {
  let max = -Infinity;
  for (let i = from; i < from + n; i++) if (v[i]! > max) max = v[i]!;
  let s = 0;
  for (let i = from; i < from + n; i++) s += Math.exp(v[i]! - max);
  return max + Math.log(s);
}

export async function perplexity(backend: InferenceBackend, ids: readonly number[], options: PerplexityOptions = {}): Promise<PerplexityResult> {
  const W = options.window ?? 512;
  if (!Number.isInteger(W) || W < 1) throw new EvalError(`window must be a positive integer (got ${W})`);
  if (W > backend.contextLength) throw new EvalError(`window ${W} exceeds the model's context (${backend.contextLength} tokens)`);
  if (ids.length < 2) throw new EvalError(`the text has ${ids.length} token(s); perplexity needs at least 2`);
  const V = backend.spec.vocab_size;
  const T = ids.length;
  const windows = Math.ceil((T - 1) / W);
  const t0 = performance.now();
  let nll = 0;
  let count = 0;
  const run = (w: number): Promise<Float32Array> => {
    const s = w * W;
    return backend.forward(Int32Array.from(ids.slice(s, s + Math.min(W, T - 1 - s))), 0, { allLogits: true });
  };
  // The engine computes the next window while this thread scores the current one.
  let pending: Promise<Float32Array> | null = run(0);
  for (let w = 0; w < windows; w++) {
    const s = w * W;
    const n = Math.min(W, T - 1 - s);
    const logits: Float32Array = await pending!;
    pending = null;
    if (options.signal?.aborted) throw new EvalError('perplexity cancelled');
    if (w + 1 < windows) {
      pending = run(w + 1);
      pending.catch(() => undefined); // observed when awaited; avoids an unhandled rejection if this one throws first
    }
    if (logits.length !== n * V) throw new EvalError(`the engine returned ${logits.length} logits for ${n} positions × ${V}`);
    for (let j = 0; j < n; j++) {
      const target = ids[s + j + 1]!;
      nll += logSumExp(logits, j * V, V) - logits[j * V + target]!;
      count++;
    }
    options.onProgress?.(w + 1, windows);
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    ppl: Math.exp(nll / count),
    tokens: count,
    nll_sum: nll,
    window: W,
    windows,
    seconds,
    tokens_per_second: seconds > 0 ? count / seconds : 0,
  };
}

// ─── Golden references ───────────────────────────────────────────────────────────────────────

const GoldenPrompt = z.object({
  kind: z.string(),
  text: z.string().nullable().optional(),
  ids: z.array(z.number().int().nonnegative()).min(1),
  last_logits_f32_b64: z.string().min(1),
  top5_ids: z.array(z.array(z.number().int())),
  top5_logits: z.array(z.array(z.number())),
  greedy_ids: z.array(z.number().int()),
});
export const GoldenFile = z.object({
  model: z.string(),
  prompts: z.array(GoldenPrompt).min(1),
  eval_dev: z.object({ nll_sum: z.number(), tokens: z.number().int(), ppl: z.number() }).optional(),
});
export type GoldenFile = z.infer<typeof GoldenFile>;
export type GoldenPrompt = z.infer<typeof GoldenPrompt>;

/** Validates a parsed golden file; throws EvalError with the first problem. */
export function parseGolden(json: unknown): GoldenFile {
  const r = GoldenFile.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new EvalError(`not a golden reference file: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  for (const [i, p] of r.data.prompts.entries())
    if (p.top5_ids.length !== p.ids.length || p.top5_logits.length !== p.ids.length)
      throw new EvalError(`not a golden reference file: prompt ${i} has ${p.ids.length} ids but ${p.top5_ids.length} top-5 rows`);
  return r.data;
}

export function decodeF32Base64(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  if (buf.length % 4 !== 0) throw new EvalError('golden logits are not a whole number of float32 values');
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

export interface GoldenOptions {
  /** Gate on the last position's max |logit diff| (default 1e-3). */
  tolerance?: number;
  /** Compare top-1 only where the golden top-1/top-2 margin exceeds this (default 1e-3). */
  margin?: number;
  /** Positions evaluated per backend call (default 512). */
  chunk?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface GoldenPromptReport {
  index: number;
  kind: string;
  tokens: number;
  /** max |logit − golden| over the vocabulary at the last prompt position. */
  max_abs_logit_diff: number;
  /** Positions whose golden top-1/top-2 margin exceeds the margin (where top-1 is compared). */
  top1_checked: number;
  top1_agree: number;
  /** Positions (within the prompt) where the engine's top-1 differs from the golden one. */
  top1_mismatches: number[];
  greedy_match: boolean;
  greedy_expected: number[];
  greedy_got: number[];
  /** Index of the first differing continuation token, or null. */
  greedy_first_diff: number | null;
  pass: boolean;
}

export interface GoldenReport {
  model: string;
  tolerance: number;
  margin: number;
  prompts: GoldenPromptReport[];
  /** Largest last-position diff over all prompts. */
  max_abs_logit_diff: number;
  top1_checked: number;
  top1_agree: number;
  greedy_matches: number;
  pass: boolean;
  seconds: number;
}

async function checkPrompt(
  backend: InferenceBackend,
  p: GoldenPrompt,
  index: number,
  o: Required<Pick<GoldenOptions, 'tolerance' | 'margin' | 'chunk'>>,
): Promise<GoldenPromptReport> {
  const V = backend.spec.vocab_size;
  const golden = decodeF32Base64(p.last_logits_f32_b64);
  if (golden.length !== V) throw new EvalError(`the golden file is for another model: ${golden.length} logits per position, the engine has ${V}`);
  const n = p.ids.length;
  if (n + p.greedy_ids.length > backend.contextLength)
    throw new EvalError(`prompt ${index} needs ${n + p.greedy_ids.length} positions; the context holds ${backend.contextLength}`);
  const mismatches: number[] = [];
  let checked = 0;
  let last: Float32Array | null = null;
  for (let s = 0; s < n; s += o.chunk) {
    const m = Math.min(o.chunk, n - s);
    const logits = await backend.forward(Int32Array.from(p.ids.slice(s, s + m)), s, { allLogits: true });
    if (logits.length !== m * V) throw new EvalError(`the engine returned ${logits.length} logits for ${m} positions × ${V}`);
    for (let j = 0; j < m; j++) {
      const pos = s + j;
      const gl = p.top5_logits[pos]!;
      if (gl.length < 2 || gl[0]! - gl[1]! <= o.margin) continue;
      checked++;
      if (argmax(logits.subarray(j * V, (j + 1) * V)) !== p.top5_ids[pos]![0]) mismatches.push(pos);
    }
    if (s + m === n) last = logits.slice((m - 1) * V, m * V);
  }
  let diff = 0;
  for (let i = 0; i < V; i++) {
    const d = Math.abs(last![i]! - golden[i]!);
    if (Number.isNaN(d)) {
      diff = Number.NaN; // a NaN logit fails the gate (NaN <= tolerance is false)
      break;
    }
    if (d > diff) diff = d;
  }
  const got: number[] = [];
  let logits = last!;
  for (let k = 0; k < p.greedy_ids.length; k++) {
    const t = argmax(logits);
    got.push(t);
    if (k + 1 < p.greedy_ids.length) logits = await backend.forward(Int32Array.of(t), n + k);
  }
  const firstDiff = got.findIndex((t, k) => t !== p.greedy_ids[k]);
  const greedyMatch = firstDiff < 0;
  return {
    index,
    kind: p.kind,
    tokens: n,
    max_abs_logit_diff: diff,
    top1_checked: checked,
    top1_agree: checked - mismatches.length,
    top1_mismatches: mismatches,
    greedy_match: greedyMatch,
    greedy_expected: p.greedy_ids,
    greedy_got: got,
    greedy_first_diff: greedyMatch ? null : firstDiff,
    pass: diff <= o.tolerance && mismatches.length === 0 && greedyMatch,
  };
}

/** Runs every golden prompt through the backend and compares (see GoldenOptions for the gates). */
export async function checkGolden(backend: InferenceBackend, golden: GoldenFile, options: GoldenOptions = {}): Promise<GoldenReport> {
  const o = { tolerance: options.tolerance ?? 1e-3, margin: options.margin ?? 1e-3, chunk: options.chunk ?? 512 };
  const t0 = performance.now();
  const prompts: GoldenPromptReport[] = [];
  for (const [i, p] of golden.prompts.entries()) {
    if (options.signal?.aborted) throw new EvalError('golden check cancelled');
    prompts.push(await checkPrompt(backend, p, i, o));
    options.onProgress?.(i + 1, golden.prompts.length);
  }
  const sum = (f: (r: GoldenPromptReport) => number): number => prompts.reduce((s, r) => s + f(r), 0);
  return {
    model: golden.model,
    tolerance: o.tolerance,
    margin: o.margin,
    prompts,
    max_abs_logit_diff: prompts.some((r) => Number.isNaN(r.max_abs_logit_diff))
      ? Number.NaN
      : Math.max(0, ...prompts.map((r) => r.max_abs_logit_diff)),
    top1_checked: sum((r) => r.top1_checked),
    top1_agree: sum((r) => r.top1_agree),
    greedy_matches: sum((r) => (r.greedy_match ? 1 : 0)),
    pass: prompts.every((r) => r.pass),
    seconds: (performance.now() - t0) / 1000,
  };
}
