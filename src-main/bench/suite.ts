// The benchmark suite behind `npm run bench`. For each scale (the tiny fixture model, and a
// synthetic checkpoint shaped like Phi-3.5-mini) it
//   1. converts the checkpoint to every codec (measuring each conversion's wall time, CPU time and
//      peak RSS), exports the ONNX models (cached between runs) and the q8 / q4 files as GGUF for
//      llama.cpp (`qins export-gguf`: Q8_0 / Q4_0 with the same values);
//   2. measures every configuration — our engine per codec and kernel set, ONNX Runtime, and
//      llama.cpp (node-llama-cpp) on the same weights — interleaved: round 1 runs every
//      configuration once, round 2 again, …, each measurement in a fresh child process
//      (`qins bench` / `qins bench-peer`), with the load average recorded per measurement;
//   3. probes the machine's read bandwidth at the start and after every round (the bound is the
//      best probe), and on the tiny model measures perplexity with `qins eval`.
// On a CPU with AVX-512 our engine also runs with its AVX2 kernels and llama.cpp with its AVX2
// (haswell) CPU library, from a copy of the peer folder that holds only that one.
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat as fileStat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Codec } from '../engine/format/qins-format.js';
import { appRoot, assetsDir } from '../core/paths.js';
import type { BenchResult } from '../engine/bench.js';
import { inspectGraph } from '../engine/onnx/inspect.js';
import { boundFraction } from '../engine/bound.js';
import { runNodeScript, runQins, type ChildResult } from './child.js';
import { peerAvailable, peerDir } from './llama-peer.js';
import { findQuantizePeer, measureQuantizePeer, type QuantizePeer } from './quantize-peer.js';
import { machineInfo, probeBandwidth, type BandwidthProbe, type MachineInfo } from './machine.js';
import type { PeerBenchResult } from './peer-bench.js';

export type Scale = 'tiny' | 'phi35';
export const SCALES: readonly Scale[] = ['tiny', 'phi35'];
export type EngineName = 'qins' | 'ort' | 'llama.cpp';

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
  /** qins: --kernels; llama.cpp: 'avx2' runs the copy of the peer that holds only ggml's haswell (AVX2) CPU library. */
  kernels?: 'avx2';
  /** Only on CPUs with AVX-512 (the AVX2 comparisons). */
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
];

export const SCALE_NAMES: Record<Scale, string> = {
  tiny: 'tiny-phi3-chat (24.3 M parameters, trained)',
  phi35: 'synthetic Phi-3.5-mini-shaped checkpoint (3.8 B parameters, random weights)',
};

/** The figures every round measures; the report shows their min / median / max. */
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

