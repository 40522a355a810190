// Conversion jobs in the engine host (checkpoint folder → .qins), with progress and cancellation.
import { basename } from 'node:path';
import { QinsError, type ErrorCode } from '../../../src-preload/contract.js';
import type { Codec } from '../../core/codecs.js';
import { ConvertError, type ConvertErrorCode, convertCheckpoint, unpackQinz } from '../../core/convert/index.js';
import { readQinsHeader } from '../../core/qins-format.js';
import type { HostConvertProgress, HostConvertResult } from '../protocol.js';

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
  params: { source: string; destination: string; codec: Codec },
  signal: AbortSignal,
  onProgress: (p: HostConvertProgress) => void,
): Promise<HostConvertResult> {
  try {
    if (params.source.toLowerCase().endsWith('.qinz')) return await unpackJob(params, signal, onProgress);
    const r = await convertCheckpoint({
      source: params.source,
      destination: params.destination,
      codec: params.codec,
      signal,
      onProgress: (p) =>
        onProgress({ phase: p.phase, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, tensor: p.tensor, tensorsDone: p.tensorsDone, tensorsTotal: p.tensorsTotal, etaMs: p.etaMs }),
    });
    const h = r.header;
    return {
      path: r.path,
      fileBytes: r.fileBytes,
      architecture: h.model.architecture,
      codec: h.codec,
      params: h.stats.params,
      bitsPerWeight: h.stats.bits_per_weight,
      snrDb: h.stats.snr_db,
      contextLength: h.model.max_position_embeddings,
      sourceName: h.source.name || basename(params.source),
      sourceBytes: h.source.bytes,
      seconds: h.stats.seconds,
    };
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
  const { header: h } = await readQinsHeader(r.path);
  return {
    path: r.path,
    fileBytes: r.rawBytes,
    architecture: h.model.architecture,
    codec: h.codec,
    params: h.stats.params,
    bitsPerWeight: h.stats.bits_per_weight,
    snrDb: h.stats.snr_db,
    contextLength: h.model.max_position_embeddings,
    sourceName: h.source.name || basename(params.source).replace(/\.qinz$/i, ''),
    sourceBytes: h.source.bytes,
    seconds: (performance.now() - t0) / 1000,
  };
}
