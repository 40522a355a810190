// One ONNX Runtime session over a GenAI-layout decoder, holding the KV cache between calls.
// forward(tokens, pos) feeds input_ids / attention_mask / position_ids (when the graph has them)
// and past_key_values.* of length pos; the present.* outputs become the cache. Runs on whatever
// thread constructs it (the ORT backend puts it in a worker, because onnxruntime-node's run() is
// synchronous under its promise).
// The cache grows by concatenation (GQA copies past into present each step). Sharing one
// preallocated buffer between past and present (GenAI's past_present_share_buffer) also works with
// these graphs but measured slower through onnxruntime-node: each run then costs time proportional
// to the whole buffer, not to the tokens cached.
import * as ort from 'onnxruntime-node';
import { layerName } from './genai-config.js';
import type { OrtModelDir } from './model-dir.js';

export interface DecoderSessionOptions {
  /** Intra-op threads (default: ORT's choice, the physical core count). */
  threads?: number;
  /** Positions the KV cache may hold (default and maximum: the folder's context_length). */
  contextLength?: number;
  /**
   * Let ORT's idle intra-op threads spin (ORT's own default). Off by default here: on a busy
   * machine spinning threads steal the cores the work needs (measured: decode 2–6× slower under
   * load on 2 cores), and a desktop app should not burn idle CPU.
   */
  spinning?: boolean;
}

type KvType = 'float32' | 'float16';
type KvData = Float32Array | Uint16Array;

let halfToFloat: Float32Array | null = null;
function f16ToF32(src: Uint16Array): Float32Array {
  if (!halfToFloat) {
    halfToFloat = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const s = h & 0x8000 ? -1 : 1;
      const e = (h >> 10) & 0x1f;
      const m = h & 0x3ff;
      halfToFloat[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
    }
  }
  const t = halfToFloat;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = t[src[i] as number] as number;
  return out;
}

