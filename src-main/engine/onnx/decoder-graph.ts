// The decoder graph in ONNX Runtime GenAI's layout: inputs input_ids, attention_mask,
// position_ids, past_key_values.{i}.key/value; outputs logits, present.{i}.key/value.
//
// Ops: standard ONNX (opset 21) plus ONNX Runtime's CPU contrib ops
//   SimplifiedLayerNormalization / com.microsoft.SkipSimplifiedLayerNormalization (RMSNorm, fused residual add),
//   com.microsoft.RotaryEmbedding (rotate-half RoPE from cos/sin tables gathered by position_ids),
//   com.microsoft.GroupQueryAttention (causal GQA with the KV cache; in 'attention' rotary mode it
//   also applies RoPE, the layout of Microsoft's CPU folders, which have no position_ids input),
//   com.microsoft.MatMulNBits (optional int4 linear layers).
// RoPE tables are initializers computed like HF (see rope.ts). Longrope switches from the short to
// the long factors when the total sequence length exceeds original_max_position_embeddings (HF's
// rule): in 'op' mode one table holds short rows [0, orig) then long rows, and `orig` is added to the
// positions; in 'attention' mode an If node picks the table.
import type { ModelSpec } from '../format/qins-format.js';
import { DataType, float, GraphBuilder } from './graph-builder.js';
import { transpose, type CanonicalWeights, type Matrix } from './hf-weights.js';
import { quantizeInt4, type Int4Options } from './int4.js';
import { ropeTables } from './rope.js';

export const MS = 'com.microsoft';
export const OPSETS = { '': 21, [MS]: 1 };
export const IR_VERSION = 10;

export const names = {
  inputIds: 'input_ids',
  attentionMask: 'attention_mask',
  positionIds: 'position_ids',
  pastKey: (i: number) => `past_key_values.${i}.key`,
  pastValue: (i: number) => `past_key_values.${i}.value`,
  logits: 'logits',
  presentKey: (i: number) => `present.${i}.key`,
  presentValue: (i: number) => `present.${i}.value`,
} as const;

export interface DecoderOptions {
  /** Quantize the linear layers to int4 with MatMulNBits (null: FP32 MatMul). */
  int4: Int4Options | null;
  /** Rows of the RoPE tables, i.e. the longest context the graph supports. */
  maxPositions: number;
  /**
   * 'op': position_ids input and com.microsoft.RotaryEmbedding on q and k (our default).
   * 'attention': no position_ids; GroupQueryAttention rotates q/k itself (do_rotary), the layout of
   * Microsoft's published CPU int4 folders.
   */
  rotary: 'op' | 'attention';
  onTensor?: (name: string) => void;
}

