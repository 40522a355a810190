// Codec and architecture names, free of Node imports so the contract and the renderer can use them.
// src-main/engine/format/qins-format.ts re-exports these for the file format.
import { z } from 'zod';

export const CODECS = ['qins8', 'qins4', 'qins-seed', 'q8', 'q4', 'bf16', 'f32'] as const;
export const Codec = z.enum(CODECS);
export type Codec = z.infer<typeof Codec>;

/** Codecs offered when converting a checkpoint in the app (passthrough codecs stay CLI-only). */
export const APP_CODECS = ['qins8', 'qins4', 'qins-seed', 'q8', 'q4'] as const satisfies readonly Codec[];

export const ARCHITECTURES = ['phi3', 'llama', 'mistral', 'qwen2'] as const;
export const Architecture = z.enum(ARCHITECTURES);
export type Architecture = z.infer<typeof Architecture>;

/**
 * The codec table: nominal bits per weight (block 32, row widths a multiple of the block) and the
 * one-line description the app shows when converting (README "Converting models" has the details).
 */
export const CODEC_TABLE: Readonly<Record<Codec, { bits: number; description: string }>> = {
  qins8: { bits: 8.5, description: 'QINS offset-inverse code, near-lossless. Recommended.' },
  qins4: { bits: 4.5, description: 'QINS 4-bit codebook: about half the size of qins8.' },
  'qins-seed': { bits: 9, description: 'The original QINS scheme, kept for comparison.' },
  q8: { bits: 8.5, description: 'Linear 8-bit reference (Q8_0-like).' },
  q4: { bits: 4.5, description: 'Linear 4-bit reference (Q4_0-like).' },
  bf16: { bits: 16, description: 'Passthrough bfloat16, for exactness checks.' },
  f32: { bits: 32, description: 'Passthrough float32, for exactness checks.' },
};
