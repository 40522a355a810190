// `qins bench`: load time, prefill and decode speed, memory, and the machine's read bandwidth, for
// any InferenceBackend (the engine is a factory argument, so the ONNX Runtime reference is measured
// by exactly the same code).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { stat } from 'node:fs/promises';
import { boundFraction, decodeStreamBytes, kvBytesPerPosition, kvElementBytes } from './bound.js';
import { readQinsHeader } from './format/qins-format.js';
import type { InferenceBackend } from './backend.js';
import type { QinsBackend } from './qins-backend.js';
import { loadNative, type BandwidthResult } from './native.js';

export interface BenchOpenOptions {
  threads?: number;
  contextLength?: number;
}

/** Opens a model for benchmarking (e.g. openQinsBackend, or the ONNX Runtime opener). */
export type BackendFactory = (path: string, options: BenchOpenOptions) => Promise<InferenceBackend>;

export interface BenchOptions {
  threads?: number;
  /** Tokens in the prefill measurement (default 512). */
  prefillTokens?: number;
  /** Timed single-token decode steps (default 128), after one untimed warm-up step. */
  decodeTokens?: number;
  /** Prefill + decode rounds; speeds are the medians (default 1). */
  repeats?: number;
  /** Measure memory read bandwidth with the native stream test (default true). */
  bandwidth?: boolean;
  /** qins: probe the read bandwidth of the model's own weight pages right before and right after
   *  each round's depth-0 decode (default true). */
  weightsRead?: boolean;
  /** Progress lines (the CLI prints them on stderr). */
  onProgress?: (line: string) => void;
}

export interface BenchSample {
  prefill_tok_s: number;
  /** Decode steps after the prefill prompt (positions prefill + 1 … prefill + decode). */
  decode_tok_s: number;
  /** Decode steps after a one-token prompt (positions 2 … decode + 1). */
  decode_depth0_tok_s: number;
  /** qins: read bandwidth of the memory holding the weights, GB/s: the faster of two probes, right
   *  before and right after this round's depth-0 decode (the model's own mapped file streamed; see
   *  weights_read_gbs); null otherwise. */
  weights_read_gbs: number | null;
}

export interface BenchResult {
  engine: string;
  file: string;
  file_bytes: number;
  /** Open → logits of the first token ready. */
  load_ms: number;
  prefill_tokens: number;
  prefill_tok_s: number;
  /** Timed decode steps; one warm-up step before them is not timed. */
  decode_tokens: number;
  /** Decode after the prefill prompt (median of the rounds). */
  decode_tok_s: number;
  /** Decode from a one-token prompt (median of the rounds). */
  decode_depth0_tok_s: number;
  /** Untimed decode steps before each timed run. */
  warmup_steps: number;
  /** Process resident set size after the load (mapped weight pages included). */
  rss_bytes: number;
  /** The process's high-water mark at the end of the run (VmHWM; null where /proc is unavailable). */
  peak_rss_bytes: number | null;
  /** Weight bytes read per token (the embedding table excluded unless it is the logits matrix too). */
  weight_bytes: number;
  /** Bytes reserved for the KV cache. */
  kv_bytes: number;
  /** KV cache element type and the bytes one position holds over all layers (K and V). */
  kv_type: string;
  kv_bytes_per_position: number;
  /** One row of the embedding table as stored (read once per token). */
  embedding_row_bytes: number;
  /** Mean bytes a timed decode step streams: weights + one embedding row + the KV it attends to. */
  stream_bytes_per_token: number;
  stream_bytes_per_token_depth0: number;
  /** qins: the kernel set that ran (null for other engines). */
  kernels: string | null;
  /** Best-of read bandwidth of this machine with the same thread count, GB/s; null when not measured. */
  bandwidth_gbs: number | null;
  /** stream_bytes_per_token × decode_tok_s ÷ bandwidth: the fraction of the memory-bandwidth bound reached. */
  bandwidth_fraction: number | null;
  /** The probe behind bandwidth_gbs (null when not measured). */
  bandwidth: BandwidthResult | null;
  /**
   * qins: read bandwidth of the memory the weights live in, GB/s (median of the rounds): the same
   * probe streaming the loaded model's mapped file, in the same process, right before and right
   * after each round's depth-0 decode, the faster of the two. The decode reads these very pages, so
   * this is its bound whatever the machine's memory placement (on VMs, one buffer and another can
   * read at very different speeds, and the speed can change between two moments: a decode between
   * two probes is bounded by the faster one). Null for other engines or without the bandwidth
   * measurement.
   */
  weights_read_gbs: number | null;
  /** stream_bytes_per_token_depth0 × decode_depth0_tok_s ÷ weights_read_gbs per round (median): the
   *  depth-0 decode as a fraction of what its own weight pages deliver. */
  weights_read_fraction: number | null;
  threads: number | null;
  /** Per-round speeds (the medians above come from these). */
  samples: BenchSample[];
  /** 1-minute load average when the run started and when it ended (other work on the machine skews the figures). */
  load_avg_1m_start: number;
  load_avg_1m: number;
}

