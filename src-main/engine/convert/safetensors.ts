// Reading and validating safetensors files without loading them: only the JSON header is parsed;
// tensor data is fetched later with positioned reads.
// Format: u64 LE header length N, N bytes of JSON {name: {dtype, shape, data_offsets:[b, e]}, __metadata__?},
// then the data region; offsets are relative to the start of the data region (8 + N).
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { ConvertError, fsError } from './errors.js';

/** Element sizes of every dtype the safetensors format defines. */
const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E4M3: 1, F8_E5M2: 1, F8_E8M0: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8,
};
/** Dtypes the converter can read weights from. */
export const SUPPORTED_DTYPES = ['BF16', 'F16', 'F32'] as const;
export type SourceDtype = (typeof SUPPORTED_DTYPES)[number];
export const isSupportedDtype = (d: string): d is SourceDtype => (SUPPORTED_DTYPES as readonly string[]).includes(d);

/** Refuse headers larger than this (the reference implementation's limit). */
export const MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024;

export interface SourceTensor {
  name: string;
  /** Absolute path of the shard holding it. */
  file: string;
  dtype: string;
  shape: number[];
  /** Absolute file offset of the first byte. */
  offset: number;
  bytes: number;
}

export interface SafetensorsFile {
  file: string;
  size: number;
  tensors: Map<string, SourceTensor>;
}

/** Parses and validates the header of one .safetensors file (bounds, JSON, dtypes, shapes, offsets). */
export async function readSafetensors(file: string): Promise<SafetensorsFile> {
  const name = basename(file);
  const bad = (msg: string, tensor?: string): ConvertError =>
    new ConvertError('BAD_CHECKPOINT', `${name}: ${tensor ? `tensor ${tensor}: ` : ''}${msg}`, file, tensor);
  const fh = await open(file, 'r').catch((e: unknown) => {
    throw fsError(e, name, 'opening the shard');
  });
  try {
    const { size } = await fh.stat();
    if (size < 8) throw bad(`truncated: ${size} bytes, too small for a safetensors header`);
    const pre = Buffer.alloc(8);
    await fh.read(pre, 0, 8, 0);
    const n = pre.readBigUInt64LE(0);
    if (n > BigInt(size - 8)) throw bad(`header length ${n} exceeds the file size (${size} bytes; truncated or not a safetensors file)`);
    if (n > BigInt(MAX_SAFETENSORS_HEADER)) throw bad(`header length ${n} exceeds the ${MAX_SAFETENSORS_HEADER}-byte limit`);
    if (n < 2n) throw bad(`header length ${n} is too small`);
    const len = Number(n);
    const buf = Buffer.alloc(len);
    const { bytesRead } = await fh.read(buf, 0, len, 8);
    if (bytesRead !== len) throw bad('truncated header');
    let json: unknown;
    try {
      json = JSON.parse(buf.toString('utf8'));
    } catch (e) {
      throw bad(`header is not valid JSON (${(e as Error).message})`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('header is not a JSON object');
    const dataStart = 8 + len;
    const dataBytes = size - dataStart;
    const tensors = new Map<string, SourceTensor>();
    for (const [tname, v] of Object.entries(json as Record<string, unknown>)) {
      if (tname === '__metadata__') continue;
      if (typeof v !== 'object' || v === null) throw bad('entry is not an object', tname);
      const { dtype, shape, data_offsets: off } = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (typeof dtype !== 'string') throw bad('missing dtype', tname);
      const el = DTYPE_BYTES[dtype];
      if (el === undefined) throw bad(`unknown dtype ${JSON.stringify(dtype)}`, tname);
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad('invalid shape', tname);
      if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0))
        throw bad('invalid data_offsets', tname);
      const [b, e] = off as [number, number];
      if (e < b) throw bad(`data_offsets [${b}, ${e}] end before begin`, tname);
      if (e > dataBytes)
        throw bad(`data_offsets end ${e} lies beyond the data region (${dataBytes} bytes; truncated shard?)`, tname);
      const count = (shape as number[]).reduce((a, d) => a * d, 1);
      if (count * el !== e - b)
        throw bad(`shape [${(shape as number[]).join(', ')}] × ${dtype} needs ${count * el} bytes but data_offsets span ${e - b}`, tname);
      tensors.set(tname, { name: tname, file, dtype, shape: shape as number[], offset: dataStart + b, bytes: e - b });
    }
    const sorted = [...tensors.values()].filter((t) => t.bytes > 0).sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      const cur = sorted[i]!;
      if (cur.offset < prev.offset + prev.bytes) throw bad(`data overlaps tensor ${prev.name}`, cur.name);
    }
    return { file, size, tensors };
  } finally {
    await fh.close();
  }
}
