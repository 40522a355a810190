// GGUF version 3 writer: metadata key/values, a tensor table, and tensor data aligned to 32 bytes,
// written atomically (a temp file next to the destination, fsync, rename; nothing is left behind
// on any error). Tensor data is produced one tensor (and one chunk of rows) at a time, so the
// writer never holds a whole model.
//
// File layout (little-endian): "GGUF", u32 version 3, u64 tensor count, u64 key/value count,
// the key/values (gguf string key, u32 value type, value), the tensor infos (gguf string name,
// u32 n_dims, u64 ne[n_dims] innermost first, u32 ggml type, u64 offset from the data start),
// zero padding to the alignment, then the tensor data, each tensor at an aligned offset.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AtomicFile, type WriterIo } from '../convert/writer.js';
import { ConvertError, throwIfAborted } from '../convert/errors.js';

export const GGUF_MAGIC = 'GGUF';
export const GGUF_VERSION = 3;
export const GGUF_ALIGNMENT = 32;

/** gguf_type: the value types of metadata. */
export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
export type GgufValueTypeId = (typeof GgufValueType)[keyof typeof GgufValueType];

/** ggml_type ids of the tensor types the exporter writes. */
export const GgmlType = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8, BF16: 30 } as const;
export type GgmlTypeName = keyof typeof GgmlType;
export const GGML_TYPE_NAMES: Record<number, GgmlTypeName> = Object.fromEntries(Object.entries(GgmlType).map(([k, v]) => [v, k as GgmlTypeName]));

/** Elements per block and bytes per block of each type. */
export const GGML_BLOCK: Record<GgmlTypeName, { elements: number; bytes: number }> = {
  F32: { elements: 1, bytes: 4 },
  F16: { elements: 1, bytes: 2 },
  BF16: { elements: 1, bytes: 2 },
  Q8_0: { elements: 32, bytes: 34 },
  Q4_0: { elements: 32, bytes: 18 },
};

/** llama_ftype: what general.file_type says about the bulk of the weights. */
export const LlamaFileType = { ALL_F32: 0, MOSTLY_F16: 1, MOSTLY_Q4_0: 2, MOSTLY_Q8_0: 7, MOSTLY_BF16: 32 } as const;

export type GgufScalarType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'u64' | 'i64' | 'f64';
export type GgufValue =
  | { type: GgufScalarType; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: 'string'; value: readonly string[] }
  | { type: 'array'; itemType: GgufScalarType; value: ArrayLike<number> }
  | { type: 'array'; itemType: 'bool'; value: readonly boolean[] };

export const gguf = {
  u32: (value: number): GgufValue => ({ type: 'u32', value }),
  i32: (value: number): GgufValue => ({ type: 'i32', value }),
  f32: (value: number): GgufValue => ({ type: 'f32', value }),
  bool: (value: boolean): GgufValue => ({ type: 'bool', value }),
  str: (value: string): GgufValue => ({ type: 'string', value }),
  strings: (value: readonly string[]): GgufValue => ({ type: 'array', itemType: 'string', value }),
  f32s: (value: ArrayLike<number>): GgufValue => ({ type: 'array', itemType: 'f32', value }),
  i32s: (value: ArrayLike<number>): GgufValue => ({ type: 'array', itemType: 'i32', value }),
};

const SCALAR: Record<GgufScalarType, { id: GgufValueTypeId; bytes: number }> = {
  u8: { id: GgufValueType.UINT8, bytes: 1 },
  i8: { id: GgufValueType.INT8, bytes: 1 },
  u16: { id: GgufValueType.UINT16, bytes: 2 },
  i16: { id: GgufValueType.INT16, bytes: 2 },
  u32: { id: GgufValueType.UINT32, bytes: 4 },
  i32: { id: GgufValueType.INT32, bytes: 4 },
  f32: { id: GgufValueType.FLOAT32, bytes: 4 },
  u64: { id: GgufValueType.UINT64, bytes: 8 },
  i64: { id: GgufValueType.INT64, bytes: 8 },
  f64: { id: GgufValueType.FLOAT64, bytes: 8 },
};

