// `qins bench-peer <file.gguf> [--json]`: llama.cpp (the peer, installed by npm run peer:install)
// measured the way `qins bench` measures our engine, in the same JSON shape (see bench/peer-bench.ts).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { peerAvailable } from '../../bench/llama-peer.js';
import { runPeerBench, type PeerBenchResult } from '../../bench/peer-bench.js';
import { BenchError } from '../../engine/bench.js';
import { GgufFormatError } from '../../engine/gguf/index.js';
import { loadNative } from '../../engine/native.js';
import { parsePositiveInt } from '../engine-options.js';
import { CliError, info, printJson } from '../output.js';

interface Flags {
  json?: boolean;
  threads?: string;
  prefill?: string;
  decode?: string;
  repeat?: string;
}

function defaultThreads(): number {
  try {
    return loadNative().cpuInfo().physicalCores;
  } catch {
    return 1;
  }
}

function printHuman(r: PeerBenchResult): void {
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
  info(`engine           llama.cpp ${r.peer.llamaCpp.release} via node-llama-cpp ${r.peer.version} (${r.threads ?? '?'} threads, ${r.kernels ?? 'CPU library unknown'})`);
  info(`file             ${r.file} (${mib(r.file_bytes)})`);
  info(`load             ${r.load_ms.toFixed(0)} ms (open → first token; library init ${r.runtime_init_ms.toFixed(0)} ms apart)`);
  info(`prefill          ${r.prefill_tok_s.toFixed(2)} tok/s (${r.prefill_tokens} tokens)`);
  info(`decode           ${r.decode_tok_s.toFixed(2)} tok/s (${r.decode_tokens} tokens after the ${r.prefill_tokens}-token prompt)`);
  info(`decode depth 0   ${r.decode_depth0_tok_s.toFixed(2)} tok/s (${r.decode_tokens} tokens after a one-token prompt)`);
  info(`rss after load   ${mib(r.rss_bytes)}${r.peak_rss_bytes !== null ? `; peak ${mib(r.peak_rss_bytes)}` : ''}`);
  info(`weights / token  ${mib(r.weight_bytes)}`);
  info(`kv cache         ${r.kv_type}, ${(r.kv_bytes_per_position / 1024).toFixed(1)} KiB per position`);
  info(`streamed / token ${mib(r.stream_bytes_per_token)} (weights + embedding row + KV read, decode after the prompt)`);
  info(`load average     ${r.load_avg_1m_start.toFixed(2)} → ${r.load_avg_1m.toFixed(2)} (1 min)`);
}

export function register(program: Command): void {
  program
    .command('bench-peer')
    .description('measure llama.cpp (node-llama-cpp, CPU) on a GGUF file the way qins bench measures our engine')
    .argument('<file>', 'a .gguf file (qins export-gguf makes one from a q8 or q4 .qins file)')
    .option('--json', 'print the results as one JSON object (the shape of qins bench --json)')
    .option('--threads <n>', 'threads (default: physical cores)')
    .option('--prefill <n>', 'prompt tokens for the prefill measurement', '512')
    .option('--decode <n>', 'timed decode steps (after one untimed warm-up step)', '128')
    .option('--repeat <n>', 'rounds of prefill + decode; speeds are medians', '1')
    .action(async (file: string, flags: Flags) => {
      const path = resolve(file);
      if (!existsSync(path)) throw new CliError(`${path}: no such file`);
      const status = peerAvailable();
      if (!status.ok) throw new CliError(status.reason);
      let r: PeerBenchResult;
      try {
        r = await runPeerBench(path, {
          threads: parsePositiveInt('--threads', flags.threads) ?? defaultThreads(),
          prefillTokens: parsePositiveInt('--prefill', flags.prefill),
          decodeTokens: parsePositiveInt('--decode', flags.decode),
          repeats: parsePositiveInt('--repeat', flags.repeat),
          onProgress: (line) => info(line),
        });
      } catch (e) {
        if (e instanceof BenchError || e instanceof GgufFormatError) throw new CliError(e.message);
        throw new CliError(`llama.cpp: ${(e as Error).message.split('\n')[0]}`);
      }
      if (flags.json) printJson(r);
      else printHuman(r);
    });
}
