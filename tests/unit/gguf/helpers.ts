// Shared helpers of the GGUF export tests: fixture conversions (made once per test file), reference
// decoders of GGUF tensor blocks, and small hand-made checkpoints with a byte-level BPE tokenizer.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertCheckpoint } from '../../../src-main/engine/convert/index.js';
import { f16ToF32 } from '../../../src-main/engine/convert/codecs.js';
import type { Codec } from '../../../src-main/engine/format/qins-format.js';
import { peerAvailable } from '../../../src-main/bench/llama-peer.js';
import { bf16Bytes, normals, scratch, writeSafetensors, type RawTensor } from '../convert/helpers.js';
import { fixtureModel } from '../helpers/fixtures.js';

export { scratch, entries } from '../convert/helpers.js';

export type Fixture = 'tiny-phi3-chat' | 'tiny-llama-chat' | 'tiny-qwen2-chat';
export const FIXTURE_NAMES: readonly Fixture[] = ['tiny-phi3-chat', 'tiny-llama-chat', 'tiny-qwen2-chat'];
/** Golden file of each fixture (tests/../shared/fixtures/golden/<name>.json). */
export const goldenName = (f: Fixture): string => f.replace('-chat', '');

/** Converts a fixture once per folder (the tests of one file share the result). */
export async function convertFixture(dir: string, fixture: Fixture, codec: Codec): Promise<string> {
  const out = join(dir, `${fixture}-${codec}.qins`);
  if (!existsSync(out)) await convertCheckpoint({ source: fixtureModel(fixture), destination: out, codec, threads: 2 });
  return out;
}

/**
 * The llama.cpp tests need the peer: without it they are skipped with the reason, except under
 * CI=true, where a missing peer fails them (the setup installs it there).
 */
export function requirePeer(ctx: { skip: (note?: string) => never }): void {
  const s = peerAvailable();
  if (s.ok) return;
  if (process.env.CI === 'true') throw new Error(`${s.reason}; CI=true requires it`);
  ctx.skip(s.reason);
}

/** Q8_0 blocks (fp16 d, 32 × int8) → float32 values. */
export function decodeQ8_0(data: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let b = 0; b < n / 32; b++) {
    const d = f16ToF32(dv.getUint16(b * 34, true));
    for (let j = 0; j < 32; j++) out[b * 32 + j] = d * dv.getInt8(b * 34 + 2 + j);
  }
  return out;
}

/** Q4_0 blocks (fp16 d, 16 bytes: element j in the low nibble of byte j, j + 16 in the high one) → float32. */
export function decodeQ4_0(data: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let b = 0; b < n / 32; b++) {
    const d = f16ToF32(dv.getUint16(b * 18, true));
    for (let j = 0; j < 16; j++) {
      const q = dv.getUint8(b * 18 + 2 + j);
      out[b * 32 + j] = d * ((q & 15) - 8);
      out[b * 32 + j + 16] = d * ((q >> 4) - 8);
    }
  }
  return out;
}

export function decodeBf16(data: Uint8Array): Float32Array {
  const u16 = new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const u32 = new Uint32Array(u16.length);
  for (let i = 0; i < u16.length; i++) u32[i] = u16[i]! << 16;
  return new Float32Array(u32.buffer);
}

export const decodeF32 = (data: Uint8Array): Float32Array => new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));

// ---- a tiny llama checkpoint with a byte-level BPE tokenizer ----

/** GPT-2's byte → printable character table. */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const map: string[] = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) map[b] = bs.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + n++);
  return map;
}

export const LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
export const QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

export interface ByteLevelOptions {
  /** The Split regex; null: ByteLevel's own GPT-2 regex (use_regex true). */
  split: string | null;
  ignoreMerges?: boolean;
  /** Merges given as [a, b] arrays instead of "a b" strings (newer tokenizer.json). */
  arrayMerges?: boolean;
}

