// RoPE cos/sin tables with HF transformers' float32 arithmetic (inv_freq, position × inv_freq,
// cos/sin, attention scaling: each step rounded to float32 as torch does).
import type { RopeSpec } from '../format/qins-format.js';

const f = Math.fround;

/** inv_freq for `rope.dim` rotated dimensions; `long` picks longrope's long factors. */
export function invFreq(rope: RopeSpec, long = false): Float32Array {
  const half = rope.dim / 2;
  const out = new Float32Array(half);
  const base = f(rope.theta);
  for (let i = 0; i < half; i++) {
    const expo = f((2 * i) / rope.dim);
    const pow = f(base ** expo);
    out[i] = f(1 / pow);
  }
  switch (rope.type) {
    case 'default':
      return out;
    case 'linear':
      return out.map((v) => f(v / f(rope.factor ?? 1)));
    case 'llama3': {
      const factor = rope.factor ?? 1;
      const lo = rope.low_freq_factor ?? 1;
      const hi = rope.high_freq_factor ?? 4;
      const orig = rope.original_max_position_embeddings ?? 8192;
      const lowWl = orig / lo;
      const highWl = orig / hi;
      return out.map((v) => {
        const wl = f(f(2 * Math.PI) / v);
        if (wl > lowWl) return f(v / factor);
        if (wl < highWl) return v;
        const smooth = f(f(f(orig / wl) - lo) / (hi - lo));
        return f(f(f(f(1 - smooth) * v) / factor) + f(smooth * v));
      });
    }
    case 'longrope': {
      const ext = (long ? rope.long_factor : rope.short_factor) ?? [];
      for (let i = 0; i < half; i++) {
        const expo = f((2 * i) / rope.dim);
        out[i] = f(1 / f(f(ext[i] ?? 1) * f(base ** expo)));
      }
      return out;
    }
  }
}

/** cos/sin multiplier: longrope's attention factor, 1 otherwise. */
export const attentionScaling = (rope: RopeSpec): number => (rope.type === 'longrope' ? (rope.attention_factor ?? 1) : 1);

/**
 * Tables `[positions, dim / 2]` (row p holds cos/sin(p · inv_freq) × scaling), the layout
 * com.microsoft RotaryEmbedding / GroupQueryAttention take as cos_cache / sin_cache.
 */
export function ropeTables(rope: RopeSpec, positions: number, long = false): { cos: Float32Array; sin: Float32Array } {
  const inv = invFreq(rope, long);
  const half = inv.length;
  const scale = f(attentionScaling(rope));
  const cos = new Float32Array(positions * half);
  const sin = new Float32Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const a = f(p * (inv[i] as number));
      cos[p * half + i] = f(f(Math.cos(a)) * scale);
      sin[p * half + i] = f(f(Math.sin(a)) * scale);
    }
  }
  return { cos, sin };
}
