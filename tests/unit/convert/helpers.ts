// Shared helpers of the converter tests: fixture paths, scratch folders, small hand-made
// checkpoints (valid or deliberately broken), and reading source tensors for independent checks.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureModel } from '../helpers/fixtures.js';
import type { PlannedTensor } from '../../../src-main/engine/convert/arch.js';
import { f32BitsToBf16, toF32 } from '../../../src-main/engine/convert/codecs.js';
import type { SourceDtype } from '../../../src-main/engine/convert/safetensors.js';

export const PHI3 = fixtureModel('tiny-phi3-chat');
export const LLAMA = fixtureModel('tiny-llama-chat');
export const QWEN2 = fixtureModel('tiny-qwen2-chat');

export function scratch(prefix = 'qins-convert-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every entry of a folder (hidden temp files included). */
export const entries = (dir: string): string[] => readdirSync(dir).sort();

export interface RawTensor {
  name: string;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** Writes a safetensors file; `header` may replace the generated JSON (to break it). */
export function writeSafetensors(path: string, tensors: RawTensor[], opts: { header?: string; headerLength?: bigint; truncate?: number } = {}): void {
  const hdr: Record<string, unknown> = {};
  let off = 0;
  for (const t of tensors) {
    hdr[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.data.byteLength] };
    off += t.data.byteLength;
  }
  const json = Buffer.from(opts.header ?? JSON.stringify(hdr));
  const pre = Buffer.alloc(8);
  pre.writeBigUInt64LE(opts.headerLength ?? BigInt(json.length));
  let buf = Buffer.concat([pre, json, ...tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))]);
  if (opts.truncate) buf = buf.subarray(0, buf.length - opts.truncate);
  writeFileSync(path, buf);
}

/** Deterministic pseudo-random normal values. */
export function normals(n: number, std: number, seed = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const rnd = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(rnd())) * std;
    const a = 2 * Math.PI * rnd();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

export function bf16Bytes(v: Float32Array): Uint8Array {
  const u = new Uint32Array(v.buffer, v.byteOffset, v.length);
  const out = new Uint16Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = f32BitsToBf16(u[i]!);
  return new Uint8Array(out.buffer);
}

export interface TinyOptions {
  arch?: 'llama' | 'phi3' | 'qwen2';
  layers?: number;
  /** Omit these HF tensors. */
  drop?: string[];
  /** Change the config (merged over the defaults). */
  config?: Record<string, unknown>;
  /** Split into this many shards with an index (default 1, no index). */
  shards?: number;
  dtype?: 'BF16' | 'F32';
}

/** A small checkpoint (hidden 64, 4 heads, 2 KV heads, vocab 96) in HF layout. */
export function makeTinyCheckpoint(dir: string, o: TinyOptions = {}): { tensors: RawTensor[] } {
  mkdirSync(dir, { recursive: true });
  const arch = o.arch ?? 'llama';
  const L = o.layers ?? 2;
  const h = 64, H = 4, KV = 2, hd = 16, inter = 128, vocab = 96;
  const config = {
    architectures: [arch === 'phi3' ? 'Phi3ForCausalLM' : arch === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
    model_type: arch,
    hidden_size: h,
    intermediate_size: inter,
    num_hidden_layers: L,
    num_attention_heads: H,
    num_key_value_heads: KV,
    vocab_size: vocab,
    max_position_embeddings: 2048,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    hidden_act: 'silu',
    tie_word_embeddings: false,
    bos_token_id: 1,
    eos_token_id: 2,
    ...o.config,
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ version: '1.0', model: { type: 'BPE', vocab: {} } }));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ chat_template: '{{ messages }}' }));
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: [2, 3] }));
  const dtype = o.dtype ?? 'BF16';
  let seed = 7;
  const mat = (name: string, shape: number[]): RawTensor => {
    const n = shape.reduce((a, d) => a * d, 1);
    const v = shape.length === 1 ? new Float32Array(n).fill(1) : normals(n, 0.05, seed++);
    return { name, dtype, shape, data: dtype === 'F32' ? new Uint8Array(v.buffer) : bf16Bytes(v) };
  };
  const t: RawTensor[] = [mat('model.embed_tokens.weight', [vocab, h])];
  for (let i = 0; i < L; i++) {
    const p = `model.layers.${i}.`;
    t.push(mat(`${p}input_layernorm.weight`, [h]), mat(`${p}post_attention_layernorm.weight`, [h]));
    if (arch === 'phi3') {
      t.push(mat(`${p}self_attn.qkv_proj.weight`, [(H + 2 * KV) * hd, h]), mat(`${p}mlp.gate_up_proj.weight`, [2 * inter, h]));
    } else {
      t.push(mat(`${p}self_attn.q_proj.weight`, [H * hd, h]), mat(`${p}self_attn.k_proj.weight`, [KV * hd, h]), mat(`${p}self_attn.v_proj.weight`, [KV * hd, h]));
      t.push(mat(`${p}mlp.gate_proj.weight`, [inter, h]), mat(`${p}mlp.up_proj.weight`, [inter, h]));
    }
    if (arch === 'qwen2')
      t.push(mat(`${p}self_attn.q_proj.bias`, [H * hd]), mat(`${p}self_attn.k_proj.bias`, [KV * hd]), mat(`${p}self_attn.v_proj.bias`, [KV * hd]));
    t.push(mat(`${p}self_attn.o_proj.weight`, [h, H * hd]), mat(`${p}mlp.down_proj.weight`, [h, inter]));
  }
  t.push(mat('model.norm.weight', [h]), mat('lm_head.weight', [vocab, h]));
  const kept = t.filter((x) => !(o.drop ?? []).includes(x.name));
  const nShards = o.shards ?? 1;
  if (nShards === 1) writeSafetensors(join(dir, 'model.safetensors'), kept);
  else {
    const per = Math.ceil(kept.length / nShards);
    const weightMap: Record<string, string> = {};
    for (let s = 0; s < nShards; s++) {
      const name = `model-0000${s + 1}-of-0000${nShards}.safetensors`;
      const part = kept.slice(s * per, (s + 1) * per);
      for (const x of part) weightMap[x.name] = name;
      writeSafetensors(join(dir, name), part);
    }
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  }
  return { tensors: kept };
}

/** The source values of a canonical tensor (its HF tensors' rows concatenated), as float32. */
export async function readSource(t: PlannedTensor): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  for (const s of t.sources) {
    const fh = await open(s.file, 'r');
    const b = Buffer.alloc(s.bytes);
    await fh.read(b, 0, s.bytes, s.offset);
    await fh.close();
    parts.push(toF32(b, s.dtype as SourceDtype));
  }
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
