// Conversion jobs in the engine host (checkpoint folder → .qins), with progress and cancellation.
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { QinsError, type ErrorCode } from '../../../src-shared/contract.js';
import type { Codec } from '../../../src-shared/codecs.js';
import { ConvertError, type ConvertErrorCode, convertCheckpoint, unpackQinz } from '../convert/index.js';
import { type QinsHeader, readQinsHeader } from '../format/qins-format.js';
import { ExportError, exportOnnx } from '../onnx/export.js';
import { inspectGraph, onnxWeightSummary } from '../onnx/inspect.js';
import { specParams } from '../onnx/model-dir.js';
import type { HostConvertProgress, HostConvertResult } from '../../../src-shared/engine-protocol.js';

const CODE_MAP: Partial<Record<ConvertErrorCode, ErrorCode>> = {
  UNSUPPORTED_ARCH: 'UNSUPPORTED',
  CANCELLED: 'CANCELLED',
  NO_SPACE: 'NO_SPACE',
  NOT_WRITABLE: 'IO',
};

/** Conversion errors as contract errors (the message names the file and the tensor). */
export function toQinsError(e: unknown): unknown {
  if (e instanceof ConvertError) return new QinsError(CODE_MAP[e.code] ?? 'BAD_INPUT', e.message);
  return e;
}

export async function convertJob(
  params: { source: string; destination: string; codec: Codec; kind?: 'convert' | 'export' | 'unpack' },
  signal: AbortSignal,
  onProgress: (p: HostConvertProgress) => void,
): Promise<HostConvertResult> {
  try {
    if (params.kind === 'unpack') return await unpackJob(params, signal, onProgress);
    if (params.kind === 'export') return await exportJob(params, signal, onProgress);
    const r = await convertCheckpoint({
      source: params.source,
      destination: params.destination,
      codec: params.codec,
      signal,
      onProgress: (p) =>
        onProgress({ phase: p.phase, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, tensor: p.tensor, tensorsDone: p.tensorsDone, tensorsTotal: p.tensorsTotal, etaMs: p.etaMs }),
    });
    return fromHeader(r.header, r.path, r.fileBytes, basename(params.source), r.header.stats.seconds);
  } catch (e) {
    throw toQinsError(e);
  }
}

/** A .qinz (the distribution form) is unpacked, losslessly, into the .qins it was made from. */
async function unpackJob(
  params: { source: string; destination: string },
  signal: AbortSignal,
  onProgress: (p: HostConvertProgress) => void,
): Promise<HostConvertResult> {
  const t0 = performance.now();
  const r = await unpackQinz({
    source: params.source,
    destination: params.destination,
    signal,
    onProgress: (p) => onProgress({ phase: p.phase, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, tensor: null, tensorsDone: 0, tensorsTotal: 0, etaMs: null }),
  });
  const { header } = await readQinsHeader(r.path);
  return fromHeader(header, r.path, r.rawBytes, basename(params.source).replace(/\.qinz$/i, ''), (performance.now() - t0) / 1000);
}

/** A job's outcome from the header of the .qins file it wrote. */
function fromHeader(h: QinsHeader, path: string, fileBytes: number, fallbackName: string, seconds: number): HostConvertResult {
  return {
    path,
    fileBytes,
    architecture: h.model.architecture,
    codec: h.codec,
    params: h.stats.params,
    bitsPerWeight: h.stats.bits_per_weight,
    snrDb: h.stats.snr_db,
    contextLength: h.model.max_position_embeddings,
    sourceName: h.source.name || fallbackName,
    sourceBytes: h.source.bytes,
    seconds,
  };
}

/** The ORT reference: the checkpoint as an FP32 ONNX folder (model.onnx + data, genai_config.json, tokenizer). */
async function exportJob(
  params: { source: string; destination: string },
  signal: AbortSignal,
  onProgress: (p: HostConvertProgress) => void,
): Promise<HostConvertResult> {
  const t0 = performance.now();
  let sourceBytes = 0;
  for (const f of await readdir(params.source)) if (f.endsWith('.safetensors')) sourceBytes += (await stat(join(params.source, f))).size;
  try {
    const r = await exportOnnx(params.source, params.destination, {
      onProgress: (p) => {
        // Thrown from inside the export: it removes its temporary folder on the way out.
        if (signal.aborted) throw new ConvertError('CANCELLED', 'export cancelled');
        const elapsed = performance.now() - t0;
        onProgress({
          phase: 'exporting',
          bytesDone: 0,
          bytesTotal: 0,
          tensor: p.tensor,
          tensorsDone: p.done,
          tensorsTotal: p.total,
          etaMs: p.done > 0 ? (elapsed / p.done) * (p.total - p.done) : null,
        });
      },
    });
    const params_ = specParams(r.spec);
    const fileBytes = r.modelBytes + r.dataBytes;
    const { codec, bitsPerWeight } = onnxWeightSummary(await inspectGraph(r.modelFile), { fileBytes, params: params_ });
    return {
      path: r.dir,
      fileBytes,
      architecture: r.spec.architecture,
      codec,
      params: params_,
      // from the graph's matrix weights (the file also holds the RoPE tables, which do not count)
      bitsPerWeight,
      snrDb: null,
      contextLength: r.contextLength,
      sourceName: basename(params.source),
      sourceBytes,
      seconds: r.seconds,
    };
  } catch (e) {
    if (e instanceof ExportError) throw new QinsError('BAD_INPUT', e.message);
    throw e;
  }
}
