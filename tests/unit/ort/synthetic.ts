// Small random HF checkpoints (config.json + model.safetensors) for exercising the exporter on
// architectures and RoPE variants the fixtures do not cover, plus a float64 reference forward
// pass (the math of /work/shared/tools/reference_forward.py) to compare the ONNX graph against.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES as fixtures } from '../helpers/fixtures.js';

export interface SyntheticOptions {
  modelType: 'phi3' | 'llama' | 'mistral' | 'qwen2';
  hidden?: number;
  layers?: number;
  heads?: number;
  kvHeads?: number;
  headDim?: number;
  inter?: number;
  vocab?: number;
  /** Fused qkv_proj / gate_up_proj (Phi-3 naming) instead of separate projections. */
  fused?: boolean;
  tied?: boolean;
  qkvBias?: boolean;
  dtype?: 'F32' | 'F16' | 'BF16';
  ropeScaling?: Record<string, unknown> | null;
  partialRotaryFactor?: number;
  maxPositions?: number;
  originalMaxPositions?: number;
  seed?: number;
}

export interface Synthetic {
  dir: string;
  config: Record<string, unknown>;
  /** HF tensors as float32 (already rounded to the stored dtype). */
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 4294967296) * 2 - 1;
  };
}

const f32ToBf16 = (x: number): number => {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0] as number;
  return ((u + 0x7fff + ((u >> 16) & 1)) >>> 16) & 0xffff;
};
const bf16ToF32 = (h: number): number => new Float32Array(new Uint32Array([h << 16]).buffer)[0] as number;
function f32ToF16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0] as number;
  const sign = (u >>> 16) & 0x8000;
  const e = ((u >>> 23) & 0xff) - 127 + 15;
  let m = u & 0x7fffff;
  if (e <= 0) {
    if (e < -10) return sign;
    m = (m | 0x800000) >> (1 - e);
    return sign | ((m + 0x1000) >> 13);
  }
  if (e >= 31) return sign | 0x7c00;
  const r = sign | (e << 10) | (m >> 13);
  return m & 0x1000 ? r + 1 : r;
}
function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  return e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
}

