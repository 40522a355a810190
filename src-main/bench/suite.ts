// The benchmark suite behind `npm run bench`: for each scale (the tiny fixture model, and a
// synthetic checkpoint shaped like Phi-3.5-mini) it prepares every codec's .qins file and the ONNX
// exports, then measures each one in its own `qins bench` process (load → first token, prefill,
// decode, RSS after load and peak, weight and KV bytes) and, on the tiny model only, perplexity on
// the eval text with `qins eval`. Models are cached in a work folder and reused on the next run.
import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Codec } from '../core/qins-format.js';
import { appRoot, assetsDir } from '../core/paths.js';
import type { BenchResult } from '../engine/bench.js';
import { inspectGraph } from '../engine/onnx/inspect.js';
import { runNodeScript, runQins } from './child.js';
import { machineInfo, type MachineInfo } from './machine.js';

export type Scale = 'tiny' | 'phi35';
export const SCALES: readonly Scale[] = ['tiny', 'phi35'];

export interface BenchConfig {
  id: string;
  label: string;
  engine: 'qins' | 'ort';
  codec?: Codec;
  ort?: 'fp32' | 'int4';
}

/** What one suite run measures, in report order. ORT FP32 is the reference. */
export const CONFIGS: readonly BenchConfig[] = [
  { id: 'ort-fp32', label: 'ORT FP32', engine: 'ort', ort: 'fp32' },
  { id: 'qins8', label: 'qins8', engine: 'qins', codec: 'qins8' },
  { id: 'qins4', label: 'qins4', engine: 'qins', codec: 'qins4' },
  { id: 'qins-seed', label: 'qins-seed', engine: 'qins', codec: 'qins-seed' },
  { id: 'q8', label: 'q8', engine: 'qins', codec: 'q8' },
  { id: 'q4', label: 'q4', engine: 'qins', codec: 'q4' },
  { id: 'ort-int4', label: 'ORT int4', engine: 'ort', ort: 'int4' },
];

export const SCALE_NAMES: Record<Scale, string> = {
  tiny: 'tiny-phi3-chat (24.3 M parameters, trained)',
  phi35: 'synthetic Phi-3.5-mini-shaped checkpoint (3.8 B parameters, random weights)',
};

export interface SuiteEntry {
  scale: Scale;
  id: string;
  label: string;
  engine: 'qins' | 'ort';
  model: string;
  /** Bytes on disk (the .qins file, or model.onnx + model.onnx.data). */
  file_bytes: number;
  bits_per_weight: number | null;
  convert_seconds: number | null;
  load_ms: number | null;
  prefill_tokens: number | null;
  prefill_tok_s: number | null;
  decode_tokens: number | null;
  decode_tok_s: number | null;
  rss_after_load_bytes: number | null;
  peak_rss_bytes: number | null;
  weight_bytes: number | null;
  kv_bytes: number | null;
  /** weight_bytes × decode tok/s ÷ measured bandwidth */
  bandwidth_fraction: number | null;
  samples: Array<{ prefill_tok_s: number; decode_tok_s: number }>;
  load_avg_1m: number | null;
  ppl: number | null;
  ppl_tokens: number | null;
  error: string | null;
}

export interface SuiteSettings {
  scales: Scale[];
  configs: string[];
  prefill_tokens: number;
  decode_tokens: number;
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
  seconds: number;
}

export interface SuiteOptions {
  scales?: Scale[];
  configs?: string[];
  workDir?: string;
  prefillTokens?: number;
  decodeTokens?: number;
  repeats?: Partial<Record<Scale, number>>;
  threads?: number;
  /** Re-create cached models. */
  fresh?: boolean;
  /** Delete each Phi-3.5-scale model once measured (disk: the source plus one model at a time). */
  discard?: boolean;
  /** Use this Phi-3.5-shaped checkpoint folder instead of generating one in the work folder. */
  phi35Checkpoint?: string;
  onProgress?: (line: string) => void;
}

