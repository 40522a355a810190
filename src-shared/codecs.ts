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
