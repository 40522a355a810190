import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyRepetitionPenalty,
  argmax,
  candidateDistribution,
  resolveSampling,
  Rng,
  Sampler,
  SamplingError,
  topKIndices,
  type SamplingParams,
} from '../../../src-main/engine/sampler.js';

const RUNS = { numRuns: 300, seed: 7 };

/** Logits with ties and a wide range, as float32 (the sampler sees Float32Array). */
const logitsArb = (min = 1, max = 300): fc.Arbitrary<Float32Array> =>
  fc
    .array(fc.oneof(fc.integer({ min: -40, max: 40 }).map((x) => x / 4), fc.double({ min: -30, max: 30, noNaN: true })), {
      minLength: min,
      maxLength: max,
    })
    .map((a) => Float32Array.from(a));

const paramsArb: fc.Arbitrary<SamplingParams> = fc.record({
  temperature: fc.oneof(fc.constant(0), fc.double({ min: 0.05, max: 3, noNaN: true })),
  topK: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 })),
  topP: fc.oneof(fc.constant(1), fc.double({ min: 0.05, max: 1, noNaN: true })),
  minP: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.9, noNaN: true })),
  repetitionPenalty: fc.oneof(fc.constant(1), fc.double({ min: 0.5, max: 2, noNaN: true })),
  repeatLastN: fc.integer({ min: 0, max: 64 }),
  maxTokens: fc.constant(16),
  stop: fc.constant([]),
});