/** The process's peak resident set (VmHWM) from /proc/self/status; null off Linux. */
export function peakRssBytes(): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m?.[1] ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function argmax(a: Float32Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

/** Deterministic token ids spread over the vocabulary (the content does not change the cost). */
export function benchTokens(n: number, vocab: number): Int32Array {
  const out = new Int32Array(n);
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x % vocab;
  }
  return out;
}

export class BenchError extends Error {
  override name = 'BenchError';
}

/** One row of the embedding table as the file stores it (qins: the coded tensor; ONNX: FP32). */
async function embeddingRowBytes(backend: InferenceBackend, path: string): Promise<number> {
  const spec = backend.spec;
  if (backend.kind === 'qins') {
    const { header } = await readQinsHeader(path);
    const embed = header.tensors.find((t) => t.name === 'embed');
    if (embed) return embed.bytes / spec.vocab_size;
  }
  return spec.hidden_size * 4;
}

/** The median weights-read bandwidth of the rounds and the median depth-0 fraction of it. */
function weightsReadFigures(samples: BenchSample[], bytesDepth0: number): Pick<BenchResult, 'weights_read_gbs' | 'weights_read_fraction'> {
  const measured = samples.filter((s): s is BenchSample & { weights_read_gbs: number } => s.weights_read_gbs !== null && s.weights_read_gbs > 0);
  if (measured.length === 0) return { weights_read_gbs: null, weights_read_fraction: null };
  return {
    weights_read_gbs: median(measured.map((s) => s.weights_read_gbs)),
    weights_read_fraction: median(measured.map((s) => boundFraction(bytesDepth0, s.decode_depth0_tok_s, s.weights_read_gbs))),
  };
}

