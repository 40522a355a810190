// The tensors of a .qins file as GGUF tensors, re-packed without re-quantizing and streamed a chunk
// of rows at a time with positioned reads.
//
// - q8 (w = scale · int8(code) / 127, fp16 scale per block of 32) → Q8_0 (w = d · qs):
//   d = fp16(scale / 127), qs = the same int8 codes. Equal up to the fp16 rounding of d.
// - q4 (w = scale · (code − 8) / 8, ggml nibble order) → Q4_0 (w = d · (q − 8)): d = fp16(scale / 8),
//   the same nibble bytes. Exact (dividing by 8 only moves the exponent) unless |scale| < 2^-11,
//   where d becomes an fp16 subnormal and keeps fewer bits.
// - bf16 → BF16 and f32 → F32 byte for byte; 1-D tensors (norms, biases) are F32.
// - Fused q,k,v and gate,up rows are split by rows where the architecture wants separate tensors
//   (each row is coded on its own, so the split is lossless), and for llama.cpp's llama
//   architecture the q and k rows of each head are reordered from HF's rotate-half layout to the
//   interleaved pairs llama.cpp's RoPE expects (row h·d + 2j + t ← row h·d + t·d/2 + j).
import type { FileHandle } from 'node:fs/promises';
import { ConvertError } from '../convert/errors.js';
import { f16ToF32 } from '../convert/codecs.js';
import type { Codebook, TensorEntry } from '../format/qins-format.js';
import { ggufTensorBytes, type GgmlTypeName, type GgufTensorSpec } from './writer.js';

const BLOCK = 32;
/** Output bytes per chunk of rows (the memory a tensor's export holds at a time, about twice this). */
const CHUNK_BYTES = 4 * 1024 * 1024;

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

/** IEEE binary16 bits of `v` (a double), rounded to nearest even once, from the exact value. */
export function toF16Bits(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a >= 65520) return sign | 0x7c00; // 65504 is the largest finite half; halfway to 65536 rounds up
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24); // subnormal (1024 becomes the smallest normal)
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}

let q8Table: Uint16Array | null = null;
let q4Table: Uint16Array | null = null;
/** fp16 block scale bits → Q8_0 d bits (scale / 127) / Q4_0 d bits (scale / 8). */
export function q8d(scaleBits: number): number {
  if (!q8Table) {
    q8Table = new Uint16Array(65536);
    for (let h = 0; h < 65536; h++) q8Table[h] = toF16Bits(f16ToF32(h) / 127);
  }
  return q8Table[scaleBits]!;
}
export function q4d(scaleBits: number): number {
  if (!q4Table) {
    q4Table = new Uint16Array(65536);
    for (let h = 0; h < 65536; h++) q4Table[h] = toF16Bits(f16ToF32(h) / 8);
  }
  return q4Table[scaleBits]!;
}

const sameInts = (cb: Codebook, f: (code: number) => number): boolean => cb.ints.every((v, code) => v === f(code));
/** Whether a codebook is exactly the linear q8 / q4 one (so the codes carry over unchanged). */
export function isLinearQ8(cb: Codebook | undefined): boolean {
  return !!cb && cb.bits === 8 && cb.denom === 127 && cb.ints.length === 256 && sameInts(cb, (c) => (c < 128 ? c : c - 256));
}
export function isLinearQ4(cb: Codebook | undefined): boolean {
  return !!cb && cb.bits === 4 && cb.denom === 8 && cb.ints.length === 16 && sameInts(cb, (c) => c - 8);
}

async function readExact(fh: FileHandle, buf: Uint8Array, position: number, file: string, what: string): Promise<void> {
  let done = 0;
  while (done < buf.byteLength) {
    const { bytesRead } = await fh.read(buf, done, buf.byteLength - done, position + done);
    if (bytesRead === 0) throw new ConvertError('BAD_FILE', `${file}: ${what} ends early (truncated file?)`, file);
    done += bytesRead;
  }
}

/** Rows [rowStart, rowStart + rows) of a .qins tensor, optionally with q/k head reordering. */
export interface RowSlice {
  entry: TensorEntry;
  rowStart: number;
  rows: number;
  /** Reorder rows within each group of this many rows (head_dim) from rotate-half to interleaved. */
  permuteHeadDim?: number;
}

/** Source row of output row `i` (relative to the slice) under the head reordering. */
function sourceRow(i: number, hd: number | undefined): number {
  if (!hd) return i;
  const h = Math.floor(i / hd);
  const k = i - h * hd;
  const j = k >> 1;
  const t = k & 1;
  return h * hd + t * (hd / 2) + j;
}

export interface SourceFile {
  fh: FileHandle;
  path: string;
}

/** The GGUF type a .qins tensor entry becomes. */
export function ggufTypeOf(entry: TensorEntry): GgmlTypeName {
  if (entry.shape.length === 1) return 'F32';
  switch (entry.codec) {
    case 'q8':
      return 'Q8_0';
    case 'q4':
      return 'Q4_0';
    case 'bf16':
      return 'BF16';
    case 'f32':
      return 'F32';
    default:
      throw new ConvertError('BAD_ARGUMENT', `tensor ${entry.name} uses the ${entry.codec} codec, which GGUF cannot represent`);
  }
}

