// The tokenizer of a .qins file (the verbatim HF tokenizer.json + tokenizer_config.json) as GGUF
// metadata for llama.cpp. Two kinds of tokenizer.json are exported:
//
// - SentencePiece-style BPE with byte fallback (model BPE, byte_fallback, "▁" for spaces through a
//   Replace normalizer or a Metaspace pre-tokenizer): tokenizer.ggml.model "llama". llama.cpp's
//   SPM tokenizer starts from single characters and repeatedly joins the adjacent pair whose
//   concatenation is a token with the highest score (ties: leftmost), then spells what is left
//   over as <0xXX> byte tokens. HF's BPE joins the adjacent pair with the lowest merge rank (ties:
//   leftmost). So each token made by a merge gets score −(rank + 1) of the first merge that makes
//   it, and llama.cpp then joins pairs in the same order HF does. Tokens no merge makes (single
//   characters, bytes, special tokens) score −1e9: they are never preferred over a real merge.
//   (llama.cpp's own converter, without a tokenizer.model, gives every token the same −1000, which
//   makes the SPM tokenizer join leftmost-first instead of by rank.)
// - Byte-level BPE (GPT-2 style ByteLevel pre-tokenizer, e.g. Llama 3, Qwen2): tokenizer.ggml.model
//   "gpt2" with the merges, and tokenizer.ggml.pre naming llama.cpp's pre-tokenizer, chosen from
//   the split regex in tokenizer.json (an unknown regex is refused: llama.cpp would silently fall
//   back to its default pre-tokenizer and split text differently).
import type { ModelSpec } from '../format/qins-format.js';
import { gguf, type GgufValue } from './writer.js';

/** llama_token_type values of tokenizer.ggml.token_type. */
export const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

export class TokenizerExportError extends Error {
  override name = 'TokenizerExportError';
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function parse(files: Record<string, string>, name: string, required: boolean): Json | null {
  const text = files[name];
  if (text === undefined) {
    if (required) throw new TokenizerExportError(`the .qins file has no ${name}; GGUF needs the tokenizer`);
    return null;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new TokenizerExportError(`${name} in the .qins file is not valid JSON (${(e as Error).message})`);
  }
  if (!isObj(v)) throw new TokenizerExportError(`${name} in the .qins file is not a JSON object`);
  return v;
}

/** The text of a special token in tokenizer_config.json: a string or `{content: string}`. */
function tokenText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (isObj(v) && typeof v.content === 'string') return v.content;
  return null;
}

/** The pre-tokenizer split regexes llama.cpp knows, by tokenizer.ggml.pre. */
const LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
export const KNOWN_PRE_REGEXES: ReadonlyArray<{ pre: string; regex: string }> = [
  { pre: 'llama-bpe', regex: LLAMA3_REGEX },
  { pre: 'qwen2', regex: QWEN2_REGEX },
  { pre: 'gpt-2', regex: GPT2_REGEX },
];

export type TokenizerKind = 'llama' | 'gpt2';

export interface TokenizerExport {
  kind: TokenizerKind;
  /** tokenizer.ggml.pre */
  pre: string;
  metadata: Array<[string, GgufValue]>;
  warnings: string[];
  /** Number of tokens written (the model's vocabulary size). */
  tokens: number;
}

/** Flattens a normalizer / pre-tokenizer / post-processor into its parts (Sequence expanded). */
function parts(v: unknown, listKey: string): Json[] {
  if (!isObj(v)) return [];
  if (v.type === 'Sequence' && Array.isArray(v[listKey])) return (v[listKey] as unknown[]).flatMap((x) => parts(x, listKey));
  return [v];
}

function regexOf(p: Json): string | null {
  return isObj(p.pattern) && typeof p.pattern.Regex === 'string' ? p.pattern.Regex : null;
}

