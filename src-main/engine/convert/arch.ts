// Architecture mapping: HF config.json → ModelSpec, and HF tensor names → the canonical fused
// tensors of docs/qins-format.md (q,k,v rows concatenated q first; gate,up rows gate first).
import { basename } from 'node:path';
import { ARCHITECTURES, ModelSpec, type Architecture, type RopeSpec } from '../format/qins-format.js';
import type { JsonObject } from './checkpoint.js';
import { ConvertError } from './errors.js';
import { isSupportedDtype, SUPPORTED_DTYPES, type SourceTensor } from './safetensors.js';

const CONFIG = 'config.json';
const bad = (msg: string): ConvertError => new ConvertError('BAD_CHECKPOINT', `${CONFIG}: ${msg}`, CONFIG);

function posInt(cfg: JsonObject, key: string, fallback?: number): number {
  const v = cfg[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw bad(`${key} is missing or not a positive integer`);
  return v;
}
function posNum(obj: JsonObject, key: string, where: string, fallback?: number): number {
  const v = obj[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw bad(`${where}${key} is missing or not a positive number`);
  return v;
}
const isObj = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function tokenIds(v: unknown): number[] | null {
  if (typeof v === 'number' && Number.isInteger(v)) return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x))) return [...new Set(v as number[])];
  return null;
}

/** Reads model_type and rejects anything the engine does not run, listing what it does. */
export function architectureOf(config: JsonObject): Architecture {
  const mt = config.model_type;
  if (typeof mt !== 'string') throw bad(`model_type is missing (supported: ${ARCHITECTURES.join(', ')})`);
  if (!(ARCHITECTURES as readonly string[]).includes(mt))
    throw new ConvertError('UNSUPPORTED_ARCH', `${CONFIG}: model_type "${mt}" is not supported (supported: ${ARCHITECTURES.join(', ')})`, CONFIG);
  return mt as Architecture;
}

function ropeSpec(config: JsonObject, headDim: number, maxPos: number): RopeSpec {
  const params = isObj(config.rope_parameters) ? config.rope_parameters : null;
  const rs = isObj(config.rope_scaling) ? config.rope_scaling : params;
  const theta = posNum(config.rope_theta !== undefined ? config : (params ?? {}), 'rope_theta', '', 10000);
  const partial = typeof config.partial_rotary_factor === 'number' ? config.partial_rotary_factor : 1;
  if (!(partial > 0 && partial <= 1)) throw bad('partial_rotary_factor must be in (0, 1]');
  const dim = Math.floor((headDim * partial) / 2) * 2;
  if (dim <= 0) throw bad('rotary dimension is zero');
  const rawType = rs ? (rs.rope_type ?? rs.type ?? 'default') : 'default';
  const type = rawType === 'su' ? 'longrope' : rawType;
  const where = 'rope_scaling.';
  switch (type) {
    case 'default':
      return { type: 'default', theta, dim };
    case 'linear':
      return { type: 'linear', theta, dim, factor: posNum(rs!, 'factor', where) };
    case 'llama3':
      return {
        type: 'llama3',
        theta,
        dim,
        factor: posNum(rs!, 'factor', where),
        low_freq_factor: posNum(rs!, 'low_freq_factor', where),
        high_freq_factor: posNum(rs!, 'high_freq_factor', where),
        original_max_position_embeddings: posInt(rs!, 'original_max_position_embeddings'),
      };
    case 'longrope': {
      const orig = rs!.original_max_position_embeddings ?? config.original_max_position_embeddings;
      if (typeof orig !== 'number' || !Number.isSafeInteger(orig) || orig <= 0)
        throw bad('longrope needs original_max_position_embeddings');
      const factors = (key: string): number[] => {
        const f = rs![key];
        if (!Array.isArray(f) || f.length !== dim / 2 || !f.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0))
          throw bad(`${where}${key} must hold ${dim / 2} positive numbers (rotary dim ${dim} / 2)`);
        return f as number[];
      };
      let attention: number;
      if (typeof rs!.attention_factor === 'number' && rs!.attention_factor > 0) attention = rs!.attention_factor;
      else {
        const scale = maxPos / orig;
        attention = scale <= 1 ? 1 : Math.sqrt(1 + Math.log(scale) / Math.log(orig));
      }
      return {
        type: 'longrope',
        theta,
        dim,
        original_max_position_embeddings: orig,
        short_factor: factors('short_factor'),
        long_factor: factors('long_factor'),
        attention_factor: attention,
      };
    }
    default:
      throw new ConvertError(
        'UNSUPPORTED_ARCH',
        `${CONFIG}: rope scaling "${String(type)}" is not supported (supported: default, linear, llama3, longrope)`,
        CONFIG,
      );
  }
}

