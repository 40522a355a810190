// The conversion job: HF checkpoint folder → one .qins file, one tensor (and one chunk of rows)
// at a time, with progress events and cancellation. Reads are positioned (never a whole shard),
// encoding runs in the native addon off the JS thread, and the next chunk is read while the
// current one is encoded and the previous one written.
import type { ConvertProgress as ConvertProgressShape } from '../../../src-shared/contract.js';
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { crc32 } from 'node:zlib';
import { Codec, QINS_FORMAT_VERSION, type Codebook, type QinsHeader } from '../format/qins-format.js';
import { architectureOf, buildModelSpec, isMatrix, planTensors, sourceDtype } from './arch.js';
import { openCheckpoint, readCheckpointConfig } from './checkpoint.js';
import {
  BLOCK,
  inverse4Codebook,
  isPassthrough,
  matrixRowParts,
  passthrough,
  Q4_CODEBOOK,
  Q8_CODEBOOK,
  qins8Codebook,
  toF32,
} from './codecs.js';
import { ConvertError, fsError, throwIfAborted } from './errors.js';
import { encodeHeaderInto, entryFor, placeTensors, reserveHeaderBytes, type PlacedTensor } from './layout.js';
import { loadNativeCodecs, type EncodeStats, type NativeCodecs } from './native-codecs.js';
import type { SourceDtype, SourceTensor } from './safetensors.js';
import { AtomicFile, type WriterIo } from './writer.js';

export type ConvertPhase = 'validating' | 'encoding' | 'finishing' | 'done';

/**
 * Progress of a conversion: the contract's ConvertProgress (what reaches the UI), with the phase
 * narrowed and the elapsed time added.
 */
export interface ConvertProgress extends ConvertProgressShape {
  phase: ConvertPhase;
  elapsedMs: number;
}

export interface ConvertOptions {
  /** HuggingFace checkpoint folder. */
  source: string;
  /** Output .qins path (replaced atomically if it exists). */
  destination: string;
  codec: Codec;
  signal?: AbortSignal;
  onProgress?: (p: ConvertProgress) => void;
  /** Encoder threads (default: all cores). */
  threads?: number;
  /** qins4: scale candidates tried on each side of the block maximum (default 4). */
  qins4Search?: number;
  /** qins4: how each weight's error counts when choosing block scales and tuning the codebook:
   *  'none' (plain squared error, the default), 'square' (× w²), 'sigma' (× sqrt(σ² + w²)). */
  qins4Weighting?: 'none' | 'square' | 'sigma';
  /** qins4: use this 16-entry codebook (ascending ints in -127..127) instead of tuning one per tensor
   *  (a function chooses per canonical tensor name; undefined → tune). */
  qins4Codebook?: number[] | ((tensor: string) => number[] | undefined);
  /** Source bytes per encoded chunk (default 16 MiB). */
  chunkBytes?: number;
  /** File operations of the writer (fault injection in tests). */
  io?: WriterIo;
}

export interface ConvertResult {
  path: string;
  header: QinsHeader;
  fileBytes: number;
}

const DEFAULT_CHUNK = 16 * 1024 * 1024;
const QINS8_SAMPLE_WEIGHTS = 1 << 18;
/** qins4 tuning: a 32 Ki-weight sample, a cheap scale search (1) while tuning; the first tensor starts
 *  from the inverse-family codebooks with more effort, each later one from the previous tensor's
 *  tuned codebook (warm start: similar tensors, a few refinement passes suffice). */
const QINS4_SAMPLE_WEIGHTS = 1 << 15;
const QINS4_TUNE_SEARCH = 1;
const QINS4_COLD = { iterations: 8, cdRounds: 6 };
const QINS4_WARM = { iterations: 4, cdRounds: 2 };
export const DEFAULT_QINS4_SEARCH = 4;
export const DEFAULT_QINS4_WEIGHTING = 'none';
const WEIGHTING = { none: 0, square: 1, sigma: 2 } as const;

const round = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
export const snrDb = (sumsq: number, errsq: number): number | null =>
  errsq > 0 && sumsq > 0 ? round(10 * Math.log10(sumsq / errsq), 4) : null;

interface ChunkTask {
  t: PlacedTensor;
  index: number;
  src: SourceTensor;
  /** rows of the source tensor: [r0, r0 + rows) */
  r0: number;
  rows: number;
  /** first canonical row */
  outRow: number;
  first: boolean;
  last: boolean;
}

