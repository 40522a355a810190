// ModelSpec (the normalised decoder description from qins-format.ts) derived from an HF
// config.json + generation_config.json, for the architectures the project supports.
import { ARCHITECTURES, ModelSpec, type Architecture, type RopeSpec } from '../../core/qins-format.js';

export class HfConfigError extends Error {
  override name = 'HfConfigError';
}

type Json = Record<string, unknown>;

const num = (cfg: Json, key: string): number | undefined => (typeof cfg[key] === 'number' ? (cfg[key] as number) : undefined);

function required(cfg: Json, key: string): number {
  const v = num(cfg, key);
  if (v === undefined) throw new HfConfigError(`config.json: missing numeric "${key}"`);
  return v;
}

const idList = (v: unknown): number[] =>
  typeof v === 'number' ? [v] : Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : [];

function architectureOf(cfg: Json): Architecture {
  const t = String(cfg.model_type ?? '');
  if ((ARCHITECTURES as readonly string[]).includes(t)) return t as Architecture;
  throw new HfConfigError(`config.json: unsupported model_type "${t}" (supported: ${ARCHITECTURES.join(', ')})`);
}

function ropeOf(cfg: Json, headDim: number): RopeSpec {
  // transformers ≥ 5 writes rope_parameters (theta inside); older configs rope_scaling + rope_theta.
  const params = (cfg.rope_parameters ?? cfg.rope_scaling ?? null) as Json | null;
  const theta = num(params ?? {}, 'rope_theta') ?? num(cfg, 'rope_theta') ?? 10000;
  const partial = num(cfg, 'partial_rotary_factor') ?? 1;
  const dim = Math.round(headDim * partial);
  if (dim % 2 !== 0 || dim > headDim) throw new HfConfigError(`config.json: invalid rotary dimension ${dim}`);
  const type = String(params?.rope_type ?? params?.type ?? 'default');
  const orig = num(params ?? {}, 'original_max_position_embeddings') ?? num(cfg, 'original_max_position_embeddings');
  const maxPos = required(cfg, 'max_position_embeddings');
  switch (type) {
    case 'default':
      return { type: 'default', theta, dim };
    case 'linear':
      return { type: 'linear', theta, dim, factor: required(params ?? {}, 'factor') };
    case 'llama3':
      return {
        type: 'llama3',
        theta,
        dim,
        factor: required(params ?? {}, 'factor'),
        low_freq_factor: required(params ?? {}, 'low_freq_factor'),
        high_freq_factor: required(params ?? {}, 'high_freq_factor'),
        original_max_position_embeddings: required(params ?? {}, 'original_max_position_embeddings'),
      };
    case 'longrope':
    case 'su': {
      if (!orig) throw new HfConfigError('config.json: longrope needs original_max_position_embeddings');
      const short = idList(params?.short_factor);
      const long = idList(params?.long_factor);
      if (short.length !== dim / 2 || long.length !== dim / 2)
        throw new HfConfigError(`config.json: longrope short/long factors must have ${dim / 2} entries`);
      const factor = maxPos / orig;
      const attention =
        num(params ?? {}, 'attention_factor') ?? (factor > 1 ? Math.sqrt(1 + Math.log(factor) / Math.log(orig)) : 1);
      return {
        type: 'longrope',
        theta,
        dim,
        original_max_position_embeddings: orig,
        short_factor: short,
        long_factor: long,
        attention_factor: attention,
      };
    }
    default:
      throw new HfConfigError(`config.json: unsupported rope type "${type}"`);
  }
}

/** Normalises an HF config (and optional generation_config) into a validated ModelSpec. */
export function modelSpecFromHf(config: Json, generationConfig: Json | null = null): ModelSpec {
  const architecture = architectureOf(config);
  const hidden = required(config, 'hidden_size');
  const heads = required(config, 'num_attention_heads');
  const headDim = num(config, 'head_dim') ?? hidden / heads;
  if (!Number.isInteger(headDim)) throw new HfConfigError('config.json: hidden_size is not a multiple of num_attention_heads');
  const eos = idList(generationConfig?.eos_token_id);
  const spec = {
    architecture,
    vocab_size: required(config, 'vocab_size'),
    hidden_size: hidden,
    intermediate_size: required(config, 'intermediate_size'),
    num_layers: required(config, 'num_hidden_layers'),
    num_heads: heads,
    num_kv_heads: num(config, 'num_key_value_heads') ?? heads,
    head_dim: headDim,
    rms_norm_eps: num(config, 'rms_norm_eps') ?? 1e-6,
    rope: ropeOf(config, headDim),
    max_position_embeddings: required(config, 'max_position_embeddings'),
    tie_word_embeddings: config.tie_word_embeddings === true,
    qkv_bias: architecture === 'qwen2' || config.attention_bias === true,
    bos_token_id: num(generationConfig ?? {}, 'bos_token_id') ?? num(config, 'bos_token_id') ?? null,
    eos_token_ids: eos.length > 0 ? eos : idList(config.eos_token_id),
  };
  const parsed = ModelSpec.safeParse(spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HfConfigError(`config.json: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  if (spec.num_heads % spec.num_kv_heads !== 0)
    throw new HfConfigError('config.json: num_attention_heads is not a multiple of num_key_value_heads');
  return parsed.data;
}
