// Next-token sampling: repetition penalty, then temperature (0 = greedy), top-k, top-p, min-p,
// in the order HF transformers applies its logits warpers, and a seeded PRNG so that the same seed
// and settings give the same tokens.
import { SAMPLING_BOUNDS, SAMPLING_DEFAULTS } from '../../src-shared/sampling.js';

export interface SamplingParams {
  /** 0 = greedy (argmax; ties go to the lowest id). */
  temperature: number;
  /** Keep the k most likely tokens; 0 = off. */
  topK: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p; 1 = off. */
  topP: number;
  /** Drop tokens less likely than minP × the most likely one; 0 = off. */
  minP: number;
  /** Divides positive (multiplies negative) logits of recently seen tokens; 1 = off. */
  repetitionPenalty: number;
  /** How many of the most recent tokens (prompt included) the penalty looks at. */
  repeatLastN: number;
  /** PRNG seed; omitted = a random seed (reported with the result so the reply can be reproduced). */
  seed?: number;
  /** Upper bound on generated tokens. */
  maxTokens: number;
  /** Generation ends before any of these strings; the string itself is not part of the reply. */
  stop: string[];
}

/** The app's sampling defaults (src-shared/sampling.ts) in the sampler's terms. */
export const DEFAULT_SAMPLING: Readonly<SamplingParams> = Object.freeze({
  temperature: SAMPLING_DEFAULTS.temperature,
  topK: SAMPLING_DEFAULTS.top_k,
  topP: SAMPLING_DEFAULTS.top_p,
  minP: SAMPLING_DEFAULTS.min_p,
  repetitionPenalty: SAMPLING_DEFAULTS.repetition_penalty,
  repeatLastN: 64,
  maxTokens: SAMPLING_DEFAULTS.max_tokens,
  stop: [],
});

/** Greedy decoding with no penalty: the settings the golden references use. */
export const GREEDY: Readonly<Omit<SamplingParams, 'maxTokens' | 'stop'>> = Object.freeze({
  temperature: 0,
  topK: 0,
  topP: 1,
  minP: 0,
  repetitionPenalty: 1,
  repeatLastN: 0,
});

export class SamplingError extends Error {
  override name = 'SamplingError';
}

const MAX_SEED = SAMPLING_BOUNDS.seed.max;

/** Fills in defaults and checks every value; throws SamplingError with a one-line reason. */
export function resolveSampling(p: Partial<SamplingParams> = {}): SamplingParams {
  const s: SamplingParams = { ...DEFAULT_SAMPLING, stop: [...DEFAULT_SAMPLING.stop], ...p };
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new SamplingError(what);
  };
  const finite = (v: number): boolean => typeof v === 'number' && Number.isFinite(v);
  check(finite(s.temperature) && s.temperature >= 0, `temperature must be a number ≥ 0 (got ${s.temperature})`);
  check(Number.isInteger(s.topK) && s.topK >= 0, `top-k must be an integer ≥ 0 (got ${s.topK})`);
  check(finite(s.topP) && s.topP > 0 && s.topP <= 1, `top-p must be in (0, 1] (got ${s.topP})`);
  check(finite(s.minP) && s.minP >= 0 && s.minP <= 1, `min-p must be in [0, 1] (got ${s.minP})`);
  check(finite(s.repetitionPenalty) && s.repetitionPenalty > 0, `repetition penalty must be > 0 (got ${s.repetitionPenalty})`);
  check(Number.isInteger(s.repeatLastN) && s.repeatLastN >= 0, `repeat-last-n must be an integer ≥ 0 (got ${s.repeatLastN})`);
  check(Number.isInteger(s.maxTokens) && s.maxTokens >= 1, `max tokens must be an integer ≥ 1 (got ${s.maxTokens})`);
  check(
    s.seed === undefined || (Number.isInteger(s.seed) && s.seed >= 0 && s.seed <= MAX_SEED),
    `seed must be an integer in 0..2^53-1 (got ${s.seed})`,
  );
  check(Array.isArray(s.stop) && s.stop.every((x) => typeof x === 'string'), 'stop must be a list of strings');
  return s;
}

