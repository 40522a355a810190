// Conversion stage 1, the plan: check the checkpoint before anything is written, lay out the .qins
// file (header with placeholder codebooks, every tensor's offset), check the free space, and cut
// the matrices into chunks of rows.
import { basename } from 'node:path';
import { QINS_FORMAT_VERSION, type Codebook, type Codec, type ModelSpec, type QinsHeader } from '../format/qins-format.js';
import { architectureOf, buildModelSpec, isMatrix, planTensors, sourceDtype, type PlannedTensor } from './arch.js';
import { openCheckpoint, readCheckpointConfig, type Checkpoint } from './checkpoint.js';
import { inverse4Codebook, matrixRowParts, Q4_CODEBOOK, Q8_CODEBOOK, qins8Codebook } from './codecs.js';
import { ConvertError, throwIfAborted } from './errors.js';
import { entryFor, placeTensors, reserveHeaderBytes, type PlacedTensor } from './layout.js';
import type { SourceTensor } from './safetensors.js';
import { AtomicFile } from './writer.js';

export interface CheckedCheckpoint {
  ckpt: Checkpoint;
  spec: ModelSpec;
  plan: PlannedTensor[];
}

/** Reads and checks the checkpoint (config, architecture, every tensor's name, dtype and shape). */
export async function checkCheckpoint(source: string, signal: AbortSignal | undefined): Promise<CheckedCheckpoint> {
  const pre = await readCheckpointConfig(source);
  architectureOf(pre.config);
  const ckpt = await openCheckpoint(source);
  const spec = buildModelSpec(ckpt.config, ckpt.generationConfig);
  const plan = planTensors(spec, ckpt.tensors);
  throwIfAborted(signal, 'conversion');
  return { ckpt, spec, plan };
}

export interface FileLayout {
  /** Every tensor with its entry in the header and its place in the file. */
  placed: PlacedTensor[];
  header: QinsHeader;
  /** Bytes reserved for the header at the start of the file. */
  reserved: number;
  fileBytes: number;
  /** Source bytes of the weights converted. */
  bytesTotal: number;
}

/** Lays out the output file (header with placeholder codebooks, tensor offsets) and checks the free space. */
export async function layOut({ ckpt, spec, plan }: CheckedCheckpoint, destination: string, codec: Codec): Promise<FileLayout> {
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

  const free = await AtomicFile.freeBytes(destination);
  if (free !== null && free < fileBytes)
    throw new ConvertError(
      'NO_SPACE',
      `${destination}: needs ${(fileBytes / 1e6).toFixed(1)} MB but only ${(free / 1e6).toFixed(1)} MB are free`,
      destination,
    );

  const bytesTotal = plan.reduce((a, p) => a + p.sources.reduce((b, s) => b + s.bytes, 0), 0);
  return { placed, header, reserved, fileBytes, bytesTotal };
}

export interface ChunkTask {
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

/** The matrices cut into chunks of about `chunkBytes` source bytes, with the largest source and output chunk. */
export function planChunks(placed: readonly PlacedTensor[], chunkBytes: number): { tasks: ChunkTask[]; maxSrc: number; maxOut: number } {
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
  return { tasks, maxSrc, maxOut };
}