/** Which of the two supported kinds tokenizer.json is, or a one-line reason why neither. */
function classify(tj: Json): { kind: TokenizerKind; pre: string; addSpacePrefix: boolean } {
  const model = tj.model;
  if (!isObj(model)) throw new TokenizerExportError('tokenizer.json has no "model" section');
  if (model.type !== 'BPE')
    throw new TokenizerExportError(
      `tokenizer.json: a ${String(model.type)} tokenizer cannot be exported (supported: SentencePiece-style BPE with byte fallback, byte-level BPE)`,
    );
  const normalizers = parts(tj.normalizer, 'normalizers');
  const preTokenizers = parts(tj.pre_tokenizer, 'pretokenizers');
  const replacesSpace = normalizers.some((n) => n.type === 'Replace' && isObj(n.pattern) && n.pattern.String === ' ' && n.content === '▁');
  const prepends = normalizers.some((n) => n.type === 'Prepend' && n.prepend === '▁');
  const metaspace = preTokenizers.find((p) => p.type === 'Metaspace');
  const byteLevel = preTokenizers.find((p) => p.type === 'ByteLevel');
  if (model.byte_fallback === true && (replacesSpace || metaspace) && !byteLevel) {
    let addSpacePrefix = prepends;
    if (metaspace) {
      const scheme = metaspace.prepend_scheme;
      addSpacePrefix = scheme === 'always' || scheme === 'first' || (scheme === undefined && metaspace.add_prefix_space !== false);
    }
    return { kind: 'llama', pre: 'default', addSpacePrefix };
  }
  if (byteLevel) {
    const splits = preTokenizers.filter((p) => p.type === 'Split');
    const others = preTokenizers.filter((p) => p.type !== 'Split' && p.type !== 'ByteLevel');
    if (others.length > 0)
      throw new TokenizerExportError(`tokenizer.json: byte-level pre-tokenizer step ${String(others[0]!.type)} has no llama.cpp equivalent`);
    let regex: string | null;
    if (splits.length === 1) {
      regex = regexOf(splits[0]!);
      if (byteLevel.use_regex === true) regex = null;
    } else if (splits.length === 0 && byteLevel.use_regex !== false) regex = GPT2_REGEX;
    else regex = null;
    const known = KNOWN_PRE_REGEXES.find((k) => k.regex === regex);
    if (!known)
      throw new TokenizerExportError(
        `tokenizer.json: byte-level BPE with a pre-tokenizer llama.cpp does not know (${regex === null ? `${splits.length} split steps` : `regex ${JSON.stringify(regex.slice(0, 60))}…`}); known: ${KNOWN_PRE_REGEXES.map((k) => k.pre).join(', ')}`,
      );
    const odd = normalizers.find((x) => x.type !== 'NFC');
    if (odd) throw new TokenizerExportError(`tokenizer.json: byte-level BPE with a ${String(odd.type)} normalizer has no llama.cpp equivalent`);
    if (byteLevel.add_prefix_space === true)
      throw new TokenizerExportError('tokenizer.json: byte-level BPE with add_prefix_space has no llama.cpp equivalent');
    return { kind: 'gpt2', pre: known.pre, addSpacePrefix: false };
  }
  throw new TokenizerExportError(
    'tokenizer.json: BPE without byte fallback and "▁" spaces, nor a byte-level pre-tokenizer; llama.cpp has no matching tokenizer',
  );
}

function mergePair(m: unknown): [string, string] | null {
  if (typeof m === 'string') {
    const i = m.indexOf(' ', 1);
    return i < 0 ? null : [m.slice(0, i), m.slice(i + 1)];
  }
  if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') return [m[0], m[1]];
  return null;
}

/** add_bos / add_eos from the post-processor's single-sequence template (TemplateProcessing). */
function templateAdds(tj: Json): { bos: string | null; eos: string | null } | null {
  const tp = parts(tj.post_processor, 'processors').find((p) => p.type === 'TemplateProcessing');
  if (!tp || !Array.isArray(tp.single)) return null;
  const single = tp.single as unknown[];
  const special = (x: unknown): string | null => (isObj(x) && isObj(x.SpecialToken) && typeof x.SpecialToken.id === 'string' ? x.SpecialToken.id : null);
  return { bos: special(single[0]), eos: single.length > 1 ? special(single[single.length - 1]) : null };
}

/** Names llama.cpp gives the rstrip rule to (it has no per-token key: see llama-vocab.cpp). */
const nameGetsPhi3Rules = (name: string): boolean => /phi-3|phi3/.test(name.toLowerCase());

export interface TokenizerInputs {
  files: Record<string, string>;
  spec: ModelSpec;
  /** general.name (llama.cpp keys some tokenizer rules to it). */
  modelName: string;
}