export function randomSeed(): number {
  const a = new Uint32Array(2);
  crypto.getRandomValues(a);
  return (a[0]! & 0x1fffff) * 2 ** 32 + a[1]!;
}

/** xoshiro128** seeded through splitmix32: fast, well distributed, reproducible across platforms. */
export class Rng {
  private s = new Uint32Array(4);

  constructor(seed: number) {
    let x = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) >>> 0, 0x9e3779b9);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.s[i] = z ^ (z >>> 16);
    }
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
  }

  nextU32(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return r;
  }

  /** Uniform in [0, 1), 53 random bits. */
  next(): number {
    return ((this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6)) / 9007199254740992;
  }
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** Applies the repetition penalty in place to the logits of the distinct ids in `recent`. */
export function applyRepetitionPenalty(logits: Float32Array, recent: ArrayLike<number>, penalty: number): void {
  if (penalty === 1) return;
  const seen = new Set<number>();
  for (let i = 0; i < recent.length; i++) {
    const id = recent[i]!;
    if (id < 0 || id >= logits.length || seen.has(id)) continue;
    seen.add(id);
    const v = logits[id]!;
    logits[id] = v < 0 ? v * penalty : v / penalty;
  }
}

/** Index of the largest value; ties go to the lowest index (as torch.argmax). NaN never wins. */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  let bv = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x > bv) {
      bv = x;
      best = i;
    }
  }
  return best;
}

/** Ids of the k largest values, largest first (ties: lower id first). */
export function topKIndices(v: Float32Array, k: number): Int32Array {
  const n = Math.min(k, v.length);
  // Min-heap on (value, -id) of the best n seen so far.
  const heap = new Int32Array(n);
  let size = 0;
  const worse = (a: number, b: number): boolean => v[a]! < v[b]! || (v[a] === v[b] && a > b);
  const siftDown = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && worse(heap[l]!, heap[m]!)) m = l;
      if (r < size && worse(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      const t = heap[i]!;
      heap[i] = heap[m]!;
      heap[m] = t;
      i = m;
    }
  };
  for (let id = 0; id < v.length; id++) {
    if (Number.isNaN(v[id]!)) continue;
    if (size < n) {
      let i = size++;
      heap[i] = id;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!worse(heap[i]!, heap[p]!)) break;
        const t = heap[i]!;
        heap[i] = heap[p]!;
        heap[p] = t;
        i = p;
      }
    } else if (n > 0 && worse(heap[0]!, id)) {
      heap[0] = id;
      siftDown(0);
    }
  }
  const out = Array.from(heap.subarray(0, size));
  out.sort((a, b) => v[b]! - v[a]! || a - b);
  return Int32Array.from(out);
}

/** Below this probability a token is not worth sorting for top-p unless the rest do not reach p. */
const TOP_P_PREFILTER = 1e-6;

export interface SampleCandidates {
  /** Candidate ids in decreasing probability. */
  ids: Int32Array;
  /** Their probabilities after every filter, summing to 1. */
  probs: Float64Array;
}

/**
 * The distribution the sampler draws from (for temperature > 0): ids and renormalised
 * probabilities after temperature, top-k, top-p and min-p. `logits` already carry the penalty.
 */
