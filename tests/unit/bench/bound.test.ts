// What a decode step streams: the KV bytes per position, the mean bytes per timed step, and the
// bound check of a run (an engine above the probe makes the bound unknown at that scale).
import { describe, expect, it } from 'vitest';
import { boundFraction, decodeStreamBytes, kvBytesPerPosition, kvElementBytes } from '../../../src-main/engine/bound.js';
import { checkBound, stat, summarize, type SuiteEntry } from '../../../src-main/bench/suite.js';

describe('KV bytes per position', () => {
  it('is layers × 2 × KV heads × head size × bytes per element', () => {
    // Phi-3.5-mini: 32 layers, 32 KV heads of 96
    expect(kvBytesPerPosition({ num_layers: 32, num_kv_heads: 32, head_dim: 96 }, 4)).toBe(32 * 2 * 32 * 96 * 4);
    expect(kvBytesPerPosition({ num_layers: 32, num_kv_heads: 32, head_dim: 96 }, kvElementBytes('f16'))).toBe(393_216);
    // grouped-query attention: only the KV heads count
    expect(kvBytesPerPosition({ num_layers: 2, num_kv_heads: 2, head_dim: 16 }, kvElementBytes('f32'))).toBe(2 * 2 * 2 * 16 * 4);
  });

  it('knows the element sizes and refuses unknown types', () => {
    expect(kvElementBytes('f32')).toBe(4);
    expect(kvElementBytes('f16')).toBe(2);
    expect(kvElementBytes('bf16')).toBe(2);
    expect(() => kvElementBytes('q3_k')).toThrow(/unknown KV cache type/);
  });
});

describe('bytes per decode step', () => {
  const shape = { weight_bytes: 1000, kv_bytes_per_position: 10, embedding_row_bytes: 7 };

  it('adds the weights, one embedding row and the KV positions attended, averaged over the steps', () => {
    // one step at position 0 attends to 1 position
    expect(decodeStreamBytes(shape, 0, 1)).toBe(1000 + 7 + 10);
    // steps at positions 513 … 640 attend to 514 … 641 positions: mean 577.5
    expect(decodeStreamBytes(shape, 513, 128)).toBe(1000 + 7 + 10 * 577.5);
    // equals the sum over the steps divided by their count
    let sum = 0;
    for (let p = 2; p < 2 + 16; p++) sum += 1000 + 7 + 10 * (p + 1);
    expect(decodeStreamBytes(shape, 2, 16)).toBeCloseTo(sum / 16, 9);
  });

  it('rejects nonsense', () => {
    expect(() => decodeStreamBytes(shape, -1, 4)).toThrow();
    expect(() => decodeStreamBytes(shape, 0, 0)).toThrow();
  });

  it('turns a speed into a fraction of the bandwidth', () => {
    expect(boundFraction(4e9, 5, 25)).toBeCloseTo(0.8, 12);
  });
});

describe('bound check', () => {
  const entry = (id: string, decode: number, bytes: number, scale: 'tiny' | 'phi35' = 'phi35'): SuiteEntry =>
    ({
      scale,
      id,
      label: id,
      engine: 'qins',
      error: null,
      stream_bytes_per_token: bytes,
      stream_bytes_per_token_depth0: bytes / 2,
      samples: [
        { round: 1, load_ms: 100, prefill_tok_s: 10, decode_tok_s: decode, decode_depth0_tok_s: decode, rss_after_load_bytes: 1, peak_rss_bytes: 2, load_avg_1m: 1, load_avg_1m_end: 1, cpu_seconds: 1, wall_seconds: 1 },
        { round: 2, load_ms: 120, prefill_tok_s: 12, decode_tok_s: decode * 1.1, decode_depth0_tok_s: decode, rss_after_load_bytes: 1, peak_rss_bytes: 3, load_avg_1m: 2, load_avg_1m_end: 2, cpu_seconds: 1, wall_seconds: 1 },
      ],
      stats: {},
      implied_gbs: null,
      exceeds_bound: false,
      bandwidth_fraction: null,
    }) as unknown as SuiteEntry;

  it('keeps every sample and summarizes them as min / median / max', () => {
    const e = entry('qins8', 5, 4e9);
    summarize(e, 30);
    expect(e.stats.decode_tok_s).toEqual({ min: 5, median: 5.25, max: 5.5, n: 2 });
    expect(e.stats.load_ms).toEqual({ min: 100, median: 110, max: 120, n: 2 });
    expect(e.decode_tok_s).toBe(5.25);
    expect(e.bandwidth_fraction).toBeCloseTo((4e9 * 5.25) / 30e9, 12);
    // the fastest round decides whether the probe was exceeded: 4 GB × 5.5 tok/s = 22 GB/s
    expect(e.implied_gbs).toBeCloseTo(22, 9);
    expect(e.exceeds_bound).toBe(false);
    expect(stat([null, undefined, 3, 1, 2])).toEqual({ min: 1, median: 2, max: 3, n: 3 });
    expect(stat([])).toBeNull();
  });

  it('an engine above the probe makes the bound unknown at its scale only', () => {
    const ok = entry('qins8', 5, 4e9);
    const over = entry('tinyfast', 2000, 20e6, 'tiny'); // 44 GB/s at the fastest round
    summarize(ok, 30);
    summarize(over, 30);
    expect(over.exceeds_bound).toBe(true);
    const b = checkBound([ok, over], ['tiny', 'phi35'], 30);
    expect(b.known).toEqual({ tiny: false, phi35: true });
    expect(b.exceeded).toEqual([{ scale: 'tiny', id: 'tinyfast', label: 'tinyfast', implied_gbs: expect.closeTo(44, 6) }]);
    expect(checkBound([ok], ['phi35'], null).known.phi35).toBe(false);
  });
});
