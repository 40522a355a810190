// `qins bench-peer <file.gguf>`: llama.cpp (node-llama-cpp, CPU only) measured exactly like
// `qins bench` measures our engine — the same prompt token ids (benchTokens), load → first token,
// prefill tok/s, decode tok/s after the prompt and from a one-token prompt with one untimed warm-up
// step, RSS after load and peak — and reported in the same JSON shape (BenchResult), plus what ran:
// the llama.cpp release and the ggml CPU library mapped into the process.
import { stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { readGguf, type GgufFile } from '../engine/gguf/index.js';
import { benchTokens, BenchError, median, peakRssBytes, type BenchResult, type BenchSample } from '../engine/bench.js';
import { decodeStreamBytes, kvBytesPerPosition, kvElementBytes } from '../engine/bound.js';
import { loadPeer, openPeerModel, type PeerContextInfo, type PeerInfo } from './llama-peer.js';

export interface PeerBenchOptions {
  threads: number;
  prefillTokens?: number;
  decodeTokens?: number;
  repeats?: number;
  onProgress?: (line: string) => void;
}

export interface PeerBenchResult extends BenchResult {
  engine: 'llama.cpp';
  /** getLlama(): loading node-llama-cpp's native library (not part of load_ms, as our addon's load is a process start cost too). */
  runtime_init_ms: number;
  peer: PeerInfo;
  context: PeerContextInfo;
  /** GGUF tensor types with their counts (e.g. Q8_0: 129, F32: 65). */
  tensor_types: Record<string, number>;
}

/** What a GGUF file's decoder streams per token, from its metadata and tensor table. */
export function ggufStreamShape(g: GgufFile): {
  weight_bytes: number;
  embedding_row_bytes: number;
  vocab: number;
  layers: number;
  kv_heads: number;
  head_dim: number;
  bos: number | null;
  types: Record<string, number>;
} {
  const arch = String(g.metadata.get('general.architecture') ?? '');
  const meta = (k: string): number | null => {
    const v = g.metadata.get(`${arch}.${k}`);
    return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null;
  };
  const embd = g.tensors.find((t) => t.name === 'token_embd.weight');
  if (!embd || embd.bytes === null) throw new BenchError('the GGUF file has no token_embd.weight of a known type');
  const tied = !g.tensors.some((t) => t.name === 'output.weight');
  let weights = 0;
  const types: Record<string, number> = {};
  for (const t of g.tensors) {
    const name = t.typeName ?? `type ${t.type}`;
    types[name] = (types[name] ?? 0) + 1;
    if (t.name === 'token_embd.weight' && !tied) continue;
    if (t.bytes === null) throw new BenchError(`tensor ${t.name} has a type of unknown size (${t.type})`);
    weights += t.bytes;
  }
  const layers = meta('block_count');
  const heads = meta('attention.head_count');
  const kvHeads = meta('attention.head_count_kv') ?? heads;
  const embLen = meta('embedding_length');
  const headDim = meta('attention.key_length') ?? (embLen !== null && heads ? embLen / heads : null);
  if (layers === null || kvHeads === null || headDim === null) throw new BenchError(`the GGUF file lacks ${arch}.block_count / attention head counts`);
  const vocab = embd.dims[1] ?? 0;
  const bos = g.metadata.get('tokenizer.ggml.bos_token_id');
  return {
    weight_bytes: weights,
    embedding_row_bytes: embd.bytes / vocab,
    vocab,
    layers,
    kv_heads: kvHeads,
    head_dim: headDim,
    bos: typeof bos === 'number' ? bos : null,
    types,
  };
}

export async function runPeerBench(path: string, o: PeerBenchOptions): Promise<PeerBenchResult> {
  const prefillTokens = o.prefillTokens ?? 512;
  const decodeTokens = o.decodeTokens ?? 128;
  const repeats = o.repeats ?? 1;
  const warmup = 1;
  for (const [k, v] of Object.entries({ prefillTokens, decodeTokens, repeats, threads: o.threads }))
    if (!Number.isInteger(v) || v < 1) throw new BenchError(`${k} must be a positive integer (got ${v})`);
  const progress = o.onProgress ?? (() => undefined);
  const file = resolve(path);
  const fileBytes = (await stat(file)).size;
  const g = await readGguf(file);
  const shape = ggufStreamShape(g);
  const loadStart = loadavg()[0]!;

  const i0 = performance.now();
  await loadPeer();
  const runtimeInitMs = performance.now() - i0;
  // One more position than the longest run: the prompt, the warm-up step and the timed steps.
  const contextSize = prefillTokens + warmup + decodeTokens + 1;
  const first = shape.bos ?? 1;
  const t0 = performance.now();
  const model = await openPeerModel(file, { threads: o.threads, contextSize, batchSize: prefillTokens });
  let result: PeerBenchResult;
  try {
    await model.timedGreedy([first], 1);
    const loadMs = performance.now() - t0;
    const rss = process.memoryUsage().rss;
    progress(`loaded in ${loadMs.toFixed(0)} ms, rss ${(rss / 2 ** 20).toFixed(0)} MiB (${model.info.cpuLibrary ?? 'ggml CPU library unknown'})`);
    const prompt = Array.from(benchTokens(prefillTokens, shape.vocab));
    // Token 0 comes after the prompt's evaluation, token 1 after the warm-up step, tokens 2 … n + 1
    // after the timed steps.
    const steps = (t: { times: number[] }): number => decodeTokens / ((t.times[decodeTokens + warmup]! - t.times[warmup]!) / 1000);
    const samples: BenchSample[] = [];
    for (let r = 0; r < repeats; r++) {
      const a = await model.timedGreedy(prompt, decodeTokens + warmup + 1);
      const prefillS = (a.times[0]! - a.start) / 1000;
      const b = await model.timedGreedy([first], decodeTokens + warmup + 1);
      const s: BenchSample = { prefill_tok_s: prefillTokens / prefillS, decode_tok_s: steps(a), decode_depth0_tok_s: steps(b), weights_read_gbs: null };
      samples.push(s);
      progress(
        `round ${r + 1}/${repeats}: prefill ${s.prefill_tok_s.toFixed(2)} tok/s, decode ${s.decode_tok_s.toFixed(2)} tok/s after ${prefillTokens}, ${s.decode_depth0_tok_s.toFixed(2)} tok/s at depth 0`,
      );
    }
    const kvType = model.context.kvCacheKeyType.toLowerCase();
    let elt: number;
    try {
      elt = (kvElementBytes(kvType) + kvElementBytes(model.context.kvCacheValueType.toLowerCase())) / 2;
    } catch {
      throw new BenchError(`unknown llama.cpp KV cache types ${model.context.kvCacheKeyType} / ${model.context.kvCacheValueType}`);
    }
    const perPos = kvBytesPerPosition({ num_layers: shape.layers, num_kv_heads: shape.kv_heads, head_dim: shape.head_dim }, elt);
    const stream = { weight_bytes: shape.weight_bytes, kv_bytes_per_position: perPos, embedding_row_bytes: shape.embedding_row_bytes };
    result = {
      engine: 'llama.cpp',
      file,
      file_bytes: fileBytes,
      load_ms: loadMs,
      prefill_tokens: prefillTokens,
      prefill_tok_s: median(samples.map((s) => s.prefill_tok_s)),
      decode_tokens: decodeTokens,
      decode_tok_s: median(samples.map((s) => s.decode_tok_s)),
      decode_depth0_tok_s: median(samples.map((s) => s.decode_depth0_tok_s)),
      warmup_steps: warmup,
      rss_bytes: rss,
      peak_rss_bytes: null,
      weight_bytes: shape.weight_bytes,
      kv_bytes: perPos * model.contextSize,
      kv_type: kvType,
      kv_bytes_per_position: perPos,
      embedding_row_bytes: shape.embedding_row_bytes,
      stream_bytes_per_token: decodeStreamBytes(stream, prefillTokens + warmup, decodeTokens),
      stream_bytes_per_token_depth0: decodeStreamBytes(stream, 1 + warmup, decodeTokens),
      kernels: model.info.cpuLibrary,
      bandwidth_gbs: null,
      bandwidth_fraction: null,
      bandwidth: null,
      weights_read_gbs: null,
      weights_read_fraction: null,
      threads: model.context.threads,
      samples,
      load_avg_1m_start: loadStart,
      load_avg_1m: 0,
      runtime_init_ms: runtimeInitMs,
      peer: model.info,
      context: model.context,
      tensor_types: shape.types,
    };
  } finally {
    await model.dispose();
  }
  result.peak_rss_bytes = peakRssBytes();
  result.load_avg_1m = loadavg()[0]!;
  return result;
}
