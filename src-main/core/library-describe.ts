// What a model file or folder says about itself: a .qins file's header, an ONNX model folder's
// config and graph; and the slugs the library's model ids are made of.
import { basename } from 'node:path';
import { QinsError } from '../../src-shared/contract.js';
import { isOrtModelDir, readOrtModelDir, specParams } from '../engine/onnx/model-dir.js';
import { inspectGraph, onnxWeightSummary } from '../engine/onnx/inspect.js';
import type { Codec } from '../../src-shared/codecs.js';
import { readQinsHeader } from '../engine/format/qins-format.js';
import type { ModelRecord } from './store/index.js';

export const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80) || 'model';

/** What a .qins file or an ONNX folder says about itself, for registering it. */
export async function describeModel(path: string): Promise<Omit<ModelRecord, 'id' | 'name' | 'path' | 'codec' | 'sourcePath' | 'builtin' | 'addedAt' | 'lastUsedAt'> & { codec: Codec }> {
  if (isOrtModelDir(path)) {
    const d = await readOrtModelDir(path).catch((e: Error) => {
      throw new QinsError('BAD_INPUT', e.message);
    });
    const params = specParams(d.spec);
    // FP32 weights, or int4 ones (MatMulNBits) in the published *-int4 folders: the graph says
    // which, and its matrix weights' bytes over their parameters give the bits per weight.
    const graph = await inspectGraph(d.modelPath).catch((e: Error) => {
      throw new QinsError('BAD_INPUT', `${d.modelPath}: ${e.message}`);
    });
    const { codec, bitsPerWeight } = onnxWeightSummary(graph, { fileBytes: d.fileBytes, params });
    return {
      codec,
      architecture: d.spec.architecture,
      params,
      fileBytes: d.fileBytes,
      contextLength: d.contextLength,
      bitsPerWeight,
      snrDb: null,
      sourceName: basename(path),
      sourceBytes: d.fileBytes,
    };
  }
  const { header: h, fileBytes } = await readQinsHeader(path).catch((e: Error) => {
    throw new QinsError('BAD_INPUT', e.message);
  });
  return {
    codec: h.codec,
    architecture: h.model.architecture,
    params: h.stats.params,
    fileBytes,
    contextLength: h.model.max_position_embeddings,
    bitsPerWeight: h.stats.bits_per_weight,
    snrDb: h.stats.snr_db,
    sourceName: h.source.name,
    sourceBytes: h.source.bytes,
  };
}