interface ConvertJson {
  file_bytes: number;
  stats: { seconds: number; bits_per_weight: number };
}
interface InspectJson {
  file_bytes: number;
  bits_per_weight: number;
}
interface ExportJson {
  model_bytes: number;
  data_bytes: number;
  seconds: number;
}
interface EvalJson {
  ppl: number;
  tokens: number;
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

/** Converts / exports (or reuses) the model of one configuration. */
async function prepare(
  c: BenchConfig,
  source: string,
  dir: string,
  fresh: boolean,
  log: (l: string) => void,
): Promise<{ model: string; file_bytes: number; bits_per_weight: number | null; convert_seconds: number | null }> {
  if (c.engine === 'qins') {
    const model = join(dir, `${c.id}.qins`);
    if (fresh || !existsSync(model)) {
      log(`converting to ${c.codec}`);
      const r = await runQins<ConvertJson>(['convert', source, '-o', model, '--codec', c.codec as string], { onLine: log });
      return { model, file_bytes: r.json.file_bytes, bits_per_weight: r.json.stats.bits_per_weight, convert_seconds: r.json.stats.seconds };
    }
    const r = await runQins<InspectJson>(['inspect', model]);
    return { model, file_bytes: r.json.file_bytes, bits_per_weight: r.json.bits_per_weight, convert_seconds: null };
  }
  const model = join(dir, c.id);
  let seconds: number | null = null;
  if (fresh || !existsSync(join(model, 'genai_config.json'))) {
    log(`exporting ONNX ${c.ort}`);
    const args = ['export-onnx', source, '-o', model, '--force', '--context', '4096'];
    if (c.ort === 'int4') args.push('--int4', '--block-size', '32', '--accuracy-level', '4', '--int4-lm-head');
    seconds = (await runQins<ExportJson>(args, { onLine: log })).json.seconds;
  }
  const w = await inspectGraph(join(model, 'model.onnx'));
  const size = async (f: string) => (existsSync(join(model, f)) ? (await stat(join(model, f))).size : 0);
  return {
    model,
    file_bytes: (await size('model.onnx')) + (await size('model.onnx.data')),
    bits_per_weight: w.matmulParams > 0 ? (8 * w.matmulBytes) / w.matmulParams : null,
    convert_seconds: seconds,
  };
}

export async function runSuite(o: SuiteOptions = {}): Promise<SuiteResult> {
  const t0 = performance.now();
  const log = o.onProgress ?? (() => undefined);
  const scales = o.scales ?? [...SCALES];
  const configs = CONFIGS.filter((c) => !o.configs || o.configs.includes(c.id));
  const work = o.workDir ?? join(appRoot(), '.bench');
  const prefill = o.prefillTokens ?? 512;
  const decode = o.decodeTokens ?? 128;
  const repeats: Record<Scale, number> = { tiny: o.repeats?.tiny ?? 3, phi35: o.repeats?.phi35 ?? 1 };
  const evalText = join(assetsDir(), 'eval', 'eval_dev.txt');
  await mkdir(work, { recursive: true });
  log('measuring the machine');
  const machine = await machineInfo(o.threads ? { threads: o.threads } : {});
  const threads = o.threads ?? machine.physical_cores;
  const entries: SuiteEntry[] = [];
  for (const scale of scales) {
    const slog = (l: string) => log(`[${scale}] ${l}`);
    const source = await sourceFor(scale, work, o.phi35Checkpoint, slog);
    const dir = join(work, scale);
    await mkdir(dir, { recursive: true });
    for (const c of configs) {
      const clog = (l: string) => slog(`${c.label}: ${l}`);
      const e: SuiteEntry = {
        scale,
        id: c.id,
        label: c.label,
        engine: c.engine,
        model: '',
        file_bytes: 0,
        bits_per_weight: null,
        convert_seconds: null,
        load_ms: null,
        prefill_tokens: null,
        prefill_tok_s: null,
        decode_tokens: null,
        decode_tok_s: null,
        rss_after_load_bytes: null,
        peak_rss_bytes: null,
        weight_bytes: null,
        kv_bytes: null,
        bandwidth_fraction: null,
        samples: [],
        load_avg_1m: null,
        ppl: null,
        ppl_tokens: null,
        error: null,
      };
      entries.push(e);
      try {
        Object.assign(e, await prepare(c, source, dir, o.fresh === true, clog));
        clog(`bench (${repeats[scale]} round${repeats[scale] > 1 ? 's' : ''})`);
        const args = ['bench', e.model, '--engine', c.engine, '--prefill', String(prefill), '--decode', String(decode)];
        args.push('--repeat', String(repeats[scale]), '--no-bandwidth');
        if (threads) args.push('--threads', String(threads));
        const b = await runQins<BenchResult>(args, { onLine: clog });
        Object.assign(e, {
          load_ms: b.json.load_ms,
          prefill_tokens: b.json.prefill_tokens,
          prefill_tok_s: b.json.prefill_tok_s,
          decode_tokens: b.json.decode_tokens,
          decode_tok_s: b.json.decode_tok_s,
          rss_after_load_bytes: b.json.rss_bytes,
          peak_rss_bytes: b.peakRssBytes,
          weight_bytes: b.json.weight_bytes,
          kv_bytes: b.json.kv_bytes,
          samples: b.json.samples,
          load_avg_1m: b.json.load_avg_1m,
          bandwidth_fraction: machine.bandwidth_gbs ? (b.json.weight_bytes * b.json.decode_tok_s) / (machine.bandwidth_gbs * 1e9) : null,
        });
        clog(`decode ${b.json.decode_tok_s.toFixed(2)} tok/s, prefill ${b.json.prefill_tok_s.toFixed(1)} tok/s`);
        if (scale === 'tiny') {
          clog('perplexity on the eval text');
          const args2 = ['eval', e.model, '--text', evalText, '--window', '512', '--ctx', '512'];
          if (threads) args2.push('--threads', String(threads));
          const p = await runQins<EvalJson>(args2, { onLine: clog });
          e.ppl = p.json.ppl;
          e.ppl_tokens = p.json.tokens;
          clog(`perplexity ${p.json.ppl.toFixed(2)}`);
        }
      } catch (err) {
        e.error = (err as Error).message.split('\n')[0] ?? 'failed';
        clog(`failed: ${e.error}`);
      }
      if (o.discard && scale === 'phi35' && e.model) {
        clog(`deleting ${e.model}`);
        await rm(e.model, { recursive: true, force: true });
      }
    }
  }
  return {
    date: new Date().toISOString(),
    machine: { ...machine, load_avg_1m_end: loadavg()[0] ?? 0 },
    settings: {
      scales,
      configs: configs.map((c) => c.id),
      prefill_tokens: prefill,
      decode_tokens: decode,
      repeats,
      threads,
      work_dir: work,
      phi35_checkpoint: scales.includes('phi35') ? (o.phi35Checkpoint ?? join(work, 'phi35-synthetic')) : null,
      eval_text: evalText,
    },
    entries,
    seconds: (performance.now() - t0) / 1000,
  };
}
