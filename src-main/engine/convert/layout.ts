// Places every tensor (and every part of it) in the payload, and sizes the header region so the
// final header — whose checksums and statistics are only known at the end — fits in front of it.
import { alignUp, QINS_MAGIC, QINS_PREAMBLE_BYTES, type Codebook, type Codec, type QinsHeader, type TensorEntry } from '../format/qins-format.js';
import { isMatrix, type PlannedTensor } from './arch.js';
import { BLOCK, isFourBit, isEightBit, matrixParts } from './codecs.js';

/** A tensor entry being filled in: parts placed, checksum and error still to come. */
export interface PlacedTensor {
  plan: PlannedTensor;
  entry: TensorEntry;
  /** Codec actually used (f32 for 1-D tensors). */
  codec: Codec;
  rows: number;
  cols: number;
}

export function entryFor(plan: PlannedTensor, codec: Codec): { entry: TensorEntry; codec: Codec; rows: number; cols: number } {
  const matrix = isMatrix(plan);
  const rows = plan.shape[0]!;
  const cols = matrix ? plan.shape[1]! : 1;
  const used: Codec = matrix ? codec : 'f32';
  const parts = matrix ? matrixParts(used, rows, cols) : [{ name: 'data', bytes: rows * 4 }];
  const entry: TensorEntry = {
    name: plan.name,
    shape: [...plan.shape],
    codec: used,
    offset: 0,
    bytes: 0,
    crc32: 0,
    parts: Object.fromEntries(parts.map((p) => [p.name, { offset: 0, bytes: p.bytes }])),
    source: plan.sources.map((s) => s.name),
  };
  if (matrix && (isEightBit(used) || isFourBit(used))) {
    entry.block = BLOCK;
    entry.codebook = used === 'q8' || used === 'q4' ? used : plan.name;
  }
  return { entry, codec: used, rows, cols };
}

/** Assigns 64-aligned offsets from `start`; returns the end of the payload. */
export function placeTensors(tensors: PlacedTensor[], start: number): number {
  let pos = alignUp(start);
  for (const t of tensors) {
    t.entry.offset = pos;
    for (const p of Object.values(t.entry.parts)) {
      pos = alignUp(pos);
      p.offset = pos;
      pos += p.bytes;
    }
    t.entry.bytes = pos - t.entry.offset;
    pos = alignUp(pos);
  }
  return tensors.length ? Math.max(...tensors.map((t) => t.entry.offset + t.entry.bytes)) : pos;
}

// Placeholder values at least as long as anything the final header will hold.
const BIG_INT = Number.MAX_SAFE_INTEGER;
const BIG_FLOAT = -2.2250738585072014e-308; // 24 characters: the longest JSON.stringify makes of a double

/**
 * Bytes to reserve for preamble + header: the header with every number replaced by its longest
 * possible form, plus slack, rounded up to the alignment. The final JSON is padded with spaces
 * to exactly this size.
 */
export function reserveHeaderBytes(header: QinsHeader): number {
  const fat: QinsHeader = {
    ...header,
    codebooks: Object.fromEntries(
      Object.entries(header.codebooks).map(([k, cb]): [string, Codebook] => [
        k,
        { ...cb, ints: cb.ints.map(() => (cb.bits === 8 ? -32767 : -127)), denom: 32767, c: BIG_FLOAT },
      ]),
    ),
    tensors: header.tensors.map((t) => ({
      ...t,
      offset: BIG_INT,
      bytes: BIG_INT,
      crc32: 4294967295,
      parts: Object.fromEntries(Object.keys(t.parts).map((k) => [k, { offset: BIG_INT, bytes: BIG_INT }])),
      snr_db: BIG_FLOAT,
      ...(t.codec === 'qins-seed' ? { scale: BIG_FLOAT } : {}),
    })),
    source: { ...header.source, bytes: BIG_INT },
    stats: { seconds: BIG_FLOAT, params: BIG_INT, coded_params: BIG_INT, weight_bytes: BIG_INT, bits_per_weight: BIG_FLOAT, snr_db: BIG_FLOAT },
  };
  const json = Buffer.byteLength(JSON.stringify(fat), 'utf8');
  return alignUp(QINS_PREAMBLE_BYTES + json + 1024);
}

/** Preamble + header JSON padded with spaces to exactly `reserved` bytes. */
export function encodeHeaderInto(header: QinsHeader, reserved: number): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const room = reserved - QINS_PREAMBLE_BYTES;
  if (json.length > room) throw new Error(`internal: header (${json.length} bytes) exceeds its reserved room (${room})`);
  const out = Buffer.alloc(reserved, 0x20);
  out.write(QINS_MAGIC, 0, 'ascii');
  out.writeUInt32LE(header.version, 4);
  out.writeBigUInt64LE(BigInt(room), 8);
  json.copy(out, QINS_PREAMBLE_BYTES);
  return out;
}