export function candidateDistribution(logits: Float32Array, p: SamplingParams): SampleCandidates {
  const V = logits.length;
  const invT = 1 / p.temperature;
  let ids: Int32Array;
  if (p.topK > 0 && p.topK < V) {
    ids = topKIndices(logits, p.topK);
  } else {
    ids = new Int32Array(V);
    for (let i = 0; i < V; i++) ids[i] = i;
  }
  // Softmax over the current candidates (in float64).
  let max = -Infinity;
  for (const id of ids) if (logits[id]! > max) max = logits[id]!;
  let probs = new Float64Array(ids.length);
  let sum = 0;
  for (let j = 0; j < ids.length; j++) {
    const e = Math.exp((logits[ids[j]!]! - max) * invT);
    probs[j] = Number.isNaN(e) ? 0 : e;
    sum += probs[j]!;
  }
  for (let j = 0; j < probs.length; j++) probs[j]! /= sum;
  const sorted = p.topK > 0 && p.topK < V;

  if (p.topP < 1) {
    let order: number[];
    if (sorted) {
      order = Array.from(ids.keys());
    } else {
      // Sorting the whole vocabulary is slow; the nucleus almost always lies among the tokens above
      // a small threshold, and when those reach p it provably does (the rest are all smaller).
      let pre: number[] = [];
      let preSum = 0;
      for (let j = 0; j < probs.length; j++)
        if (probs[j]! >= TOP_P_PREFILTER) {
          pre.push(j);
          preSum += probs[j]!;
        }
      if (preSum < p.topP) pre = Array.from(ids.keys());
      order = pre.sort((a, b) => logits[ids[b]!]! - logits[ids[a]!]! || ids[a]! - ids[b]!);
    }
    let cum = 0;
    let keep = 0;
    while (keep < order.length) {
      cum += probs[order[keep]!]!;
      keep++;
      if (cum >= p.topP) break;
    }
    order = order.slice(0, Math.max(1, keep));
    ids = Int32Array.from(order, (j) => ids[j]!);
    probs = Float64Array.from(order, (j) => probs[j]!);
  } else if (!sorted) {
    // Min-p keeps a set that does not depend on order: filter first so only survivors are sorted.
    let order = Array.from(ids.keys());
    if (p.minP > 0) {
      let pmax = 0;
      for (const q of probs) if (q > pmax) pmax = q;
      order = order.filter((j) => probs[j]! >= p.minP * pmax);
    }
    order.sort((a, b) => logits[ids[b]!]! - logits[ids[a]!]! || ids[a]! - ids[b]!);
    ids = Int32Array.from(order, (j) => ids[j]!);
    probs = Float64Array.from(order, (j) => probs[j]!);
  }

  if (p.minP > 0 && ids.length > 1) {
    const limit = p.minP * probs[0]!;
    let keep = 1;
    while (keep < probs.length && probs[keep]! >= limit) keep++;
    ids = ids.slice(0, keep);
    probs = probs.slice(0, keep);
  }

  let total = 0;
  for (const q of probs) total += q;
  for (let j = 0; j < probs.length; j++) probs[j]! /= total;
  return { ids, probs };
}

export class Sampler {
  private readonly rng: Rng;
  private scratch: Float32Array | null = null;

  constructor(
    readonly params: SamplingParams,
    readonly seed: number,
  ) {
    this.rng = new Rng(seed);
  }

  /** Picks the next id. `history` is every token so far (prompt and reply); only its tail is penalised. */
  sample(logits: Float32Array, history: ArrayLike<number> = []): number {
    const p = this.params;
    let l = logits;
    if (p.repetitionPenalty !== 1 && p.repeatLastN > 0 && history.length > 0) {
      if (!this.scratch || this.scratch.length !== logits.length) this.scratch = new Float32Array(logits.length);
      this.scratch.set(logits);
      l = this.scratch;
      const from = Math.max(0, history.length - p.repeatLastN);
      const tail = Array.from({ length: history.length - from }, (_, i) => history[from + i]!);
      applyRepetitionPenalty(l, tail, p.repetitionPenalty);
    }
    if (p.temperature <= 0) return argmax(l);
    if (p.topP >= 1 && p.minP <= 0 && !(p.topK > 0 && p.topK < l.length)) return this.drawFull(l, 1 / p.temperature);
    const { ids, probs } = candidateDistribution(l, p);
    const r = this.rng.next();
    let cum = 0;
    for (let j = 0; j < ids.length; j++) {
      cum += probs[j]!;
      if (r < cum) return ids[j]!;
    }
    return ids[ids.length - 1]!;
  }

  /** Draws from the full softmax without sorting (no top-k/top-p/min-p). */
  private drawFull(l: Float32Array, invT: number): number {
    let max = -Infinity;
    for (let i = 0; i < l.length; i++) if (l[i]! > max) max = l[i]!;
    let sum = 0;
    for (let i = 0; i < l.length; i++) sum += Math.exp((l[i]! - max) * invT);
    const r = this.rng.next() * sum;
    let cum = 0;
    let last = 0;
    for (let i = 0; i < l.length; i++) {
      const e = Math.exp((l[i]! - max) * invT);
      if (e > 0) last = i;
      cum += e;
      if (r < cum) return i;
    }
    return last;
  }
}