/** Straightforward reference of the filter chain: sort everything, then HF's warpers in order. */
function reference(logits: Float32Array, p: SamplingParams): Map<number, number> {
  let items = Array.from(logits, (l, id) => ({ id, l: l / p.temperature })).sort((a, b) => b.l - a.l || a.id - b.id);
  if (p.topK > 0) items = items.slice(0, p.topK);
  const soft = (xs: typeof items): number[] => {
    const m = Math.max(...xs.map((x) => x.l));
    const e = xs.map((x) => Math.exp(x.l - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  };
  let pr = soft(items);
  if (p.topP < 1) {
    let cum = 0;
    let k = 0;
    while (k < pr.length) {
      cum += pr[k]!;
      k++;
      if (cum >= p.topP) break;
    }
    items = items.slice(0, k);
    pr = soft(items);
  }
  if (p.minP > 0) {
    const lim = p.minP * pr[0]!;
    const keep = pr.filter((q) => q >= lim).length;
    items = items.slice(0, keep);
    pr = soft(items);
  }
  return new Map(items.map((x, i) => [x.id, pr[i]!]));
}

describe('sampler', () => {
  it('temperature 0 is greedy: the first index of the largest logit', () => {
    fc.assert(
      fc.property(logitsArb(), fc.integer({ min: 0, max: 2 ** 31 }), (l, seed) => {
        const s = new Sampler(resolveSampling({ temperature: 0, repetitionPenalty: 1 }), seed);
        const max = Math.max(...l);
        expect(s.sample(l)).toBe(l.indexOf(max));
      }),
      RUNS,
    );
  });

  it('the same seed and settings give the same tokens; the draw does not depend on other state', () => {
    fc.assert(
      fc.property(fc.array(logitsArb(2, 64), { minLength: 1, maxLength: 12 }), paramsArb, fc.nat(), (steps, p, seed) => {
        const run = (): number[] => {
          const s = new Sampler(p, seed);
          const hist: number[] = [];
          return steps.map((l) => {
            const t = s.sample(l, hist);
            hist.push(t);
            return t;
          });
        };
        expect(run()).toEqual(run());
      }),
      RUNS,
    );
  });

  it('different seeds give different streams (temperature 1 over a flat distribution)', () => {
    const flat = new Float32Array(1000);
    const draw = (seed: number): number[] => {
      const s = new Sampler(resolveSampling({ temperature: 1, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1 }), seed);
      return Array.from({ length: 20 }, () => s.sample(flat));
    };
    expect(draw(1)).not.toEqual(draw(2));
    expect(draw(1)).toEqual(draw(1));
  });

  it('the filtered distribution equals a sort-everything reference (temperature, top-k, top-p, min-p)', () => {
    fc.assert(
      fc.property(logitsArb(1, 400), paramsArb, (l, p0) => {
        const p = { ...p0, temperature: p0.temperature || 1 };
        const ref = reference(l, p);
        const got = candidateDistribution(l, p);
        expect(got.ids.length).toBe(ref.size);
        let sum = 0;
        got.ids.forEach((id, j) => {
          expect(ref.has(id)).toBe(true);
          expect(got.probs[j]!).toBeCloseTo(ref.get(id)!, 9);
          if (j > 0) expect(got.probs[j]!).toBeLessThanOrEqual(got.probs[j - 1]! + 1e-15);
          sum += got.probs[j]!;
        });
        expect(sum).toBeCloseTo(1, 12);
      }),
      RUNS,
    );
  });

  it('top-p over a large vocabulary with a long tail takes the exact nucleus (prefilter fallback)', () => {
    // 20 000 nearly equal tokens: the tokens above the prefilter threshold do not reach p.
    const l = Float32Array.from({ length: 20000 }, (_, i) => (i % 97) / 1000);
    for (const topP of [0.5, 0.99, 0.999999]) {
      const p = resolveSampling({ temperature: 1, topK: 0, topP, minP: 0 });
      const ref = reference(l, p);
      const got = candidateDistribution(l, p);
      expect(got.ids.length).toBe(ref.size);
    }
  });

  it('every sampled token lies in the filtered set (top-k, top-p, min-p hold)', () => {
    fc.assert(
      fc.property(logitsArb(2, 200), paramsArb, fc.nat(), (l, p0, seed) => {
        const p = { ...p0, temperature: p0.temperature || 0.8, repetitionPenalty: 1 };
        const ref = reference(l, p);
        const s = new Sampler(p, seed);
        for (let i = 0; i < 20; i++) expect(ref.has(s.sample(l))).toBe(true);
      }),
      RUNS,
    );
  });

  it('draws follow the filtered probabilities (chi-square, fixed seed)', () => {
    const l = Float32Array.from([2, 1.5, 1, 0.5, 0, -0.5, -1, -3, -6, -9]);
    for (const p of [
      resolveSampling({ temperature: 1, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1 }),
      resolveSampling({ temperature: 0.7, topK: 6, topP: 0.9, minP: 0.05, repetitionPenalty: 1 }),
    ]) {
      const ref = reference(l, p);
      const s = new Sampler(p, 1234);
      const N = 40000;
      const counts = new Map<number, number>();
      for (let i = 0; i < N; i++) {
        const t = s.sample(l);
        counts.set(t, (counts.get(t) ?? 0) + 1);
      }
      let chi = 0;
      for (const [id, q] of ref) chi += ((counts.get(id) ?? 0) - N * q) ** 2 / (N * q);
      for (const id of counts.keys()) expect(ref.has(id)).toBe(true);
      // 99.9th percentile of chi-square with ≤ 9 degrees of freedom is 27.9.
      expect(chi).toBeLessThan(27.9);
    }
  });

  it('repetition penalty divides positive and multiplies negative logits of the distinct recent ids only', () => {
    fc.assert(
      fc.property(
        logitsArb(1, 100),
        fc.array(fc.nat({ max: 120 }), { maxLength: 40 }),
        fc.double({ min: 0.5, max: 3, noNaN: true }),
        (l, recent, pen) => {
          const out = Float32Array.from(l);
          applyRepetitionPenalty(out, recent, pen);
          const seen = new Set(recent);
          for (let i = 0; i < l.length; i++) {
            const want = seen.has(i) ? (l[i]! < 0 ? l[i]! * pen : l[i]! / pen) : l[i]!;
            expect(out[i]).toBe(Math.fround(want));
          }
        },
      ),
      RUNS,
    );
  });

  it('greedy with a penalty picks the argmax of the penalised logits over the last N tokens only', () => {
    fc.assert(
      fc.property(
        logitsArb(2, 80),
        fc.array(fc.nat({ max: 79 }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 1.01, max: 3, noNaN: true }),
        (l, hist, n, pen) => {
          const s = new Sampler(resolveSampling({ temperature: 0, repetitionPenalty: pen, repeatLastN: n }), 1);
          const ref = Float32Array.from(l);
          applyRepetitionPenalty(ref, hist.slice(Math.max(0, hist.length - n)), pen);
          expect(s.sample(l, hist)).toBe(argmax(ref));
          // The caller's logits are left untouched.
          expect(Array.from(l)).toEqual(Array.from(Float32Array.from(l)));
        },
      ),
      RUNS,
    );
  });

  it('a strong penalty steers greedy decoding away from the repeated token', () => {
    const l = Float32Array.from([5, 4.9, 1]);
    const s = new Sampler(resolveSampling({ temperature: 0, repetitionPenalty: 1.5, repeatLastN: 8 }), 1);
    expect(s.sample(l, [])).toBe(0);
    expect(s.sample(l, [0])).toBe(1);
    expect(s.sample(l, [0, 1])).toBe(0);
  });

  it('topKIndices returns the k largest, largest first, ties by lower id', () => {
    fc.assert(
      fc.property(logitsArb(1, 200), fc.integer({ min: 1, max: 250 }), (l, k) => {
        const want = Array.from(l.keys())
          .sort((a, b) => l[b]! - l[a]! || a - b)
          .slice(0, k);
        expect(Array.from(topKIndices(l, k))).toEqual(want);
      }),
      RUNS,
    );
  });

  it('Rng: uniform-looking values in [0, 1), reproducible per seed', () => {
    const a = new Rng(99);
    const b = new Rng(99);
    let sum = 0;
    for (let i = 0; i < 10000; i++) {
      const x = a.next();
      expect(x).toBe(b.next());
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
    }
    expect(Math.abs(sum / 10000 - 0.5)).toBeLessThan(0.02);
    expect(new Rng(1).next()).not.toBe(new Rng(2).next());
    expect(new Rng(2 ** 40).next()).not.toBe(new Rng(0).next());
  });

  it('rejects invalid settings with a one-line reason', () => {
    expect(() => resolveSampling({ temperature: -1 })).toThrow(SamplingError);
    expect(() => resolveSampling({ topP: 0 })).toThrow(/top-p/);
    expect(() => resolveSampling({ topK: 1.5 })).toThrow(/top-k/);
    expect(() => resolveSampling({ minP: 2 })).toThrow(/min-p/);
    expect(() => resolveSampling({ repetitionPenalty: 0 })).toThrow(/repetition/);
    expect(() => resolveSampling({ maxTokens: 0 })).toThrow(/max tokens/);
    expect(() => resolveSampling({ seed: -3 })).toThrow(/seed/);
    expect(() => resolveSampling({ temperature: Number.NaN })).toThrow(/temperature/);
    expect(resolveSampling({}).temperature).toBe(0.7);
  });
});
