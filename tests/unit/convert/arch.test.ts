// config.json (+ generation_config.json) → ModelSpec, for the fixtures and for config variants.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModelSpec } from '../../../src-main/engine/convert/arch.js';
import { ConvertError } from '../../../src-main/engine/convert/errors.js';
import { LLAMA, PHI3, QWEN2 } from './helpers.js';

const json = (dir: string, f: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, f), 'utf8'));
const spec = (dir: string) => buildModelSpec(json(dir, 'config.json'), json(dir, 'generation_config.json'));

const base = {
  model_type: 'llama',
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  vocab_size: 100,
  max_position_embeddings: 2048,
};

describe('ModelSpec from the fixtures', () => {
  it('tiny-phi3: longrope with the attention factor sqrt(1 + ln(max/orig) / ln(orig)), eos from generation_config', () => {
    const s = spec(PHI3);
    expect(s).toMatchObject({ architecture: 'phi3', num_heads: 8, num_kv_heads: 4, head_dim: 32, tie_word_embeddings: false, qkv_bias: false, bos_token_id: 1 });
    expect(s.eos_token_ids).toEqual([32007, 32001, 32000]);
    expect(s.rope.type).toBe('longrope');
    expect(s.rope.original_max_position_embeddings).toBe(4096);
    expect(s.rope.attention_factor).toBeCloseTo(Math.sqrt(1 + Math.log(131072 / 4096) / Math.log(4096)), 12);
    expect(s.rope.short_factor).toHaveLength(16);
    expect(s.rope.long_factor![15]).toBe(14.5);
  });

  it('tiny-llama: llama3 rope scaling', () => {
    expect(spec(LLAMA).rope).toEqual({ type: 'llama3', theta: 10000, dim: 32, factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 });
  });

  it('tiny-qwen2: default rope, tied embeddings, q/k/v biases', () => {
    expect(spec(QWEN2)).toMatchObject({ architecture: 'qwen2', tie_word_embeddings: true, qkv_bias: true, rope: { type: 'default', theta: 10000, dim: 32 } });
  });
});

describe('ModelSpec from config variants', () => {
  it('defaults: kv heads = heads, head_dim = hidden / heads, eos from config when there is no generation_config', () => {
    const s = buildModelSpec({ ...base, eos_token_id: 2 }, null);
    expect(s).toMatchObject({ num_kv_heads: 4, head_dim: 16, rms_norm_eps: 1e-6, eos_token_ids: [2], bos_token_id: null });
  });

  it('an explicit head_dim, linear scaling, and transformers 5 rope_parameters', () => {
    expect(buildModelSpec({ ...base, head_dim: 32, rope_scaling: { type: 'linear', factor: 2 } }, null).rope).toMatchObject({ type: 'linear', factor: 2, dim: 32 });
    expect(buildModelSpec({ ...base, rope_parameters: { rope_type: 'default', rope_theta: 500000 } }, null).rope).toMatchObject({ type: 'default', theta: 500000 });
  });

  it('longrope: "su" (early Phi-3 configs) is accepted; a configured attention_factor wins', () => {
    const f = new Array(8).fill(1);
    const cfg = { ...base, model_type: 'phi3', original_max_position_embeddings: 1024, rope_scaling: { type: 'su', short_factor: f, long_factor: f } };
    expect(buildModelSpec(cfg, null).rope.attention_factor).toBeCloseTo(Math.sqrt(1 + Math.log(2) / Math.log(1024)), 12);
    const cfg2 = { ...cfg, rope_scaling: { ...cfg.rope_scaling, type: 'longrope', attention_factor: 1.5 } };
    expect(buildModelSpec(cfg2, null).rope.attention_factor).toBe(1.5);
    const cfg3 = { ...cfg, max_position_embeddings: 1024 };
    expect(buildModelSpec(cfg3, null).rope.attention_factor).toBe(1);
  });

  it('mistral is accepted; bad values are rejected with the key named', () => {
    expect(buildModelSpec({ ...base, model_type: 'mistral', num_key_value_heads: 2 }, null).architecture).toBe('mistral');
    const bad = (cfg: Record<string, unknown>): string => {
      try {
        buildModelSpec(cfg, null);
      } catch (e) {
        expect(e).toBeInstanceOf(ConvertError);
        return `${(e as ConvertError).code}: ${(e as Error).message}`;
      }
      return 'accepted';
    };
    expect(bad({ ...base, hidden_size: 0 })).toMatch(/BAD_CHECKPOINT: config\.json: hidden_size/);
    expect(bad({ ...base, num_key_value_heads: 3 })).toMatch(/not a multiple/);
    expect(bad({ ...base, hidden_act: 'gelu' })).toMatch(/UNSUPPORTED_ARCH: .*gelu/);
    expect(bad({ ...base, attention_bias: true })).toMatch(/UNSUPPORTED_ARCH: .*attention_bias/);
    expect(bad({ ...base, model_type: undefined })).toMatch(/model_type is missing/);
    expect(bad({ ...base, model_type: 'phi3', rope_scaling: { type: 'longrope', short_factor: [1], long_factor: [1] }, original_max_position_embeddings: 4 })).toMatch(
      /short_factor must hold 8/,
    );
  });
});
