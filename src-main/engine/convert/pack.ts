// `.qinz`: the distribution form of a .qins file — independently brotli-compressed chunks, so
// packing and unpacking run on every core and unpacking can stream with progress. Lossless:
// unpack(pack(x)) is byte-identical (CRC-32 per chunk and over the whole file are checked).
//
// Layout (little-endian):
//   0   "QINZ"            magic
//   4   u32 version (1)
//   8   u64 original size
//   16  u32 chunk size     raw bytes per chunk (the last chunk may be shorter)
//   20  u32 chunk count
//   24  u32 crc32          of the whole original file
//   28  u32 method         1 = brotli
//   32  chunk table        count × { u64 offset, u32 compressed bytes, u32 crc32 of the raw chunk }
//   …   compressed chunks
import { open, stat, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants as Z, crc32 } from 'node:zlib';
import { ConvertError, fsError, throwIfAborted } from './errors.js';
import { readHeaderOrThrow } from './inspect.js';
import { AtomicFile, type WriterIo } from './writer.js';

export const QINZ_MAGIC = 'QINZ';
export const QINZ_VERSION = 1;
const PREAMBLE = 32;
const ENTRY = 16;
const METHOD_BROTLI = 1;
export const DEFAULT_CHUNK = 4 << 20;
export const DEFAULT_QUALITY = 5;
/** Chunks in flight (compressing or decompressing) at once. */
const WINDOW = 4;

const compress = promisify(brotliCompress);
const decompress = promisify(brotliDecompress);

export interface PackProgress {
  phase: 'packing' | 'unpacking' | 'finishing' | 'done';
  bytesDone: number;
  bytesTotal: number;
}

export interface PackOptions {
  source: string;
  destination: string;
  /** brotli quality 0..11 (default 5). */
  quality?: number;
  chunkBytes?: number;
  signal?: AbortSignal;
  onProgress?: (p: PackProgress) => void;
  io?: WriterIo;
}

export interface PackResult {
  path: string;
  rawBytes: number;
  packedBytes: number;
  /** raw / packed */
  ratio: number;
  seconds: number;
}

async function readExactly(fh: FileHandle, buf: Buffer, position: number, file: string): Promise<Buffer> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) throw new ConvertError('BAD_FILE', `${file}: file ends early (truncated)`, file);
    done += bytesRead;
  }
  return buf;
}