export async function runBench(path: string, factory: BackendFactory, options: BenchOptions = {}): Promise<BenchResult> {
  const prefillTokens = options.prefillTokens ?? 512;
  const decodeTokens = options.decodeTokens ?? 128;
  const repeats = options.repeats ?? 1;
  const warmup = 1;
  for (const [k, v] of Object.entries({ prefillTokens, decodeTokens, repeats }))
    if (!Number.isInteger(v) || v < 1) throw new BenchError(`${k} must be a positive integer (got ${v})`);
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1))
    throw new BenchError(`threads must be a positive integer (got ${options.threads})`);
  const progress = options.onProgress ?? (() => undefined);
  const fileBytes = (await stat(path)).size;
  const loadStart = loadavg()[0]!;
  const positions = prefillTokens + warmup + decodeTokens;

  const t0 = performance.now();
  const backend = await factory(path, { threads: options.threads, contextLength: positions });
  let result: BenchResult;
  try {
    const spec = backend.spec;
    if (backend.contextLength < positions)
      throw new BenchError(`the engine holds ${backend.contextLength} positions; the bench needs ${positions}`);
    const first = spec.bos_token_id ?? 1;
    let logits = await backend.forward(Int32Array.of(first), 0);
    const loadMs = performance.now() - t0;
    const rss = process.memoryUsage().rss;
    progress(`loaded in ${loadMs.toFixed(0)} ms, rss ${(rss / 2 ** 20).toFixed(0)} MiB`);

    /** Warm-up step at `pos`, then `decodeTokens` timed steps; returns tok/s. */
    const decode = async (pos: number): Promise<number> => {
      logits = await backend.forward(Int32Array.of(argmax(logits)), pos);
      const d0 = performance.now();
      for (let k = 1; k <= decodeTokens; k++) logits = await backend.forward(Int32Array.of(argmax(logits)), pos + k);
      return decodeTokens / ((performance.now() - d0) / 1000);
    };
    const prompt = benchTokens(prefillTokens, spec.vocab_size);
    const measureWeights = options.weightsRead !== false && backend.kind === 'qins' && typeof (backend as QinsBackend).weightsReadBandwidth === 'function';
    const probeWeights = async (): Promise<number | null> => (measureWeights ? (await (backend as QinsBackend).weightsReadBandwidth()).gbs : null);
    const samples: BenchSample[] = [];
    for (let r = 0; r < repeats; r++) {
      const p0 = performance.now();
      logits = await backend.forward(prompt, 0);
      const prefillS = (performance.now() - p0) / 1000;
      const decodeTokS = await decode(prefillTokens);
      logits = await backend.forward(Int32Array.of(first), 0);
      const before = await probeWeights();
      const depth0 = await decode(1);
      const after = await probeWeights();
      const weightsRead = before === null || after === null ? null : Math.max(before, after);
      samples.push({ prefill_tok_s: prefillTokens / prefillS, decode_tok_s: decodeTokS, decode_depth0_tok_s: depth0, weights_read_gbs: weightsRead });
      progress(
        `round ${r + 1}/${repeats}: prefill ${(prefillTokens / prefillS).toFixed(2)} tok/s, decode ${decodeTokS.toFixed(2)} tok/s after ${prefillTokens}, ${depth0.toFixed(2)} tok/s at depth 0`,
      );
    }
    const mem = backend.memory();
    const info = (backend as { info?: { threads?: number; kvType?: string; kernels?: string } }).info;
    const threads = options.threads ?? info?.threads ?? null;
    const kvType = backend.kind === 'qins' ? (info?.kvType ?? 'f32') : 'f32';
    const shape = {
      weight_bytes: mem.weightBytes,
      kv_bytes_per_position: kvBytesPerPosition({ num_layers: spec.num_layers, num_kv_heads: spec.num_kv_heads, head_dim: spec.head_dim }, kvElementBytes(kvType)),
      embedding_row_bytes: await embeddingRowBytes(backend, path),
    };
    result = {
      engine: backend.kind,
      file: path,
      // an ONNX folder's size is its decoder + external data (the folder entry's own size means nothing)
      file_bytes: (backend as { fileBytes?: number }).fileBytes ?? fileBytes,
      load_ms: loadMs,
      prefill_tokens: prefillTokens,
      prefill_tok_s: median(samples.map((s) => s.prefill_tok_s)),
      decode_tokens: decodeTokens,
      decode_tok_s: median(samples.map((s) => s.decode_tok_s)),
      decode_depth0_tok_s: median(samples.map((s) => s.decode_depth0_tok_s)),
      warmup_steps: warmup,
      rss_bytes: rss,
      peak_rss_bytes: null,
      weight_bytes: mem.weightBytes,
      kv_bytes: mem.kvBytes,
      kv_type: kvType,
      kv_bytes_per_position: shape.kv_bytes_per_position,
      embedding_row_bytes: shape.embedding_row_bytes,
      stream_bytes_per_token: decodeStreamBytes(shape, prefillTokens + warmup, decodeTokens),
      stream_bytes_per_token_depth0: decodeStreamBytes(shape, 1 + warmup, decodeTokens),
      kernels: backend.kind === 'qins' ? (info?.kernels ?? null) : null,
      bandwidth_gbs: null,
      bandwidth_fraction: null,
      bandwidth: null,
      ...weightsReadFigures(samples, decodeStreamBytes(shape, 1 + warmup, decodeTokens)),
      threads,
      samples,
      load_avg_1m_start: loadStart,
      load_avg_1m: 0,
    };
  } finally {
    await backend.dispose();
  }
  result.peak_rss_bytes = peakRssBytes();
  if (options.bandwidth !== false) {
    progress('measuring memory read bandwidth');
    const bw = await loadNative().streamBandwidth(result.threads ? { threads: result.threads } : {});
    result.bandwidth = bw;
    result.bandwidth_gbs = bw.gbs;
    if (result.threads === null) result.threads = bw.threads;
    result.bandwidth_fraction = (result.stream_bytes_per_token * result.decode_tok_s) / (bw.gbs * 1e9);
  }
  result.load_avg_1m = loadavg()[0]!;
  return result;
}