/** Builds the whole decoder into `g`, streaming weights (one tensor in memory at a time). */
export async function buildDecoder(g: GraphBuilder, w: CanonicalWeights, o: DecoderOptions): Promise<void> {
  const s: ModelSpec = w.spec;
  const hd = s.head_dim;
  const F = DataType.FLOAT;
  const I64 = DataType.INT64;
  const done = (n: string) => o.onTensor?.(n);

  const ids = g.input(names.inputIds, I64, ['batch_size', 'sequence_length']);
  const mask = g.input(names.attentionMask, I64, ['batch_size', 'total_sequence_length']);
  const pos = o.rotary === 'op' ? g.input(names.positionIds, I64, ['batch_size', 'sequence_length']) : null;
  const kvDims = ['batch_size', s.num_kv_heads, 'past_sequence_length', hd];
  const presentDims = ['batch_size', s.num_kv_heads, 'total_sequence_length', hd];
  for (let i = 0; i < s.num_layers; i++) {
    g.input(names.pastKey(i), F, kvDims);
    g.input(names.pastValue(i), F, kvDims);
  }
  g.output(names.logits, F, ['batch_size', 'sequence_length', s.vocab_size]);
  for (let i = 0; i < s.num_layers; i++) {
    g.output(names.presentKey(i), F, presentDims);
    g.output(names.presentValue(i), F, presentDims);
  }

  // Attention bookkeeping from the mask, as GenAI models do: seqlens_k = sum(mask) - 1, total = mask width.
  const maskSum = g.op('ReduceSum', [mask, g.i64('axis1', [1])], 'mask/sum', { keepdims: 0 });
  const seqlensK = g.op('Cast', [g.op('Sub', [maskSum, g.i64('one', [1], [])], 'mask/sub1')], 'seqlens_k', {
    to: DataType.INT32,
  });
  const totalLen64 = g.op('Gather', [g.op('Shape', [mask], 'mask/shape'), g.i64('idx1', [1], [])], 'total_len', { axis: 0 });
  const totalLen = g.op('Cast', [totalLen64], 'total_sequence_length', { to: DataType.INT32 });

  // RoPE tables. 'op' mode: one table (longrope: short rows then long rows) indexed by position_ids
  // (+ orig when long) in RotaryEmbedding. 'attention' mode: GQA rotates by its own positions; for
  // longrope an If picks the short or long tables.
  const rope = s.rope;
  const half = rope.dim / 2;
  const orig = rope.original_max_position_embeddings ?? s.max_position_embeddings;
  const isLong = (): string =>
    g.op('Greater', [totalLen64, g.i64('orig', [orig], [])], 'rope/is_long');
  let ropePos = pos ?? '';
  let cosCache: string;
  let sinCache: string;
  if (rope.type === 'longrope' && o.rotary === 'op') {
    const short = ropeTables(rope, orig, false);
    const long = ropeTables(rope, o.maxPositions, true);
    const rows = orig + o.maxPositions;
    const cosT = new Float32Array(rows * half);
    const sinT = new Float32Array(rows * half);
    cosT.set(short.cos);
    cosT.set(long.cos, orig * half);
    sinT.set(short.sin);
    sinT.set(long.sin, orig * half);
    cosCache = await g.weight('cos_cache', F, [rows, half], cosT);
    sinCache = await g.weight('sin_cache', F, [rows, half], sinT);
    const offset = g.op('Mul', [g.op('Cast', [isLong()], 'rope/is_long_i64', { to: I64 }), g.i64('orig_rows', [orig], [])], 'rope/offset');
    ropePos = g.op('Add', [ropePos, offset], 'rope/positions');
  } else if (rope.type === 'longrope') {
    const short = ropeTables(rope, orig, false);
    const long = ropeTables(rope, o.maxPositions, true);
    const sc = await g.weight('cos_cache_short', F, [orig, half], short.cos);
    const ss = await g.weight('sin_cache_short', F, [orig, half], short.sin);
    const lc = await g.weight('cos_cache_long', F, [o.maxPositions, half], long.cos);
    const ls = await g.weight('sin_cache_long', F, [o.maxPositions, half], long.sin);
    const branch = (name: string, c: string, sn: string) => {
      const b = new GraphBuilder();
      b.node('Identity', [c], { name: `${name}/cos`, outputs: [`${name}/cos_out`] });
      b.node('Identity', [sn], { name: `${name}/sin`, outputs: [`${name}/sin_out`] });
      b.output(`${name}/cos_out`, F, ['rope_positions', half]);
      b.output(`${name}/sin_out`, F, ['rope_positions', half]);
      return b.graph(name);
    };
    [cosCache, sinCache] = g.node('If', [isLong()], {
      name: 'rope/select',
      outputs: ['cos_cache', 'sin_cache'],
      attrs: { then_branch: branch('rope_long', lc, ls), else_branch: branch('rope_short', sc, ss) },
    }) as [string, string];
  } else {
    const t = ropeTables(rope, o.maxPositions);
    cosCache = await g.weight('cos_cache', F, [o.maxPositions, half], t.cos);
    sinCache = await g.weight('sin_cache', F, [o.maxPositions, half], t.sin);
  }
  done('rope');

  const linear = async (
    x: string,
    m: Matrix,
    name: string,
    bias: Float32Array | null,
    quantize = o.int4 !== null,
  ): Promise<string> => {
    let y: string;
    if (o.int4 && quantize) {
      const q = quantizeInt4(m, o.int4.blockSize);
      const b = await g.weight(`${name}.qweight`, DataType.UINT8, [m.rows, q.blocksPerRow, q.blobBytes], q.packed);
      const sc = await g.weight(`${name}.scales`, F, [m.rows * q.blocksPerRow], q.scales);
      const zp = await g.weight(`${name}.qzeros`, DataType.UINT8, [q.zeroPoints.length], q.zeroPoints);
      y = g.op('MatMulNBits', [x, b, sc, zp], name, {
        K: m.cols,
        N: m.rows,
        bits: 4,
        block_size: o.int4.blockSize,
        accuracy_level: o.int4.accuracyLevel,
      }, MS);
    } else {
      const wt = await g.weight(`${name}.weight`, F, [m.cols, m.rows], transpose(m));
      y = g.op('MatMul', [x, wt], name);
    }
    if (bias) y = g.op('Add', [y, await g.weight(`${name}.bias`, F, [bias.length], bias)], `${name}/bias`);
    done(name);
    return y;
  };

  const embed = await w.embed();
  const embedW = await g.weight('embed_tokens.weight', F, [embed.rows, embed.cols], embed.data);
  done('embed');
  let residual = g.op('Gather', [embedW, ids], 'embed', { axis: 0 });
  let pending: string | null = null; // output still to be added to the residual stream

  const eps = float(s.rms_norm_eps);
  const rmsNorm = async (weight: Float32Array, name: string): Promise<string> => {
    const wName = await g.weight(`${name}.weight`, F, [weight.length], weight);
    if (pending === null) return g.op('SimplifiedLayerNormalization', [residual, wName], name, { axis: -1, epsilon: eps });
    const [out, , , sum] = g.node('SkipSimplifiedLayerNormalization', [residual, pending, wName], {
      name,
      outputs: [`${name}/out`, '', '', `${name}/residual`],
      attrs: { epsilon: eps },
      domain: MS,
    }) as [string, string, string, string];
    residual = sum;
    pending = null;
    return out;
  };

  const qDim = s.num_heads * hd;
  const kvDim = s.num_kv_heads * hd;
  const rotary = (x: string, heads: number, name: string): string =>
    g.op(
      'RotaryEmbedding',
      [x, ropePos, cosCache, sinCache],
      name,
      { interleaved: 0, num_heads: heads, ...(rope.dim < hd ? { rotary_embedding_dim: rope.dim } : {}) },
      MS,
    );

  for (let l = 0; l < s.num_layers; l++) {
    const p = `layers.${l}`;
    const h = await rmsNorm(await w.attnNorm(l), `${p}.attn_norm`);
    const qkv = await linear(h, await w.qkv(l), `${p}.attn.qkv_proj`, await w.qkvBias(l));
    const gqaAttrs = { num_heads: s.num_heads, kv_num_heads: s.num_kv_heads, scale: float(1 / Math.sqrt(hd)) };
    const past = [names.pastKey(l), names.pastValue(l), seqlensK, totalLen];
    let gqaInputs: string[];
    if (o.rotary === 'op') {
      const [q, k, v] = g.node('Split', [qkv, g.i64(`${p}/qkv_split`, [qDim, kvDim, kvDim])], {
        name: `${p}.attn.split`,
        outputs: 3,
        attrs: { axis: -1 },
      }) as [string, string, string];
      gqaInputs = [rotary(q, s.num_heads, `${p}.attn.q_rotary`), rotary(k, s.num_kv_heads, `${p}.attn.k_rotary`), v, ...past];
    } else {
      // packed QKV; GQA applies RoPE itself
      gqaInputs = [qkv, '', '', ...past, cosCache, sinCache];
    }
    const [attn] = g.node('GroupQueryAttention', gqaInputs, {
      name: `${p}.attn.gqa`,
      outputs: [`${p}.attn/out`, names.presentKey(l), names.presentValue(l)],
      attrs: o.rotary === 'op' ? gqaAttrs : { ...gqaAttrs, do_rotary: 1, rotary_interleaved: 0 },
      domain: MS,
    }) as [string];
    pending = await linear(attn, await w.o(l), `${p}.attn.o_proj`, null);
    const h2 = await rmsNorm(await w.mlpNorm(l), `${p}.mlp_norm`);
    const gu = await linear(h2, await w.gateUp(l), `${p}.mlp.gate_up_proj`, null);
    const [gate, up] = g.node('Split', [gu, g.i64(`${p}/gu_split`, [s.intermediate_size, s.intermediate_size])], {
      name: `${p}.mlp.split`,
      outputs: 2,
      attrs: { axis: -1 },
    }) as [string, string];
    const silu = g.op('Mul', [gate, g.op('Sigmoid', [gate], `${p}.mlp.sigmoid`)], `${p}.mlp.silu`);
    const act = g.op('Mul', [silu, up], `${p}.mlp.act`);
    pending = await linear(act, await w.down(l), `${p}.mlp.down_proj`, null);
  }

  const final = await rmsNorm(await w.norm(), 'norm');
  const lm = await w.lmHead();
  const logits = await linear(final, lm, 'lm_head', null, o.int4?.lmHead ?? false);
  g.node('Identity', [logits], { name: 'logits/identity', outputs: [names.logits] });
}
