// Blockwise asymmetric round-to-nearest int4 quantization in the layout of ONNX Runtime's
// com.microsoft MatMulNBits (bits 4): B [N, blocks, block/2] with element 2j in the low nibble of
// byte j; scales [N · blocks] float32; zero points [N · ceil(blocks / 2)] packed two per byte
// (even block in the low nibble). Dequantized w = (q − zp) · scale. Same rule as ORT's
// MatMul4BitsQuantizer default: the block range [min(0, min w), max(0, max w)] maps onto 0..15.
import type { Matrix } from './hf-weights.js';

export interface Int4Options {
  /** Weights per block along K (a power of two ≥ 16; ORT models commonly use 32 or 128). */
  blockSize: number;
  /** MatMulNBits accuracy_level: 0 = default, 1 = fp32, 4 = int8 activations. */
  accuracyLevel: number;
  /** Quantize lm_head too. */
  lmHead: boolean;
}

export interface Int4Tensor {
  packed: Uint8Array;
  scales: Float32Array;
  zeroPoints: Uint8Array;
  blocksPerRow: number;
  blobBytes: number;
}

export function quantizeInt4(m: Matrix, blockSize: number): Int4Tensor {
  if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) throw new Error(`int4 block size ${blockSize} must be a power of two ≥ 16`);
  const { data, rows, cols } = m;
  const blocks = Math.ceil(cols / blockSize);
  const blob = blockSize / 2;
  const zpRow = Math.ceil(blocks / 2);
  const packed = new Uint8Array(rows * blocks * blob);
  const scales = new Float32Array(rows * blocks);
  const zeroPoints = new Uint8Array(rows * zpRow);
  const q = new Uint8Array(blockSize);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < blocks; b++) {
      const c0 = b * blockSize;
      const c1 = Math.min(cols, c0 + blockSize);
      let lo = 0;
      let hi = 0;
      for (let c = c0; c < c1; c++) {
        const v = data[r * cols + c] as number;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const scale = Math.fround((hi - lo) / 15);
      const zp = scale !== 0 ? Math.min(15, Math.max(0, Math.round(-lo / scale))) : 0;
      const inv = scale !== 0 ? 1 / scale : 0;
      q.fill(zp);
      for (let c = c0; c < c1; c++) q[c - c0] = Math.min(15, Math.max(0, Math.round((data[r * cols + c] as number) * inv + zp)));
      const base = (r * blocks + b) * blob;
      for (let j = 0; j < blob; j++) packed[base + j] = (q[2 * j] as number) | ((q[2 * j + 1] as number) << 4);
      scales[r * blocks + b] = scale;
      const zi = r * zpRow + (b >> 1);
      zeroPoints[zi] = (zeroPoints[zi] as number) | (b & 1 ? zp << 4 : zp);
    }
  }
  return { packed, scales, zeroPoints, blocksPerRow: blocks, blobBytes: blob };
}

/** The weights int4 reproduces (for tests and error reporting): [rows, cols] float32. */
export function dequantizeInt4(t: Int4Tensor, rows: number, cols: number, blockSize: number): Float32Array {
  const out = new Float32Array(rows * cols);
  const zpRow = Math.ceil(t.blocksPerRow / 2);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const b = Math.floor(c / blockSize);
      const j = c % blockSize;
      const byte = t.packed[(r * t.blocksPerRow + b) * t.blobBytes + (j >> 1)] as number;
      const qv = j & 1 ? byte >> 4 : byte & 15;
      const zb = t.zeroPoints[r * zpRow + (b >> 1)] as number;
      const zp = b & 1 ? zb >> 4 : zb & 15;
      out[r * cols + c] = (qv - zp) * (t.scales[r * t.blocksPerRow + b] as number);
    }
  return out;
}
