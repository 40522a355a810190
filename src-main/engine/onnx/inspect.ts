// Reads an ONNX decoder's graph (not its external data) to account for its weights: which
// initializers feed matrix products (read in full for every token) and which are only gathered
// from (the embedding table, RoPE tables: a few rows per token).
import { readFile } from 'node:fs/promises';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProto_DataLocation, TensorProto_DataType, type TensorProto } from 'onnx-buf';
import type { Codec } from '../../../src-shared/codecs.js';

const ELEMENT_BITS: Partial<Record<TensorProto_DataType, number>> = {
  [TensorProto_DataType.FLOAT]: 32,
  [TensorProto_DataType.FLOAT16]: 16,
  [TensorProto_DataType.BFLOAT16]: 16,
  [TensorProto_DataType.DOUBLE]: 64,
  [TensorProto_DataType.INT64]: 64,
  [TensorProto_DataType.INT32]: 32,
  [TensorProto_DataType.UINT8]: 8,
  [TensorProto_DataType.INT8]: 8,
  [TensorProto_DataType.UINT4]: 4,
  [TensorProto_DataType.INT4]: 4,
};

export interface GraphWeights {
  /** Bytes of all initializers. */
  totalBytes: number;
  /** Bytes of weights every token reads: all but gathered-from tables and integer shape constants. */
  perTokenBytes: number;
  /** Parameters of the matrix-product weights (MatMul, Gemm, MatMulNBits). */
  matmulParams: number;
  /** Bytes of those weights (codes plus scales / zero points for MatMulNBits). */
  matmulBytes: number;
  /** matmulParams by how they are stored: 'float32', 'float16', 'bfloat16', 'int4', 'int8', … */
  matmulParamsByType: Record<string, number>;
  opTypes: string[];
}

const FLOAT_NAMES: Partial<Record<TensorProto_DataType, string>> = {
  [TensorProto_DataType.FLOAT]: 'float32',
  [TensorProto_DataType.FLOAT16]: 'float16',
  [TensorProto_DataType.BFLOAT16]: 'bfloat16',
  [TensorProto_DataType.DOUBLE]: 'float64',
};

function tensorBytes(t: TensorProto): number {
  if (t.dataLocation === TensorProto_DataLocation.EXTERNAL) {
    const len = t.externalData.find((e) => e.key === 'length');
    if (len) return Number(len.value);
  }
  if (t.rawData.length > 0) return t.rawData.length;
  const count = t.dims.reduce((a, d) => a * Number(d), 1);
  return Math.ceil((count * (ELEMENT_BITS[t.dataType as TensorProto_DataType] ?? 32)) / 8);
}

export async function inspectGraph(modelPath: string): Promise<GraphWeights> {
  const model = fromBinary(ModelProtoSchema, await readFile(modelPath));
  const g = model.graph;
  if (!g) throw new Error(`${modelPath}: no graph`);
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const gatheredOnly = new Set<string>();
  const usedElsewhere = new Set<string>();
  let matmulParams = 0;
  let matmulBytes = 0;
  const byType: Record<string, number> = {};
  const addParams = (type: string, n: number): void => {
    matmulParams += n;
    byType[type] = (byType[type] ?? 0) + n;
  };
  const counted = new Set<string>();
  const visit = (nodes: typeof g.node, depth: number): void => {
    for (const n of nodes) {
      n.input.forEach((name, i) => {
        if (!inits.has(name)) return;
        // Gather's table and the rotary cos/sin caches (RotaryEmbedding / GQA inputs 2, 3 / 7, 8, or
        // an If branch passing a cache through) are indexed, not streamed.
        const indexed =
          (n.opType === 'Gather' && i === 0) ||
          (n.opType === 'Identity' && depth > 0) ||
          (n.opType === 'RotaryEmbedding' && i >= 2) ||
          (n.opType === 'GroupQueryAttention' && i >= 7);
        (indexed ? gatheredOnly : usedElsewhere).add(name);
      });
      if (n.opType === 'MatMul' || n.opType === 'Gemm' || n.opType === 'MatMulNBits') {
        const w = n.input[1];
        const t = w !== undefined ? inits.get(w) : undefined;
        if (t && !counted.has(t.name)) {
          counted.add(t.name);
          if (n.opType === 'MatMulNBits') {
            const k = n.attribute.find((a) => a.name === 'K');
            const nn = n.attribute.find((a) => a.name === 'N');
            const bits = n.attribute.find((a) => a.name === 'bits');
            addParams(`int${Number(bits?.i ?? 4n)}`, Number(k?.i ?? 0n) * Number(nn?.i ?? 0n));
            for (const extra of n.input.slice(1, 4)) {
              const e = inits.get(extra);
              if (e) matmulBytes += tensorBytes(e);
            }
          } else {
            addParams(FLOAT_NAMES[t.dataType as TensorProto_DataType] ?? `type${t.dataType}`, t.dims.reduce((a, d) => a * Number(d), 1));
            matmulBytes += tensorBytes(t);
          }
        }
      }
      for (const a of n.attribute) {
        if (a.g) visit(a.g.node, depth + 1);
        for (const sg of a.graphs) visit(sg.node, depth + 1);
      }
    }
  };
  visit(g.node, 0);
  let totalBytes = 0;
  let perTokenBytes = 0;
  for (const t of g.initializer) {
    const b = tensorBytes(t);
    totalBytes += b;
    const indexOnly = gatheredOnly.has(t.name) && !usedElsewhere.has(t.name);
    const shapeConstant = t.dataType === TensorProto_DataType.INT64 || t.dataType === TensorProto_DataType.INT32;
    if (!indexOnly && !shapeConstant) perTokenBytes += b;
  }
  return { totalBytes, perTokenBytes, matmulParams, matmulBytes, matmulParamsByType: byType, opTypes: [...new Set(g.node.map((n) => n.opType))].sort() };
}

/**
 * Codec label and bits per weight of an ONNX model from its graph: the bits are the matrix weights'
 * bytes over their parameters (codes with their scales and zero points for MatMulNBits); the label
 * follows the storage that holds most of them. Graphs without matrix products fall back to the
 * folder's size over the parameter count (`fileBytes`, `params`), which counts every table too.
 */
export function onnxWeightSummary(w: GraphWeights, fallback: { fileBytes: number; params: number }): { codec: Codec; bitsPerWeight: number } {
  const fileBits = fallback.params > 0 ? (fallback.fileBytes * 8) / fallback.params : 32;
  if (w.matmulParams <= 0) return { codec: fileBits > 20 ? 'f32' : fileBits > 12 ? 'bf16' : 'q4', bitsPerWeight: fileBits };
  const bitsPerWeight = (8 * w.matmulBytes) / w.matmulParams;
  const main = Object.entries(w.matmulParamsByType).sort((a, b) => b[1] - a[1])[0]?.[0];
  // The codec list has no f16: a float16 export is listed with the other 16-bit float, bf16.
  const labels: Record<string, Codec> = { float32: 'f32', bfloat16: 'bf16', float16: 'bf16', int8: 'q8', int4: 'q4' };
  const codec = (main !== undefined ? labels[main] : undefined) ?? (bitsPerWeight > 20 ? 'f32' : bitsPerWeight > 12 ? 'bf16' : bitsPerWeight > 6 ? 'q8' : 'q4');
  return { codec, bitsPerWeight };
}
