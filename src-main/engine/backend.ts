// The interface every inference engine implements (the native QINS engine and the ONNX Runtime
// reference). Tokenization, templates, sampling and the KV-prefix bookkeeping live above it
// (see generate.ts), so both engines are driven by exactly the same code.
import type { ModelSpec } from './format/qins-format.js';

export type EngineKind = 'qins' | 'ort';

export interface BackendMemory {
  /** Bytes of weights the engine reads per token (mapped file bytes for QINS). */
  weightBytes: number;
  /**
   * Bytes currently reserved for the KV cache: all its positions for QINS (allocated at open); the
   * ONNX Runtime cache reserves nothing ahead, it grows with the positions held (= kvBytesUsed).
   */
  kvBytes: number;
  /** Bytes of the KV cache holding positions now: positions held × bytes per position. */
  kvBytesUsed: number;
  /** Size of the model file mapped into memory (0 when the engine copies weights). */
  mappedBytes: number;
}

export interface ForwardOptions {
  /** Return logits for every input position (vocab × n, row-major) instead of the last one only. */
  allLogits?: boolean;
}

export interface InferenceBackend {
  readonly kind: EngineKind;
  readonly spec: ModelSpec;
  /** Positions the KV cache can hold. */
  readonly contextLength: number;
  /**
   * Runs `tokens` at positions pos .. pos + n - 1. Positions < pos must already be in the KV cache
   * (from earlier calls); anything cached at >= pos is overwritten. Resolves to float32 logits
   * (vocab entries, or vocab × n with allLogits). Never blocks the JS thread.
   */
  forward(tokens: Int32Array, pos: number, options?: ForwardOptions): Promise<Float32Array>;
  memory(): BackendMemory;
  /**
   * Bytes of the model's weights resident in memory now, measured (a few ms for GBs of weights);
   * null when the engine cannot measure it.
   */
  residentWeightBytes(): Promise<number | null>;
  /** The cached positions are no longer needed: the next forward starts at position 0. */
  resetCache(): void;
  /** Releases the weights and the KV cache; the backend is unusable afterwards. */
  dispose(): Promise<void>;
}
