// What the benchmark suite runs: the scales, the configurations (engine, codec, kernel set), the
// llama.cpp pairs, and the suite's options.
import type { Codec } from '../engine/format/qins-format.js';

export type Scale = 'tiny' | 'phi35';
export const SCALES: readonly Scale[] = ['tiny', 'phi35'];
export type EngineName = 'qins' | 'ort' | 'llama.cpp';

/** The kernel sets measured beside the default one, and the ggml CPU library llama.cpp runs for each. */
export type PeerKernels = 'avx2' | 'avxvnni';
export const PEER_VARIANTS: Readonly<Record<PeerKernels, string>> = { avx2: 'haswell', avxvnni: 'alderlake' };

/** llama.cpp's fixed 4-bit table (IQ4_NL), for the qins4 comparison at the tiny scale. */
export const IQ4_NL_TABLE = '-127,-104,-83,-65,-49,-35,-22,-10,1,13,25,38,53,69,89,113';

export interface BenchConfig {
  id: string;
  label: string;
  engine: EngineName;
  /** qins: the codec; llama.cpp: the .qins codec its GGUF file is exported from. */
  codec?: Codec;
  ort?: 'fp32' | 'int4';
  /** llama.cpp: the GGUF type of the matrices. */
  gguf?: 'Q8_0' | 'Q4_0';
  /**
   * qins: --kernels; llama.cpp: the copy of the peer that holds only the matching ggml CPU library
   * (PEER_VARIANTS: haswell for AVX2, alderlake for AVX-VNNI).
   */
  kernels?: PeerKernels;
  /** Only on CPUs with AVX-512 (the AVX2 and AVX-VNNI comparisons: sets `auto` does not pick there). */
  avx512Only?: boolean;
  /** Tiny scale only, no speed rounds: conversion, SNR and perplexity. */
  qualityOnly?: boolean;
  /** qins4: a fixed table instead of tuning one per tensor. */
  codebook?: string;
  /** Measured in the first round only at the Phi-3.5 scale: slow references no target ratio depends on. */
  phi35Once?: boolean;
  /** qins (quality only): the KV cache type of the perplexity run (default: the engine's f16). */
  kv?: 'f32';
}

/** Everything one suite run measures, in report order. ORT FP32 is the reference of the seed's claims; llama.cpp of the speed ratios. */
export const CONFIGS: readonly BenchConfig[] = [
  { id: 'ort-fp32', label: 'ORT FP32', engine: 'ort', ort: 'fp32', phi35Once: true },
  { id: 'qins8', label: 'qins8', engine: 'qins', codec: 'qins8' },
  { id: 'qins4', label: 'qins4', engine: 'qins', codec: 'qins4' },
  { id: 'qins-seed', label: 'qins-seed', engine: 'qins', codec: 'qins-seed', phi35Once: true },
  { id: 'q8', label: 'q8', engine: 'qins', codec: 'q8' },
  { id: 'q4', label: 'q4', engine: 'qins', codec: 'q4' },
  { id: 'ort-int4', label: 'ORT int4', engine: 'ort', ort: 'int4', phi35Once: true },
  { id: 'llama-q8_0', label: 'llama.cpp Q8_0', engine: 'llama.cpp', codec: 'q8', gguf: 'Q8_0' },
  { id: 'llama-q4_0', label: 'llama.cpp Q4_0', engine: 'llama.cpp', codec: 'q4', gguf: 'Q4_0' },
  { id: 'qins8-avx2', label: 'qins8 (AVX2)', engine: 'qins', codec: 'qins8', kernels: 'avx2', avx512Only: true },
  { id: 'qins4-avx2', label: 'qins4 (AVX2)', engine: 'qins', codec: 'qins4', kernels: 'avx2', avx512Only: true },
  { id: 'q8-avx2', label: 'q8 (AVX2)', engine: 'qins', codec: 'q8', kernels: 'avx2', avx512Only: true },
  { id: 'q4-avx2', label: 'q4 (AVX2)', engine: 'qins', codec: 'q4', kernels: 'avx2', avx512Only: true },
  { id: 'llama-q8_0-avx2', label: 'llama.cpp Q8_0 (AVX2)', engine: 'llama.cpp', codec: 'q8', gguf: 'Q8_0', kernels: 'avx2', avx512Only: true },
  { id: 'llama-q4_0-avx2', label: 'llama.cpp Q4_0 (AVX2)', engine: 'llama.cpp', codec: 'q4', gguf: 'Q4_0', kernels: 'avx2', avx512Only: true },
  { id: 'qins8-avxvnni', label: 'qins8 (AVX-VNNI)', engine: 'qins', codec: 'qins8', kernels: 'avxvnni', avx512Only: true },
  { id: 'qins4-avxvnni', label: 'qins4 (AVX-VNNI)', engine: 'qins', codec: 'qins4', kernels: 'avxvnni', avx512Only: true },
  { id: 'llama-q8_0-avxvnni', label: 'llama.cpp Q8_0 (AVX-VNNI)', engine: 'llama.cpp', codec: 'q8', gguf: 'Q8_0', kernels: 'avxvnni', avx512Only: true },
  { id: 'llama-q4_0-avxvnni', label: 'llama.cpp Q4_0 (AVX-VNNI)', engine: 'llama.cpp', codec: 'q4', gguf: 'Q4_0', kernels: 'avxvnni', avx512Only: true },
  { id: 'qins8-kv-f32', label: 'qins8, f32 KV cache', engine: 'qins', codec: 'qins8', kv: 'f32', qualityOnly: true },
  { id: 'qins4-iq4nl', label: 'qins4, IQ4_NL table', engine: 'qins', codec: 'qins4', codebook: IQ4_NL_TABLE, qualityOnly: true },
];

