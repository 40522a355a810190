// GGUF reader: the header, metadata and tensor table of a .gguf file (versions 2 and 3), read with
// positioned reads of a growing window (never the tensor data). Used by the tests of the exporter
// and available to tools that describe a GGUF file.
import { open, type FileHandle } from 'node:fs/promises';
import { GGML_BLOCK, GGML_TYPE_NAMES, GGUF_ALIGNMENT, GgufValueType, alignTo } from './writer.js';

export type GgufReadValue = number | bigint | boolean | string | GgufReadValue[];

export interface GgufTensorInfo {
  name: string;
  /** ne[0] first (row length), as in the file. */
  dims: number[];
  type: number;
  /** Type name when it is one of the types this project writes (F32, F16, BF16, Q8_0, Q4_0). */
  typeName: string | null;
  /** Offset from the start of the data section. */
  offset: number;
  /** Absolute file offset of the data. */
  fileOffset: number;
  /** Data bytes (null for types whose block size is unknown here). */
  bytes: number | null;
}

export interface GgufFile {
  version: number;
  metadata: Map<string, GgufReadValue>;
  /** gguf_type of each key's value (ARRAY keys also record their item type). */
  types: Map<string, { type: number; itemType?: number }>;
  tensors: GgufTensorInfo[];
  alignment: number;
  dataOffset: number;
  fileBytes: number;
}

export class GgufFormatError extends Error {
  override name = 'GgufFormatError';
}

class OutOfData extends Error {}

/** Cursor over a window of the file that starts at offset 0. */
class Cursor {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  private take(n: number): number {
    if (this.pos + n > this.buf.length) throw new OutOfData();
    const p = this.pos;
    this.pos += n;
    return p;
  }
  u8 = (): number => this.buf.readUInt8(this.take(1));
  i8 = (): number => this.buf.readInt8(this.take(1));
  u16 = (): number => this.buf.readUInt16LE(this.take(2));
  i16 = (): number => this.buf.readInt16LE(this.take(2));
  u32 = (): number => this.buf.readUInt32LE(this.take(4));
  i32 = (): number => this.buf.readInt32LE(this.take(4));
  f32 = (): number => this.buf.readFloatLE(this.take(4));
  f64 = (): number => this.buf.readDoubleLE(this.take(8));
  u64 = (): bigint => this.buf.readBigUInt64LE(this.take(8));
  i64 = (): bigint => this.buf.readBigInt64LE(this.take(8));
  /** u64 that must fit a JS number. */
  size(what: string): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new GgufFormatError(`${what} is too large (${v})`);
    return Number(v);
  }
  string(what: string): string {
    const n = this.size(`${what} length`);
    if (n > 1 << 30) throw new GgufFormatError(`${what} length ${n} is implausible`);
    const p = this.take(n);
    return this.buf.toString('utf8', p, p + n);
  }
}

function readValue(c: Cursor, type: number, key: string): GgufReadValue {
  switch (type) {
    case GgufValueType.UINT8:
      return c.u8();
    case GgufValueType.INT8:
      return c.i8();
    case GgufValueType.UINT16:
      return c.u16();
    case GgufValueType.INT16:
      return c.i16();
    case GgufValueType.UINT32:
      return c.u32();
    case GgufValueType.INT32:
      return c.i32();
    case GgufValueType.FLOAT32:
      return c.f32();
    case GgufValueType.BOOL: {
      const b = c.u8();
      if (b > 1) throw new GgufFormatError(`${key}: bool value ${b}`);
      return b === 1;
    }
    case GgufValueType.STRING:
      return c.string(key);
    case GgufValueType.UINT64:
      return c.u64();
    case GgufValueType.INT64:
      return c.i64();
    case GgufValueType.FLOAT64:
      return c.f64();
    default:
      throw new GgufFormatError(`${key}: unknown value type ${type}`);
  }
}

