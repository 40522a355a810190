// What a decode step streams from memory, and the bandwidth bound that follows from it.
//
// A decode step at position p reads every weight matrix once (the engine's weight bytes: layers,
// final norm, logits matrix), one row of the embedding table, and the K and V of positions 0..p of
// every layer: layers × 2 (K and V) × KV heads × head size × bytes per element × (p + 1).

export interface KvShape {
  num_layers: number;
  num_kv_heads: number;
  head_dim: number;
}

/** Bytes of K and V one position holds across all layers. */
export function kvBytesPerPosition(s: KvShape, elementBytes: number): number {
  return s.num_layers * 2 * s.num_kv_heads * s.head_dim * elementBytes;
}

/** Bytes per element of a KV cache type (f32, f16). */
export function kvElementBytes(type: string): number {
  if (type === 'f32') return 4;
  if (type === 'f16' || type === 'bf16') return 2;
  if (type === 'q8_0' || type === 'q8') return 34 / 32;
  throw new Error(`unknown KV cache type ${type}`);
}

export interface StreamShape {
  /** Weight bytes every token reads (the embedding table excluded unless it is the logits matrix too). */
  weight_bytes: number;
  kv_bytes_per_position: number;
  /** One row of the embedding table as stored. */
  embedding_row_bytes: number;
}

/**
 * Mean bytes read per decode step over `steps` single-token steps, the first of them at position
 * `firstPos` (it attends to firstPos + 1 positions, the next one to firstPos + 2, …).
 */
export function decodeStreamBytes(s: StreamShape, firstPos: number, steps: number): number {
  if (!Number.isInteger(firstPos) || firstPos < 0 || !Number.isInteger(steps) || steps < 1)
    throw new Error(`decodeStreamBytes: firstPos ≥ 0 and steps ≥ 1 (got ${firstPos}, ${steps})`);
  // positions attended: firstPos + 1 … firstPos + steps, mean firstPos + (steps + 1) / 2
  const meanPositions = firstPos + (steps + 1) / 2;
  return s.weight_bytes + s.embedding_row_bytes + s.kv_bytes_per_position * meanPositions;
}

/** Fraction of the measured bandwidth a decode speed implies: bytes/step × steps/s ÷ bytes/s. */
export function boundFraction(bytesPerToken: number, tokS: number, bandwidthGbs: number): number {
  return (bytesPerToken * tokS) / (bandwidthGbs * 1e9);
}
