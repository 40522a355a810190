// The conversion job: HF checkpoint folder → one .qins file, one tensor (and one chunk of rows)
// at a time, with progress events and cancellation. Reads are positioned (never a whole shard),
// encoding runs in the native addon off the JS thread, and the next chunk is read while the
// current one is encoded and the previous one written. This module runs the stages in order:
// plan (./job-plan.ts), read (./job-read.ts), encode (./job-encode.ts), write (./job-write.ts).
import type { ConvertProgress as ConvertProgressShape } from '../../../src-shared/contract.js';
import { Codec, type QinsHeader } from '../format/qins-format.js';
import { isPassthrough, matrixRowParts } from './codecs.js';
import { ConvertError, throwIfAborted } from './errors.js';
import { DEFAULT_QINS4_SEARCH, DEFAULT_QINS4_WEIGHTING, fixedCodebooks, TensorEncoder, WEIGHTING, type TensorState } from './job-encode.js';
import { checkCheckpoint, layOut, planChunks, type ChunkTask } from './job-plan.js';
import { ShardReader } from './job-read.js';
import { fileStats, finishTensor, InFlight, writeVectors, type ErrorTotals } from './job-write.js';
import { encodeHeaderInto } from './layout.js';
import { loadNativeCodecs, type NativeCodecs } from './native-codecs.js';
import { AtomicFile, type WriterIo } from './writer.js';

export { DEFAULT_QINS4_SEARCH, DEFAULT_QINS4_WEIGHTING } from './job-encode.js';
export { snrDb } from './job-write.js';

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
/** Output buffers: the chunk being coded and the ones still being written. */
const WRITE_DEPTH = 3;

/** Progress events: at most one every 100 ms unless forced, with the time left once there is a rate. */
function progressEmitter(onProgress: ConvertOptions['onProgress'], t0: number) {
  let lastEmit = 0;
  let encodeStart = 0;
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
  const emit = (force = false): void => {
    if (!onProgress) return;
    const now = performance.now();
    if (!force && now - lastEmit < 100) return;
    lastEmit = now;
    progress.elapsedMs = Math.round(now - t0);
    if (progress.phase === 'encoding' && progress.bytesDone > 0) {
      const rate = progress.bytesDone / (now - encodeStart);
      progress.etaMs = Math.round((progress.bytesTotal - progress.bytesDone) / rate);
    }
    onProgress({ ...progress });
  };
  const startEncoding = (): void => {
    progress.phase = 'encoding';
    encodeStart = performance.now();
    emit(true);
  };
  return { progress, emit, startEncoding };
}