/** A GGUF tensor made of one row slice of a .qins tensor. */
export function sliceTensor(src: SourceFile, name: string, slice: RowSlice, codebook: Codebook | undefined): GgufTensorSpec {
  const { entry } = slice;
  const type = ggufTypeOf(entry);
  const oneD = entry.shape.length === 1;
  const cols = oneD ? 1 : entry.shape[1]!;
  const dims = oneD ? [slice.rows] : [cols, slice.rows];
  const file = src.path;
  const hd = slice.permuteHeadDim;
  if (hd !== undefined && (hd % 2 !== 0 || slice.rows % hd !== 0 || slice.rowStart % hd !== 0))
    throw new ConvertError('BAD_FILE', `${file}: tensor ${entry.name} rows do not split into heads of ${hd}`, file);
  if (slice.rowStart + slice.rows > entry.shape[0]!) throw new ConvertError('BAD_FILE', `${file}: tensor ${entry.name} has fewer rows than its model needs`, file);
  if (type === 'Q8_0' || type === 'Q4_0') {
    if (entry.block !== BLOCK) throw new ConvertError('BAD_FILE', `${file}: tensor ${entry.name} has block ${entry.block}, GGUF needs ${BLOCK}`, file);
    if (cols % BLOCK !== 0)
      throw new ConvertError('BAD_ARGUMENT', `tensor ${entry.name} has ${cols} columns, not a multiple of ${BLOCK}: ${type} cannot hold it (export a bf16 conversion instead)`);
    const linear = type === 'Q8_0' ? isLinearQ8(codebook) : isLinearQ4(codebook);
    if (!linear) throw new ConvertError('BAD_FILE', `${file}: tensor ${entry.name} does not use the linear ${entry.codec} codebook`, file);
  }
  const part = (k: string): { offset: number; bytes: number } => {
    const p = entry.parts[k];
    if (!p) throw new ConvertError('BAD_FILE', `${file}: tensor ${entry.name} has no "${k}" part`, file);
    return p;
  };
  const rowOutBytes = ggufTensorBytes(type, [cols, 1]);
  const group = hd ?? 1;
  const chunkRows = Math.max(group, Math.floor(CHUNK_BYTES / rowOutBytes / group) * group);

  const produce = async (emit: (bytes: Uint8Array) => Promise<void>): Promise<void> => {
    for (let a = 0; a < slice.rows; a += chunkRows) {
      const n = Math.min(chunkRows, slice.rows - a);
      const first = slice.rowStart + a; // source rows [first, first + n) (a reordering stays inside)
      const out = new Uint8Array(n * rowOutBytes);
      if (type === 'Q8_0' || type === 'Q4_0') {
        const nb = cols / BLOCK;
        const codeRow = type === 'Q8_0' ? cols : cols / 2;
        const codes = new Uint8Array(n * codeRow);
        const scalesBuf = new Uint8Array(n * nb * 2);
        await readExact(src.fh, codes, part('codes').offset + first * codeRow, file, `tensor ${entry.name}`);
        await readExact(src.fh, scalesBuf, part('scales').offset + first * nb * 2, file, `tensor ${entry.name}`);
        const scales = new Uint16Array(scalesBuf.buffer, 0, n * nb);
        const blockIn = type === 'Q8_0' ? BLOCK : BLOCK / 2;
        const blockOut = blockIn + 2;
        const dOf = type === 'Q8_0' ? q8d : q4d;
        for (let i = 0; i < n; i++) {
          const s = sourceRow(i, hd);
          let o = i * rowOutBytes;
          let c = s * codeRow;
          for (let b = 0; b < nb; b++) {
            const d = dOf(scales[s * nb + b]!);
            out[o] = d & 0xff;
            out[o + 1] = d >> 8;
            for (let j = 0; j < blockIn; j++) out[o + 2 + j] = codes[c + j]!;
            o += blockOut;
            c += blockIn;
          }
        }
      } else {
        // F32 from f32 / bf16 (1-D) or BF16 / F32 passthrough: whole rows.
        const inElem = entry.codec === 'bf16' ? 2 : 4;
        if (entry.codec !== 'bf16' && entry.codec !== 'f32')
          throw new ConvertError('BAD_ARGUMENT', `tensor ${entry.name} uses the ${entry.codec} codec, which GGUF cannot represent`);
        const inRow = cols * inElem;
        const data = new Uint8Array(n * inRow);
        await readExact(src.fh, data, part('data').offset + first * inRow, file, `tensor ${entry.name}`);
        const widen = type === 'F32' && entry.codec === 'bf16';
        for (let i = 0; i < n; i++) {
          const s = sourceRow(i, hd);
          if (!widen) out.set(data.subarray(s * inRow, (s + 1) * inRow), i * rowOutBytes);
          else
            for (let c = 0; c < cols; c++) {
              const o = i * rowOutBytes + c * 4;
              out[o] = 0;
              out[o + 1] = 0;
              out[o + 2] = data[s * inRow + c * 2]!;
              out[o + 3] = data[s * inRow + c * 2 + 1]!;
            }
        }
      }
      await emit(out);
    }
  };
  return { name, dims, type, produce };
}

/** A small F32 tensor computed here (RoPE frequency factors). */
export function f32Tensor(name: string, values: ArrayLike<number>): GgufTensorSpec {
  const data = Float32Array.from(values);
  return { name, dims: [data.length], type: 'F32', produce: (emit) => emit(new Uint8Array(data.buffer)) };
}