export function writeSynthetic(root: string, o: SyntheticOptions): Synthetic {
  const H = o.hidden ?? 64;
  const L = o.layers ?? 2;
  const NH = o.heads ?? 4;
  const KV = o.kvHeads ?? 2;
  const HD = o.headDim ?? H / NH;
  const I = o.inter ?? 96;
  const V = o.vocab ?? 300;
  const dtype = o.dtype ?? 'F32';
  const rand = rng(o.seed ?? 7);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  const add = (name: string, shape: number[], scale: number, offset = 0) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const v = offset + rand() * scale;
      data[i] = dtype === 'BF16' ? bf16ToF32(f32ToBf16(v)) : dtype === 'F16' ? f16ToF32(f32ToF16(v)) : v;
    }
    tensors.set(name, { shape, data });
  };
  const w = 1 / Math.sqrt(H);
  add('model.embed_tokens.weight', [V, H], 1);
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}.`;
    add(`${p}input_layernorm.weight`, [H], 0.2, 1);
    add(`${p}post_attention_layernorm.weight`, [H], 0.2, 1);
    if (o.fused) {
      add(`${p}self_attn.qkv_proj.weight`, [(NH + 2 * KV) * HD, H], w * 2);
      add(`${p}mlp.gate_up_proj.weight`, [2 * I, H], w);
    } else {
      add(`${p}self_attn.q_proj.weight`, [NH * HD, H], w * 2);
      add(`${p}self_attn.k_proj.weight`, [KV * HD, H], w * 2);
      add(`${p}self_attn.v_proj.weight`, [KV * HD, H], w);
      add(`${p}mlp.gate_proj.weight`, [I, H], w);
      add(`${p}mlp.up_proj.weight`, [I, H], w);
    }
    if (o.qkvBias) {
      add(`${p}self_attn.q_proj.bias`, [NH * HD], 0.3);
      add(`${p}self_attn.k_proj.bias`, [KV * HD], 0.3);
      add(`${p}self_attn.v_proj.bias`, [KV * HD], 0.3);
    }
    add(`${p}self_attn.o_proj.weight`, [H, NH * HD], 1 / Math.sqrt(NH * HD));
    add(`${p}mlp.down_proj.weight`, [H, I], 1 / Math.sqrt(I));
  }
  add('model.norm.weight', [H], 0.2, 1);
  if (!o.tied) add('lm_head.weight', [V, H], w * 3);

  mkdirSync(root, { recursive: true });
  const config: Record<string, unknown> = {
    architectures: [`${o.modelType}ForCausalLM`],
    model_type: o.modelType,
    hidden_size: H,
    intermediate_size: I,
    num_hidden_layers: L,
    num_attention_heads: NH,
    num_key_value_heads: KV,
    ...(o.headDim ? { head_dim: HD } : {}),
    vocab_size: V,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    max_position_embeddings: o.maxPositions ?? 256,
    ...(o.originalMaxPositions ? { original_max_position_embeddings: o.originalMaxPositions } : {}),
    ...(o.partialRotaryFactor ? { partial_rotary_factor: o.partialRotaryFactor } : {}),
    rope_scaling: o.ropeScaling ?? null,
    tie_word_embeddings: o.tied === true,
    bos_token_id: 1,
    eos_token_id: 2,
  };
  writeFileSync(join(root, 'config.json'), JSON.stringify(config));
  writeFileSync(join(root, 'generation_config.json'), JSON.stringify({ bos_token_id: 1, eos_token_id: [2, 3] }));
  // any tokenizer will do for graph tests; the checkpoint reader requires one
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(fixtures, 'tiny-llama-chat', f), join(root, f));

  // safetensors: u64 header length, JSON header, data
  const header: Record<string, unknown> = {};
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    let bytes: Buffer;
    if (dtype === 'F32') bytes = Buffer.from(t.data.buffer.slice(0));
    else {
      const u = new Uint16Array(t.data.length);
      for (let i = 0; i < u.length; i++) u[i] = dtype === 'BF16' ? f32ToBf16(t.data[i] as number) : f32ToF16(t.data[i] as number);
      bytes = Buffer.from(u.buffer);
    }
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(join(root, 'model.safetensors'), Buffer.concat([len, json, ...chunks]));
  return { dir: root, config, tensors };
}

// ---- float64 reference forward (full recompute, no cache) ----

function matT(x: Float64Array[], w: Float32Array, rows: number, cols: number): Float64Array[] {
  return x.map((v) => {
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += (v[c] as number) * (w[r * cols + c] as number);
      out[r] = s;
    }
    return out;
  });
}

/** Logits [T][V] for `ids`, computed as HF does but in float64. `override` replaces HF tensors (e.g. dequantized). */
export function referenceForward(
  syn: Synthetic,
  ids: number[],
  override: Map<string, Float32Array> = new Map(),
): Float64Array[] {
  const cfg = syn.config as Record<string, number & unknown> & Record<string, unknown>;
  const get = (n: string): Float32Array => {
    const o = override.get(n);
    if (o) return o;
    const t = syn.tensors.get(n);
    if (!t) throw new Error(`missing ${n}`);
    return t.data;
  };
  const has = (n: string) => syn.tensors.has(n);
  const H = cfg.hidden_size as number;
  const NH = cfg.num_attention_heads as number;
  const KV = cfg.num_key_value_heads as number;
  const HD = (cfg.head_dim as number | undefined) ?? H / NH;
  const I = cfg.intermediate_size as number;
  const V = cfg.vocab_size as number;
  const eps = cfg.rms_norm_eps as number;
  const T = ids.length;
  const rd = Math.round(HD * ((cfg.partial_rotary_factor as number | undefined) ?? 1));
  // inv_freq (reference_forward.py's rope_inv_freq)
  const theta = cfg.rope_theta as number;
  const base = Array.from({ length: rd / 2 }, (_, i) => theta ** ((2 * i) / rd));
  const rs = (cfg.rope_scaling ?? {}) as Record<string, unknown>;
  const type = (rs.rope_type ?? rs.type) as string | undefined;
  let inv = base.map((b) => 1 / b);
  let att = 1;
  if (type === 'longrope') {
    const orig = cfg.original_max_position_embeddings as number;
    const f = (T > orig ? rs.long_factor : rs.short_factor) as number[];
    inv = base.map((b, i) => 1 / ((f[i] as number) * b));
    const factor = (cfg.max_position_embeddings as number) / orig;
    att = factor > 1 ? Math.sqrt(1 + Math.log(factor) / Math.log(orig)) : 1;
  } else if (type === 'linear') {
    inv = inv.map((v) => v / (rs.factor as number));
  } else if (type === 'llama3') {
    const fac = rs.factor as number;
    const lo = rs.low_freq_factor as number;
    const hi = rs.high_freq_factor as number;
    const orig = rs.original_max_position_embeddings as number;
    inv = inv.map((v) => {
      const wl = (2 * Math.PI) / v;
      if (wl > orig / lo) return v / fac;
      if (wl < orig / hi) return v;
      const sm = (orig / wl - lo) / (hi - lo);
      return ((1 - sm) * v) / fac + sm * v;
    });
  }
  const rope = (x: Float64Array, heads: number, t: number) => {
    for (let h = 0; h < heads; h++) {
      const o = h * HD;
      const half = rd / 2;
      for (let i = 0; i < half; i++) {
        const a = t * (inv[i] as number);
        const c = Math.cos(a) * att;
        const s = Math.sin(a) * att;
        const x1 = x[o + i] as number;
        const x2 = x[o + i + half] as number;
        x[o + i] = x1 * c - x2 * s;
        x[o + i + half] = x2 * c + x1 * s;
      }
    }
  };
  const rms = (x: Float64Array[], w: Float32Array) =>
    x.map((v) => {
      let ss = 0;
      for (const e of v) ss += e * e;
      const r = 1 / Math.sqrt(ss / v.length + eps);
      return v.map((e, i) => e * r * (w[i] as number));
    });
  const emb = get('model.embed_tokens.weight');
  let x = ids.map((id) => Float64Array.from(emb.subarray(id * H, (id + 1) * H)));
  for (let l = 0; l < (cfg.num_hidden_layers as number); l++) {
    const p = `model.layers.${l}.`;
    const h = rms(x, get(`${p}input_layernorm.weight`));
    let q: Float64Array[], k: Float64Array[], v: Float64Array[];
    if (has(`${p}self_attn.qkv_proj.weight`)) {
      const qkv = matT(h, get(`${p}self_attn.qkv_proj.weight`), (NH + 2 * KV) * HD, H);
      q = qkv.map((r) => r.slice(0, NH * HD));
      k = qkv.map((r) => r.slice(NH * HD, (NH + KV) * HD));
      v = qkv.map((r) => r.slice((NH + KV) * HD));
    } else {
      q = matT(h, get(`${p}self_attn.q_proj.weight`), NH * HD, H);
      k = matT(h, get(`${p}self_attn.k_proj.weight`), KV * HD, H);
      v = matT(h, get(`${p}self_attn.v_proj.weight`), KV * HD, H);
    }
    if (has(`${p}self_attn.q_proj.bias`)) {
      const add = (m: Float64Array[], b: Float32Array) => m.forEach((r) => r.forEach((e, i) => (r[i] = e + (b[i] as number))));
      add(q, get(`${p}self_attn.q_proj.bias`));
      add(k, get(`${p}self_attn.k_proj.bias`));
      add(v, get(`${p}self_attn.v_proj.bias`));
    }
    q.forEach((r, t) => rope(r, NH, t));
    k.forEach((r, t) => rope(r, KV, t));
    const rep = NH / KV;
    const o = Array.from({ length: T }, () => new Float64Array(NH * HD));
    for (let hh = 0; hh < NH; hh++) {
      const kh = Math.floor(hh / rep);
      for (let t = 0; t < T; t++) {
        const sc = new Float64Array(t + 1);
        let mx = -Infinity;
        for (let u = 0; u <= t; u++) {
          let d = 0;
          for (let i = 0; i < HD; i++) d += (q[t]![hh * HD + i] as number) * (k[u]![kh * HD + i] as number);
          sc[u] = d / Math.sqrt(HD);
          mx = Math.max(mx, sc[u] as number);
        }
        let sum = 0;
        for (let u = 0; u <= t; u++) sum += sc[u] = Math.exp((sc[u] as number) - mx);
        const ot = o[t] as Float64Array;
        for (let u = 0; u <= t; u++)
          for (let i = 0; i < HD; i++) ot[hh * HD + i] = (ot[hh * HD + i] as number) + ((sc[u] as number) / sum) * (v[u]![kh * HD + i] as number);
      }
    }
    const ao = matT(o, get(`${p}self_attn.o_proj.weight`), H, NH * HD);
    x = x.map((r, t) => r.map((e, i) => e + (ao[t]![i] as number)));
    const h2 = rms(x, get(`${p}post_attention_layernorm.weight`));
    let g: Float64Array[], u: Float64Array[];
    if (has(`${p}mlp.gate_up_proj.weight`)) {
      const gu = matT(h2, get(`${p}mlp.gate_up_proj.weight`), 2 * I, H);
      g = gu.map((r) => r.slice(0, I));
      u = gu.map((r) => r.slice(I));
    } else {
      g = matT(h2, get(`${p}mlp.gate_proj.weight`), I, H);
      u = matT(h2, get(`${p}mlp.up_proj.weight`), I, H);
    }
    const act = g.map((r, t) => r.map((e, i) => (e / (1 + Math.exp(-e))) * (u[t]![i] as number)));
    const d = matT(act, get(`${p}mlp.down_proj.weight`), H, I);
    x = x.map((r, t) => r.map((e, i) => e + (d[t]![i] as number)));
  }
  const xf = rms(x, get('model.norm.weight'));
  return matT(xf, has('lm_head.weight') || override.has('lm_head.weight') ? get('lm_head.weight') : emb, V, H);
}

export const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};
