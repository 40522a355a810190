#!/usr/bin/env node
// Writes a Phi-3.5-mini-instruct-shaped bf16 checkpoint for converter benchmarks:
//   node tests/bench/make-synthetic-checkpoint.mjs <out-dir> [--layers N] [--seed S]
// Same config, tensor names, shapes and dtype as microsoft/Phi-3.5-mini-instruct (32 layers,
// hidden 3072, 32 heads, intermediate 8192, vocab 32064, untied lm_head, longrope), two shards +
// model.safetensors.index.json, random normal weights (std 0.02; norms 1.0), and the tokenizer /
// generation files of the tiny-phi3-chat fixture. 7.64 GB with all 32 layers: write it to a
// scratch disk (e.g. /tmp), never into the repository. --layers makes a smaller model of the
// same width for quick runs.
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const out = args.find((a) => !a.startsWith('--'));
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
if (!out) {
  process.stderr.write('usage: make-synthetic-checkpoint.mjs <out-dir> [--layers 32] [--seed 1]\n');
  process.exit(2);
}
const LAYERS = flag('layers', 32);
const seed = flag('seed', 1) >>> 0;
const tinyDir = resolve(process.env.QINS_FIXTURES ?? join(here, '..', '..', '..', 'shared', 'fixtures'), 'tiny-phi3-chat');

