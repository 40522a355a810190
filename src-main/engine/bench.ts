// `qins bench`: load time, prefill and decode speed, memory, and the machine's read bandwidth, for
// any InferenceBackend (the engine is a factory argument, so the ONNX Runtime reference is measured
// by exactly the same code).
import { loadavg } from 'node:os';
import { stat } from 'node:fs/promises';
import type { InferenceBackend } from './backend.js';
import { loadNative } from './native.js';

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
  /** Single-token decode steps (default 128). */
  decodeTokens?: number;
  /** Prefill + decode rounds; speeds are the medians (default 1). */
  repeats?: number;
  /** Measure memory read bandwidth with the native stream test (default true). */
  bandwidth?: boolean;
  /** Progress lines (the CLI prints them on stderr). */
  onProgress?: (line: string) => void;
}

export interface BenchResult {
  engine: string;
  file: string;
  file_bytes: number;
  /** Open → logits of the first token ready. */
  load_ms: number;
  prefill_tokens: number;
  prefill_tok_s: number;
  decode_tokens: number;
  decode_tok_s: number;
  /** Process resident set size after the load (mapped weight pages included). */
  rss_bytes: number;
  /** Weight bytes read per token. */
  weight_bytes: number;
  kv_bytes: number;
  /** Best-of read bandwidth of this machine with the same thread count, GB/s; null when not measured. */
  bandwidth_gbs: number | null;
  /** weight_bytes × decode_tok_s ÷ bandwidth: the fraction of the memory-bandwidth bound reached. */
  bandwidth_fraction: number | null;
  threads: number | null;
  /** Per-round speeds (the medians above come from these). */
  samples: Array<{ prefill_tok_s: number; decode_tok_s: number }>;
  /** 1-minute load average when the run ended (other work on the machine skews the figures). */
  load_avg_1m: number;
}

const median = (xs: number[]): number => {
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
function benchTokens(n: number, vocab: number): Int32Array {
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

export async function runBench(path: string, factory: BackendFactory, options: BenchOptions = {}): Promise<BenchResult> {
  const prefillTokens = options.prefillTokens ?? 512;
  const decodeTokens = options.decodeTokens ?? 128;
  const repeats = options.repeats ?? 1;
  for (const [k, v] of Object.entries({ prefillTokens, decodeTokens, repeats }))
    if (!Number.isInteger(v) || v < 1) throw new BenchError(`${k} must be a positive integer (got ${v})`);
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1))
    throw new BenchError(`threads must be a positive integer (got ${options.threads})`);
  const progress = options.onProgress ?? (() => undefined);
  const fileBytes = (await stat(path)).size;

  const t0 = performance.now();
  const backend = await factory(path, { threads: options.threads, contextLength: prefillTokens + decodeTokens });
  let result: BenchResult;
  try {
    const spec = backend.spec;
    if (backend.contextLength < prefillTokens + decodeTokens)
      throw new BenchError(`the engine holds ${backend.contextLength} positions; the bench needs ${prefillTokens + decodeTokens}`);
    const first = spec.bos_token_id ?? 1;
    await backend.forward(Int32Array.of(first), 0);
    const loadMs = performance.now() - t0;
    const rss = process.memoryUsage().rss;
    progress(`loaded in ${loadMs.toFixed(0)} ms, rss ${(rss / 2 ** 20).toFixed(0)} MiB`);

    const prompt = benchTokens(prefillTokens, spec.vocab_size);
    const samples: BenchResult['samples'] = [];
    for (let r = 0; r < repeats; r++) {
      const p0 = performance.now();
      let logits = await backend.forward(prompt, 0);
      const prefillS = (performance.now() - p0) / 1000;
      const d0 = performance.now();
      for (let k = 0; k < decodeTokens; k++) logits = await backend.forward(Int32Array.of(argmax(logits)), prefillTokens + k);
      const decodeS = (performance.now() - d0) / 1000;
      samples.push({ prefill_tok_s: prefillTokens / prefillS, decode_tok_s: decodeTokens / decodeS });
      progress(`round ${r + 1}/${repeats}: prefill ${(prefillTokens / prefillS).toFixed(2)} tok/s, decode ${(decodeTokens / decodeS).toFixed(2)} tok/s`);
    }
    const mem = backend.memory();
    const threads = options.threads ?? (backend as { info?: { threads?: number } }).info?.threads ?? null;
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
      rss_bytes: rss,
      weight_bytes: mem.weightBytes,
      kv_bytes: mem.kvBytes,
      bandwidth_gbs: null,
      bandwidth_fraction: null,
      threads,
      samples,
      load_avg_1m: 0,
    };
  } finally {
    await backend.dispose();
  }
  if (options.bandwidth !== false) {
    progress('measuring memory read bandwidth');
    const bw = await loadNative().streamBandwidth(result.threads ? { threads: result.threads } : {});
    result.bandwidth_gbs = bw.gbs;
    if (result.threads === null) result.threads = bw.threads;
    result.bandwidth_fraction = (result.weight_bytes * result.decode_tok_s) / (bw.gbs * 1e9);
  }
  result.load_avg_1m = loadavg()[0]!;
  return result;
}