function parse(buf: Buffer, fileBytes: number): GgufFile {
  const c = new Cursor(buf);
  if (buf.length < 4 || buf.toString('ascii', 0, 4) !== 'GGUF') throw new GgufFormatError('not a GGUF file (bad magic)');
  c.pos = 4;
  const version = c.u32();
  if (version !== 2 && version !== 3) throw new GgufFormatError(`unsupported GGUF version ${version}`);
  const nTensors = c.size('tensor count');
  const nKv = c.size('metadata count');
  const metadata = new Map<string, GgufReadValue>();
  const types = new Map<string, { type: number; itemType?: number }>();
  for (let i = 0; i < nKv; i++) {
    const key = c.string('key');
    const type = c.u32();
    if (metadata.has(key)) throw new GgufFormatError(`duplicate key ${key}`);
    if (type === GgufValueType.ARRAY) {
      const itemType = c.u32();
      const n = c.size(`${key} array length`);
      const arr: GgufReadValue[] = new Array(n);
      for (let j = 0; j < n; j++) arr[j] = readValue(c, itemType, key);
      metadata.set(key, arr);
      types.set(key, { type, itemType });
    } else {
      metadata.set(key, readValue(c, type, key));
      types.set(key, { type });
    }
  }
  const alignment = typeof metadata.get('general.alignment') === 'number' ? (metadata.get('general.alignment') as number) : GGUF_ALIGNMENT;
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = c.string('tensor name');
    const nd = c.u32();
    if (nd < 1 || nd > 4) throw new GgufFormatError(`tensor ${name}: ${nd} dimensions`);
    const dims: number[] = [];
    for (let d = 0; d < nd; d++) dims.push(c.size(`tensor ${name} dimension`));
    const type = c.u32();
    const offset = c.size(`tensor ${name} offset`);
    const typeName = GGML_TYPE_NAMES[type] ?? null;
    let bytes: number | null = null;
    if (typeName) {
      const b = GGML_BLOCK[typeName];
      if (dims[0]! % b.elements !== 0) throw new GgufFormatError(`tensor ${name}: ne0 ${dims[0]} is not a multiple of ${b.elements} (${typeName})`);
      bytes = (dims[0]! / b.elements) * b.bytes * dims.slice(1).reduce((a, x) => a * x, 1);
    }
    tensors.push({ name, dims, type, typeName, offset, fileOffset: 0, bytes });
  }
  const dataOffset = alignTo(c.pos, alignment);
  for (const t of tensors) {
    t.fileOffset = dataOffset + t.offset;
    if (t.bytes !== null && t.fileOffset + t.bytes > fileBytes)
      throw new GgufFormatError(`tensor ${t.name} lies outside the file (truncated?)`);
  }
  return { version, metadata, types, tensors, alignment, dataOffset, fileBytes };
}

/** Reads the header, metadata and tensor table of a GGUF file. */
export async function readGguf(path: string): Promise<GgufFile> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new GgufFormatError(`${path}: cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const { size } = await fh.stat();
    for (let window = Math.min(size, 1 << 20); ; window = Math.min(size, window * 4)) {
      const buf = Buffer.alloc(window);
      await fh.read(buf, 0, window, 0);
      try {
        return parse(buf, size);
      } catch (e) {
        if (!(e instanceof OutOfData)) throw e instanceof GgufFormatError ? new GgufFormatError(`${path}: ${e.message}`) : e;
        if (window >= size) throw new GgufFormatError(`${path}: the header runs past the end of the file (truncated?)`);
      }
    }
  } finally {
    await fh.close();
  }
}

/** Reads one tensor's raw data bytes. */
export async function readGgufTensorData(path: string, info: GgufTensorInfo): Promise<Buffer> {
  if (info.bytes === null) throw new GgufFormatError(`tensor ${info.name}: unknown size for type ${info.type}`);
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(info.bytes);
    const { bytesRead } = await fh.read(buf, 0, info.bytes, info.fileOffset);
    if (bytesRead !== info.bytes) throw new GgufFormatError(`tensor ${info.name}: short read`);
    return buf;
  } finally {
    await fh.close();
  }
}
