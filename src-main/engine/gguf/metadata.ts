// Model metadata for llama.cpp: the general.* and <arch>.* keys, the RoPE tensors llama.cpp reads
// instead of scaling keys (llama3: rope_freqs.weight; phi3 longrope: rope_factors_long/short), and
// how the canonical fused tensors map onto the architecture's GGUF tensors.
import type { Codec, ModelSpec, QinsHeader } from '../format/qins-format.js';
import { gguf, LlamaFileType, type GgufValue } from './writer.js';

export type GgufArchitecture = 'phi3' | 'llama' | 'qwen2';

export class MetadataExportError extends Error {
  override name = 'MetadataExportError';
}

export interface ArchitecturePlan {
  arch: GgufArchitecture;
  metadata: Array<[string, GgufValue]>;
  /** F32 tensors computed from the RoPE settings. */
  ropeTensors: Array<{ name: string; values: number[] }>;
  /** phi3 keeps attn_qkv and ffn_up (gate then up) fused; the others get separate tensors. */
  fused: boolean;
  /** llama.cpp's llama architecture wants q and k rows in interleaved-pair RoPE order. */
  permuteQK: boolean;
}

/** llama.cpp's architecture name for ours (Mistral runs as llama). */
export function ggufArchitecture(spec: ModelSpec): GgufArchitecture {
  return spec.architecture === 'mistral' ? 'llama' : spec.architecture;
}

/** general.file_type for the codec of the 2-D tensors. */
export function fileTypeOf(codec: Codec): number {
  switch (codec) {
    case 'q8':
      return LlamaFileType.MOSTLY_Q8_0;
    case 'q4':
      return LlamaFileType.MOSTLY_Q4_0;
    case 'bf16':
      return LlamaFileType.MOSTLY_BF16;
    case 'f32':
      return LlamaFileType.ALL_F32;
    default:
      throw new MetadataExportError(`codec ${codec} has no GGUF file type`);
  }
}

/** The per-frequency divisors of llama3 RoPE scaling, as llama.cpp's rope_freqs.weight holds them. */
export function llama3RopeFactors(rope: ModelSpec['rope']): number[] {
  const dim = rope.dim;
  const factor = rope.factor ?? 8;
  const low = rope.low_freq_factor ?? 1;
  const high = rope.high_freq_factor ?? 4;
  const orig = rope.original_max_position_embeddings ?? 8192;
  const lowWavelen = orig / low;
  const highWavelen = orig / high;
  const out: number[] = [];
  for (let i = 0; i < dim; i += 2) {
    const freq = Math.fround(1 / Math.fround(rope.theta ** (i / dim)));
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highWavelen) out.push(1);
    else if (wavelen > lowWavelen) out.push(factor);
    else {
      const smooth = (orig / wavelen - low) / (high - low);
      out.push(1 / ((1 - smooth) / factor + smooth));
    }
  }
  return out;
}

function configJson(header: QinsHeader): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(header.files['config.json'] ?? '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The architecture keys and RoPE tensors; refuses settings llama.cpp's architecture cannot run. */
export function architecturePlan(header: QinsHeader, name: string): ArchitecturePlan {
  const spec = header.model;
  const arch = ggufArchitecture(spec);
  const rope = spec.rope;
  const k = (key: string): string => `${arch}.${key}`;
  const metadata: Array<[string, GgufValue]> = [
    ['general.architecture', gguf.str(arch)],
    ['general.name', gguf.str(name)],
    ['general.file_type', gguf.u32(fileTypeOf(header.codec))],
    ['general.quantization_version', gguf.u32(2)],
    [k('vocab_size'), gguf.u32(spec.vocab_size)],
    [k('context_length'), gguf.u32(spec.max_position_embeddings)],
    [k('embedding_length'), gguf.u32(spec.hidden_size)],
    [k('feed_forward_length'), gguf.u32(spec.intermediate_size)],
    [k('block_count'), gguf.u32(spec.num_layers)],
    [k('attention.head_count'), gguf.u32(spec.num_heads)],
    [k('attention.head_count_kv'), gguf.u32(spec.num_kv_heads)],
    [k('attention.layer_norm_rms_epsilon'), gguf.f32(spec.rms_norm_eps)],
    [k('rope.dimension_count'), gguf.u32(rope.dim)],
    [k('rope.freq_base'), gguf.f32(rope.theta)],
  ];
  if (spec.head_dim * spec.num_heads !== spec.hidden_size) {
    metadata.push([k('attention.key_length'), gguf.u32(spec.head_dim)]);
    metadata.push([k('attention.value_length'), gguf.u32(spec.head_dim)]);
  }
  const ropeTensors: ArchitecturePlan['ropeTensors'] = [];
  const refuse = (what: string): never => {
    throw new MetadataExportError(`${what} cannot be expressed for llama.cpp's ${arch} architecture`);
  };
  switch (rope.type) {
    case 'default':
      break;
    case 'linear':
      metadata.push([k('rope.scaling.type'), gguf.str('linear')]);
      metadata.push([k('rope.scaling.factor'), gguf.f32(rope.factor ?? 1)]);
      break;
    case 'llama3':
      if (arch !== 'llama') refuse('llama3 RoPE scaling');
      ropeTensors.push({ name: 'rope_freqs.weight', values: llama3RopeFactors(rope) });
      break;
    case 'longrope':
      if (arch !== 'phi3') refuse('longrope RoPE scaling');
      if (!rope.long_factor || !rope.short_factor || !rope.original_max_position_embeddings) refuse('longrope without its factors');
      metadata.push([k('rope.scaling.attn_factor'), gguf.f32(rope.attention_factor ?? 1)]);
      metadata.push([k('rope.scaling.original_context_length'), gguf.u32(rope.original_max_position_embeddings!)]);
      ropeTensors.push({ name: 'rope_factors_long.weight', values: rope.long_factor! });
      ropeTensors.push({ name: 'rope_factors_short.weight', values: rope.short_factor! });
      break;
  }
  if (arch === 'phi3') {
    const sw = configJson(header).sliding_window;
    metadata.push([k('attention.sliding_window'), gguf.u32(typeof sw === 'number' && Number.isInteger(sw) && sw > 0 ? sw : 0)]);
  }
  if (arch === 'llama' && rope.dim !== spec.head_dim) refuse(`partial rotary embeddings (${rope.dim} of ${spec.head_dim} dimensions)`);
  if (arch === 'qwen2' && rope.dim !== spec.head_dim) refuse(`partial rotary embeddings (${rope.dim} of ${spec.head_dim} dimensions)`);
  if (spec.qkv_bias && arch !== 'qwen2') refuse('q/k/v biases');
  return { arch, metadata, ropeTensors, fused: arch === 'phi3', permuteQK: arch === 'llama' };
}