/** Normalised model description from config.json (+ generation_config.json for stop tokens). */
export function buildModelSpec(config: JsonObject, generationConfig: JsonObject | null): ModelSpec {
  const architecture = architectureOf(config);
  const act = config.hidden_act ?? config.hidden_activation;
  if (act !== undefined && act !== 'silu' && act !== 'swish')
    throw new ConvertError('UNSUPPORTED_ARCH', `${CONFIG}: hidden_act "${String(act)}" is not supported (the engine runs SiLU-gated MLPs)`, CONFIG);
  if (config.mlp_bias === true) throw new ConvertError('UNSUPPORTED_ARCH', `${CONFIG}: mlp_bias is not supported`, CONFIG);
  if (architecture !== 'qwen2' && config.attention_bias === true)
    throw new ConvertError('UNSUPPORTED_ARCH', `${CONFIG}: attention_bias (o_proj bias) is not supported for ${architecture}`, CONFIG);
  const hidden = posInt(config, 'hidden_size');
  const heads = posInt(config, 'num_attention_heads');
  const kvHeads = posInt(config, 'num_key_value_heads', heads);
  if (heads % kvHeads !== 0) throw bad(`num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}`);
  const headDim = config.head_dim === undefined || config.head_dim === null ? hidden / heads : posInt(config, 'head_dim');
  if (!Number.isSafeInteger(headDim) || headDim <= 0) throw bad(`hidden_size ${hidden} is not divisible by num_attention_heads ${heads}`);
  const maxPos = posInt(config, 'max_position_embeddings');
  const eps = posNum(config, 'rms_norm_eps', '', architecture === 'phi3' ? 1e-5 : 1e-6);
  const eos = tokenIds(generationConfig?.eos_token_id) ?? tokenIds(config.eos_token_id) ?? [];
  const bos = typeof config.bos_token_id === 'number' ? config.bos_token_id : typeof generationConfig?.bos_token_id === 'number' ? generationConfig.bos_token_id : null;
  return ModelSpec.parse({
    architecture,
    vocab_size: posInt(config, 'vocab_size'),
    hidden_size: hidden,
    intermediate_size: posInt(config, 'intermediate_size'),
    num_layers: posInt(config, 'num_hidden_layers'),
    num_heads: heads,
    num_kv_heads: kvHeads,
    head_dim: headDim,
    rms_norm_eps: eps,
    rope: ropeSpec(config, headDim, maxPos),
    max_position_embeddings: maxPos,
    tie_word_embeddings: config.tie_word_embeddings === true,
    qkv_bias: architecture === 'qwen2',
    bos_token_id: bos,
    eos_token_ids: eos,
  });
}

/** One canonical tensor of the .qins file and the HF tensors its rows come from (in order). */
export interface PlannedTensor {
  name: string;
  shape: number[];
  sources: SourceTensor[];
}

export const isMatrix = (t: { shape: number[] }): boolean => t.shape.length === 2;