interface TensorState {
  /** running CRC over the streamed first part */
  crc: number;
  sumsq: number;
  errsq: number;
  /** per-tensor buffers of the small parts (scales / signs), written at the end */
  small: Map<string, Buffer>;
  ints?: Int32Array;
  c?: number;
  seedScale?: number;
}

export async function convertCheckpoint(opts: ConvertOptions): Promise<ConvertResult> {
  const t0 = performance.now();
  const { signal } = opts;
  const codecParsed = Codec.safeParse(opts.codec);
  if (!codecParsed.success) throw new ConvertError('BAD_ARGUMENT', `unknown codec "${String(opts.codec)}" (codecs: ${Codec.options.join(', ')})`);
  const codec = codecParsed.data;
  const chunkBytes = Math.max(1 << 16, opts.chunkBytes ?? DEFAULT_CHUNK);
  const fixedFor = (tensor: string): number[] | undefined => {
    const f = typeof opts.qins4Codebook === 'function' ? opts.qins4Codebook(tensor) : opts.qins4Codebook;
    if (f && !(f.length === 16 && f.every((v, i) => Number.isInteger(v) && v >= -127 && v <= 127 && (i === 0 || v > f[i - 1]!)) && f[0]! < 0))
      throw new ConvertError('BAD_ARGUMENT', 'qins4Codebook must be 16 ascending integers in -127..127, the first negative');
    return f;
  };
  if (Array.isArray(opts.qins4Codebook)) fixedFor('');
  const qins4Search = opts.qins4Search ?? DEFAULT_QINS4_SEARCH;

  let lastEmit = 0;
  const progress: ConvertProgress = {
    phase: 'validating',
    bytesDone: 0,
    bytesTotal: 0,
    tensor: null,
    tensorsDone: 0,
    tensorsTotal: 0,
    etaMs: null,
    elapsedMs: 0,
  };
  let encodeStart = 0;
  const emit = (force = false): void => {
    if (!opts.onProgress) return;
    const now = performance.now();
    if (!force && now - lastEmit < 100) return;
    lastEmit = now;
    progress.elapsedMs = Math.round(now - t0);
    if (progress.phase === 'encoding' && progress.bytesDone > 0) {
      const rate = progress.bytesDone / (now - encodeStart);
      progress.etaMs = Math.round((progress.bytesTotal - progress.bytesDone) / rate);
    }
    opts.onProgress({ ...progress });
  };
  emit(true);

  // ---- validate everything before writing anything
  const pre = await readCheckpointConfig(opts.source);
  architectureOf(pre.config);
  const ckpt = await openCheckpoint(opts.source);
  const spec = buildModelSpec(ckpt.config, ckpt.generationConfig);
  const plan = planTensors(spec, ckpt.tensors);
  throwIfAborted(signal, 'conversion');
  const native: NativeCodecs | null = isPassthrough(codec) ? null : loadNativeCodecs();
  const threads = opts.threads ?? native?.threads ?? 1;

  const placed: PlacedTensor[] = plan.map((p) => ({ plan: p, ...entryFor(p, codec) }));
  const codebooks: Record<string, Codebook> = {};
  for (const t of placed) {
    if (t.entry.codebook === 'q8') codebooks.q8 = Q8_CODEBOOK;
    else if (t.entry.codebook === 'q4') codebooks.q4 = Q4_CODEBOOK;
    else if (t.entry.codebook && t.codec === 'qins8') codebooks[t.entry.codebook] = qins8Codebook(0);
    else if (t.entry.codebook && t.codec === 'qins4') codebooks[t.entry.codebook] = inverse4Codebook(new Array(16).fill(0), 0);
  }
  const sourceFiles = [...ckpt.shards.map((s) => basename(s.file)), ...Object.keys(ckpt.files)];
  const header: QinsHeader = {
    format: 'qins',
    version: QINS_FORMAT_VERSION,
    model: spec,
    files: ckpt.files,
    codec,
    codebooks,
    tensors: placed.map((t) => t.entry),
    source: { name: ckpt.name, bytes: ckpt.totalBytes, dtype: sourceDtype(plan), files: sourceFiles },
    stats: { seconds: 0, params: 0, coded_params: 0, weight_bytes: 0, bits_per_weight: 0, snr_db: null },
    created: new Date().toISOString(),
  };
  const reserved = reserveHeaderBytes(header);
  const fileBytes = placeTensors(placed, reserved);

  const free = await AtomicFile.freeBytes(opts.destination);
  if (free !== null && free < fileBytes)
    throw new ConvertError(
      'NO_SPACE',
      `${opts.destination}: needs ${(fileBytes / 1e6).toFixed(1)} MB but only ${(free / 1e6).toFixed(1)} MB are free`,
      opts.destination,
    );

  const bytesTotal = plan.reduce((a, p) => a + p.sources.reduce((b, s) => b + s.bytes, 0), 0);
  progress.bytesTotal = bytesTotal;
  progress.tensorsTotal = placed.length;

  // ---- write
  const out = await AtomicFile.create(opts.destination, opts.io);
  const handles = new Map<string, FileHandle>();
  const pending = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    p.then(
      () => pending.delete(p),
      () => pending.delete(p),
    );
    return p;
  };
  try {
    for (const s of ckpt.shards) {
      handles.set(
        s.file,
        await open(s.file, 'r').catch((e: unknown) => {
          throw fsError(e, basename(s.file), 'opening the shard');
        }),
      );
    }
    const readInto = async (src: SourceTensor, r0: number, rows: number, buf: Buffer): Promise<Buffer> => {
      const rowBytes = src.bytes / src.shape[0]!;
      const len = rows * rowBytes;
      const view = buf.subarray(0, len);
      const fh = handles.get(src.file)!;
      let done = 0;
      while (done < len) {
        const { bytesRead } = await fh.read(view, done, len - done, src.offset + r0 * rowBytes + done).catch((e: unknown) => {
          throw fsError(e, basename(src.file), `reading tensor ${src.name}`);
        });
        if (bytesRead === 0)
          throw new ConvertError('BAD_CHECKPOINT', `${basename(src.file)}: tensor ${src.name}: file ended early (truncated shard?)`, src.file, src.name);
        done += bytesRead;
      }
      return view;
    };

    // chunk plan
    const tasks: ChunkTask[] = [];
    let maxSrc = 0;
    let maxOut = 0;
    placed.forEach((t, index) => {
      if (!isMatrix(t.plan)) return;
      const rowOut = matrixRowParts(t.codec, t.cols)[0]!.bytes;
      let outRow = 0;
      t.plan.sources.forEach((src, si) => {
        const rowBytes = src.bytes / src.shape[0]!;
        const per = Math.max(1, Math.floor(chunkBytes / rowBytes));
        for (let r0 = 0; r0 < src.shape[0]!; r0 += per) {
          const rows = Math.min(per, src.shape[0]! - r0);
          tasks.push({ t, index, src, r0, rows, outRow, first: si === 0 && r0 === 0, last: false });
          maxSrc = Math.max(maxSrc, rows * rowBytes);
          maxOut = Math.max(maxOut, rows * rowOut);
          outRow += rows;
        }
      });
      tasks[tasks.length - 1]!.last = true;
    });
    // Coded tensors are read by the native encoder itself (straight from the shard, on its threads);
    // only passthrough codecs read chunks into JS buffers.
    const readsInJs = (task: ChunkTask): boolean => isPassthrough(task.t.codec);
    const srcPool = tasks.some(readsInJs) ? [Buffer.allocUnsafeSlow(maxSrc), Buffer.allocUnsafeSlow(maxSrc)] : [];
    const outPool = [Buffer.allocUnsafeSlow(maxOut), Buffer.allocUnsafeSlow(maxOut)];
    /** the seed's max|w| pass reads into its own buffer (the pool may hold a read in flight) */
    let scanBuf: Buffer | null = null;

    let codedSumsq = 0;
    let codedErrsq = 0;
    const finishTensor = (t: PlacedTensor, st: TensorState): Promise<void> => {
      const e = t.entry;
      const partNames = Object.keys(e.parts);
      const first = e.parts[partNames[0]!]!;
      let crc = st.crc;
      let pos = first.offset + first.bytes;
      const writes: Promise<void>[] = [];
      for (const name of partNames.slice(1)) {
        const part = e.parts[name]!;
        if (part.offset > pos) crc = crc32(Buffer.alloc(part.offset - pos), crc);
        const buf = st.small.get(name)!;
        crc = crc32(buf, crc);
        writes.push(out.write(buf, part.offset));
        pos = part.offset + part.bytes;
      }
      e.crc32 = crc >>> 0;
      if (!Number.isFinite(st.sumsq) || !Number.isFinite(st.errsq))
        throw new ConvertError(
          'BAD_CHECKPOINT',
          `${basename(t.plan.sources[0]!.file)}: tensor ${t.plan.sources.map((s) => s.name).join(' + ')} contains NaN or infinite values`,
          t.plan.sources[0]!.file,
          t.plan.name,
        );
      const snr = snrDb(st.sumsq, st.errsq);
      if (snr !== null) e.snr_db = snr;
      codedSumsq += st.sumsq;
      codedErrsq += st.errsq;
      if (t.codec === 'qins8') header.codebooks[e.codebook!] = qins8Codebook(st.c!);
      if (t.codec === 'qins4') header.codebooks[e.codebook!] = inverse4Codebook(st.ints!, st.c!);
      if (t.codec === 'qins-seed') e.scale = st.seedScale!;
      return Promise.all(writes).then(() => undefined);
    };

    /** Reads up to `target` weights spread evenly over the tensor's rows, as float32. */
    const sampleRows = async (t: PlacedTensor, target: number): Promise<{ buf: Uint8Array; rows: number }> => {
      const n = Math.min(t.rows, Math.max(8, Math.ceil(target / t.cols)));
      const out32 = new Float32Array(n * t.cols);
      const srcStarts: number[] = [];
      let acc = 0;
      for (const s of t.plan.sources) {
        srcStarts.push(acc);
        acc += s.shape[0]!;
      }
      for (let i = 0; i < n; i++) {
        const row = Math.floor(((i + 0.5) * t.rows) / n);
        let si = srcStarts.length - 1;
        while (srcStarts[si]! > row) si--;
        const src = t.plan.sources[si]!;
        const rowBytes = src.bytes / src.shape[0]!;
        const raw = await readInto(src, row - srcStarts[si]!, 1, Buffer.allocUnsafe(rowBytes));
        out32.set(toF32(raw, src.dtype as SourceDtype), i * t.cols);
      }
      return { buf: new Uint8Array(out32.buffer), rows: n };
    };

    let lastQins4: { ints: Int32Array; c: number } | null = null;
    /** A tensor's codebook (tuned on a sample) or scale; tuneThreads do not change the result. */
    const prepare = async (t: PlacedTensor, tuneThreads: number): Promise<TensorState> => {
      const st: TensorState = { crc: 0, sumsq: 0, errsq: 0, small: new Map() };
      for (const [name, part] of Object.entries(t.entry.parts).slice(1)) st.small.set(name, Buffer.alloc(part.bytes));
      if (t.codec === 'qins8') {
        const s = await sampleRows(t, QINS8_SAMPLE_WEIGHTS);
        const r = await native!.tuneQins8({ src: s.buf, dtype: 'F32', rows: s.rows, cols: t.cols, block: BLOCK, threads: tuneThreads });
        st.c = r.c;
        st.ints = r.ints;
      } else if (t.codec === 'qins4' && fixedFor(t.plan.name)) {
        st.ints = Int32Array.from(fixedFor(t.plan.name)!);
        st.c = 0;
      } else if (t.codec === 'qins4') {
        const s = await sampleRows(t, QINS4_SAMPLE_WEIGHTS);
        const warm = lastQins4;
        const r = await native!.tuneQins4({
          src: s.buf,
          dtype: 'F32',
          rows: s.rows,
          cols: t.cols,
          block: BLOCK,
          threads: tuneThreads,
          search: Math.min(qins4Search, QINS4_TUNE_SEARCH),
          weighting: WEIGHTING[opts.qins4Weighting ?? DEFAULT_QINS4_WEIGHTING],
          ...(warm ? { ...QINS4_WARM, init: warm.ints, initC: warm.c } : QINS4_COLD),
          // padded columns must decode to exactly 0, so keep 0 in the codebook when there are any
          anchorZero: t.cols % BLOCK !== 0,
        });
        st.ints = r.ints;
        st.c = r.initC;
        lastQins4 = { ints: r.ints, c: r.initC };
      } else if (t.codec === 'qins-seed') {
        let m = 0;
        scanBuf ??= Buffer.allocUnsafeSlow(maxSrc);
        for (const src of t.plan.sources) {
          const rowBytes = src.bytes / src.shape[0]!;
          const per = Math.max(1, Math.floor(chunkBytes / rowBytes));
          for (let r0 = 0; r0 < src.shape[0]!; r0 += per) {
            throwIfAborted(signal, 'conversion');
            const rows = Math.min(per, src.shape[0]! - r0);
            const raw = await readInto(src, r0, rows, scanBuf);
            const r = await native!.absMax({ src: raw, dtype: src.dtype as SourceDtype, threads });
            if (!r.finite)
              throw new ConvertError('BAD_CHECKPOINT', `${basename(src.file)}: tensor ${src.name} contains NaN or infinite values`, src.file, src.name);
            m = Math.max(m, r.absmax);
          }
        }
        st.seedScale = Math.fround(m);
      }
      return st;
    };

    /** A failed native read of a shard, as readInto reports it. */
    const sourceReadError = (e: unknown, src: SourceTensor): unknown => {
      const err = e as NodeJS.ErrnoException;
      if (!(err instanceof Error) || !err.message.startsWith('codecs: reading the source') || !err.code) return e;
      if (err.code === 'EOF')
        return new ConvertError('BAD_CHECKPOINT', `${basename(src.file)}: tensor ${src.name}: file ended early (truncated shard?)`, src.file, src.name);
      return fsError(err, basename(src.file), `reading tensor ${src.name}`);
    };

    /** Codes one chunk; raw holds its rows when read in JS, else the encoder reads them (and continues the CRC). */
    const encodeChunk = async (task: ChunkTask, st: TensorState, raw: Buffer | null, outBuf: Buffer): Promise<Buffer> => {
      const { t } = task;
      const dtype = task.src.dtype as SourceDtype;
      const parts = matrixRowParts(t.codec, t.cols);
      const codes = outBuf.subarray(0, task.rows * parts[0]!.bytes);
      if (isPassthrough(t.codec)) {
        const r = passthrough(raw!, dtype, t.codec as 'bf16' | 'f32', codes);
        st.sumsq += r.sumsq;
        st.errsq += r.errsq;
        st.crc = crc32(codes, st.crc);
        return codes;
      }
      const small = (name: string): Uint8Array | undefined => {
        const per = parts.find((p) => p.name === name)?.bytes;
        return per === undefined ? undefined : st.small.get(name)!.subarray(task.outRow * per, (task.outRow + task.rows) * per);
      };
      const rowBytes = task.src.bytes / task.src.shape[0]!;
      const from = raw ? { src: raw } : { fd: handles.get(task.src.file)!.fd, offset: task.src.offset + task.r0 * rowBytes };
      let r: EncodeStats;
      try {
        r = await native!.encode({
          codec: t.codec as 'q8' | 'qins8' | 'q4' | 'qins4' | 'qins-seed',
          ...from,
          dtype,
          rows: task.rows,
          cols: t.cols,
          block: BLOCK,
          codes,
          scales: small('scales'),
          signs: small('signs'),
          ints: st.ints,
          denom: t.codec === 'qins8' ? qins8Codebook(st.c!).denom : 127,
          c: st.c,
          seedScale: st.seedScale,
          search: qins4Search,
          weighting: WEIGHTING[opts.qins4Weighting ?? DEFAULT_QINS4_WEIGHTING],
          threads,
          crc: st.crc,
        });
      } catch (e) {
        throw sourceReadError(e, task.src);
      }
      st.sumsq += r.sumsq;
      st.errsq += r.errsq;
      st.crc = r.crc!;
      return codes;
    };

    // ---- 1-D tensors (small): read, convert to f32, write
    for (const t of placed) {
      if (isMatrix(t.plan)) continue;
      throwIfAborted(signal, 'conversion');
      const parts: Float32Array[] = [];
      for (const src of t.plan.sources) {
        const raw = await readInto(src, 0, src.shape[0]!, Buffer.allocUnsafe(src.bytes));
        parts.push(toF32(raw, src.dtype as SourceDtype));
        progress.bytesDone += src.bytes;
      }
      const data = Buffer.alloc(t.entry.parts.data!.bytes);
      let off = 0;
      for (const p of parts) {
        data.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), off);
        off += p.byteLength;
      }
      for (let i = 0; i < data.length; i += 4) {
        if (!Number.isFinite(data.readFloatLE(i)))
          throw new ConvertError(
            'BAD_CHECKPOINT',
            `${basename(t.plan.sources[0]!.file)}: tensor ${t.entry.source?.join(' + ')} contains NaN or infinite values`,
            t.plan.sources[0]!.file,
            t.plan.name,
          );
      }
      t.entry.crc32 = crc32(data) >>> 0;
      await track(out.write(data, t.entry.parts.data!.offset));
      progress.tensorsDone++;
    }

    // ---- matrices: pipelined chunks
    progress.phase = 'encoding';
    encodeStart = performance.now();
    emit(true);
    let state: TensorState | null = null;
    const readChunk = (task: ChunkTask | undefined, slot: number): Promise<Buffer> | null =>
      task && readsInJs(task) ? track(readInto(task.src, task.r0, task.rows, srcPool[slot]!)) : null;
    let pendingRead = readChunk(tasks[0], 0);
    let pendingWrite: Promise<void> = Promise.resolve();
    // Each tensor is prepared (tuning on its sample, the seed's max|w| pass) while the one before it
    // is encoded, on one thread beside the encoder's; in order, so qins4 still starts from the
    // previous tensor's codebook. The first one is prepared on every thread.
    const starts = tasks.filter((x) => x.first).map((x) => x.t);
    let nextPrepared: Promise<TensorState> | null = null;
    let started = 0;
    for (let i = 0; i < tasks.length; i++) {
      throwIfAborted(signal, 'conversion');
      const task = tasks[i]!;
      if (task.first) {
        progress.tensor = task.t.plan.name;
        emit(true);
        state = await (nextPrepared ?? prepare(task.t, threads));
        const following = starts[++started];
        nextPrepared = following ? track(prepare(following, 1)) : null;
      }
      const raw = pendingRead ? await pendingRead : null;
      pendingRead = readChunk(tasks[i + 1], (i + 1) % 2);
      const codes = await encodeChunk(task, state!, raw, outPool[i % 2]!);
      const codesPart = Object.values(task.t.entry.parts)[0]!;
      const rowOut = matrixRowParts(task.t.codec, task.t.cols)[0]!.bytes;
      await pendingWrite;
      pendingWrite = track(out.write(codes, codesPart.offset + task.outRow * rowOut));
      if (task.last) {
        const fin = finishTensor(task.t, state!);
        const prev = pendingWrite;
        pendingWrite = track(Promise.all([prev, fin]).then(() => undefined));
        progress.tensorsDone++;
      }
      progress.bytesDone += task.rows * (task.src.bytes / task.src.shape[0]!);
      emit();
    }
    await pendingWrite;

    // ---- header, flush, rename
    throwIfAborted(signal, 'conversion');
    progress.phase = 'finishing';
    progress.tensor = null;
    progress.etaMs = null;
    emit(true);
    let params = 0;
    let coded = 0;
    let codedBytes = 0;
    let weightBytes = 0;
    for (const t of placed) {
      const n = t.plan.shape.reduce((a, d) => a * d, 1);
      const bytes = Object.values(t.entry.parts).reduce((a, p) => a + p.bytes, 0);
      params += n;
      weightBytes += bytes;
      if (isMatrix(t.plan)) {
        coded += n;
        codedBytes += bytes;
      }
    }
    header.stats = {
      seconds: round((performance.now() - t0) / 1000, 3),
      params,
      coded_params: coded,
      weight_bytes: weightBytes,
      bits_per_weight: coded ? round((8 * codedBytes) / coded, 4) : 0,
      snr_db: snrDb(codedSumsq, codedErrsq),
    };
    await out.write(encodeHeaderInto(header, reserved), 0);
    throwIfAborted(signal, 'conversion');
    await out.commit();
    progress.phase = 'done';
    progress.bytesDone = bytesTotal;
    progress.etaMs = 0;
    emit(true);
    return { path: out.destination, header, fileBytes };
  } catch (e) {
    await Promise.allSettled([...pending]);
    await out.abort();
    if (e instanceof ConvertError) throw e;
    throw new ConvertError('IO_ERROR', `${opts.destination}: conversion failed (${(e as Error).message ?? String(e)})`, opts.destination);
  } finally {
    await Promise.allSettled([...pending]);
    for (const fh of handles.values()) await fh.close().catch(() => undefined);
  }
}
