// Reads an ONNX decoder's graph (not its external data) to account for its weights: which
// initializers feed matrix products (read in full for every token) and which are only gathered
// from (the embedding table, RoPE tables: a few rows per token).
import { readFile } from 'node:fs/promises';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProto_DataLocation, TensorProto_DataType, type TensorProto } from 'onnx-buf';

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
  opTypes: string[];
}

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
            matmulParams += Number(k?.i ?? 0n) * Number(nn?.i ?? 0n);
            for (const extra of n.input.slice(1, 4)) {
              const e = inits.get(extra);
              if (e) matmulBytes += tensorBytes(e);
            }
          } else {
            matmulParams += t.dims.reduce((a, d) => a * Number(d), 1);
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
  return { totalBytes, perTokenBytes, matmulParams, matmulBytes, opTypes: [...new Set(g.node.map((n) => n.opType))].sort() };
}
