// genai_config.json, the model description ONNX Runtime GenAI folders carry next to the decoder
// (Microsoft's published *-onnx models and our exports): written for our exports, parsed for any.
import { z } from 'zod';
import type { ModelSpec } from '../format/qins-format.js';
import { names } from './decoder-graph.js';

const IdOrIds = z.union([z.number().int(), z.array(z.number().int())]);

export const GenaiConfig = z.object({
  model: z.looseObject({
    type: z.string(),
    context_length: z.number().int().positive(),
    vocab_size: z.number().int().positive(),
    bos_token_id: z.number().int().optional(),
    eos_token_id: IdOrIds,
    pad_token_id: z.number().int().optional(),
    decoder: z.looseObject({
      filename: z.string().min(1),
      head_size: z.number().int().positive(),
      hidden_size: z.number().int().positive(),
      num_attention_heads: z.number().int().positive(),
      num_hidden_layers: z.number().int().positive(),
      num_key_value_heads: z.number().int().positive(),
      inputs: z
        .looseObject({
          input_ids: z.string().default(names.inputIds),
          attention_mask: z.string().optional(),
          position_ids: z.string().optional(),
          past_key_names: z.string().default('past_key_values.%d.key'),
          past_value_names: z.string().default('past_key_values.%d.value'),
        })
        .prefault({}),
      outputs: z
        .looseObject({
          logits: z.string().default(names.logits),
          present_key_names: z.string().default('present.%d.key'),
          present_value_names: z.string().default('present.%d.value'),
        })
        .prefault({}),
      session_options: z.looseObject({}).optional(),
    }),
  }),
  search: z.looseObject({}).optional(),
});
export type GenaiConfig = z.infer<typeof GenaiConfig>;

/** `past_key_values.%d.key` → `past_key_values.3.key` */
export const layerName = (pattern: string, i: number): string => pattern.replace('%d', String(i));

export function genaiConfigFor(
  spec: ModelSpec,
  filename: string,
  contextLength: number,
  opts: { padTokenId?: number | undefined; positionIds: boolean },
): GenaiConfig {
  const padTokenId = opts.padTokenId;
  return {
    model: {
      type: spec.architecture,
      context_length: contextLength,
      vocab_size: spec.vocab_size,
      ...(spec.bos_token_id !== null ? { bos_token_id: spec.bos_token_id } : {}),
      eos_token_id: spec.eos_token_ids.length === 1 ? (spec.eos_token_ids[0] as number) : spec.eos_token_ids,
      ...(padTokenId !== undefined ? { pad_token_id: padTokenId } : {}),
      decoder: {
        session_options: { log_id: 'onnxruntime-genai', provider_options: [] },
        filename,
        head_size: spec.head_dim,
        hidden_size: spec.hidden_size,
        num_attention_heads: spec.num_heads,
        num_hidden_layers: spec.num_layers,
        num_key_value_heads: spec.num_kv_heads,
        inputs: {
          input_ids: names.inputIds,
          attention_mask: names.attentionMask,
          ...(opts.positionIds ? { position_ids: names.positionIds } : {}),
          past_key_names: 'past_key_values.%d.key',
          past_value_names: 'past_key_values.%d.value',
        },
        outputs: {
          logits: names.logits,
          present_key_names: 'present.%d.key',
          present_value_names: 'present.%d.value',
        },
      },
    },
    search: {
      diversity_penalty: 0,
      do_sample: false,
      early_stopping: true,
      length_penalty: 1,
      max_length: contextLength,
      min_length: 0,
      no_repeat_ngram_size: 0,
      num_beams: 1,
      num_return_sequences: 1,
      past_present_share_buffer: false,
      repetition_penalty: 1,
      temperature: 1,
      top_k: 1,
      top_p: 1,
    },
  };
}
