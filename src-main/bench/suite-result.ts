// The shape of a suite run's results (benchmarks.json): per-configuration entries with their
// round samples and statistics, the conversions, the peers, the bandwidth bound.
import type { BandwidthProbe, MachineInfo } from './machine.js';
import type { QuantizePeer } from './quantize-peer.js';
import type { EngineName, Scale } from './suite-config.js';

export const FIGURES = ['load_ms', 'prefill_tok_s', 'decode_tok_s', 'decode_depth0_tok_s', 'rss_after_load_bytes', 'peak_rss_bytes'] as const;
export type Figure = (typeof FIGURES)[number];

export interface Stat {
  min: number;
  median: number;
  max: number;
  n: number;
}

/** One measurement: one configuration in one round, in its own process. */
export interface RoundSample {
  round: number;
  load_ms: number;
  prefill_tok_s: number;
  decode_tok_s: number;
  decode_depth0_tok_s: number;
  rss_after_load_bytes: number;
  peak_rss_bytes: number | null;
  /** 1-minute load average when the measurement started and when it ended. */
  load_avg_1m: number;
  load_avg_1m_end: number;
  /** The child's CPU time (user + sys) and wall time. */
  cpu_seconds: number | null;
  wall_seconds: number;
  /** Our engine: read bandwidth of the model's own weight pages, GB/s (null for other engines): probed
   *  right after this round's decode, or, in runs whose settings say weights_probe 'around', the
   *  faster of two probes right before and right after its depth-0 decode. */
  weights_read_gbs: number | null;
}

export interface SuiteEntry {
  scale: Scale;
  id: string;
  label: string;
  engine: EngineName;
  /** What ran: our kernel set, or the ggml CPU library llama.cpp loaded. */
  kernels: string | null;
  model: string;
  /** Bytes on disk (the .qins or .gguf file, or model.onnx + model.onnx.data). */
  file_bytes: number;
  bits_per_weight: number | null;
  /** Wall seconds of the conversion (or export) in this run; null when a cached model was used. */
  convert_seconds: number | null;
  snr_db: number | null;
  // Medians of the rounds (null when not measured):
  load_ms: number | null;
  prefill_tokens: number | null;
  prefill_tok_s: number | null;
  decode_tokens: number | null;
  decode_tok_s: number | null;
  decode_depth0_tok_s: number | null;
  rss_after_load_bytes: number | null;
  peak_rss_bytes: number | null;
  /** min / median / max of each figure over the rounds. */
  stats: Partial<Record<Figure, Stat>>;
  weight_bytes: number | null;
  /** KV cache: bytes reserved, element type, bytes per position over all layers. */
  kv_bytes: number | null;
  kv_type: string | null;
  kv_bytes_per_position: number | null;
  embedding_row_bytes: number | null;
  /** Mean bytes a timed decode step streams (weights + embedding row + KV attended), after the prompt and at depth 0. */
  stream_bytes_per_token: number | null;
  stream_bytes_per_token_depth0: number | null;
  /** stream bytes × median decode tok/s ÷ the bound (the best probe); may exceed 1 (then the report says the bound is unknown). */
  bandwidth_fraction: number | null;
  /** The highest read rate any round of this entry implies (stream bytes × decode tok/s), GB/s. */
  implied_gbs: number | null;
  /** implied_gbs is above the best probe: the probe is no upper bound for this engine at this scale. */
  exceeds_bound: boolean;
  /** Our engine: median over the rounds of the read bandwidth of its own weight pages (RoundSample.weights_read_gbs). */
  weights_read_gbs: number | null;
  /** Median over the rounds of stream bytes at depth 0 × that round's depth-0 decode tok/s ÷ that round's weights_read_gbs. */
  weights_read_fraction: number | null;
  samples: RoundSample[];
  /** Median 1-minute load average of the rounds. */
  load_avg_1m: number | null;
  ppl: number | null;
  ppl_tokens: number | null;
  error: string | null;
}

/** A conversion measured in this run (the README's conversion table at Phi-3.5 scale). */
export interface ConversionMeasure {
  scale: Scale;
  codec: string;
  label: string;
  wall_seconds: number;
  user_seconds: number | null;
  sys_seconds: number | null;
  peak_rss_bytes: number | null;
  source_bytes: number;
  file_bytes: number;
  bits_per_weight: number | null;
  snr_db: number | null;
  load_avg_1m: number;
  /** llama-quantize (the conversion peer) rather than `qins convert`. */
  peer: boolean;
  /** Conversion race (qins8/qins4 and llama-quantize alternating): every round's wall time, in
   *  order; the other figures are the median round's, peak RSS the highest of the rounds. Absent for
   *  a single conversion (and in runs before the race existed). */
  wall_rounds?: number[];
}

export interface PeerRun {
  /** Whether llama.cpp ran in this run; when not, why (the report's first lines say so). */
  available: boolean;
  reason: string | null;
  version: string | null;
  llama_cpp_release: string | null;
  /** ggml CPU library of the default peer and of the AVX2 copy (as mapped in the measuring process). */
  cpu_library: string | null;
  avx2_dir: string | null;
  avx2_cpu_library: string | null;
  /** Why the AVX2 comparison did not run, when it did not (no AVX-512, or the copy failed). */
  avx2_reason: string | null;
  /** The same for the AVX-VNNI comparison (absent in runs before it existed). */
  avxvnni_dir?: string | null;
  avxvnni_cpu_library?: string | null;
  avxvnni_reason?: string | null;
  system_info: string | null;
}

export interface BoundCheck {
  /** The best probe of the run, GB/s. */
  best_gbs: number | null;
  /** Per scale: false when an engine streamed more than the probe (the bound is unknown there). */
  known: Partial<Record<Scale, boolean>>;
  exceeded: Array<{ scale: Scale; id: string; label: string; implied_gbs: number }>;
}

export interface SuiteSettings {
  scales: Scale[];
  configs: string[];
  prefill_tokens: number;
  decode_tokens: number;
  warmup_steps: number;
  /** Rounds per scale (each configuration once per round, each measurement its own process). */
  rounds: Record<Scale, number>;
  /** Same as rounds (older readers of benchmarks.json). */
  repeats: Record<Scale, number>;
  threads: number | null;
  work_dir: string;
  phi35_checkpoint: string | null;
  eval_text: string;
  /** When our engine's rounds probed their weight pages: 'around' the depth-0 decode (the faster of
   *  a probe right before and one right after it), or, absent (runs before it existed), after the round. */
  weights_probe?: 'around';
}

export interface SuiteResult {
  date: string;
  machine: MachineInfo & { load_avg_1m_end: number };
  settings: SuiteSettings;
  entries: SuiteEntry[];
  conversions: ConversionMeasure[];
  peer: PeerRun;
  /** llama-quantize, the conversion peer of the Phi-3.5 scale: which build ran, or why none did. */
  quantize: QuantizePeer & { error: string | null };
  bandwidth: { probes: BandwidthProbe[]; bound: BoundCheck };
  seconds: number;
}
