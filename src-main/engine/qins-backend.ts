// The native QINS engine as an InferenceBackend: reads and validates the .qins header, hands the
// tensor table, codebooks and ModelSpec to the addon (which mmaps the file and checks it again),
// and serialises forward calls (the KV cache is sequential state).
import { resolve } from 'node:path';
import { readQinsHeader, type Codec, type ModelSpec, type QinsHeader } from './format/qins-format.js';
import type { BackendMemory, ForwardOptions, InferenceBackend } from './backend.js';
import { loadNative, type BandwidthResult, type NativeModel, type NativeModelDesc, type NativeModelInfo, type NativeOpenOptions } from './native.js';

export type QinsBackendOptions = NativeOpenOptions;

export interface QinsBackend extends InferenceBackend {
  readonly kind: 'qins';
  readonly path: string;
  readonly codec: Codec;
  readonly fileBytes: number;
  /** Kernel set, threads, KV type and memory figures of the loaded model. */
  readonly info: NativeModelInfo;
  /** The read bandwidth of the memory holding this model's weights (NativeModel.streamWeights). */
  weightsReadBandwidth(): Promise<BandwidthResult>;
}

export class QinsBackendError extends Error {
  override name = 'QinsBackendError';
}

function checkOptions(o: QinsBackendOptions): void {
  const positiveInt = (v: number | undefined, what: string): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new QinsBackendError(`${what} must be a positive integer (got ${v})`);
  };
  positiveInt(o.threads, 'threads');
  positiveInt(o.contextLength, 'contextLength');
  if (o.kvType !== undefined && o.kvType !== 'f32' && o.kvType !== 'f16' && o.kvType !== 'q8')
    throw new QinsBackendError(`kvType must be f32, f16 or q8 (got ${String(o.kvType)})`);
  if (o.activations !== undefined && o.activations !== 'int8' && o.activations !== 'f32')
    throw new QinsBackendError(`activations must be int8 or f32 (got ${String(o.activations)})`);
}

/** What the native side needs from the header: the spec, the tensor table and the codebooks. */
export function nativeDescription(path: string, header: QinsHeader, fileBytes: number, options: QinsBackendOptions): NativeModelDesc {
  const codebooks: NativeModelDesc['codebooks'] = {};
  for (const [id, cb] of Object.entries(header.codebooks)) codebooks[id] = { bits: cb.bits, ints: cb.ints, denom: cb.denom };
  return {
    path,
    fileBytes,
    spec: header.model,
    tensors: header.tensors.map((t) => ({
      name: t.name,
      shape: t.shape,
      codec: t.codec,
      offset: t.offset,
      bytes: t.bytes,
      parts: t.parts,
      ...(t.block !== undefined ? { block: t.block } : {}),
      ...(t.codebook !== undefined ? { codebook: t.codebook } : {}),
      ...(t.scale !== undefined ? { scale: t.scale } : {}),
    })),
    codebooks,
    options,
  };
}

class NativeQinsBackend implements QinsBackend {
  readonly kind = 'qins' as const;
  readonly contextLength: number;
  private tail: Promise<unknown> = Promise.resolve();
  private disposed: Promise<void> | null = null;
  /** KV cache positions holding entries (0 .. positions − 1) after the forward calls so far. */
  private positions = 0;

  constructor(
    private readonly model: NativeModel,
    readonly path: string,
    readonly spec: ModelSpec,
    readonly codec: Codec,
    readonly fileBytes: number,
    readonly info: NativeModelInfo,
  ) {
    this.contextLength = info.contextLength;
  }

  forward(tokens: Int32Array, pos: number, options: ForwardOptions = {}): Promise<Float32Array> {
    if (this.disposed) return Promise.reject(new QinsBackendError('the model has been disposed'));
    if (!(tokens instanceof Int32Array)) return Promise.reject(new QinsBackendError('forward: tokens must be an Int32Array'));
    const step = async (): Promise<Float32Array> => {
      try {
        const logits = await this.model.forward(tokens, pos, options.allLogits === true);
        this.positions = pos + tokens.length;
        return logits;
      } catch (e) {
        // Entries before pos are untouched; from pos on they may be half written.
        this.positions = Math.min(this.positions, pos);
        throw e;
      }
    };
    const run = this.tail.then(step, step);
    this.tail = run.catch(() => undefined);
    return run;
  }

  memory(): BackendMemory {
    // The cache is allocated for contextLength positions at open; kvBytes / contextLength is one
    // position's keys and values over all layers.
    const perPosition = this.info.contextLength > 0 ? this.info.kvBytes / this.info.contextLength : 0;
    return { weightBytes: this.info.weightBytes, kvBytes: this.info.kvBytes, kvBytesUsed: this.positions * perPosition, mappedBytes: this.info.mappedBytes };
  }

  residentWeightBytes(): Promise<number | null> {
    if (this.disposed) return Promise.resolve(null);
    // An addon built before residentBytes existed cannot measure.
    if (typeof this.model.residentBytes !== 'function') return Promise.resolve(null);
    return this.model.residentBytes();
  }

  weightsReadBandwidth(): Promise<BandwidthResult> {
    if (this.disposed) return Promise.reject(new QinsBackendError('the model has been disposed'));
    // after the calls in flight, so it never competes with a forward pass for memory
    const run = this.tail.then(() => this.model.streamWeights());
    this.tail = run.catch(() => undefined);
    return run;
  }

  resetCache(): void {
    this.positions = 0;
  }

  dispose(): Promise<void> {
    // Waits for calls in flight; later forward calls reject.
    this.disposed ??= this.tail.then(() => this.model.dispose());
    return this.disposed;
  }
}

/** Opens a .qins file with the native engine. */
export async function openQinsBackend(path: string, options: QinsBackendOptions = {}): Promise<QinsBackend> {
  checkOptions(options);
  const abs = resolve(path);
  const { header, fileBytes } = await readQinsHeader(abs);
  const opts: QinsBackendOptions = {};
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (opts as Record<string, unknown>)[k] = v;
  const native = loadNative();
  let model: NativeModel;
  try {
    model = await native.openModel(nativeDescription(abs, header, fileBytes, opts));
  } catch (e) {
    throw new QinsBackendError((e as Error).message);
  }
  return new NativeQinsBackend(model, abs, header.model, header.codec, fileBytes, model.info());
}