export class DecoderSession {
  private keys: ort.Tensor[] = [];
  private values: ort.Tensor[] = [];
  private length = 0;
  private readonly layers: number;
  private readonly kvHeads: number;
  private readonly headDim: number;
  private readonly kvType: KvType;
  readonly capacity: number;
  private readonly io: {
    inputIds: string;
    mask: string | null;
    positions: string | null;
    pastKey: string[];
    pastValue: string[];
    logits: string;
    presentKey: string[];
    presentValue: string[];
  };

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly model: OrtModelDir,
    opts: DecoderSessionOptions,
  ) {
    const d = model.genai.model.decoder;
    this.capacity = Math.min(opts.contextLength ?? model.contextLength, model.contextLength);
    if (!Number.isInteger(this.capacity) || this.capacity < 1) throw new Error(`invalid context length ${opts.contextLength}`);
    this.layers = d.num_hidden_layers;
    this.kvHeads = d.num_key_value_heads;
    this.headDim = d.head_size;
    const inputs = new Set(session.inputNames);
    const outputs = new Set(session.outputNames);
    const range = Array.from({ length: this.layers }, (_, i) => i);
    const maskName = d.inputs.attention_mask ?? 'attention_mask';
    const posName = d.inputs.position_ids ?? 'position_ids';
    this.io = {
      inputIds: d.inputs.input_ids,
      mask: inputs.has(maskName) ? maskName : null,
      positions: inputs.has(posName) ? posName : null,
      pastKey: range.map((i) => layerName(d.inputs.past_key_names, i)),
      pastValue: range.map((i) => layerName(d.inputs.past_value_names, i)),
      logits: d.outputs.logits,
      presentKey: range.map((i) => layerName(d.outputs.present_key_names, i)),
      presentValue: range.map((i) => layerName(d.outputs.present_value_names, i)),
    };
    const needIn = [this.io.inputIds, ...this.io.pastKey, ...this.io.pastValue];
    const needOut = [this.io.logits, ...this.io.presentKey, ...this.io.presentValue];
    const missing = [...needIn.filter((n) => !inputs.has(n)), ...needOut.filter((n) => !outputs.has(n))];
    if (missing.length) throw new Error(`${model.modelPath}: the graph lacks ${missing.slice(0, 3).join(', ')}`);
    const known = new Set([...needIn, this.io.mask, this.io.positions]);
    const extra = session.inputNames.filter((n) => !known.has(n));
    if (extra.length) throw new Error(`${model.modelPath}: unsupported graph input ${extra[0]}`);
    const meta = session.inputMetadata.find((m) => m.name === this.io.pastKey[0]);
    const t = meta && meta.isTensor ? meta.type : 'float32';
    if (t !== 'float32' && t !== 'float16') throw new Error(`${model.modelPath}: unsupported KV cache type ${t}`);
    this.kvType = t;
    this.reset();
  }

  static async create(model: OrtModelDir, opts: DecoderSessionOptions = {}): Promise<DecoderSession> {
    const session = await ort.InferenceSession.create(model.modelPath, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
      logSeverityLevel: 3,
      extra: { session: { intra_op: { allow_spinning: opts.spinning ? '1' : '0' } } },
    });
    return new DecoderSession(session, model, opts);
  }

  private empty(): ort.Tensor {
    const data = this.kvType === 'float32' ? new Float32Array(0) : new Uint16Array(0);
    return new ort.Tensor(this.kvType, data, [1, this.kvHeads, 0, this.headDim]);
  }

  reset(): void {
    this.keys = Array.from({ length: this.layers }, () => this.empty());
    this.values = Array.from({ length: this.layers }, () => this.empty());
    this.length = 0;
  }

  /** Tokens currently in the KV cache. */
  get cached(): number {
    return this.length;
  }

  kvBytes(): number {
    return 2 * this.layers * this.kvHeads * this.length * this.headDim * (this.kvType === 'float32' ? 4 : 2);
  }

  /** Keeps the first `n` positions of the cache. */
  private truncate(n: number): void {
    if (n === 0) return this.reset();
    const hd = this.headDim;
    const cut = (t: ort.Tensor): ort.Tensor => {
      const src = t.data as KvData;
      const L = this.length;
      const dst = this.kvType === 'float32' ? new Float32Array(this.kvHeads * n * hd) : new Uint16Array(this.kvHeads * n * hd);
      for (let h = 0; h < this.kvHeads; h++) dst.set(src.subarray(h * L * hd, h * L * hd + n * hd), h * n * hd);
      return new ort.Tensor(this.kvType, dst, [1, this.kvHeads, n, hd]);
    };
    this.keys = this.keys.map(cut);
    this.values = this.values.map(cut);
    this.length = n;
  }

  async forward(tokens: Int32Array, pos: number, allLogits: boolean): Promise<Float32Array> {
    const n = tokens.length;
    if (n === 0) throw new Error('forward: no tokens');
    if (!Number.isInteger(pos) || pos < 0 || pos > this.length)
      throw new Error(`forward: position ${pos} is not in 0..${this.length} (the cached tokens)`);
    if (pos + n > this.capacity) throw new Error(`forward: ${pos + n} tokens exceed the context length ${this.capacity}`);
    if (pos < this.length) this.truncate(pos);
    const total = pos + n;
    const feeds: Record<string, ort.Tensor> = {
      [this.io.inputIds]: new ort.Tensor('int64', BigInt64Array.from(tokens, (t) => BigInt(t)), [1, n]),
    };
    if (this.io.mask) feeds[this.io.mask] = new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]);
    if (this.io.positions) {
      const p = new BigInt64Array(n);
      for (let i = 0; i < n; i++) p[i] = BigInt(pos + i);
      feeds[this.io.positions] = new ort.Tensor('int64', p, [1, n]);
    }
    for (let l = 0; l < this.layers; l++) {
      feeds[this.io.pastKey[l] as string] = this.keys[l] as ort.Tensor;
      feeds[this.io.pastValue[l] as string] = this.values[l] as ort.Tensor;
    }
    const out = await this.session.run(feeds);
    for (let l = 0; l < this.layers; l++) {
      this.keys[l] = out[this.io.presentKey[l] as string] as ort.Tensor;
      this.values[l] = out[this.io.presentValue[l] as string] as ort.Tensor;
    }
    this.length = total;
    const logits = out[this.io.logits] as ort.Tensor;
    const vocab = logits.dims[logits.dims.length - 1] as number;
    const rows = logits.size / vocab;
    let data = logits.data as Float32Array | Uint16Array;
    if (!allLogits) data = data.subarray((rows - 1) * vocab, rows * vocab);
    else if (rows !== n) throw new Error(`forward: the graph returned logits for ${rows} of ${n} positions`);
    return data instanceof Float32Array ? data.slice() : f16ToF32(data);
  }

  async release(): Promise<void> {
    this.keys = [];
    this.values = [];
    await this.session.release();
  }
}
