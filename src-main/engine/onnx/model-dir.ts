// An ONNX Runtime GenAI-style model folder (our exports, or Microsoft's published *-onnx folders):
// genai_config.json names the decoder file and its inputs/outputs; config.json (+ generation_config.json)
// gives the ModelSpec; tokenizer.json / tokenizer_config.json travel alongside.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ModelSpec } from '../format/qins-format.js';
import { GenaiConfig } from './genai-config.js';
import { buildModelSpec } from '../convert/arch.js';

export class OrtModelError extends Error {
  override name = 'OrtModelError';
}

export interface OrtModelDir {
  dir: string;
  genai: GenaiConfig;
  spec: ModelSpec;
  modelPath: string;
  contextLength: number;
  /** Bytes of the decoder file plus its external data file(s) next to it. */
  fileBytes: number;
}

async function json(path: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new OrtModelError(`${path}: not valid JSON`);
  }
}

/** Weights of a decoder described by `spec` (ONNX folders have no tensor table to count them from). */
export function specParams(m: ModelSpec): number {
  const qkv = (m.num_heads + 2 * m.num_kv_heads) * m.head_dim * m.hidden_size + (m.qkv_bias ? (m.num_heads + 2 * m.num_kv_heads) * m.head_dim : 0);
  const o = m.hidden_size * m.num_heads * m.head_dim;
  const mlp = 3 * m.hidden_size * m.intermediate_size;
  const embed = m.vocab_size * m.hidden_size;
  return m.num_layers * (qkv + o + mlp + 2 * m.hidden_size) + embed * (m.tie_word_embeddings ? 1 : 2) + m.hidden_size;
}

/** True when `dir` looks like an ONNX GenAI model folder. */
export const isOrtModelDir = (dir: string): boolean => existsSync(join(dir, 'genai_config.json'));

export async function readOrtModelDir(dirIn: string): Promise<OrtModelDir> {
  const dir = resolve(dirIn);
  const cfgPath = join(dir, 'genai_config.json');
  if (!existsSync(cfgPath)) throw new OrtModelError(`${dir}: not an ONNX model folder (no genai_config.json)`);
  const parsed = GenaiConfig.safeParse(await json(cfgPath));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new OrtModelError(`${cfgPath}: invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const genai = parsed.data;
  const modelPath = join(dir, genai.model.decoder.filename);
  if (!existsSync(modelPath)) throw new OrtModelError(`${dir}: decoder file ${genai.model.decoder.filename} is missing`);
  if (!existsSync(join(dir, 'config.json'))) throw new OrtModelError(`${dir}: config.json is missing (needed for the model description)`);
  const genPath = join(dir, 'generation_config.json');
  const eos = genai.model.eos_token_id;
  const gen = existsSync(genPath) ? await json(genPath) : { eos_token_id: eos };
  const spec = buildModelSpec(await json(join(dir, 'config.json')), gen);
  const d = genai.model.decoder;
  if (d.num_hidden_layers !== spec.num_layers || d.num_key_value_heads !== spec.num_kv_heads || d.head_size !== spec.head_dim)
    throw new OrtModelError(`${dir}: genai_config.json and config.json disagree on the decoder shape`);
  let fileBytes = (await stat(modelPath)).size;
  for (const ext of ['.data', '_data']) {
    const p = modelPath + ext;
    if (existsSync(p)) fileBytes += (await stat(p)).size;
  }
  return { dir, genai, spec, modelPath, contextLength: genai.model.context_length, fileBytes };
}
