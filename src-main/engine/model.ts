// Opens a model for generation: a `.qins` file (the native QINS engine) or an ONNX model folder
// with genai_config.json (the ONNX Runtime reference engine). Either way the result bundles the
// backend with the tokenizer, the chat template and the eos ids taken from the model's own files.
import { existsSync } from 'node:fs';
import type { ActivationMode, KernelChoice, KvType } from './native.js';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readQinsHeader, type Codec, type ModelSpec, type QinsHeader } from './format/qins-format.js';
import type { EngineKind, InferenceBackend } from './backend.js';
import { ChatSession, type ChatSessionOptions } from './chat-session.js';
import { ChatTemplate, TemplateError } from './template.js';
import { TextTokenizer } from './tokenizer.js';

export class ModelOpenError extends Error {
  override name = 'ModelOpenError';
}

export interface OpenModelOptions {
  /** Which engine to use; by default chosen from the path (file → qins, folder with genai_config.json → ort). */
  engine?: EngineKind;
  /** Worker threads for the engine (default: the engine's choice). */
  threads?: number;
  /** KV cache positions to allocate (default: the engine's choice, at most the model's maximum). */
  contextLength?: number;
  /** QINS engine only: kernel set, KV cache type, activation mode (see NativeOpenOptions). */
  qins?: QinsEngineOptions;
  /** QINS engine settings used where `qins` names none; ignored by the other engines. */
  qinsDefaults?: QinsEngineOptions;
}

export interface QinsEngineOptions {
  kernels?: KernelChoice;
  kvType?: KvType;
  activations?: ActivationMode;
}

export interface BackendOpenOptions extends QinsEngineOptions {
  threads?: number;
  contextLength?: number;
}

export interface LoadedModel {
  path: string;
  engine: EngineKind;
  spec: ModelSpec;
  backend: InferenceBackend;
  tokenizer: TextTokenizer;
  /** Null when the model ships no chat template (plain text models: eval works, chat does not). */
  template: ChatTemplate | null;
  /** Ids that end a reply: generation_config.json eos ids (plus config.json's and the tokenizer's eos). */
  eosTokenIds: number[];
  /** The .qins codec (null for ONNX folders). */
  codec: Codec | null;
  /** Bytes on disk of the model (file, or decoder + external data). */
  fileBytes: number;
  /** The .qins header (null for ONNX folders). */
  header: QinsHeader | null;
  /** A chat session over this model (throws when the model has no chat template). */
  chat(options?: ChatSessionOptions): ChatSession;
  dispose(): Promise<void>;
}

type Opener = (path: string, options: BackendOpenOptions) => Promise<InferenceBackend>;

// Each engine lives in its own module, loaded only when a model of its kind is opened (the ONNX
// Runtime one must not load at start-up: it has no binary for every platform).
const qinsOpener = async (): Promise<Opener> => (await import('./qins-backend.js')).openQinsBackend;
const ortOpener = async (): Promise<Opener> => (await import('./ort-backend.js')).openOrtBackend;

/** Engines, replaceable for tests. */
export const backendOpeners: Record<EngineKind, () => Promise<Opener>> = { qins: qinsOpener, ort: ortOpener };

function eosIds(spec: ModelSpec, files: Readonly<Record<string, string>>, tokenizer: TextTokenizer): number[] {
  const ids = new Set<number>(spec.eos_token_ids);
  const fromJson = (name: string): void => {
    const text = files[name];
    if (text === undefined) return;
    try {
      const v = (JSON.parse(text) as { eos_token_id?: unknown }).eos_token_id;
      for (const x of Array.isArray(v) ? v : [v]) if (Number.isInteger(x)) ids.add(x as number);
    } catch {
      /* the header's spec already carries the eos ids; a broken extra file adds none */
    }
  };
  fromJson('generation_config.json');
  if (!files['generation_config.json']) fromJson('config.json');
  if (tokenizer.eosToken) {
    const id = tokenizer.tokenToId(tokenizer.eosToken);
    if (id !== undefined) ids.add(id);
  }
  return [...ids];
}

async function readFolderFiles(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'special_tokens_map.json']) {
    const p = join(dir, name);
    if (existsSync(p)) files[name] = await readFile(p, 'utf8');
  }
  return files;
}

export async function openModel(pathIn: string, options: OpenModelOptions = {}): Promise<LoadedModel> {
  const path = resolve(pathIn);
  const st = await stat(path).catch(() => null);
  if (!st) throw new ModelOpenError(`${path}: no such file or folder`);
  let engine: EngineKind;
  let files: Record<string, string>;
  let header: QinsHeader | null = null;
  let fileBytes: number;
  let spec: ModelSpec | null = null;
  if (st.isDirectory()) {
    if (!existsSync(join(path, 'genai_config.json'))) {
      const hint = existsSync(join(path, 'config.json')) ? ' (a checkpoint folder: convert it with `qins convert` first)' : '';
      throw new ModelOpenError(`${path}: not a model (expected a .qins file or an ONNX folder with genai_config.json)${hint}`);
    }
    engine = 'ort';
    files = await readFolderFiles(path);
    fileBytes = 0;
  } else {
    engine = 'qins';
    const info = await readQinsHeader(path);
    header = info.header;
    files = header.files;
    fileBytes = info.fileBytes;
    spec = header.model;
  }
  if (options.engine && options.engine !== engine)
    throw new ModelOpenError(`${path}: the ${options.engine} engine cannot open this (it is ${engine === 'qins' ? 'a .qins file' : 'an ONNX folder'})`);

  // Text side first: it is cheap and fails fast, before any weights are mapped.
  const tokenizer = TextTokenizer.fromFiles(files);
  let template: ChatTemplate | null = null;
  try {
    template = ChatTemplate.fromFiles(files);
  } catch (e) {
    if (!(e instanceof TemplateError) || !/no chat_template|no tokenizer_config/.test(e.message)) throw e;
  }

  const open = await backendOpeners[engine]();
  if (engine !== 'qins' && options.qins && Object.values(options.qins).some((v) => v !== undefined))
    throw new ModelOpenError(`${path}: kernel, KV cache and activation settings apply to the QINS engine only`);
  const qinsOptions: QinsEngineOptions = { ...options.qinsDefaults };
  for (const [k, v] of Object.entries(options.qins ?? {})) if (v !== undefined) (qinsOptions as Record<string, unknown>)[k] = v;
  const backend = await open(path, { threads: options.threads, contextLength: options.contextLength, ...(engine === 'qins' ? qinsOptions : {}) });
  spec ??= backend.spec;
  if (engine === 'ort') fileBytes = (backend as { model?: { fileBytes?: number } }).model?.fileBytes ?? 0;
  const eos = eosIds(spec, files, tokenizer);
  if (eos.length === 0) {
    await backend.dispose();
    throw new ModelOpenError(`${path}: the model names no eos token (generation_config.json / config.json)`);
  }
  let disposed = false;
  return {
    path,
    engine,
    spec,
    backend,
    tokenizer,
    template,
    eosTokenIds: eos,
    codec: header?.codec ?? null,
    fileBytes,
    header,
    chat(o?: ChatSessionOptions): ChatSession {
      if (!template) throw new ModelOpenError(`${path}: the model has no chat template (tokenizer_config.json chat_template)`);
      return new ChatSession({ backend, tokenizer, template, eosTokenIds: eos }, o);
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      await backend.dispose();
    },
  };
}