/** Runs `work(i)` for i in 0..n-1 with at most WINDOW in flight; `commit(i, r)` runs in order. */
async function pipeline<T>(n: number, work: (i: number) => Promise<T>, commit: (i: number, r: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  const inflight = new Map<number, Promise<T>>();
  let next = 0;
  try {
    for (let i = 0; i < n; i++) {
      while (next < n && next < i + WINDOW) {
        const p = work(next);
        p.catch(() => undefined);
        inflight.set(next, p);
        next++;
      }
      const r = await inflight.get(i)!;
      inflight.delete(i);
      throwIfAborted(signal, 'operation');
      await commit(i, r);
    }
  } finally {
    await Promise.allSettled([...inflight.values()]);
  }
}

export async function packQins(opts: PackOptions): Promise<PackResult> {
  const t0 = performance.now();
  const quality = opts.quality ?? DEFAULT_QUALITY;
  if (!(Number.isInteger(quality) && quality >= 0 && quality <= 11)) throw new ConvertError('BAD_ARGUMENT', `quality must be an integer 0..11 (got ${quality})`);
  const chunk = opts.chunkBytes ?? DEFAULT_CHUNK;
  await readHeaderOrThrow(opts.source); // only .qins files are packed
  const size = (await stat(opts.source)).size;
  const count = Math.ceil(size / chunk);
  const fh = await open(opts.source, 'r').catch((e: unknown) => {
    throw fsError(e, opts.source, 'opening');
  });
  let out: AtomicFile | null = null;
  try {
    out = await AtomicFile.create(opts.destination, opts.io);
    const table = Buffer.alloc(count * ENTRY);
    let pos = PREAMBLE + table.length;
    let whole = 0;
    let done = 0;
    let lastEmit = 0;
    const o = out;
    await pipeline(
      count,
      async (i) => {
        const raw = await readExactly(fh, Buffer.allocUnsafe(Math.min(chunk, size - i * chunk)), i * chunk, opts.source);
        const packed = await compress(raw, {
          params: { [Z.BROTLI_PARAM_QUALITY]: quality, [Z.BROTLI_PARAM_LGWIN]: 22, [Z.BROTLI_PARAM_SIZE_HINT]: raw.length },
        });
        return { raw, packed };
      },
      async (i, { raw, packed }) => {
        whole = crc32(raw, whole);
        table.writeBigUInt64LE(BigInt(pos), i * ENTRY);
        table.writeUInt32LE(packed.length, i * ENTRY + 8);
        table.writeUInt32LE(crc32(raw) >>> 0, i * ENTRY + 12);
        await o.write(packed, pos);
        pos += packed.length;
        done += raw.length;
        if (opts.onProgress && (performance.now() - lastEmit > 100 || done === size)) {
          lastEmit = performance.now();
          opts.onProgress({ phase: 'packing', bytesDone: done, bytesTotal: size });
        }
      },
      opts.signal,
    );
    const pre = Buffer.alloc(PREAMBLE);
    pre.write(QINZ_MAGIC, 0, 'ascii');
    pre.writeUInt32LE(QINZ_VERSION, 4);
    pre.writeBigUInt64LE(BigInt(size), 8);
    pre.writeUInt32LE(chunk, 16);
    pre.writeUInt32LE(count, 20);
    pre.writeUInt32LE(whole >>> 0, 24);
    pre.writeUInt32LE(METHOD_BROTLI, 28);
    await out.write(Buffer.concat([pre, table]), 0);
    throwIfAborted(opts.signal, 'packing');
    opts.onProgress?.({ phase: 'finishing', bytesDone: size, bytesTotal: size });
    await out.commit();
    opts.onProgress?.({ phase: 'done', bytesDone: size, bytesTotal: size });
    return { path: out.destination, rawBytes: size, packedBytes: pos, ratio: Math.round((size / pos) * 1e4) / 1e4, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    await out?.abort();
    throw e instanceof ConvertError ? e : fsError(e, opts.destination, 'packing');
  } finally {
    await fh.close();
  }
}

export interface QinzInfo {
  rawBytes: number;
  chunkBytes: number;
  chunks: Array<{ offset: number; bytes: number; crc32: number }>;
  crc32: number;
  fileBytes: number;
}

/** Reads and checks a .qinz preamble and chunk table. */
export async function readQinz(path: string): Promise<QinzInfo> {
  const fh = await open(path, 'r').catch((e: unknown) => {
    throw fsError(e, path, 'opening');
  });
  try {
    const { size } = await fh.stat();
    const bad = (m: string): ConvertError => new ConvertError('BAD_FILE', `${path}: ${m}`, path);
    if (size < PREAMBLE) throw bad('too small to be a .qinz file');
    const pre = await readExactly(fh, Buffer.alloc(PREAMBLE), 0, path);
    if (pre.toString('ascii', 0, 4) !== QINZ_MAGIC) throw bad('not a .qinz file (bad magic)');
    if (pre.readUInt32LE(4) !== QINZ_VERSION) throw bad(`unsupported .qinz version ${pre.readUInt32LE(4)}`);
    if (pre.readUInt32LE(28) !== METHOD_BROTLI) throw bad(`unknown compression method ${pre.readUInt32LE(28)}`);
    const raw = Number(pre.readBigUInt64LE(8));
    const chunkBytes = pre.readUInt32LE(16);
    const count = pre.readUInt32LE(20);
    if (chunkBytes === 0 || chunkBytes > 1 << 30 || count !== Math.ceil(raw / chunkBytes)) throw bad('inconsistent chunk table');
    if (PREAMBLE + count * ENTRY > size) throw bad('chunk table lies beyond the end of the file (truncated)');
    const table = await readExactly(fh, Buffer.alloc(count * ENTRY), PREAMBLE, path);
    const chunks: QinzInfo['chunks'] = [];
    let expect = PREAMBLE + count * ENTRY;
    for (let i = 0; i < count; i++) {
      const offset = Number(table.readBigUInt64LE(i * ENTRY));
      const bytes = table.readUInt32LE(i * ENTRY + 8);
      if (offset !== expect || offset + bytes > size) throw bad(`chunk ${i} lies outside the file (truncated or corrupt)`);
      expect = offset + bytes;
      chunks.push({ offset, bytes, crc32: table.readUInt32LE(i * ENTRY + 12) });
    }
    if (expect !== size) throw bad(`${size - expect} unexpected trailing bytes`);
    return { rawBytes: raw, chunkBytes, chunks, crc32: pre.readUInt32LE(24), fileBytes: size };
  } finally {
    await fh.close();
  }
}

export async function unpackQinz(opts: Omit<PackOptions, 'quality' | 'chunkBytes'>): Promise<PackResult> {
  const t0 = performance.now();
  const info = await readQinz(opts.source);
  const fh = await open(opts.source, 'r');
  let out: AtomicFile | null = null;
  try {
    out = await AtomicFile.create(opts.destination, opts.io);
    const o = out;
    let whole = 0;
    let done = 0;
    let lastEmit = 0;
    await pipeline(
      info.chunks.length,
      async (i) => {
        const c = info.chunks[i]!;
        const packed = await readExactly(fh, Buffer.allocUnsafe(c.bytes), c.offset, opts.source);
        try {
          return await decompress(packed);
        } catch (e) {
          throw new ConvertError('BAD_FILE', `${opts.source}: chunk ${i} does not decompress (${(e as Error).message})`, opts.source);
        }
      },
      async (i, raw) => {
        const want = Math.min(info.chunkBytes, info.rawBytes - i * info.chunkBytes);
        if (raw.length !== want || crc32(raw) >>> 0 !== info.chunks[i]!.crc32)
          throw new ConvertError('CHECKSUM_MISMATCH', `${opts.source}: chunk ${i} fails its checksum (corrupt download?)`, opts.source);
        whole = crc32(raw, whole);
        await o.write(raw, i * info.chunkBytes);
        done += raw.length;
        if (opts.onProgress && (performance.now() - lastEmit > 100 || done === info.rawBytes)) {
          lastEmit = performance.now();
          opts.onProgress({ phase: 'unpacking', bytesDone: done, bytesTotal: info.rawBytes });
        }
      },
      opts.signal,
    );
    if (whole >>> 0 !== info.crc32) throw new ConvertError('CHECKSUM_MISMATCH', `${opts.source}: the unpacked file fails its checksum`, opts.source);
    throwIfAborted(opts.signal, 'unpacking');
    opts.onProgress?.({ phase: 'finishing', bytesDone: info.rawBytes, bytesTotal: info.rawBytes });
    await readHeaderOrThrow(out.tempPath).catch((e: unknown) => {
      throw new ConvertError('BAD_FILE', `${opts.source}: does not hold a valid .qins file (${(e as Error).message.split(': ').slice(1).join(': ')})`, opts.source);
    });
    await out.commit();
    opts.onProgress?.({ phase: 'done', bytesDone: info.rawBytes, bytesTotal: info.rawBytes });
    return {
      path: out.destination,
      rawBytes: info.rawBytes,
      packedBytes: info.fileBytes,
      ratio: Math.round((info.rawBytes / info.fileBytes) * 1e4) / 1e4,
      seconds: (performance.now() - t0) / 1000,
    };
  } catch (e) {
    await out?.abort();
    throw e instanceof ConvertError ? e : fsError(e, opts.destination, 'unpacking');
  } finally {
    await fh.close();
  }
}
