// `qins bench <file> [--json] [--threads N] [--engine qins|ort]`: load time, prefill tok/s over 512
// tokens, decode tok/s over 128 tokens after that prompt and from a one-token prompt (one warm-up
// step untimed), RSS after load and peak, weight and KV bytes, bytes streamed per token, memory
// bandwidth (of a buffer of its own, and for qins of the model's own weight pages).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { QinsFormatError } from '../../engine/format/qins-format.js';
import type { EngineKind } from '../../engine/backend.js';
import { BenchError, runBench, type BackendFactory, type BenchResult } from '../../engine/bench.js';
import { backendOpeners, ModelOpenError } from '../../engine/model.js';
import { NativeUnavailableError } from '../../engine/native.js';
import { openQinsBackend, QinsBackendError } from '../../engine/qins-backend.js';
import { parsePositiveInt, qinsOptionsFromFlags } from '../engine-options.js';
import { CliError, info, printJson } from '../output.js';

interface BenchFlags {
  json?: boolean;
  threads?: string;
  engine?: string;
  prefill?: string;
  decode?: string;
  repeat?: string;
  kernels?: string;
  kv?: string;
  bandwidth?: boolean;
  weightsRead?: boolean;
}

function factoryFor(engine: EngineKind, flags: BenchFlags): BackendFactory {
  if (engine === 'qins') {
    const q = qinsOptionsFromFlags(flags);
    return (path, o) => openQinsBackend(path, { threads: o.threads, contextLength: o.contextLength, kernels: q.kernels, kvType: q.kvType });
  }
  if (flags.kernels !== undefined || flags.kv !== undefined) throw new CliError('--kernels and --kv apply to the qins engine only');
  return async (path, o) => (await backendOpeners[engine]())(path, o);
}

function printHuman(r: BenchResult): void {
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
  info(`engine           ${r.engine} (${r.threads ?? '?'} threads)`);
  info(`file             ${r.file} (${mib(r.file_bytes)})`);
  info(`load             ${r.load_ms.toFixed(0)} ms (open → first token)`);
  info(`prefill          ${r.prefill_tok_s.toFixed(2)} tok/s (${r.prefill_tokens} tokens)`);
  info(`decode           ${r.decode_tok_s.toFixed(2)} tok/s (${r.decode_tokens} tokens after the ${r.prefill_tokens}-token prompt)`);
  info(`decode depth 0   ${r.decode_depth0_tok_s.toFixed(2)} tok/s (${r.decode_tokens} tokens after a one-token prompt)`);
  info(`rss after load   ${mib(r.rss_bytes)}${r.peak_rss_bytes !== null ? `; peak ${mib(r.peak_rss_bytes)}` : ''}`);
  info(`weights / token  ${mib(r.weight_bytes)}`);
  info(`kv cache         ${mib(r.kv_bytes)} reserved (${r.kv_type}, ${(r.kv_bytes_per_position / 1024).toFixed(1)} KiB per position)`);
  info(`streamed / token ${mib(r.stream_bytes_per_token)} (weights + embedding row + KV read, decode after the prompt)`);
  if (r.kernels !== null) info(`kernels          ${r.kernels}`);
  if (r.bandwidth_gbs !== null)
    info(`bandwidth        ${r.bandwidth_gbs.toFixed(1)} GB/s; decode reaches ${((r.bandwidth_fraction ?? 0) * 100).toFixed(1)} % of the bound`);
  if (r.weights_read_gbs !== null)
    info(`weights read     ${r.weights_read_gbs.toFixed(1)} GB/s (the mapped weights streamed); decode at depth 0 reaches ${((r.weights_read_fraction ?? 0) * 100).toFixed(1)} % of it`);
  info(`load average     ${r.load_avg_1m_start.toFixed(2)} → ${r.load_avg_1m.toFixed(2)} (1 min)`);
}

export function register(program: Command): void {
  program
    .command('bench')
    .description('measure load time, prefill and decode speed, memory and bandwidth use of a model')
    .argument('<file>', 'a .qins file (or an ONNX folder with --engine ort)')
    .option('--json', 'print the results as one JSON object')
    .option('--threads <n>', 'engine worker threads (default: physical cores)')
    .option('--engine <engine>', 'qins or ort', 'qins')
    .option('--prefill <n>', 'prompt tokens for the prefill measurement', '512')
    .option('--decode <n>', 'timed decode steps (after one untimed warm-up step)', '128')
    .option('--repeat <n>', 'rounds of prefill + decode; speeds are medians', '1')
    .option('--kernels <set>', 'qins kernel set: auto, generic, avx2, avxvnni, avx512, neon (default auto)')
    .option('--kv <type>', 'qins KV cache type: f16 (default), f32 or q8')
    .option('--no-bandwidth', 'skip the memory bandwidth test')
    .option('--no-weights-read', "qins: skip the read-bandwidth probes of the model's own weight pages (before and after each round's depth-0 decode)")
    .action(async (file: string, flags: BenchFlags) => {
      const engine = flags.engine ?? 'qins';
      if (engine !== 'qins' && engine !== 'ort') throw new CliError(`--engine must be qins or ort (got "${engine}")`);
      const path = resolve(file);
      if (!existsSync(path)) throw new CliError(`${path}: no such file or folder`);
      const threads = parsePositiveInt('--threads', flags.threads);
      const prefillTokens = parsePositiveInt('--prefill', flags.prefill);
      const decodeTokens = parsePositiveInt('--decode', flags.decode);
      const repeats = parsePositiveInt('--repeat', flags.repeat);
      const factory = factoryFor(engine, flags);
      let r: BenchResult;
      try {
        r = await runBench(path, factory, {
          threads,
          prefillTokens,
          decodeTokens,
          repeats,
          bandwidth: flags.bandwidth !== false,
          weightsRead: flags.weightsRead !== false,
          onProgress: (line) => info(line),
        });
      } catch (e) {
        if (
          e instanceof BenchError ||
          e instanceof QinsFormatError ||
          e instanceof QinsBackendError ||
          e instanceof ModelOpenError ||
          e instanceof NativeUnavailableError
        )
          throw new CliError(e.message);
        throw e;
      }
      if (flags.json) printJson(r);
      else printHuman(r);
    });
}