export async function convertCheckpoint(opts: ConvertOptions): Promise<ConvertResult> {
  const t0 = performance.now();
  const { signal } = opts;
  const codecParsed = Codec.safeParse(opts.codec);
  if (!codecParsed.success) throw new ConvertError('BAD_ARGUMENT', `unknown codec "${String(opts.codec)}" (codecs: ${Codec.options.join(', ')})`);
  const codec = codecParsed.data;
  const chunkBytes = Math.max(1 << 16, opts.chunkBytes ?? DEFAULT_CHUNK);
  const fixedFor = fixedCodebooks(opts.qins4Codebook);
  if (Array.isArray(opts.qins4Codebook)) fixedFor('');
  const qins4Search = opts.qins4Search ?? DEFAULT_QINS4_SEARCH;

  const { progress, emit, startEncoding } = progressEmitter(opts.onProgress, t0);
  emit(true);

  // ---- plan: validate everything before writing anything
  const checked = await checkCheckpoint(opts.source, signal);
  const native: NativeCodecs | null = isPassthrough(codec) ? null : loadNativeCodecs();
  const threads = opts.threads ?? native?.threads ?? 1;
  const { placed, header, reserved, fileBytes, bytesTotal } = await layOut(checked, opts.destination, codec);
  progress.bytesTotal = bytesTotal;
  progress.tensorsTotal = placed.length;

  // ---- write
  const out = await AtomicFile.create(opts.destination, opts.io);
  const reader = new ShardReader();
  const flight = new InFlight();
  try {
    await reader.open(checked.ckpt.shards);
    const { tasks, maxSrc, maxOut } = planChunks(placed, chunkBytes);
    // Coded tensors are read by the native encoder itself (straight from the shard, on its threads);
    // only passthrough codecs read chunks into JS buffers.
    const readsInJs = (task: ChunkTask): boolean => isPassthrough(task.t.codec);
    const srcPool = tasks.some(readsInJs) ? [Buffer.allocUnsafeSlow(maxSrc), Buffer.allocUnsafeSlow(maxSrc)] : [];
    // Coded chunks in flight: one being encoded while up to WRITE_DEPTH - 1 earlier ones are written.
    const outPool = Array.from({ length: WRITE_DEPTH }, () => Buffer.allocUnsafeSlow(maxOut));
    const encoder = new TensorEncoder(native, reader, {
      threads,
      qins4Search,
      weighting: WEIGHTING[opts.qins4Weighting ?? DEFAULT_QINS4_WEIGHTING],
      fixedFor,
      chunkBytes,
      maxSrc,
      signal,
    });
    const totals: ErrorTotals = { sumsq: 0, errsq: 0 };

    // ---- 1-D tensors (small): read, convert to f32, write
    await writeVectors(placed, reader, out, flight, signal, (sourceBytes) => {
      progress.bytesDone += sourceBytes;
      progress.tensorsDone++;
    });

    // ---- matrices: pipelined chunks
    startEncoding();
    let state: TensorState | null = null;
    const readChunk = (task: ChunkTask | undefined, slot: number): Promise<Buffer> | null =>
      task && readsInJs(task) ? flight.track(reader.readInto(task.src, task.r0, task.rows, srcPool[slot]!)) : null;
    let pendingRead = readChunk(tasks[0], 0);
    const writes: Array<Promise<void>> = []; // in flight, oldest first
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
        state = await (nextPrepared ?? encoder.prepare(task.t, threads));
        const following = starts[++started];
        nextPrepared = following ? flight.track(encoder.prepare(following, 1)) : null;
      }
      const raw = pendingRead ? await pendingRead : null;
      pendingRead = readChunk(tasks[i + 1], (i + 1) % 2);
      const codes = await encoder.encodeChunk(task, state!, raw, outPool[i % WRITE_DEPTH]!);
      const codesPart = Object.values(task.t.entry.parts)[0]!;
      const rowOut = matrixRowParts(task.t.codec, task.t.cols)[0]!.bytes;
      const write = out.write(codes, codesPart.offset + task.outRow * rowOut);
      if (task.last) {
        writes.push(flight.track(Promise.all([write, finishTensor(out, header, task.t, state!, totals)]).then(() => undefined)));
        progress.tensorsDone++;
      } else writes.push(flight.track(write));
      // the next chunk is coded into the buffer of the oldest write in flight: it must be done
      while (writes.length >= WRITE_DEPTH) await writes.shift();
      progress.bytesDone += task.rows * (task.src.bytes / task.src.shape[0]!);
      emit();
    }
    for (const w of writes) await w;

    // ---- header, flush, rename
    throwIfAborted(signal, 'conversion');
    progress.phase = 'finishing';
    progress.tensor = null;
    progress.etaMs = null;
    emit(true);
    header.stats = fileStats(placed, (performance.now() - t0) / 1000, totals);
    await out.write(encodeHeaderInto(header, reserved), 0);
    throwIfAborted(signal, 'conversion');
    await out.commit();
    progress.phase = 'done';
    progress.bytesDone = bytesTotal;
    progress.etaMs = 0;
    emit(true);
    return { path: out.destination, header, fileBytes };
  } catch (e) {
    await flight.settle();
    await out.abort();
    if (e instanceof ConvertError) throw e;
    throw new ConvertError('IO_ERROR', `${opts.destination}: conversion failed (${(e as Error).message ?? String(e)})`, opts.destination);
  } finally {
    await flight.settle();
    await reader.close();
  }
}