/** A byte-level BPE tokenizer.json: the 256 byte symbols, a few merges, three special tokens. */
export function byteLevelTokenizer(o: ByteLevelOptions): { json: string; config: string; vocabSize: number; specials: Record<string, number> } {
  const chars = bytesToUnicode();
  const vocab: Record<string, number> = {};
  chars.forEach((c, i) => (vocab[c] = i));
  const merges: Array<[string, string]> = [
    ['Ġ', 't'],
    ['h', 'e'],
    ['Ġt', 'he'],
    ['i', 'n'],
    ['Ġ', 'a'],
    ['e', 'r'],
    ['1', '2'],
    ['12', '3'],
    ['Ġ', 'w'],
    ['o', 'r'],
    ['Ġw', 'or'],
    ['Ġwor', 'l'],
    ['Ġworl', 'd'],
    ['Ċ', 'Ċ'],
  ];
  for (const [a, b] of merges) if (!(a + b in vocab)) vocab[a + b] = Object.keys(vocab).length;
  const base = Object.keys(vocab).length;
  const specials = { '<|begin_of_text|>': base, '<|end_of_text|>': base + 1, '<|eot_id|>': base + 2 };
  const pre = o.split
    ? {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { Regex: o.split }, behavior: 'Isolated', invert: false },
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
        ],
      }
    : { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: Object.entries(specials).map(([content, id]) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: pre,
    post_processor: {
      type: 'Sequence',
      processors: [
        { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
        {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
          special_tokens: { '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [base], tokens: ['<|begin_of_text|>'] } },
        },
      ],
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: o.ignoreMerges ?? false,
      vocab,
      merges: merges.map(([a, b]) => (o.arrayMerges ? [a, b] : `${a} ${b}`)),
    },
  };
  const config = {
    bos_token: '<|begin_of_text|>',
    eos_token: '<|eot_id|>',
    clean_up_tokenization_spaces: true,
    model_max_length: 2048,
    tokenizer_class: 'PreTrainedTokenizerFast',
    chat_template: "{% for m in messages %}<|begin_of_text|>{{ m['content'] }}<|eot_id|>{% endfor %}",
  };
  return { json: JSON.stringify(json), config: JSON.stringify(config), vocabSize: base + 3, specials };
}

/** A one-layer llama checkpoint (hidden 64, 4 heads, 2 KV heads) whose vocabulary is `vocab` rows. */
export function makeByteLevelCheckpoint(
  dir: string,
  tok: { json: string; config: string; specials: Record<string, number> },
  vocab: number,
  extraConfig: Record<string, unknown> = {},
): void {
  const bos = tok.specials['<|begin_of_text|>']!;
  const eos = [tok.specials['<|eot_id|>']!, tok.specials['<|end_of_text|>']!];
  mkdirSync(dir, { recursive: true });
  const h = 64, H = 4, KV = 2, hd = 16, inter = 128, L = 1;
  const config = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: h,
    intermediate_size: inter,
    num_hidden_layers: L,
    num_attention_heads: H,
    num_key_value_heads: KV,
    vocab_size: vocab,
    max_position_embeddings: 2048,
    rms_norm_eps: 1e-5,
    rope_theta: 500000,
    hidden_act: 'silu',
    tie_word_embeddings: false,
    bos_token_id: bos,
    eos_token_id: eos[0],
    ...extraConfig,
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  writeFileSync(join(dir, 'tokenizer.json'), tok.json);
  writeFileSync(join(dir, 'tokenizer_config.json'), tok.config);
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ bos_token_id: bos, eos_token_id: eos }));
  let seed = 11;
  const mat = (name: string, shape: number[]): RawTensor => {
    const n = shape.reduce((a, d) => a * d, 1);
    const v = shape.length === 1 ? new Float32Array(n).fill(1) : normals(n, 0.05, seed++);
    return { name, dtype: 'BF16', shape, data: bf16Bytes(v) };
  };
  const t: RawTensor[] = [mat('model.embed_tokens.weight', [vocab, h])];
  for (let i = 0; i < L; i++) {
    const p = `model.layers.${i}.`;
    t.push(mat(`${p}input_layernorm.weight`, [h]), mat(`${p}post_attention_layernorm.weight`, [h]));
    t.push(mat(`${p}self_attn.q_proj.weight`, [H * hd, h]), mat(`${p}self_attn.k_proj.weight`, [KV * hd, h]), mat(`${p}self_attn.v_proj.weight`, [KV * hd, h]));
    t.push(mat(`${p}mlp.gate_proj.weight`, [inter, h]), mat(`${p}mlp.up_proj.weight`, [inter, h]));
    t.push(mat(`${p}self_attn.o_proj.weight`, [h, H * hd]), mat(`${p}mlp.down_proj.weight`, [h, inter]));
  }
  t.push(mat('model.norm.weight', [h]), mat('lm_head.weight', [vocab, h]));
  writeSafetensors(join(dir, 'model.safetensors'), t);
}

export const newScratch = (): ReturnType<typeof scratch> => scratch('qins-gguf-');
