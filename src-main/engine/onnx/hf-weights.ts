// The canonical decoder tensors (docs/qins-format.md: embed, layers.{i}.qkv, …) of an HF
// checkpoint as float32, read one at a time. The checkpoint reader, the ModelSpec and the
// HF-name → canonical mapping (q/k/v and gate/up fused row-wise) are the converter's
// (src-main/engine/convert), so the ONNX export and the .qins converter agree by construction.
import { open, type FileHandle } from 'node:fs/promises';
import type { ModelSpec } from '../format/qins-format.js';
import { planTensors, type PlannedTensor } from '../convert/arch.js';
import type { Checkpoint } from '../convert/checkpoint.js';
import { toF32 } from '../convert/codecs.js';
import type { SourceDtype } from '../convert/safetensors.js';

export interface Matrix {
  /** Row-major [rows, cols]; rows are output features (HF layout). */
  data: Float32Array;
  rows: number;
  cols: number;
}

export class CanonicalWeights {
  private readonly plan: Map<string, PlannedTensor>;
  private readonly handles = new Map<string, FileHandle>();

  constructor(
    readonly spec: ModelSpec,
    checkpoint: Checkpoint,
  ) {
    this.plan = new Map(planTensors(spec, checkpoint.tensors).map((t) => [t.name, t]));
  }

  private async read(name: string): Promise<{ data: Float32Array; shape: number[] }> {
    const t = this.plan.get(name);
    if (!t) throw new Error(`canonical tensor ${name} is not in the checkpoint plan`);
    const total = t.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(total);
    let at = 0;
    for (const s of t.sources) {
      let fh = this.handles.get(s.file);
      if (!fh) {
        fh = await open(s.file, 'r');
        this.handles.set(s.file, fh);
      }
      const raw = new Uint8Array(s.bytes);
      let done = 0;
      while (done < s.bytes) {
        const { bytesRead } = await fh.read(raw, done, s.bytes - done, s.offset + done);
        if (bytesRead === 0) throw new Error(`${s.file}: unexpected end of file reading ${s.name}`);
        done += bytesRead;
      }
      const v = toF32(raw, s.dtype as SourceDtype);
      data.set(v, at);
      at += v.length;
    }
    return { data, shape: t.shape };
  }

  private async matrix(name: string): Promise<Matrix> {
    const { data, shape } = await this.read(name);
    return { data, rows: shape[0] as number, cols: shape[1] as number };
  }

  private async vector(name: string): Promise<Float32Array> {
    return (await this.read(name)).data;
  }

  embed = (): Promise<Matrix> => this.matrix('embed');
  /** lm_head, or the embedding when the weights are tied. */
  lmHead = (): Promise<Matrix> => this.matrix(this.plan.has('lm_head') ? 'lm_head' : 'embed');
  norm = (): Promise<Float32Array> => this.vector('norm');
  attnNorm = (l: number): Promise<Float32Array> => this.vector(`layers.${l}.attn_norm`);
  mlpNorm = (l: number): Promise<Float32Array> => this.vector(`layers.${l}.mlp_norm`);
  qkv = (l: number): Promise<Matrix> => this.matrix(`layers.${l}.qkv`);
  /** Fused q/k/v bias, or null when the model has none. */
  qkvBias = async (l: number): Promise<Float32Array | null> =>
    this.plan.has(`layers.${l}.qkv_bias`) ? this.vector(`layers.${l}.qkv_bias`) : null;
  o = (l: number): Promise<Matrix> => this.matrix(`layers.${l}.o`);
  gateUp = (l: number): Promise<Matrix> => this.matrix(`layers.${l}.gate_up`);
  down = (l: number): Promise<Matrix> => this.matrix(`layers.${l}.down`);

  async close(): Promise<void> {
    for (const fh of this.handles.values()) await fh.close();
    this.handles.clear();
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