/** Maps the checkpoint's tensors to the canonical layout, checking presence, dtype and shape. */
export function planTensors(spec: ModelSpec, tensors: Map<string, SourceTensor>): PlannedTensor[] {
  const { hidden_size: h, intermediate_size: inter, num_heads: H, num_kv_heads: KV, head_dim: hd, vocab_size: vocab } = spec;
  const fused = spec.architecture === 'phi3';
  const need = (hf: string, shape: number[]): SourceTensor => {
    const t = tensors.get(hf);
    if (!t)
      throw new ConvertError('MISSING_TENSOR', `tensor ${hf} (needed for ${spec.architecture}) is not in the checkpoint`, undefined, hf);
    const file = basename(t.file);
    if (!isSupportedDtype(t.dtype))
      throw new ConvertError('BAD_CHECKPOINT', `${file}: tensor ${hf} has dtype ${t.dtype} (supported: ${SUPPORTED_DTYPES.join(', ')})`, t.file, hf);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      throw new ConvertError(
        'BAD_CHECKPOINT',
        `${file}: tensor ${hf} has shape [${t.shape.join(', ')}], config.json implies [${shape.join(', ')}]`,
        t.file,
        hf,
      );
    return t;
  };
  const plan: PlannedTensor[] = [{ name: 'embed', shape: [vocab, h], sources: [need('model.embed_tokens.weight', [vocab, h])] }];
  for (let i = 0; i < spec.num_layers; i++) {
    const p = `model.layers.${i}.`;
    const L = `layers.${i}.`;
    plan.push({ name: `${L}attn_norm`, shape: [h], sources: [need(`${p}input_layernorm.weight`, [h])] });
    plan.push({
      name: `${L}qkv`,
      shape: [(H + 2 * KV) * hd, h],
      sources: fused
        ? [need(`${p}self_attn.qkv_proj.weight`, [(H + 2 * KV) * hd, h])]
        : [need(`${p}self_attn.q_proj.weight`, [H * hd, h]), need(`${p}self_attn.k_proj.weight`, [KV * hd, h]), need(`${p}self_attn.v_proj.weight`, [KV * hd, h])],
    });
    if (spec.qkv_bias)
      plan.push({
        name: `${L}qkv_bias`,
        shape: [(H + 2 * KV) * hd],
        sources: [need(`${p}self_attn.q_proj.bias`, [H * hd]), need(`${p}self_attn.k_proj.bias`, [KV * hd]), need(`${p}self_attn.v_proj.bias`, [KV * hd])],
      });
    plan.push({ name: `${L}o`, shape: [h, H * hd], sources: [need(`${p}self_attn.o_proj.weight`, [h, H * hd])] });
    plan.push({ name: `${L}mlp_norm`, shape: [h], sources: [need(`${p}post_attention_layernorm.weight`, [h])] });
    plan.push({
      name: `${L}gate_up`,
      shape: [2 * inter, h],
      sources: fused
        ? [need(`${p}mlp.gate_up_proj.weight`, [2 * inter, h])]
        : [need(`${p}mlp.gate_proj.weight`, [inter, h]), need(`${p}mlp.up_proj.weight`, [inter, h])],
    });
    plan.push({ name: `${L}down`, shape: [h, inter], sources: [need(`${p}mlp.down_proj.weight`, [h, inter])] });
  }
  plan.push({ name: 'norm', shape: [h], sources: [need('model.norm.weight', [h])] });
  if (!spec.tie_word_embeddings) plan.push({ name: 'lm_head', shape: [vocab, h], sources: [need('lm_head.weight', [vocab, h])] });
  return plan;
}

/** The checkpoint's weight dtype as one string ("BF16", or "mixed(BF16,F32)"). */
export function sourceDtype(plan: PlannedTensor[]): string {
  const counts = new Map<string, number>();
  for (const t of plan) for (const s of t.sources) if (s.shape.length === 2) counts.set(s.dtype, (counts.get(s.dtype) ?? 0) + s.bytes);
  const ds = [...counts.keys()].sort();
  return ds.length === 1 ? ds[0]! : `mixed(${ds.join(',')})`;
}
