// A small reader for HuggingFace safetensors checkpoints (one file, or shards listed by
// model.safetensors.index.json). Tensors are read one at a time and widened to float32, so a
// checkpoint far larger than memory can be streamed tensor by tensor.
import { existsSync } from 'node:fs';
import { open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';
const ELEMENT_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
/** Refuse absurd headers (a real one is well under 1 MB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  file: string;
  /** Absolute byte offset of the data in `file`. */
  offset: number;
  bytes: number;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

const isDtype = (s: unknown): s is SafetensorsDtype => s === 'F32' || s === 'F16' || s === 'BF16';

async function readHeader(file: string): Promise<SafetensorEntry[]> {
  const fh = await open(file, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new SafetensorsError(`${file}: cannot open (${e.code ?? e.message})`);
  });
  try {
    const { size } = await fh.stat();
    const pre = Buffer.alloc(8);
    if (size < 8 || (await fh.read(pre, 0, 8, 0)).bytesRead !== 8)
      throw new SafetensorsError(`${file}: too small to be a safetensors file`);
    const n = Number(pre.readBigUInt64LE(0));
    if (n > MAX_HEADER_BYTES || 8 + n > size) throw new SafetensorsError(`${file}: header length ${n} exceeds the file`);
    const buf = Buffer.alloc(n);
    await fh.read(buf, 0, n, 8);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new SafetensorsError(`${file}: header is not valid JSON`);
    }
    const base = 8 + n;
    const out: SafetensorEntry[] = [];
    for (const [name, v] of Object.entries(json)) {
      if (name === '__metadata__') continue;
      const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (!isDtype(e.dtype)) throw new SafetensorsError(`${file}: tensor ${name} has unsupported dtype ${String(e.dtype)}`);
      if (!Array.isArray(e.shape) || !Array.isArray(e.data_offsets) || e.data_offsets.length !== 2)
        throw new SafetensorsError(`${file}: tensor ${name} has a malformed entry`);
      const shape = e.shape.map(Number);
      const [start, end] = e.data_offsets.map(Number) as [number, number];
      const count = shape.reduce((a, b) => a * b, 1);
      if (end - start !== count * ELEMENT_BYTES[e.dtype] || base + end > size)
        throw new SafetensorsError(`${file}: tensor ${name} data range is inconsistent with its shape or the file size`);
      out.push({ name, dtype: e.dtype, shape, file, offset: base + start, bytes: end - start });
    }
    return out;
  } finally {
    await fh.close();
  }
}

let f16Table: Float32Array | null = null;
/** float16 bit pattern → float32 value, for all 65536 patterns. */
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    t[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  f16Table = t;
  return t;
}

/** Widens raw little-endian tensor bytes to float32. */
export function toFloat32(raw: Buffer, dtype: SafetensorsDtype): Float32Array {
  const n = raw.length / ELEMENT_BYTES[dtype];
  if (dtype === 'F32') {
    const out = new Float32Array(n);
    new Uint8Array(out.buffer).set(raw);
    return out;
  }
  const u16 = new Uint16Array(n);
  new Uint8Array(u16.buffer).set(raw);
  if (dtype === 'BF16') {
    const u32 = new Uint32Array(n);
    for (let i = 0; i < n; i++) u32[i] = (u16[i] as number) << 16;
    return new Float32Array(u32.buffer);
  }
  const t = halfTable();
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = t[u16[i] as number] as number;
  return out;
}

/** The tensors of an HF checkpoint folder, readable one by one. */
export class SafetensorsCheckpoint {
  private handles = new Map<string, FileHandle>();

  private constructor(
    readonly dir: string,
    readonly tensors: Map<string, SafetensorEntry>,
    readonly files: string[],
  ) {}

  static async open(dir: string): Promise<SafetensorsCheckpoint> {
    const index = join(dir, 'model.safetensors.index.json');
    let files: string[];
    if (existsSync(index)) {
      let map: Record<string, string>;
      try {
        map = (JSON.parse(await readFile(index, 'utf8')) as { weight_map: Record<string, string> }).weight_map;
      } catch {
        throw new SafetensorsError(`${index}: not a valid safetensors index`);
      }
      if (!map || typeof map !== 'object') throw new SafetensorsError(`${index}: missing weight_map`);
      files = [...new Set(Object.values(map))].sort().map((f) => join(dir, basename(f)));
    } else {
      const names = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.safetensors')).sort();
      if (names.length === 0) throw new SafetensorsError(`${dir}: no *.safetensors files`);
      files = names.map((f) => join(dir, f));
    }
    const tensors = new Map<string, SafetensorEntry>();
    for (const f of files) {
      if (!existsSync(f)) throw new SafetensorsError(`${dir}: shard ${basename(f)} listed in the index is missing`);
      for (const e of await readHeader(f)) {
        if (tensors.has(e.name)) throw new SafetensorsError(`${dir}: tensor ${e.name} appears in two shards`);
        tensors.set(e.name, e);
      }
    }
    return new SafetensorsCheckpoint(dir, tensors, files);
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  entry(name: string): SafetensorEntry {
    const e = this.tensors.get(name);
    if (!e) throw new SafetensorsError(`${this.dir}: tensor ${name} not found in the checkpoint`);
    return e;
  }

  /** Reads a tensor and widens it to float32. */
  async read(name: string): Promise<{ data: Float32Array; shape: number[] }> {
    const e = this.entry(name);
    let fh = this.handles.get(e.file);
    if (!fh) {
      fh = await open(e.file, 'r');
      this.handles.set(e.file, fh);
    }
    const raw = Buffer.allocUnsafe(e.bytes);
    let done = 0;
    while (done < e.bytes) {
      const { bytesRead } = await fh.read(raw, done, e.bytes - done, e.offset + done);
      if (bytesRead === 0) throw new SafetensorsError(`${e.file}: unexpected end of file reading ${name}`);
      done += bytesRead;
    }
    return { data: toFloat32(raw, e.dtype), shape: e.shape };
  }

  /** Source dtype (the most common one among the tensors). */
  dtype(): SafetensorsDtype {
    const count = new Map<SafetensorsDtype, number>();
    for (const e of this.tensors.values()) count.set(e.dtype, (count.get(e.dtype) ?? 0) + 1);
    return [...count.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'F32';
  }

  async close(): Promise<void> {
    for (const fh of this.handles.values()) await fh.close();
    this.handles.clear();
  }
}
