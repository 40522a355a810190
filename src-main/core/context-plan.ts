// How long a context to load a model with, and whether it fits: the weights plus the KV cache the
// engine reserves for that many positions, against the memory that is free (plus what the model
// being replaced holds). The model's own maximum (max_position_embeddings; Phi-3.5: 131 072 with
// longrope) is the ceiling; without a setting the engine's default applies (at most 4096).
import { freemem } from 'node:os';
import { QinsError, type ContextPlan } from '../../src-shared/contract.js';
import { readQinsHeader } from '../engine/format/qins-format.js';
import { isOrtModelDir, readOrtModelDir } from '../engine/onnx/model-dir.js';

/** The context a model gets when neither it nor the settings name one (the engine's default). */
export const DEFAULT_CONTEXT_LENGTH = 4096;
/** Shortest context the app loads a model with. */
export const MIN_CONTEXT_LENGTH = 256;

/** What the memory estimate needs to know about a model file. */
export interface ModelMemorySpec {
  maxContextLength: number;
  /** KV cache bytes per position: layers × (K and V) × KV heads × head size × bytes per value. */
  kvBytesPerToken: number;
  /** Weight bytes the engine keeps in memory (the whole file: it reads every page at load). */
  weightBytes: number;
}

/** Bytes per cached value: the QINS engine's default f16 cache; ONNX Runtime keeps f32. */
const KV_VALUE_BYTES = { qins: 2, ort: 4 } as const;

export async function modelMemorySpec(path: string): Promise<ModelMemorySpec> {
  try {
    if (isOrtModelDir(path)) {
      const d = await readOrtModelDir(path);
      const s = d.spec;
      return { maxContextLength: d.contextLength, kvBytesPerToken: s.num_layers * 2 * s.num_kv_heads * s.head_dim * KV_VALUE_BYTES.ort, weightBytes: d.fileBytes };
    }
    const { header, fileBytes } = await readQinsHeader(path);
    const s = header.model;
    return { maxContextLength: s.max_position_embeddings, kvBytesPerToken: s.num_layers * 2 * s.num_kv_heads * s.head_dim * KV_VALUE_BYTES.qins, weightBytes: fileBytes };
  } catch (e) {
    throw new QinsError('BAD_INPUT', `${path}: ${(e as Error).message}`);
  }
}

/** The context length to load with: the model's setting, else the default setting, else the engine's default — never above the model's maximum. */
export function chooseContextLength(requested: number | null | undefined, maxContextLength: number): number {
  const wanted = requested ?? DEFAULT_CONTEXT_LENGTH;
  return Math.max(Math.min(MIN_CONTEXT_LENGTH, maxContextLength), Math.min(wanted, maxContextLength));
}

const gb = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(bytes < 10 * 1024 ** 3 ? 2 : 1)} GB`;

/**
 * The memory a load at `contextLength` needs and whether it fits in `availableBytes`.
 * `requested` above the model's maximum is refused (BAD_INPUT) rather than silently cut.
 */
export function planContext(spec: ModelMemorySpec, requested: number | null | undefined, availableBytes: number): ContextPlan {
  if (requested != null && requested > spec.maxContextLength)
    throw new QinsError('BAD_INPUT', `this model holds at most ${spec.maxContextLength} tokens of context (asked for ${requested})`);
  const contextLength = chooseContextLength(requested, spec.maxContextLength);
  const kvBytes = contextLength * spec.kvBytesPerToken;
  const totalBytes = spec.weightBytes + kvBytes;
  const fits = totalBytes <= availableBytes;
  return {
    contextLength,
    maxContextLength: spec.maxContextLength,
    kvBytesPerToken: spec.kvBytesPerToken,
    weightBytes: spec.weightBytes,
    kvBytes,
    totalBytes,
    availableBytes,
    fits,
    message: fits
      ? null
      : `${contextLength} tokens of context need ${gb(totalBytes)} (weights ${gb(spec.weightBytes)} + context ${gb(kvBytes)}), but only ${gb(availableBytes)} of memory is free. Choose a shorter context or close other programs.`,
  };
}

/** Free memory now (the OS's available memory: free plus reclaimable caches). */
export const availableMemory = (): number => freemem();
