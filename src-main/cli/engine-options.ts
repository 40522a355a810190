// Command-line options shared by the commands that run a model (`qins chat`, `qins eval`):
// engine selection, threads, context size and sampling, parsed strictly into one-line CliErrors.
import type { Command } from 'commander';
import type { EngineKind } from '../engine/backend.js';
import { ModelOpenError, openModel, type LoadedModel, type QinsEngineOptions } from '../engine/model.js';
import type { ActivationMode, KernelChoice, KvType } from '../engine/native.js';
import { SamplingError, type SamplingParams } from '../engine/sampler.js';
import { TemplateError } from '../engine/template.js';
import { TokenizerError } from '../engine/tokenizer.js';
import { QinsFormatError } from '../engine/format/qins-format.js';
import { resolveModelArg } from './model-arg.js';
import { CliError } from './output.js';

export interface EngineFlags {
  engine?: string;
  threads?: string;
  ctx?: string;
  kernels?: string;
  kv?: string;
  activations?: string;
}

export const KERNEL_CHOICES: readonly KernelChoice[] = ['auto', 'generic', 'avx2', 'avxvnni', 'avx512', 'neon'];
export const KV_TYPES: readonly KvType[] = ['f16', 'f32', 'q8'];

/** The QINS engine settings named on the command line (undefined: the engine's default). */
export function qinsOptionsFromFlags(flags: EngineFlags): QinsEngineOptions {
  if (flags.kernels !== undefined && !KERNEL_CHOICES.includes(flags.kernels as KernelChoice))
    throw new CliError(`--kernels must be one of ${KERNEL_CHOICES.join(', ')} (got "${flags.kernels}")`);
  if (flags.kv !== undefined && !KV_TYPES.includes(flags.kv as KvType)) throw new CliError(`--kv must be one of ${KV_TYPES.join(', ')} (got "${flags.kv}")`);
  if (flags.activations !== undefined && flags.activations !== 'int8' && flags.activations !== 'f32')
    throw new CliError(`--activations must be int8 or f32 (got "${flags.activations}")`);
  return { kernels: flags.kernels as KernelChoice | undefined, kvType: flags.kv as KvType | undefined, activations: flags.activations as ActivationMode | undefined };
}

export function addEngineOptions(cmd: Command): Command {
  return cmd
    .option('--engine <engine>', 'qins (a .qins file) or ort (an ONNX folder); default: from the path')
    .option('--threads <n>', 'engine worker threads (default: the engine decides)')
    .option('--ctx <n>', 'context size in tokens (default: the engine decides)')
    .option('--kernels <set>', 'qins kernel set: auto, generic, avx2, avxvnni, avx512, neon (default auto)')
    .option('--kv <type>', 'qins KV cache: f16 (default), f32, or q8 (int8 blocks, about half of f16)')
    .option('--activations <mode>', 'qins coded weights: int8 activations (default) or f32 (decoded rows, slow, exact)');
}

export function parseNumber(flag: string, v: string | undefined, kind: 'int' | 'float' = 'float'): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n)))
    throw new CliError(`${flag} must be ${kind === 'int' ? 'an integer' : 'a number'} (got "${v}")`);
  return n;
}

export function parsePositiveInt(flag: string, v: string | undefined): number | undefined {
  const n = parseNumber(flag, v, 'int');
  if (n !== undefined && n < 1) throw new CliError(`${flag} must be at least 1 (got ${n})`);
  return n;
}

/**
 * Opens the model named on the command line (a path, or a library model's name or id); every
 * failure becomes a one-line CliError.
 */
export async function openModelFromFlags(
  modelArg: string,
  flags: EngineFlags,
  contextLength?: number,
  /** QINS engine settings used where the flags name none (ignored for other engines). */
  qinsDefaults: QinsEngineOptions = {},
): Promise<LoadedModel> {
  if (flags.engine !== undefined && flags.engine !== 'qins' && flags.engine !== 'ort')
    throw new CliError(`--engine must be qins or ort (got "${flags.engine}")`);
  const threads = parsePositiveInt('--threads', flags.threads);
  const ctx = parsePositiveInt('--ctx', flags.ctx) ?? contextLength;
  const path = resolveModelArg(modelArg);
  try {
    return await openModel(path, { engine: flags.engine as EngineKind | undefined, threads, contextLength: ctx, qins: qinsOptionsFromFlags(flags), qinsDefaults });
  } catch (e) {
    throw asCliError(e);
  }
}

/** Errors a user can fix become CliErrors (exit 2); anything else passes through. */
export function asCliError(e: unknown): unknown {
  if (
    e instanceof ModelOpenError ||
    e instanceof QinsFormatError ||
    e instanceof TokenizerError ||
    e instanceof TemplateError ||
    e instanceof SamplingError
  )
    return new CliError(e.message);
  return e;
}

export interface SamplingFlags {
  temperature?: string;
  topK?: string;
  topP?: string;
  minP?: string;
  repeatPenalty?: string;
  repeatLastN?: string;
  seed?: string;
  maxTokens?: string;
  stop?: string[];
}

export function addSamplingOptions(cmd: Command): Command {
  return cmd
    .option('--temperature <t>', 'sampling temperature, 0 = greedy (default 0.7)')
    .option('--top-k <k>', 'keep the k most likely tokens, 0 = off (default 40)')
    .option('--top-p <p>', 'nucleus sampling threshold, 1 = off (default 0.95)')
    .option('--min-p <p>', 'drop tokens below p × the top probability, 0 = off (default 0.05)')
    .option('--repeat-penalty <r>', 'repetition penalty, 1 = off (default 1.1)')
    .option('--repeat-last-n <n>', 'tokens the repetition penalty looks back over (default 64)')
    .option('--seed <n>', 'random seed (default: random, printed with the stats)')
    .option('--max-tokens <n>', 'longest reply in tokens (default 512)')
    .option('--stop <text>', 'stop before this text (repeatable)', (v: string, prev: string[] = []) => [...prev, v]);
}

export function samplingFromFlags(f: SamplingFlags): Partial<SamplingParams> {
  const out: Partial<SamplingParams> = {};
  const set = <K extends keyof SamplingParams>(k: K, v: SamplingParams[K] | undefined): void => {
    if (v !== undefined) out[k] = v;
  };
  set('temperature', parseNumber('--temperature', f.temperature));
  set('topK', parseNumber('--top-k', f.topK, 'int'));
  set('topP', parseNumber('--top-p', f.topP));
  set('minP', parseNumber('--min-p', f.minP));
  set('repetitionPenalty', parseNumber('--repeat-penalty', f.repeatPenalty));
  set('repeatLastN', parseNumber('--repeat-last-n', f.repeatLastN, 'int'));
  set('seed', parseNumber('--seed', f.seed, 'int'));
  set('maxTokens', parseNumber('--max-tokens', f.maxTokens, 'int'));
  if (f.stop?.length) out.stop = f.stop.map((s) => s.replace(/\\n/g, '\n'));
  return out;
}