// Phi-3.5-mini-instruct's config.json. The longrope factors are the published 48-entry lists
// (head_dim 96 → 48 rotary frequencies).
const shortFactor = [
  1.0, 1.0199999809265137, 1.0299999713897705, 1.0299999713897705, 1.0499999523162842, 1.0499999523162842, 1.0499999523162842,
  1.0499999523162842, 1.0499999523162842, 1.0699999332427979, 1.0999999046325684, 1.1099998950958252, 1.1599998474121094,
  1.1599998474121094, 1.1699998378753662, 1.2899998426437378, 1.339999794960022, 1.679999828338623, 1.7899998426437378,
  1.8199998140335083, 1.8499997854232788, 1.8799997568130493, 1.9099997282028198, 1.9399996995925903, 1.9899996519088745,
  2.0199997425079346, 2.0199997425079346, 2.0199997425079346, 2.0199997425079346, 2.0199997425079346, 2.0199997425079346,
  2.0299997329711914, 2.0299997329711914, 2.0299997329711914, 2.0299997329711914, 2.0299997329711914, 2.0299997329711914,
  2.0299997329711914, 2.0299997329711914, 2.0299997329711914, 2.0799996852874756, 2.0899996757507324, 2.189999580383301,
  2.2199995517730713, 2.5899994373321533, 2.729999542236328, 2.749999523162842, 2.8399994373321533,
];
const longFactor = [
  1.0800000429153442, 1.1100000143051147, 1.1399999856948853, 1.340000033378601, 1.5899999141693115, 1.600000023841858,
  1.6200000047683716, 2.620000123977661, 3.2300000190734863, 3.2300000190734863, 4.789999961853027, 7.400000095367432,
  7.700000286102295, 9.09000015258789, 12.199999809265137, 17.670000076293945, 24.46000099182129, 28.57000160217285,
  30.420001983642578, 30.840002059936523, 32.590003967285156, 32.93000411987305, 42.320003509521484, 44.96000289916992,
  50.340003967285156, 50.45000457763672, 57.55000305175781, 57.93000411987305, 58.21000289916992, 60.1400032043457,
  62.61000442504883, 62.62000274658203, 62.71000289916992, 63.1400032043457, 63.1400032043457, 63.77000427246094,
  63.93000411987305, 63.96000289916992, 63.97000503540039, 64.02999877929688, 64.06999969482422, 64.08000183105469,
  // eslint-disable-next-line no-loss-of-precision -- written exactly as in the published config.json
  64.12000274658203, 64.41000366210938, 64.4800033569336, 64.51000213623047, 64.52999877929688, 64.83999633789062,
];
const config = {
  _name_or_path: 'Phi-3.5-mini-instruct',
  architectures: ['Phi3ForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 1,
  embd_pdrop: 0.0,
  eos_token_id: 32000,
  hidden_act: 'silu',
  hidden_size: 3072,
  initializer_range: 0.02,
  intermediate_size: 8192,
  max_position_embeddings: 131072,
  model_type: 'phi3',
  num_attention_heads: 32,
  num_hidden_layers: LAYERS,
  num_key_value_heads: 32,
  original_max_position_embeddings: 4096,
  pad_token_id: 32000,
  resid_pdrop: 0.0,
  rms_norm_eps: 1e-5,
  rope_scaling: { long_factor: longFactor, short_factor: shortFactor, type: 'longrope' },
  rope_theta: 10000.0,
  sliding_window: 262144,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
  transformers_version: '4.43.3',
  use_cache: true,
  vocab_size: 32064,
};
const H = config.hidden_size;
const I = config.intermediate_size;
const V = config.vocab_size;

/** [name, shape] in the order the real checkpoint stores them (embeddings, layers, norm, lm_head). */
const tensors = [['model.embed_tokens.weight', [V, H]]];
for (let i = 0; i < LAYERS; i++) {
  const p = `model.layers.${i}.`;
  tensors.push(
    [`${p}input_layernorm.weight`, [H]],
    [`${p}mlp.down_proj.weight`, [H, I]],
    [`${p}mlp.gate_up_proj.weight`, [2 * I, H]],
    [`${p}post_attention_layernorm.weight`, [H]],
    [`${p}self_attn.o_proj.weight`, [H, H]],
    [`${p}self_attn.qkv_proj.weight`, [3 * H, H]],
  );
}
tensors.push(['model.norm.weight', [H]], ['lm_head.weight', [V, H]]);

// Two shards like the published checkpoint: the first ends after the tensor that crosses 4.97 GB.
const bytesOf = (shape) => shape.reduce((a, d) => a * d, 1) * 2;
const total = tensors.reduce((a, [, s]) => a + bytesOf(s), 0);
const firstLimit = Math.min(4_972_489_328, Math.ceil(total * 0.65));
const shards = [[], []];
let acc = 0;
for (const t of tensors) {
  shards[acc < firstLimit ? 0 : 1].push(t);
  acc += bytesOf(t[1]);
}

// xoshiro128** (period 2^128 − 1, seeded by splitmix32) → Box–Muller normals, rounded to bf16.
function splitmix32(x) {
  return () => {
    x = (x + 0x9e3779b9) | 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}
const sm = splitmix32(seed);
let xa = sm(), xb = sm(), xc = sm(), xd = sm();
function rand() {
  const t = xb << 9;
  let r = Math.imul(xb, 5);
  r = Math.imul((r << 7) | (r >>> 25), 9);
  xc ^= xa;
  xd ^= xb;
  xb ^= xc;
  xa ^= xd;
  xc ^= t;
  xd = (xd << 11) | (xd >>> 21);
  return ((r >>> 0) + 0.5) / 4294967296;
}
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const toBf16 = (v) => {
  f32[0] = v;
  const u = u32[0];
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
};
// Normal values through a table: 2^22 |N(0, std)| values in bf16 (Box–Muller), each weight one of
// them picked by 22 random bits, with a random sign — as random as the generator, ~10× faster.
const POOL_BITS = 22;
const pools = new Map();
function pool(std) {
  let p = pools.get(std);
  if (!p) {
    p = new Uint16Array(1 << POOL_BITS);
    for (let i = 0; i < p.length; i++) p[i] = toBf16(Math.abs(Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand()) * std));
    pools.set(std, p);
  }
  return p;
}
function fillNormal(u16, std) {
  const p = pool(std);
  const mask = (1 << POOL_BITS) - 1;
  for (let i = 0; i < u16.length; i++) {
    const r = (rand() * 4294967296) >>> 0;
    u16[i] = p[r & mask] | ((r >>> 31) << 15);
  }
}

mkdirSync(out, { recursive: true });
if (existsSync(join(out, 'config.json'))) process.stderr.write(`note: overwriting the checkpoint in ${out}\n`);
const CHUNK = 8 << 20; // values per write
const buf = new Uint16Array(CHUNK);
const weightMap = {};
const names = shards.map((_, i) => `model-0000${i + 1}-of-00002.safetensors`);
const t0 = Date.now();
let written = 0;
shards.forEach((list, si) => {
  const header = {};
  let off = 0;
  for (const [name, shape] of list) {
    header[name] = { dtype: 'BF16', shape, data_offsets: [off, off + bytesOf(shape)] };
    off += bytesOf(shape);
    weightMap[name] = names[si];
  }
  header.__metadata__ = { format: 'pt' };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const fd = openSync(join(out, names[si]), 'w');
  const pre = Buffer.alloc(8);
  pre.writeBigUInt64LE(BigInt(json.length));
  writeSync(fd, pre);
  writeSync(fd, Buffer.from(json));
  for (const [name, shape] of list) {
    const n = shape.reduce((a, d) => a * d, 1);
    const norm = shape.length === 1;
    for (let done = 0; done < n; done += CHUNK) {
      const m = Math.min(CHUNK, n - done);
      const view = buf.subarray(0, m);
      if (norm) view.fill(toBf16(1.0));
      else fillNormal(view, 0.02);
      writeSync(fd, new Uint8Array(view.buffer, 0, m * 2));
      written += m * 2;
    }
    process.stderr.write(`\r${names[si]}: ${name} (${(written / 1e9).toFixed(2)} / ${(total / 1e9).toFixed(2)} GB)\x1b[K`);
  }
  closeSync(fd);
});
process.stderr.write('\n');
writeFileSync(join(out, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
writeFileSync(join(out, 'model.safetensors.index.json'), `${JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2)}\n`);
writeFileSync(
  join(out, 'generation_config.json'),
  `${JSON.stringify({ _from_model_config: true, bos_token_id: 1, eos_token_id: [32007, 32001, 32000], pad_token_id: 32000 }, null, 2)}\n`,
);
for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) copyFileSync(join(tinyDir, f), join(out, f));
process.stderr.write(`wrote ${out}: ${(total / 1e9).toFixed(2)} GB of bf16 weights in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
