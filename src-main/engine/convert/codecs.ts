// Codec layouts and codebooks (docs/qins-format.md "Codecs and payload layout"), plus the
// passthrough conversions done in TypeScript (bf16 / f32 and the f32 1-D tensors).
import type { Codebook, Codec } from '../format/qins-format.js';
import type { SourceDtype } from './safetensors.js';

export const BLOCK = 32;

export interface PartSpec {
  name: string;
  bytes: number;
}

export const isEightBit = (c: Codec): boolean => c === 'qins8' || c === 'q8';
export const isFourBit = (c: Codec): boolean => c === 'qins4' || c === 'q4';
export const isPassthrough = (c: Codec): boolean => c === 'bf16' || c === 'f32';
export const paddedCols = (cols: number, block = BLOCK): number => Math.ceil(cols / block) * block;

/** Bytes per row of each part, in file order (the big part first). */
export function matrixRowParts(codec: Codec, cols: number, block = BLOCK): PartSpec[] {
  const cp = paddedCols(cols, block);
  const nb = cp / block;
  switch (codec) {
    case 'qins8':
    case 'q8':
      return [{ name: 'codes', bytes: cp }, { name: 'scales', bytes: nb * 2 }];
    case 'qins4':
    case 'q4':
      return [{ name: 'codes', bytes: cp / 2 }, { name: 'scales', bytes: nb * 2 }];
    case 'qins-seed':
      return [{ name: 'codes', bytes: cols }, { name: 'signs', bytes: Math.ceil(cols / 8) }];
    case 'bf16':
      return [{ name: 'data', bytes: cols * 2 }];
    case 'f32':
      return [{ name: 'data', bytes: cols * 4 }];
  }
}

export function matrixParts(codec: Codec, rows: number, cols: number, block = BLOCK): PartSpec[] {
  return matrixRowParts(codec, cols, block).map((p) => ({ name: p.name, bytes: p.bytes * rows }));
}

/** qins8 segments: eight magnitude segments of sixteen linear steps (docs/qins-format.md). */
export const QINS8_SEGMENTS = 8;
export const QINS8_STEPS = 16;

/**
 * The qins8 codebook for offset c (docs/qins-format.md): eight magnitude segments of sixteen linear
 * steps, the segment starts on the offset-inverse curve (1 + c) / (k + c) at k = 113, 97, ..., 17
 * (from the bottom), the top one ending at k = 1, and a first segment from 0. Code = sign << 7 |
 * seg << 4 | j; ints[seg · 16 + j] = E · (B + j) with the step 1 <= E <= 127 and 0 <= B <= 240,
 * segments ascending and disjoint; denom = the top level. The C++ encoder builds the same table
 * (Qins8Table::make); a test checks that they agree.
 */
export function qins8Codebook(c: number): Codebook {
  const S = QINS8_SEGMENTS;
  const J = QINS8_STEPS;
  const q = [0];
  for (let m = 1; m <= S; m++) q.push((1 + c) / (1 + J * (S - m) + c));
  let widest = 0;
  for (let m = 0; m < S; m++) widest = Math.max(widest, q[m + 1]! - q[m]!);
  const unit = Math.floor((127 * J) / widest);
  const ints = new Array<number>(256).fill(0);
  let prevTop = -1;
  for (let m = 0; m < S; m++) {
    const e = Math.min(127, Math.max(1, Math.floor((unit * (q[m + 1]! - q[m]!)) / J + 0.5)));
    const onCurve = Math.floor((unit * q[m]!) / e + 0.5);
    const above = Math.floor((prevTop + e) / e); // the first start above the previous segment
    const b = Math.min(240, Math.max(onCurve, above));
    for (let j = 0; j < J; j++) {
      ints[m * J + j] = e * (b + j);
      ints[128 + m * J + j] = -e * (b + j);
    }
    prevTop = e * (b + J - 1);
  }
  ints[128] = 0;
  return { bits: 8, kind: 'inverse-segments', ints, denom: prevTop, c };
}

export const Q8_CODEBOOK: Codebook = {
  bits: 8,
  kind: 'linear-int8',
  ints: Array.from({ length: 256 }, (_, i) => (i < 128 ? i : i - 256)),
  denom: 127,
};

export const Q4_CODEBOOK: Codebook = {
  bits: 4,
  kind: 'linear-int4',
  ints: Array.from({ length: 16 }, (_, i) => i - 8),
  denom: 8,
};

/** A tuned qins4 codebook; `c` records the inverse-family start (omitted for the uniform c → ∞ start). */
export function inverse4Codebook(ints: ArrayLike<number>, initC: number): Codebook {
  const cb: Codebook = { bits: 4, kind: 'inverse4', ints: Array.from(ints), denom: 127 };
  if (initC < 1e8) cb.c = initC;
  return cb;
}

// ---- passthrough ---------------------------------------------------------------------------

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** float32 bits → bfloat16 bits, round to nearest even (NaN kept quiet). */
export function f32BitsToBf16(u: number): number {
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 0x40) & 0xffff;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Source values as float32 (a copy). */
export function toF32(src: Uint8Array, dtype: SourceDtype): Float32Array {
  const n = src.byteLength / (dtype === 'F32' ? 4 : 2);
  const out = new Float32Array(n);
  if (dtype === 'F32') {
    new Uint8Array(out.buffer).set(src);
    return out;
  }
  const u16 = new Uint16Array(src.buffer, src.byteOffset, n);
  if (dtype === 'BF16') {
    const o32 = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) o32[i] = u16[i]! << 16;
  } else {
    for (let i = 0; i < n; i++) out[i] = f16ToF32(u16[i]!);
  }
  return out;
}

export interface PassStats {
  sumsq: number;
  errsq: number;
}

/**
 * Converts source values to the passthrough codec (bf16 or f32) into `out`; returns the
 * reconstruction error (zero unless bf16 is made from F16 / F32 values).
 */
export function passthrough(src: Uint8Array, dtype: SourceDtype, codec: 'bf16' | 'f32', out: Uint8Array): PassStats {
  if (dtype === 'BF16' && codec === 'bf16') {
    out.set(src);
    return { sumsq: sumSquares(toF32(src, dtype)), errsq: 0 };
  }
  const f = toF32(src, dtype);
  const sumsq = sumSquares(f);
  if (codec === 'f32') {
    out.set(new Uint8Array(f.buffer, 0, f.byteLength));
    return { sumsq, errsq: 0 };
  }
  const fu = new Uint32Array(f.buffer);
  const o16 = new Uint16Array(out.buffer, out.byteOffset, f.length);
  let errsq = 0;
  for (let i = 0; i < f.length; i++) {
    const b = f32BitsToBf16(fu[i]!);
    o16[i] = b;
    u32buf[0] = b << 16;
    const d = f[i]! - f32buf[0]!;
    errsq += d * d;
  }
  return { sumsq, errsq };
}

function sumSquares(f: Float32Array): number {
  let s = 0;
  for (let i = 0; i < f.length; i++) s += f[i]! * f[i]!;
  return s;
}
