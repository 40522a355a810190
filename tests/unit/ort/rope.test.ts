// RoPE tables: float32 values of HF's formulas (default, linear, llama3, longrope short/long with
// the attention factor), checked against the same formulas in float64.
import { describe, expect, it } from 'vitest';
import type { RopeSpec } from '../../../src-main/engine/format/qins-format.js';
import { attentionScaling, invFreq, ropeTables } from '../../../src-main/engine/onnx/rope.js';

const base = (theta: number, dim: number) => Array.from({ length: dim / 2 }, (_, i) => 1 / theta ** ((2 * i) / dim));
const close = (a: ArrayLike<number>, b: number[], rel = 1e-6) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(Math.abs((a[i] as number) - (b[i] as number))).toBeLessThanOrEqual(rel * Math.abs(b[i] as number) + 1e-12);
};

describe('RoPE inverse frequencies', () => {
  it('default and linear', () => {
    close(invFreq({ type: 'default', theta: 10000, dim: 32 }), base(10000, 32));
    close(invFreq({ type: 'linear', theta: 500000, dim: 64, factor: 4 }), base(500000, 64).map((v) => v / 4));
  });

  it('llama3: long wavelengths divided by the factor, short ones kept, a smooth blend between', () => {
    const spec: RopeSpec = { type: 'llama3', theta: 500000, dim: 128, factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
    const want = base(500000, 128).map((v) => {
      const wl = (2 * Math.PI) / v;
      if (wl > 8192) return v / 8;
      if (wl < 2048) return v;
      const s = (8192 / wl - 1) / 3;
      return ((1 - s) * v) / 8 + s * v;
    });
    const got = invFreq(spec);
    close(got, want, 1e-5);
    // all three regimes occur at this size
    expect(want.some((v, i) => v === base(500000, 128)[i])).toBe(true);
    expect(want.some((v, i) => Math.abs(v - (base(500000, 128)[i] as number) / 8) < 1e-20)).toBe(true);
  });

  it('longrope: short or long factors, attention factor on cos and sin', () => {
    const short = [1, 1.5, 2, 3];
    const long = [2, 4, 8, 16];
    const spec: RopeSpec = {
      type: 'longrope',
      theta: 10000,
      dim: 8,
      original_max_position_embeddings: 4096,
      short_factor: short,
      long_factor: long,
      attention_factor: Math.sqrt(1 + Math.log(32) / Math.log(4096)),
    };
    close(invFreq(spec, false), base(10000, 8).map((v, i) => v / (short[i] as number)));
    close(invFreq(spec, true), base(10000, 8).map((v, i) => v / (long[i] as number)));
    expect(attentionScaling(spec)).toBeCloseTo(1.190238, 5);
    const t = ropeTables(spec, 3000, true);
    const inv = base(10000, 8).map((v, i) => v / (long[i] as number));
    for (const p of [0, 1, 2999])
      for (let i = 0; i < 4; i++) {
        expect(t.cos[p * 4 + i]).toBeCloseTo(Math.cos(p * (inv[i] as number)) * 1.190238, 4);
        expect(t.sin[p * 4 + i]).toBeCloseTo(Math.sin(p * (inv[i] as number)) * 1.190238, 4);
      }
  });
});
