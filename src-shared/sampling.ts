// Sampling settings: the valid range and the default of each, defined once. The store's record
// schema (records.ts), the engine's sampler (src-main/engine/sampler.ts) and the renderer's sampling
// panel (src-renderer/src/lib/sampling.ts) all take them from here.

export interface SamplingBound {
  min: number;
  max: number;
  /** `min` itself is not allowed (the value must be greater). */
  minExclusive?: boolean;
}

export const SAMPLING_BOUNDS = {
  temperature: { min: 0, max: 5 },
  top_p: { min: 0, max: 1, minExclusive: true },
  /** 0 disables top-k. */
  top_k: { min: 0, max: 100_000 },
  /** 0 disables min-p. */
  min_p: { min: 0, max: 1 },
  /** 1 disables the penalty. */
  repetition_penalty: { min: 0, max: 5, minExclusive: true },
  max_tokens: { min: 1, max: 1_000_000 },
  seed: { min: 0, max: Number.MAX_SAFE_INTEGER },
} as const satisfies Record<string, SamplingBound>;

/** The default reply length, in tokens. */
export const DEFAULT_MAX_TOKENS = 1024;

export const SAMPLING_DEFAULTS = {
  temperature: 0.7,
  top_p: 0.95,
  top_k: 40,
  min_p: 0.05,
  repetition_penalty: 1.1,
  max_tokens: DEFAULT_MAX_TOKENS,
  /** Null: a fresh random seed for every generation. */
  seed: null,
} as const;

/** Most extra stop strings, and the longest one. */
export const MAX_STOP_STRINGS = 16;
export const MAX_STOP_LENGTH = 200;