/** Builds the tokenizer.* metadata; throws TokenizerExportError with a one-line reason. */
export function tokenizerMetadata({ files, spec, modelName }: TokenizerInputs): TokenizerExport {
  const tj = parse(files, 'tokenizer.json', true)!;
  const tc = parse(files, 'tokenizer_config.json', false) ?? {};
  const gc = parse(files, 'generation_config.json', false) ?? {};
  const config = parse(files, 'config.json', false) ?? {};
  const { kind, pre, addSpacePrefix } = classify(tj);
  const model = tj.model as Json;
  const vocab = model.vocab;
  if (!isObj(vocab)) throw new TokenizerExportError('tokenizer.json: model.vocab is missing');

  const n = spec.vocab_size;
  const tokens: (string | null)[] = new Array(n).fill(null);
  const put = (text: string, id: unknown, what: string): void => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw new TokenizerExportError(`tokenizer.json: ${what} "${text}" has id ${String(id)}`);
    if (id >= n)
      throw new TokenizerExportError(`tokenizer.json: token "${text}" has id ${id}, beyond the model's ${n} embedding rows`);
    tokens[id] = text;
  };
  for (const [text, id] of Object.entries(vocab)) put(text, id, 'token');
  const added = Array.isArray(tj.added_tokens) ? (tj.added_tokens as unknown[]).filter(isObj) : [];
  const addedById = new Map<number, Json>();
  for (const a of added) {
    if (typeof a.content !== 'string') continue;
    put(a.content, a.id, 'added token');
    addedById.set(a.id as number, a);
  }
  const idOf = new Map<string, number>();
  tokens.forEach((t, i) => {
    if (t !== null && !idOf.has(t)) idOf.set(t, i);
  });

  const unkText = typeof model.unk_token === 'string' ? model.unk_token : tokenText(tc.unk_token);
  const unkId = unkText !== null ? (idOf.get(unkText) ?? null) : null;
  const types = new Int32Array(n);
  const texts: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const t = tokens[i] ?? null;
    if (t === null) {
      texts[i] = `[PAD${i}]`;
      types[i] = TokenType.UNUSED;
      continue;
    }
    texts[i] = t;
    const a = addedById.get(i);
    if (i === unkId) types[i] = TokenType.UNKNOWN;
    else if (a) types[i] = a.special === true ? TokenType.CONTROL : TokenType.USER_DEFINED;
    else if (kind === 'llama' && /^<0x[0-9A-Fa-f]{2}>$/.test(t)) types[i] = TokenType.BYTE;
    else types[i] = TokenType.NORMAL;
  }

  const merges = Array.isArray(model.merges) ? (model.merges as unknown[]) : [];
  const metadata: Array<[string, GgufValue]> = [
    ['tokenizer.ggml.model', gguf.str(kind)],
    ['tokenizer.ggml.pre', gguf.str(pre)],
    ['tokenizer.ggml.tokens', gguf.strings(texts)],
  ];
  const warnings: string[] = [];
  if (kind === 'llama') {
    const missing: string[] = [];
    for (let b = 0; b < 256; b++) {
      const t = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
      if (!idOf.has(t)) missing.push(t);
    }
    if (missing.length > 0)
      throw new TokenizerExportError(`tokenizer.json: byte-fallback tokens ${missing.slice(0, 3).join(', ')}… are missing (llama.cpp needs all 256)`);
    const scores = new Float32Array(n).fill(-1e9);
    for (let r = merges.length - 1; r >= 0; r--) {
      const pair = mergePair(merges[r]);
      if (!pair) throw new TokenizerExportError(`tokenizer.json: merge ${r} is malformed`);
      const id = idOf.get(pair[0] + pair[1]);
      if (id !== undefined && types[id] === TokenType.NORMAL) scores[id] = -(r + 1);
    }
    metadata.push(['tokenizer.ggml.scores', gguf.f32s(scores)]);
    metadata.push(['tokenizer.ggml.token_type', gguf.i32s(types)]);
    metadata.push(['tokenizer.ggml.add_space_prefix', gguf.bool(addSpacePrefix)]);
  } else {
    const out: string[] = new Array(merges.length);
    for (let r = 0; r < merges.length; r++) {
      const pair = mergePair(merges[r]);
      if (!pair) throw new TokenizerExportError(`tokenizer.json: merge ${r} is malformed`);
      out[r] = `${pair[0]} ${pair[1]}`;
    }
    metadata.push(['tokenizer.ggml.token_type', gguf.i32s(types)]);
    metadata.push(['tokenizer.ggml.merges', gguf.strings(out)]);
  }

  // Special tokens: tokenizer_config first (what HF's tokenizer uses), then the model configs.
  const idFor = (key: string): number | null => {
    const t = tokenText(tc[key]);
    return t !== null ? (idOf.get(t) ?? null) : null;
  };
  const firstId = (v: unknown): number | null =>
    typeof v === 'number' && Number.isInteger(v) ? v : Array.isArray(v) && typeof v[0] === 'number' ? (v[0] as number) : null;
  const adds = templateAdds(tj);
  const bos = idFor('bos_token') ?? (adds?.bos ? (idOf.get(adds.bos) ?? null) : null) ?? spec.bos_token_id;
  const eos = idFor('eos_token') ?? firstId(gc.eos_token_id) ?? firstId(config.eos_token_id) ?? spec.eos_token_ids[0] ?? null;
  const pad = idFor('pad_token') ?? firstId(gc.pad_token_id) ?? firstId(config.pad_token_id);
  const special: Array<[string, number | null]> = [
    ['tokenizer.ggml.bos_token_id', bos],
    ['tokenizer.ggml.eos_token_id', eos],
    ['tokenizer.ggml.unknown_token_id', unkId],
    ['tokenizer.ggml.padding_token_id', pad],
  ];
  // generation_config may list more stop tokens than eos (chat models: the end-of-turn token);
  // llama.cpp stops on eos and eot, so the first other one becomes eot.
  const eot = spec.eos_token_ids.find((id) => id !== eos && id >= 0 && id < n) ?? null;
  if (eot !== null) special.push(['tokenizer.ggml.eot_token_id', eot]);
  for (const [key, id] of special) if (id !== null && id >= 0 && id < n) metadata.push([key, gguf.u32(id)]);

  const addBos = typeof tc.add_bos_token === 'boolean' ? tc.add_bos_token : adds ? adds.bos !== null : false;
  const addEos = typeof tc.add_eos_token === 'boolean' ? tc.add_eos_token : adds ? adds.eos !== null : false;
  metadata.push(['tokenizer.ggml.add_bos_token', gguf.bool(addBos)]);
  metadata.push(['tokenizer.ggml.add_eos_token', gguf.bool(addEos)]);

  const template = tc.chat_template;
  if (typeof template === 'string') metadata.push(['tokenizer.chat_template', gguf.str(template)]);
  else if (Array.isArray(template)) {
    for (const t of template) {
      if (!isObj(t) || typeof t.name !== 'string' || typeof t.template !== 'string') continue;
      metadata.push([t.name === 'default' ? 'tokenizer.chat_template' : `tokenizer.chat_template.${t.name}`, gguf.str(t.template)]);
    }
  } else if (typeof files['chat_template.jinja'] === 'string') metadata.push(['tokenizer.chat_template', gguf.str(files['chat_template.jinja'])]);

  // Whitespace stripping around added tokens has no GGUF key; llama.cpp applies its own rule
  // (rstrip on the special tokens of models named phi3). Say where the result will differ.
  const llamaRstrips = (i: number, text: string): boolean =>
    nameGetsPhi3Rules(modelName) &&
    (types[i] === TokenType.CONTROL || types[i] === TokenType.USER_DEFINED || types[i] === TokenType.UNKNOWN || text === '</s>') &&
    !['<unk>', '<s>', '<|endoftext|>'].includes(text);
  const lost: string[] = [];
  const extra: string[] = [];
  for (const [id, a] of addedById) {
    const text = a.content as string;
    if (a.lstrip === true) lost.push(`${text} (lstrip)`);
    const want = a.rstrip === true;
    const got = llamaRstrips(id, text);
    if (want && !got) lost.push(text);
    if (!want && got) extra.push(text);
  }
  const list = (xs: string[]): string => `${xs.slice(0, 4).join(', ')}${xs.length > 4 ? `, … (${xs.length})` : ''}`;
  if (lost.length > 0)
    warnings.push(
      `tokenizer: ${list(lost)} swallow the whitespace next to them in tokenizer.json, which llama.cpp cannot express in GGUF (it applies that rule only to models whose general.name contains phi3: --name); text right after them tokenizes differently`,
    );
  if (extra.length > 0) warnings.push(`tokenizer: llama.cpp strips whitespace after ${list(extra)} (its rule for models named phi3) where tokenizer.json does not`);
  return { kind, pre, metadata, warnings, tokens: n };
}