interface ConvertJson {
  file_bytes: number;
  source_bytes: number;
  stats: { seconds: number; bits_per_weight: number; snr_db: number | null };
}
interface InspectJson {
  file_bytes: number;
  bits_per_weight: number;
}
interface ExportJson {
  seconds: number;
}
interface EvalJson {
  ppl: number;
  tokens: number;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** min / median / max of the values present (null when there are none). */
export function stat(xs: Array<number | null | undefined>): Stat | null {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  if (v.length === 0) return null;
  return { min: Math.min(...v), median: median(v), max: Math.max(...v), n: v.length };
}

/** Fills an entry's medians, statistics and bandwidth figures from its samples. */
export function summarize(e: SuiteEntry, boundGbs: number | null): void {
  e.stats = {};
  for (const f of FIGURES) {
    const s = stat(e.samples.map((x) => x[f]));
    if (s) e.stats[f] = s;
    (e as unknown as Record<string, number | null>)[f] = s ? s.median : null;
  }
  const load = stat(e.samples.map((x) => x.load_avg_1m));
  e.load_avg_1m = load ? load.median : null;
  const bytes = e.stream_bytes_per_token;
  const bytes0 = e.stream_bytes_per_token_depth0;
  if (bytes !== null && e.samples.length > 0) {
    const rates = e.samples.flatMap((x) => [bytes * x.decode_tok_s, ...(bytes0 !== null ? [bytes0 * x.decode_depth0_tok_s] : [])]);
    e.implied_gbs = Math.max(...rates) / 1e9;
  }
  if (boundGbs !== null && bytes !== null && e.decode_tok_s !== null) {
    e.bandwidth_fraction = boundFraction(bytes, e.decode_tok_s, boundGbs);
    e.exceeds_bound = e.implied_gbs !== null && e.implied_gbs > boundGbs;
  }
}

/** The bound check of a run: per scale, known unless some engine streamed more than the best probe. */
export function checkBound(entries: SuiteEntry[], scales: Scale[], bestGbs: number | null): BoundCheck {
  const exceeded = entries
    .filter((e) => e.error === null && e.exceeds_bound && e.implied_gbs !== null)
    .map((e) => ({ scale: e.scale, id: e.id, label: e.label, implied_gbs: e.implied_gbs as number }));
  const known: Partial<Record<Scale, boolean>> = {};
  for (const s of scales) known[s] = bestGbs !== null && !exceeded.some((x) => x.scale === s);
  return { best_gbs: bestGbs, known, exceeded };
}

/** The checkpoint each scale starts from; the Phi-3.5-shaped one is generated on first use. */
async function sourceFor(scale: Scale, work: string, given: string | undefined, log: (l: string) => void): Promise<string> {
  if (scale === 'tiny') return join(assetsDir(), 'models', 'tiny-phi3-chat');
  if (given) return given;
  const dir = join(work, 'phi35-synthetic');
  if (!existsSync(join(dir, 'model.safetensors.index.json'))) {
    log(`generating the Phi-3.5-mini-shaped checkpoint in ${dir} (7.6 GB)`);
    await runNodeScript(join(appRoot(), 'tests', 'bench', 'make-synthetic-checkpoint.mjs'), [dir], {
      env: { QINS_FIXTURES: join(assetsDir(), 'models') },
      onLine: log,
    });
  }
  return dir;
}

/** Reads the source's weight files once, so every conversion starts with them in the page cache. */
async function warmSource(dir: string): Promise<void> {
  for (const f of (await readdir(dir)).filter((x) => x.endsWith('.safetensors')))
    await new Promise<void>((res, rej) => {
      createReadStream(join(dir, f), { highWaterMark: 8 << 20 })
        .on('data', () => undefined)
        .on('end', res)
        .on('error', rej);
    });
}

const modelKey = (c: BenchConfig): string =>
  c.engine === 'ort' ? `ort-${c.ort}` : c.engine === 'llama.cpp' ? `${c.codec}.gguf` : `${c.codec}${c.codebook ? '-fixed' : ''}`;

function blankEntry(scale: Scale, c: BenchConfig): SuiteEntry {
  return {
    scale,
    id: c.id,
    label: c.label,
    engine: c.engine,
    kernels: null,
    model: '',
    file_bytes: 0,
    bits_per_weight: null,
    convert_seconds: null,
    snr_db: null,
    load_ms: null,
    prefill_tokens: null,
    prefill_tok_s: null,
    decode_tokens: null,
    decode_tok_s: null,
    decode_depth0_tok_s: null,
    rss_after_load_bytes: null,
    peak_rss_bytes: null,
    stats: {},
    weight_bytes: null,
    kv_bytes: null,
    kv_type: null,
    kv_bytes_per_position: null,
    embedding_row_bytes: null,
    stream_bytes_per_token: null,
    stream_bytes_per_token_depth0: null,
    bandwidth_fraction: null,
    implied_gbs: null,
    exceeds_bound: false,
    samples: [],
    load_avg_1m: null,
    ppl: null,
    ppl_tokens: null,
    error: null,
  };
}

interface Prepared {
  model: string;
  file_bytes: number;
  bits_per_weight: number | null;
  convert_seconds: number | null;
  snr_db: number | null;
}

export async function runSuite(o: SuiteOptions = {}): Promise<SuiteResult> {
  const t0 = performance.now();
  const log = o.onProgress ?? (() => undefined);
  const scales = o.scales ?? [...SCALES];
  const work = o.workDir ?? join(appRoot(), '.bench');
  const prefill = o.prefillTokens ?? 512;
  const decode = o.decodeTokens ?? 128;
  const rounds: Record<Scale, number> = { tiny: o.repeats?.tiny ?? 5, phi35: o.repeats?.phi35 ?? 3 };
  const evalText = join(assetsDir(), 'eval', 'eval_dev.txt');
  await mkdir(work, { recursive: true });
  log('machine facts');
  const machine = await machineInfo(o.threads ? { threads: o.threads, rounds: 0 } : { rounds: 0 });
  const threads = o.threads ?? machine.physical_cores;
  const avx512 = machine.cpu_features.includes('avx512');

  // Which configurations run, and the llama.cpp peer they need.
  const peer: PeerRun = {
    available: false,
    reason: null,
    version: null,
    llama_cpp_release: null,
    cpu_library: null,
    avx2_dir: null,
    avx2_cpu_library: null,
    avx2_reason: null,
    system_info: null,
  };
  let configs = CONFIGS.filter((c) => !o.configs || o.configs.includes(c.id));
  if (!avx512) peer.avx2_reason = 'the CPU has no AVX-512: its best kernels are the AVX2 ones already measured';
  else if (o.avx2 === false) peer.avx2_reason = 'left out (--no-avx2)';
  if (!avx512 || o.avx2 === false) configs = configs.filter((c) => !c.avx512Only);
  const status = peerAvailable();
  if (o.peer === false) peer.reason = 'left out of this run (--no-peer)';
  else if (!status.ok) peer.reason = status.reason;
  else {
    peer.available = true;
    peer.version = status.version;
  }
  if (peer.available && configs.some((c) => c.engine === 'llama.cpp' && c.kernels === 'avx2')) {
    try {
      log('llama.cpp: a copy of the peer with only its AVX2 (haswell) CPU library');
      await runNodeScript(join(appRoot(), 'scripts', 'peer-install.mjs'), ['--variant', 'haswell'], { onLine: log });
      peer.avx2_dir = `${peerDir()}-haswell`;
    } catch (e) {
      peer.avx2_reason = `the AVX2-only copy of the peer could not be made: ${(e as Error).message.split('\n')[0]}`;
      configs = configs.filter((c) => !(c.engine === 'llama.cpp' && c.kernels === 'avx2'));
    }
  }

  const quantize: QuantizePeer & { error: string | null } =
    o.peer === false ? { binary: null, variant: null, reason: 'left out of this run (--no-peer)', error: null } : { ...findQuantizePeer(machine.cpu_features), error: null };

  const probes: BandwidthProbe[] = [];
  const probe = async (when: string): Promise<void> => {
    try {
      log(`read-bandwidth probe (${when})`);
      probes.push(await probeBandwidth(threads ?? undefined, when));
    } catch (e) {
      log(`bandwidth probe failed: ${(e as Error).message}`);
    }
  };
  await probe('start');

  const entries: SuiteEntry[] = [];
  const conversions: ConversionMeasure[] = [];
  for (const scale of scales) {
    const slog = (l: string) => log(`[${scale}] ${l}`);
    const source = await sourceFor(scale, work, o.phi35Checkpoint, slog);
    const dir = join(work, scale);
    await mkdir(dir, { recursive: true });
    const here = configs.filter((c) => !c.qualityOnly || scale === 'tiny');
    const scaleEntries = here.map((c) => blankEntry(scale, c));
    entries.push(...scaleEntries);
    const byId = new Map(scaleEntries.map((e) => [e.id, e]));
    if (!peer.available) for (const e of scaleEntries) if (e.engine === 'llama.cpp') e.error = `not measured: ${peer.reason}`;

    // 0. The conversion peer (Phi-3.5 scale): llama-quantize on the same source, same threads; first,
    //    while the disk holds no models yet (its BF16 GGUF is as large as the source).
    if (scale === 'phi35' && o.peer !== false && here.some((c) => c.engine === 'qins' && (c.codec === 'qins8' || c.codec === 'qins4'))) {
      if (!quantize.binary) slog(`llama-quantize: ${quantize.reason}`);
      else
        try {
          conversions.push(...(await measureQuantizePeer(quantize, scale, source, dir, threads, slog)));
        } catch (err) {
          quantize.error = (err as Error).message.split('\n')[0] ?? 'failed';
          slog(`llama-quantize: failed: ${quantize.error}`);
        }
    }

    // 1. Models: every .qins file converted anew (measured), ONNX exports cached, GGUF exported.
    if (scale === 'phi35') {
      slog('reading the source once (page cache)');
      await warmSource(source);
    }
    const prepared = new Map<string, Prepared | Error>();
    const prepare = async (c: BenchConfig): Promise<Prepared> => {
      const key = modelKey(c);
      const have = prepared.get(key);
      if (have instanceof Error) throw have;
      if (have) return have;
      const clog = (l: string) => slog(`${c.label}: ${l}`);
      try {
        const p = await prepareModel(c, scale, source, dir, o.fresh === true, clog, prepare, conversions);
        prepared.set(key, p);
        return p;
      } catch (e) {
        prepared.set(key, e as Error);
        throw e;
      }
    };
    for (const c of here) {
      const e = byId.get(c.id)!;
      if (e.error !== null) continue;
      try {
        Object.assign(e, await prepare(c));
      } catch (err) {
        e.error = (err as Error).message.split('\n')[0] ?? 'failed';
        slog(`${c.label}: failed: ${e.error}`);
      }
    }

    // 2. Interleaved rounds, each measurement in its own process.
    const timed = here.filter((c) => !c.qualityOnly);
    for (let round = 1; round <= rounds[scale]; round++) {
      for (const c of timed) {
        const e = byId.get(c.id)!;
        if (e.error !== null) continue;
        if (c.phi35Once && scale === 'phi35' && round > 1) continue;
        const clog = (l: string) => slog(`round ${round}/${rounds[scale]} ${c.label}: ${l}`);
        try {
          const load0 = loadavg()[0] ?? 0;
          const r = await measure(c, e.model, { prefill, decode, threads, peerAvx2Dir: peer.avx2_dir }, clog);
          record(e, r, round, load0);
          if (c.engine === 'llama.cpp') notePeer(peer, c, r.json as PeerBenchResult);
          clog(`decode ${r.json.decode_tok_s.toFixed(2)} tok/s (depth 0: ${r.json.decode_depth0_tok_s.toFixed(2)}), prefill ${r.json.prefill_tok_s.toFixed(1)} tok/s`);
        } catch (err) {
          e.error = (err as Error).message.split('\n')[0] ?? 'failed';
          clog(`failed: ${e.error}`);
        }
      }
      await probe(`${scale} round ${round}`);
    }

    // 3. Quality (tiny model): perplexity on the eval text.
    if (scale === 'tiny') {
      for (const c of here.filter((x) => x.engine !== 'llama.cpp' && !x.kernels)) {
        const e = byId.get(c.id)!;
        if (e.error !== null) continue;
        const clog = (l: string) => slog(`${c.label}: ${l}`);
        try {
          clog('perplexity on the eval text');
          const args = ['eval', e.model, '--text', evalText, '--window', '512', '--ctx', '512'];
          if (threads) args.push('--threads', String(threads));
          if (c.kv) args.push('--kv', c.kv);
          const p = await runQins<EvalJson>(args, { onLine: clog });
          e.ppl = p.json.ppl;
          e.ppl_tokens = p.json.tokens;
          clog(`perplexity ${p.json.ppl.toFixed(2)}`);
        } catch (err) {
          e.error = (err as Error).message.split('\n')[0] ?? 'failed';
          clog(`failed: ${e.error}`);
        }
      }
    }
    if (o.discard && scale === 'phi35')
      for (const p of prepared.values())
        if (!(p instanceof Error)) {
          slog(`deleting ${p.model}`);
          await rm(p.model, { recursive: true, force: true });
        }
  }

  const best = probes.length ? Math.max(...probes.map((p) => p.gbs)) : null;
  for (const e of entries) summarize(e, best);
  machine.bandwidth_gbs = best;
  machine.bandwidth_threads = probes[0]?.threads ?? null;
  return {
    date: new Date().toISOString(),
    machine: { ...machine, load_avg_1m_end: loadavg()[0] ?? 0 },
    settings: {
      scales,
      configs: configs.map((c) => c.id),
      prefill_tokens: prefill,
      decode_tokens: decode,
      warmup_steps: 1,
      rounds,
      repeats: rounds,
      threads,
      work_dir: work,
      phi35_checkpoint: scales.includes('phi35') ? (o.phi35Checkpoint ?? join(work, 'phi35-synthetic')) : null,
      eval_text: evalText,
    },
    entries,
    conversions,
    peer,
    quantize,
    bandwidth: { probes, bound: checkBound(entries, scales, best) },
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Converts, exports or reuses the model one configuration runs. */
async function prepareModel(
  c: BenchConfig,
  scale: Scale,
  source: string,
  dir: string,
  fresh: boolean,
  log: (l: string) => void,
  prepare: (c: BenchConfig) => Promise<Prepared>,
  conversions: ConversionMeasure[],
): Promise<Prepared> {
  if (c.engine === 'qins') {
    const model = join(dir, `${modelKey(c)}.qins`);
    log(`converting to ${c.codec}${c.codebook ? ' with a fixed table' : ''}`);
    const args = ['convert', source, '-o', model, '--codec', c.codec as string];
    if (c.codebook) args.push('--qins4-codebook', c.codebook);
    const load = loadavg()[0] ?? 0;
    const r: ChildResult<ConvertJson> = await runQins<ConvertJson>(args, { onLine: log });
    conversions.push({
      scale,
      codec: c.codebook ? `${c.codec} (fixed table)` : (c.codec as string),
      label: c.codebook ? c.label : (c.codec as string),
      wall_seconds: r.seconds,
      user_seconds: r.usage?.user_seconds ?? null,
      sys_seconds: r.usage?.sys_seconds ?? null,
      peak_rss_bytes: r.peakRssBytes,
      source_bytes: r.json.source_bytes,
      file_bytes: r.json.file_bytes,
      bits_per_weight: r.json.stats.bits_per_weight,
      snr_db: r.json.stats.snr_db,
      load_avg_1m: load,
      peer: false,
    });
    return { model, file_bytes: r.json.file_bytes, bits_per_weight: r.json.stats.bits_per_weight, convert_seconds: r.seconds, snr_db: r.json.stats.snr_db };
  }
  if (c.engine === 'llama.cpp') {
    const base = await prepare({ id: c.codec as string, label: c.codec as string, engine: 'qins', codec: c.codec as Codec });
    const model = join(dir, modelKey(c));
    log(`exporting ${c.codec}.qins as GGUF ${c.gguf}`);
    const r = await runQins<ExportJson>(['export-gguf', base.model, '-o', model, '--force'], { onLine: log });
    const inspect = await runQins<InspectJson>(['inspect', base.model]);
    return { model, file_bytes: (await fileStat(model)).size, bits_per_weight: inspect.json.bits_per_weight, convert_seconds: r.json.seconds, snr_db: base.snr_db };
  }
  const model = join(dir, modelKey(c));
  let seconds: number | null = null;
  if (fresh || !existsSync(join(model, 'genai_config.json'))) {
    log(`exporting ONNX ${c.ort}`);
    const args = ['export-onnx', source, '-o', model, '--force', '--context', '4096'];
    if (c.ort === 'int4') args.push('--int4', '--block-size', '32', '--accuracy-level', '4', '--int4-lm-head');
    seconds = (await runQins<ExportJson>(args, { onLine: log })).json.seconds;
  }
  const w = await inspectGraph(join(model, 'model.onnx'));
  const size = async (f: string) => (existsSync(join(model, f)) ? (await fileStat(join(model, f))).size : 0);
  return {
    model,
    file_bytes: (await size('model.onnx')) + (await size('model.onnx.data')),
    bits_per_weight: w.matmulParams > 0 ? (8 * w.matmulBytes) / w.matmulParams : null,
    convert_seconds: seconds,
    snr_db: null,
  };
}

/** One measurement in a fresh process: `qins bench` for our engine and ONNX Runtime, `qins bench-peer` for llama.cpp. */
function measure(
  c: BenchConfig,
  model: string,
  s: { prefill: number; decode: number; threads: number | null; peerAvx2Dir: string | null },
  log: (l: string) => void,
): Promise<ChildResult<BenchResult>> {
  const common = ['--prefill', String(s.prefill), '--decode', String(s.decode), '--repeat', '1'];
  if (s.threads) common.push('--threads', String(s.threads));
  if (c.engine === 'llama.cpp') {
    const env = c.kernels === 'avx2' && s.peerAvx2Dir ? { QINS_PEER_DIR: s.peerAvx2Dir } : undefined;
    return runQins<BenchResult>(['bench-peer', model, ...common], { onLine: log, ...(env ? { env } : {}) });
  }
  const args = ['bench', model, '--engine', c.engine, ...common, '--no-bandwidth'];
  if (c.engine === 'qins' && c.kernels) args.push('--kernels', c.kernels);
  return runQins<BenchResult>(args, { onLine: log });
}

function record(e: SuiteEntry, r: ChildResult<BenchResult>, round: number, load0: number): void {
  const b = r.json;
  e.samples.push({
    round,
    load_ms: b.load_ms,
    prefill_tok_s: b.prefill_tok_s,
    decode_tok_s: b.decode_tok_s,
    decode_depth0_tok_s: b.decode_depth0_tok_s,
    rss_after_load_bytes: b.rss_bytes,
    peak_rss_bytes: r.peakRssBytes ?? b.peak_rss_bytes,
    load_avg_1m: b.load_avg_1m_start ?? load0,
    load_avg_1m_end: b.load_avg_1m,
    cpu_seconds: r.usage ? r.usage.user_seconds + r.usage.sys_seconds : null,
    wall_seconds: r.seconds,
  });
  e.kernels = b.kernels;
  e.prefill_tokens = b.prefill_tokens;
  e.decode_tokens = b.decode_tokens;
  e.weight_bytes = b.weight_bytes;
  e.kv_bytes = b.kv_bytes;
  e.kv_type = b.kv_type;
  e.kv_bytes_per_position = b.kv_bytes_per_position;
  e.embedding_row_bytes = b.embedding_row_bytes;
  e.stream_bytes_per_token = b.stream_bytes_per_token;
  e.stream_bytes_per_token_depth0 = b.stream_bytes_per_token_depth0;
}

function notePeer(peer: PeerRun, c: BenchConfig, r: PeerBenchResult): void {
  peer.llama_cpp_release = `${r.peer.llamaCpp.repo} ${r.peer.llamaCpp.release}`;
  peer.version = r.peer.version;
  if (c.kernels === 'avx2') peer.avx2_cpu_library = r.peer.cpuLibrary;
  else {
    peer.cpu_library = r.peer.cpuLibrary;
    peer.system_info = r.peer.systemInfo;
  }
}
