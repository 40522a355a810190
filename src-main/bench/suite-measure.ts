// One measurement of one configuration: the entry it fills, the child process it runs in
// (`qins bench` / `qins bench-peer`), its sample recorded, the llama.cpp facts it reports.
import type { BenchResult } from '../engine/bench.js';
import { type ChildResult, runQins } from './child.js';
import type { PeerBenchResult } from './peer-bench.js';
import type { BenchConfig, PeerKernels, Scale } from './suite-config.js';
import type { PeerRun, SuiteEntry } from './suite-result.js';

export function blankEntry(scale: Scale, c: BenchConfig): SuiteEntry {
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
    weights_read_gbs: null,
    weights_read_fraction: null,
    samples: [],
    load_avg_1m: null,
    ppl: null,
    ppl_tokens: null,
    error: null,
  };
}

/** One measurement in a fresh process: `qins bench` for our engine and ONNX Runtime, `qins bench-peer` for llama.cpp. */
export function measure(
  c: BenchConfig,
  model: string,
  s: { prefill: number; decode: number; threads: number | null; peerDirs: Record<PeerKernels, string | null> },
  log: (l: string) => void,
): Promise<ChildResult<BenchResult>> {
  const common = ['--prefill', String(s.prefill), '--decode', String(s.decode), '--repeat', '1'];
  if (s.threads) common.push('--threads', String(s.threads));
  if (c.engine === 'llama.cpp') {
    const dir = c.kernels ? s.peerDirs[c.kernels] : null;
    const env = dir ? { QINS_PEER_DIR: dir } : undefined;
    return runQins<BenchResult>(['bench-peer', model, ...common], { onLine: log, ...(env ? { env } : {}) });
  }
  const args = ['bench', model, '--engine', c.engine, ...common, '--no-bandwidth'];
  if (c.engine === 'qins' && c.kernels) args.push('--kernels', c.kernels);
  return runQins<BenchResult>(args, { onLine: log });
}

export function record(e: SuiteEntry, r: ChildResult<BenchResult>, round: number, load0: number): void {
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
    weights_read_gbs: b.weights_read_gbs ?? null,
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

export function notePeer(peer: PeerRun, c: BenchConfig, r: PeerBenchResult): void {
  peer.llama_cpp_release = `${r.peer.llamaCpp.repo} ${r.peer.llamaCpp.release}`;
  peer.version = r.peer.version;
  if (c.kernels === 'avx2') peer.avx2_cpu_library = r.peer.cpuLibrary;
  else if (c.kernels === 'avxvnni') peer.avxvnni_cpu_library = r.peer.cpuLibrary;
  else {
    peer.cpu_library = r.peer.cpuLibrary;
    peer.system_info = r.peer.systemInfo;
  }
}