/** A tensor of the file: its table entry and a producer that writes its bytes in order. */
export interface GgufTensorSpec {
  name: string;
  /** ne[0] first: the row length (columns), then the row count. */
  dims: number[];
  type: GgmlTypeName;
  /**
   * Streams the tensor's bytes: calls `emit` with consecutive pieces whose lengths add up to
   * ggufTensorBytes(type, dims); each piece may be reused by the producer once emit resolves.
   */
  produce(emit: (bytes: Uint8Array) => Promise<void>): Promise<void>;
}

export function ggufTensorBytes(type: GgmlTypeName, dims: readonly number[]): number {
  const b = GGML_BLOCK[type];
  const ne0 = dims[0]!;
  if (ne0 % b.elements !== 0) throw new Error(`${type} needs rows of a multiple of ${b.elements} elements (got ${ne0})`);
  const rows = dims.slice(1).reduce((a, d) => a * d, 1);
  return (ne0 / b.elements) * b.bytes * rows;
}

export const alignTo = (n: number, a = GGUF_ALIGNMENT): number => Math.ceil(n / a) * a;

/** Serialises GGUF values into a growing buffer. */
class Encoder {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private need(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  ascii(s: string): void {
    this.need(s.length);
    this.buf.write(s, this.length, 'ascii');
    this.length += s.length;
  }
  u32(v: number): void {
    this.need(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  u64(v: number): void {
    this.need(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  string(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.u64(n);
    this.need(n);
    this.buf.write(s, this.length, n, 'utf8');
    this.length += n;
  }
  scalar(type: GgufScalarType, v: number): void {
    const { bytes } = SCALAR[type];
    this.need(bytes);
    const b = this.buf;
    const o = this.length;
    switch (type) {
      case 'u8':
        b.writeUInt8(v, o);
        break;
      case 'i8':
        b.writeInt8(v, o);
        break;
      case 'u16':
        b.writeUInt16LE(v, o);
        break;
      case 'i16':
        b.writeInt16LE(v, o);
        break;
      case 'u32':
        b.writeUInt32LE(v, o);
        break;
      case 'i32':
        b.writeInt32LE(v, o);
        break;
      case 'f32':
        b.writeFloatLE(v, o);
        break;
      case 'u64':
        b.writeBigUInt64LE(BigInt(v), o);
        break;
      case 'i64':
        b.writeBigInt64LE(BigInt(v), o);
        break;
      case 'f64':
        b.writeDoubleLE(v, o);
        break;
    }
    this.length += bytes;
  }
  bool(v: boolean): void {
    this.need(1);
    this.buf.writeUInt8(v ? 1 : 0, this.length);
    this.length += 1;
  }
  value(v: GgufValue): void {
    switch (v.type) {
      case 'bool':
        this.u32(GgufValueType.BOOL);
        this.bool(v.value);
        return;
      case 'string':
        this.u32(GgufValueType.STRING);
        this.string(v.value);
        return;
      case 'array': {
        this.u32(GgufValueType.ARRAY);
        const items = v.value;
        if (v.itemType === 'string') {
          this.u32(GgufValueType.STRING);
          this.u64(items.length);
          for (const s of items as readonly string[]) this.string(s);
        } else if (v.itemType === 'bool') {
          this.u32(GgufValueType.BOOL);
          this.u64(items.length);
          for (const x of items as readonly boolean[]) this.bool(x);
        } else {
          this.u32(SCALAR[v.itemType].id);
          this.u64(items.length);
          const nums = items as ArrayLike<number>;
          for (let i = 0; i < nums.length; i++) this.scalar(v.itemType, nums[i]!);
        }
        return;
      }
      default:
        this.u32(SCALAR[v.type].id);
        this.scalar(v.type, v.value);
    }
  }
  pad(a: number): void {
    const n = alignTo(this.length, a) - this.length;
    this.need(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

export interface GgufLayout {
  /** Header, metadata, tensor table and padding: the data section starts at header.length. */
  header: Buffer;
  /** Offset of each tensor's data from the start of the data section. */
  offsets: number[];
  sizes: number[];
  fileBytes: number;
}

/** Encodes everything before the tensor data and places each tensor. */
export function layoutGguf(metadata: ReadonlyArray<readonly [string, GgufValue]>, tensors: readonly GgufTensorSpec[]): GgufLayout {
  const seen = new Set<string>();
  for (const [k] of metadata) {
    if (seen.has(k)) throw new Error(`duplicate GGUF key ${k}`);
    seen.add(k);
  }
  const names = new Set<string>();
  const e = new Encoder();
  e.ascii(GGUF_MAGIC);
  e.u32(GGUF_VERSION);
  e.u64(tensors.length);
  e.u64(metadata.length);
  for (const [k, v] of metadata) {
    e.string(k);
    e.value(v);
  }
  const offsets: number[] = [];
  const sizes: number[] = [];
  let off = 0;
  for (const t of tensors) {
    if (names.has(t.name)) throw new Error(`duplicate GGUF tensor ${t.name}`);
    names.add(t.name);
    const size = ggufTensorBytes(t.type, t.dims);
    e.string(t.name);
    e.u32(t.dims.length);
    for (const d of t.dims) e.u64(d);
    e.u32(GgmlType[t.type]);
    e.u64(off);
    offsets.push(off);
    sizes.push(size);
    off = alignTo(off + size);
  }
  e.pad(GGUF_ALIGNMENT);
  const header = Buffer.from(e.bytes());
  const last = tensors.length ? offsets[tensors.length - 1]! + sizes[tensors.length - 1]! : 0;
  return { header, offsets, sizes, fileBytes: header.length + last };
}

export interface WriteGgufOptions {
  /** Replace an existing file at the destination (default: refuse). */
  force?: boolean;
  signal?: AbortSignal;
  /** Called after each tensor is written. */
  onTensor?: (done: number, total: number, name: string, bytesDone: number, bytesTotal: number) => void;
  io?: WriterIo;
}

/** Checks that the destination may be written (before any work is done). */
export async function checkDestination(destination: string, force: boolean): Promise<string> {
  const dest = resolve(destination);
  const st = await stat(dest).catch(() => null);
  if (st?.isDirectory()) throw new ConvertError('NOT_WRITABLE', `${dest} is a folder; give a file name for the output`, dest);
  if (st && !force) throw new ConvertError('NOT_WRITABLE', `${dest} already exists (use --force to replace it)`, dest);
  return dest;
}

/** Writes a GGUF file atomically; returns its size in bytes. */
export async function writeGguf(
  destination: string,
  metadata: ReadonlyArray<readonly [string, GgufValue]>,
  tensors: readonly GgufTensorSpec[],
  opts: WriteGgufOptions = {},
): Promise<number> {
  const dest = await checkDestination(destination, opts.force === true);
  const layout = layoutGguf(metadata, tensors);
  const free = await AtomicFile.freeBytes(dest);
  if (free !== null && free < layout.fileBytes)
    throw new ConvertError('NO_SPACE', `${dest}: ${layout.fileBytes} bytes needed, ${free} free on the device`, dest);
  const file = await AtomicFile.create(dest, opts.io);
  try {
    await file.write(layout.header, 0);
    const dataStart = layout.header.length;
    const total = layout.sizes.reduce((a, b) => a + b, 0);
    let bytesDone = 0;
    for (let i = 0; i < tensors.length; i++) {
      const t = tensors[i]!;
      throwIfAborted(opts.signal, 'GGUF export');
      let pos = dataStart + layout.offsets[i]!;
      const end = pos + layout.sizes[i]!;
      await t.produce(async (bytes) => {
        throwIfAborted(opts.signal, 'GGUF export');
        if (pos + bytes.byteLength > end) throw new Error(`tensor ${t.name} produced more than its ${layout.sizes[i]} bytes`);
        await file.write(bytes, pos);
        pos += bytes.byteLength;
      });
      if (pos !== end) throw new Error(`tensor ${t.name} produced ${pos - (end - layout.sizes[i]!)} of its ${layout.sizes[i]} bytes`);
      // Padding up to the next tensor is written explicitly so the file never has holes.
      const next = i + 1 < tensors.length ? dataStart + layout.offsets[i + 1]! : end;
      if (next > end) await file.write(new Uint8Array(next - end), end);
      bytesDone += layout.sizes[i]!;
      opts.onTensor?.(i + 1, tensors.length, t.name, bytesDone, total);
    }
    await file.commit();
  } catch (e) {
    await file.abort();
    throw e;
  }
  return layout.fileBytes;
}
