// A HuggingFace checkpoint folder: config and tokenizer files (kept verbatim) and the safetensors
// shards, every header validated before anything is converted.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ConvertError, fsError } from './errors.js';
import { readSafetensors, type SafetensorsFile, type SourceTensor } from './safetensors.js';

/** Text files copied verbatim into the .qins header when present; the first two are required. */
export const REQUIRED_TEXT_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;
export const OPTIONAL_TEXT_FILES = ['generation_config.json', 'special_tokens_map.json', 'chat_template.jinja', 'chat_template.json'] as const;
const INDEX_FILE = 'model.safetensors.index.json';

export type JsonObject = Record<string, unknown>;

export interface Checkpoint {
  dir: string;
  name: string;
  config: JsonObject;
  generationConfig: JsonObject | null;
  /** Verbatim text of the config / tokenizer files, keyed by file name. */
  files: Record<string, string>;
  /** Safetensors files in the order they were listed. */
  shards: SafetensorsFile[];
  tensors: Map<string, SourceTensor>;
  /** Bytes of the safetensors files. */
  weightFileBytes: number;
  /** Bytes of every source file read (safetensors + text files). */
  totalBytes: number;
}

export function parseJsonFile(text: string, file: string): JsonObject {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ConvertError('BAD_CHECKPOINT', `${file}: not valid JSON (${(e as Error).message})`, file);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ConvertError('BAD_CHECKPOINT', `${file}: expected a JSON object`, file);
  return v as JsonObject;
}

/** Checks that `dir` is a folder and reads config.json (enough to decide the architecture). */
export async function readCheckpointConfig(dir: string): Promise<{ dir: string; entries: string[]; config: JsonObject; configText: string }> {
  const abs = resolve(dir);
  const st = await stat(abs).catch((e: unknown) => {
    throw fsError(e, abs, 'opening the checkpoint');
  });
  if (!st.isDirectory())
    throw new ConvertError('NOT_FOUND', `${abs} is a file, not a checkpoint folder (expected config.json, *.safetensors, tokenizer.json)`, abs);
  const entries = (await readdir(abs).catch((e: unknown) => {
    throw fsError(e, abs, 'listing the checkpoint folder');
  })).sort();
  if (entries.length === 0)
    throw new ConvertError('BAD_CHECKPOINT', `${abs} is empty (expected config.json, *.safetensors, tokenizer.json)`, abs);
  if (!entries.includes('config.json'))
    throw new ConvertError('BAD_CHECKPOINT', `${abs} has no config.json: not a HuggingFace checkpoint folder`, abs);
  const configText = await readFile(join(abs, 'config.json'), 'utf8');
  return { dir: abs, entries, config: parseJsonFile(configText, 'config.json'), configText };
}

/** Reads the rest of the checkpoint: text files and every safetensors header (validated). */
export async function openCheckpoint(dir: string): Promise<Checkpoint> {
  const { dir: abs, entries, config, configText } = await readCheckpointConfig(dir);
  const files: Record<string, string> = { 'config.json': configText };
  let textBytes = Buffer.byteLength(configText);
  for (const f of [...REQUIRED_TEXT_FILES, ...OPTIONAL_TEXT_FILES]) {
    if (f === 'config.json') continue;
    if (!entries.includes(f)) {
      if ((REQUIRED_TEXT_FILES as readonly string[]).includes(f))
        throw new ConvertError('BAD_CHECKPOINT', `${abs} has no ${f} (the tokenizer is required)`, join(abs, f));
      continue;
    }
    const text = await readFile(join(abs, f), 'utf8').catch((e: unknown) => {
      throw fsError(e, f, 'reading');
    });
    if (f.endsWith('.json')) parseJsonFile(text, f);
    files[f] = text;
    textBytes += Buffer.byteLength(text);
  }
  const generationConfig = files['generation_config.json'] ? parseJsonFile(files['generation_config.json'], 'generation_config.json') : null;

  // Which shards, and which tensor each holds according to the index.
  let shardNames: string[];
  let weightMap: Record<string, string> | null = null;
  if (entries.includes(INDEX_FILE)) {
    const index = parseJsonFile(await readFile(join(abs, INDEX_FILE), 'utf8'), INDEX_FILE);
    const wm = index.weight_map;
    if (typeof wm !== 'object' || wm === null || Array.isArray(wm) || !Object.values(wm).every((v) => typeof v === 'string'))
      throw new ConvertError('BAD_CHECKPOINT', `${INDEX_FILE}: weight_map is missing or not a map of tensor → file`, INDEX_FILE);
    weightMap = wm as Record<string, string>;
    shardNames = [...new Set(Object.values(weightMap))];
    for (const s of shardNames) {
      if (s.includes('/') || s.includes('\\') || s === '..')
        throw new ConvertError('BAD_CHECKPOINT', `${INDEX_FILE}: shard name ${s} is not a plain file name`, INDEX_FILE);
      if (!entries.includes(s))
        throw new ConvertError('MISSING_TENSOR', `${s}: shard listed in ${INDEX_FILE} is missing from the folder`, join(abs, s));
    }
  } else if (entries.includes('model.safetensors')) {
    shardNames = ['model.safetensors'];
  } else {
    shardNames = entries.filter((e) => e.endsWith('.safetensors'));
    if (shardNames.length === 0) throw new ConvertError('BAD_CHECKPOINT', `${abs} has no .safetensors weights`, abs);
  }

  const shards: SafetensorsFile[] = [];
  const tensors = new Map<string, SourceTensor>();
  let weightFileBytes = 0;
  for (const s of shardNames) {
    const sf = await readSafetensors(join(abs, s));
    shards.push(sf);
    weightFileBytes += sf.size;
    for (const [n, t] of sf.tensors) {
      const prev = tensors.get(n);
      if (prev) throw new ConvertError('BAD_CHECKPOINT', `${s}: tensor ${n} also appears in ${basename(prev.file)}`, sf.file, n);
      tensors.set(n, t);
    }
  }
  if (weightMap) {
    for (const [n, s] of Object.entries(weightMap)) {
      const t = tensors.get(n);
      if (!t || basename(t.file) !== s)
        throw new ConvertError('MISSING_TENSOR', `${s}: tensor ${n} listed in ${INDEX_FILE} is not in this shard`, join(abs, s), n);
    }
  }
  return {
    dir: abs,
    name: basename(abs),
    config,
    generationConfig,
    files,
    shards,
    tensors,
    weightFileBytes,
    totalBytes: weightFileBytes + textBytes,
  };
}