/** Our configuration against the llama.cpp one on the same weights (the lead table of the report). */
export const PEER_PAIRS: ReadonlyArray<{ ours: string; peer: string }> = [
  { ours: 'qins8', peer: 'llama-q8_0' },
  { ours: 'q8', peer: 'llama-q8_0' },
  { ours: 'qins4', peer: 'llama-q4_0' },
  { ours: 'q4', peer: 'llama-q4_0' },
  { ours: 'qins8-avx2', peer: 'llama-q8_0-avx2' },
  { ours: 'q8-avx2', peer: 'llama-q8_0-avx2' },
  { ours: 'qins4-avx2', peer: 'llama-q4_0-avx2' },
  { ours: 'q4-avx2', peer: 'llama-q4_0-avx2' },
  { ours: 'qins8-avxvnni', peer: 'llama-q8_0-avxvnni' },
  { ours: 'qins4-avxvnni', peer: 'llama-q4_0-avxvnni' },
];

export const SCALE_NAMES: Record<Scale, string> = {
  tiny: 'tiny-phi3-chat (24.3 M parameters, trained)',
  phi35: 'synthetic Phi-3.5-mini-shaped checkpoint (3.8 B parameters, random weights)',
};

/** The figures every round measures; the report shows their min / median / max. */

export interface SuiteOptions {
  scales?: Scale[];
  configs?: string[];
  workDir?: string;
  prefillTokens?: number;
  decodeTokens?: number;
  /** Rounds per scale (defaults: tiny 5, phi35 3). */
  repeats?: Partial<Record<Scale, number>>;
  threads?: number;
  /** Re-create cached ONNX and GGUF exports (the .qins files are always converted anew: that is the conversion measurement). */
  fresh?: boolean;
  /** Delete each Phi-3.5-scale model once its scale is measured. */
  discard?: boolean;
  /** Use this Phi-3.5-shaped checkpoint folder instead of generating one in the work folder. */
  phi35Checkpoint?: string;
  /** Leave llama.cpp out (the report says so in its first lines). */
  peer?: boolean;
  /** Leave the AVX2 comparisons out on AVX-512 CPUs. */
  avx2?: boolean;
  onProgress?: (line: string) => void;
}

/** A pair the race runs: our codec against the llama-quantize type of the same bits, with the
 *  default sets (our best encoders, the best llama-quantize build) or both on AVX2. */
export interface RacePair {
  codec: 'qins8' | 'qins4';
  type: 'Q8_0' | 'Q4_0';
  avx2: boolean;
}
export const RACE_PAIRS: readonly RacePair[] = [
  { codec: 'qins8', type: 'Q8_0', avx2: false },
  { codec: 'qins4', type: 'Q4_0', avx2: false },
  { codec: 'qins8', type: 'Q8_0', avx2: true },
  { codec: 'qins4', type: 'Q4_0', avx2: true },
];
/** The conversion measure names of a pair (ConversionMeasure.codec): ours, then the peer's. */
export const raceNames = (p: RacePair): [string, string] =>
  p.avx2 ? [`${p.codec} (avx2)`, `llama-quantize ${p.type} (avx2)`] : [p.codec, `llama-quantize ${p.type}`];
