// Canonical decoder tensors (the names docs/qins-format.md defines: embed, layers.{i}.qkv, …)
// read from an HF checkpoint, with separate q/k/v and gate/up projections fused row-wise
// (q, k, v first to last; gate before up), so one graph layout serves every architecture.
import type { ModelSpec } from '../../core/qins-format.js';
import { SafetensorsError, type SafetensorsCheckpoint } from './safetensors.js';

export interface Matrix {
  /** Row-major [rows, cols]; rows are output features (HF layout). */
  data: Float32Array;
  rows: number;
  cols: number;
}

export class HfWeights {
  constructor(
    private readonly ckpt: SafetensorsCheckpoint,
    readonly spec: ModelSpec,
  ) {}

  private async matrix(name: string, rows: number, cols: number): Promise<Matrix> {
    const { data, shape } = await this.ckpt.read(name);
    if (shape.length !== 2 || shape[0] !== rows || shape[1] !== cols)
      throw new SafetensorsError(`tensor ${name} has shape [${shape.join(', ')}], expected [${rows}, ${cols}]`);
    return { data, rows, cols };
  }

  private async vector(name: string, n: number): Promise<Float32Array> {
    const { data, shape } = await this.ckpt.read(name);
    if (shape.length !== 1 || shape[0] !== n)
      throw new SafetensorsError(`tensor ${name} has shape [${shape.join(', ')}], expected [${n}]`);
    return data;
  }

  /** Row-wise concatenation of several [r_i, cols] tensors. */
  private async fused(names: string[], rows: number[], cols: number): Promise<Matrix> {
    const total = rows.reduce((a, b) => a + b, 0);
    const out = new Float32Array(total * cols);
    let at = 0;
    for (let i = 0; i < names.length; i++) {
      const m = await this.matrix(names[i] as string, rows[i] as number, cols);
      out.set(m.data, at);
      at += m.data.length;
    }
    return { data: out, rows: total, cols };
  }

  private get dims() {
    const s = this.spec;
    return { q: s.num_heads * s.head_dim, kv: s.num_kv_heads * s.head_dim, h: s.hidden_size, i: s.intermediate_size };
  }

  embed(): Promise<Matrix> {
    return this.matrix('model.embed_tokens.weight', this.spec.vocab_size, this.spec.hidden_size);
  }

  /** lm_head [vocab, hidden]; the embedding when the weights are tied (or lm_head is absent and tying is declared). */
  lmHead(): Promise<Matrix> {
    if (this.spec.tie_word_embeddings && !this.ckpt.has('lm_head.weight')) return this.embed();
    return this.matrix('lm_head.weight', this.spec.vocab_size, this.spec.hidden_size);
  }

  norm(): Promise<Float32Array> {
    return this.vector('model.norm.weight', this.spec.hidden_size);
  }

  attnNorm(l: number): Promise<Float32Array> {
    return this.vector(`model.layers.${l}.input_layernorm.weight`, this.spec.hidden_size);
  }

  mlpNorm(l: number): Promise<Float32Array> {
    return this.vector(`model.layers.${l}.post_attention_layernorm.weight`, this.spec.hidden_size);
  }

  qkv(l: number): Promise<Matrix> {
    const p = `model.layers.${l}.self_attn.`;
    const d = this.dims;
    if (this.ckpt.has(`${p}qkv_proj.weight`)) return this.matrix(`${p}qkv_proj.weight`, d.q + 2 * d.kv, d.h);
    return this.fused([`${p}q_proj.weight`, `${p}k_proj.weight`, `${p}v_proj.weight`], [d.q, d.kv, d.kv], d.h);
  }

  /** Fused q/k/v bias, or null when the model has none. */
  async qkvBias(l: number): Promise<Float32Array | null> {
    const p = `model.layers.${l}.self_attn.`;
    const d = this.dims;
    if (this.ckpt.has(`${p}qkv_proj.bias`)) return this.vector(`${p}qkv_proj.bias`, d.q + 2 * d.kv);
    if (!this.ckpt.has(`${p}q_proj.bias`)) {
      if (this.spec.qkv_bias) throw new SafetensorsError(`tensor ${p}q_proj.bias not found in the checkpoint`);
      return null;
    }
    const out = new Float32Array(d.q + 2 * d.kv);
    out.set(await this.vector(`${p}q_proj.bias`, d.q), 0);
    out.set(await this.vector(`${p}k_proj.bias`, d.kv), d.q);
    out.set(await this.vector(`${p}v_proj.bias`, d.kv), d.q + d.kv);
    return out;
  }

  o(l: number): Promise<Matrix> {
    const d = this.dims;
    return this.matrix(`model.layers.${l}.self_attn.o_proj.weight`, d.h, d.q);
  }

  /** o_proj bias (Llama with attention_bias), or null. */
  async oBias(l: number): Promise<Float32Array | null> {
    const name = `model.layers.${l}.self_attn.o_proj.bias`;
    return this.ckpt.has(name) ? this.vector(name, this.dims.h) : null;
  }

  gateUp(l: number): Promise<Matrix> {
    const p = `model.layers.${l}.mlp.`;
    const d = this.dims;
    if (this.ckpt.has(`${p}gate_up_proj.weight`)) return this.matrix(`${p}gate_up_proj.weight`, 2 * d.i, d.h);
    return this.fused([`${p}gate_proj.weight`, `${p}up_proj.weight`], [d.i, d.i], d.h);
  }

  down(l: number): Promise<Matrix> {
    const d = this.dims;
    return this.matrix(`model.layers.${l}.mlp.down_proj.weight`, d.h, d.i);
  }
}

/** [rows, cols] → [cols, rows] (cache-blocked). */
export function transpose(m: Matrix): Float32Array {
  const { data, rows, cols } = m;
  const out = new Float32Array(rows * cols);
  const B = 64;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) {
        const src = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = data[src + c] as number;
      }
    }
  }
  return out;
}
