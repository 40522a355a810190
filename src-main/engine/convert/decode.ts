// Reference decoder of .qins tensors in TypeScript (slow, exact): used by tests to check the
// native encoders independently, and to dequantize a file back to float32.
import { open } from 'node:fs/promises';
import type { Codebook, QinsHeader, TensorEntry } from '../format/qins-format.js';
import { f16ToF32, paddedCols } from './codecs.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bf16ToF32 = (h: number): number => {
  u32[0] = h << 16;
  return f32[0]!;
};

/** Decodes one tensor from its parts (each part's bytes, keyed like entry.parts). */
export function decodeTensor(entry: TensorEntry, codebook: Codebook | undefined, parts: Record<string, Uint8Array>): Float32Array {
  const rows = entry.shape[0]!;
  const cols = entry.shape.length === 2 ? entry.shape[1]! : 1;
  const out = new Float32Array(rows * cols);
  const u16 = (b: Uint8Array): Uint16Array => new Uint16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  switch (entry.codec) {
    case 'f32':
      out.set(new Float32Array(parts.data!.buffer.slice(parts.data!.byteOffset, parts.data!.byteOffset + parts.data!.byteLength)));
      return out;
    case 'bf16': {
      const d = u16(parts.data!);
      for (let i = 0; i < d.length; i++) out[i] = bf16ToF32(d[i]!);
      return out;
    }
    case 'qins-seed': {
      const codes = parts.codes!;
      const signs = parts.signs!;
      const sb = Math.ceil(cols / 8);
      const scale = entry.scale!;
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++) {
          const m = Math.fround(scale / codes[r * cols + c]!);
          out[r * cols + c] = (signs[r * sb + (c >> 3)]! >> (c & 7)) & 1 ? -m : m;
        }
      return out;
    }
    default: {
      if (!codebook) throw new Error(`tensor ${entry.name} has no codebook`);
      const block = entry.block!;
      const cp = paddedCols(cols, block);
      const nb = cp / block;
      const scales = u16(parts.scales!);
      const codes = parts.codes!;
      const four = codebook.bits === 4;
      for (let r = 0; r < rows; r++)
        for (let b = 0; b < nb; b++) {
          const s = f16ToF32(scales[r * nb + b]!);
          for (let j = 0; j < block; j++) {
            const c = b * block + j;
            if (c >= cols) break;
            let code: number;
            if (four) {
              const half = block / 2;
              const byte = codes[(r * cp + b * block) / 2 + (j % half)]!;
              code = j < half ? byte & 15 : byte >> 4;
            } else code = codes[r * cp + c]!;
            out[r * cols + c] = s * (codebook.ints[code]! / codebook.denom);
          }
        }
      return out;
    }
  }
}

/** Reads and decodes the tensor `name` of an open .qins file. */
export async function readTensor(path: string, header: QinsHeader, name: string): Promise<Float32Array> {
  const entry = header.tensors.find((t) => t.name === name);
  if (!entry) throw new Error(`${path}: no tensor ${name}`);
  const fh = await open(path, 'r');
  try {
    const parts: Record<string, Uint8Array> = {};
    for (const [k, p] of Object.entries(entry.parts)) {
      const b = Buffer.alloc(p.bytes);
      await fh.read(b, 0, p.bytes, p.offset);
      parts[k] = b;
    }
    return decodeTensor(entry, entry.codebook ? header.codebooks[entry.codebook] : undefined, parts);
  } finally {
    await fh.close();
  }
}
