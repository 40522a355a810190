// The `.qins` file: layout constants, header schema and a validating header reader.
// The format is documented in docs/qins-format.md; this module is its single source of truth in code.
import { open } from 'node:fs/promises';
import { z } from 'zod';
import { Architecture, Codec } from '../../../src-shared/codecs.js';

export { ARCHITECTURES, Architecture, CODECS, Codec } from '../../../src-shared/codecs.js';

export const QINS_MAGIC = 'QINS';
/**
 * The version this build writes. 2: qins8 uses the segment codebook (kind "inverse-segments").
 * Version 1 files (qins8 as the plain offset-inverse table) are still read and run.
 */
export const QINS_FORMAT_VERSION = 2;
/** Versions this build reads. */
export const QINS_READABLE_VERSIONS: readonly number[] = [1, 2];
/** magic (4) + version u32 (4) + header length u64 (8) */
export const QINS_PREAMBLE_BYTES = 16;
/** Every tensor and tensor part starts at a multiple of this. */
export const QINS_ALIGN = 64;
/** Refuse headers larger than this (a 3.8 B model's header is a few MB, mostly tokenizer.json). */
export const QINS_MAX_HEADER_BYTES = 256 * 1024 * 1024;

export const RopeSpec = z.object({
  type: z.enum(['default', 'linear', 'llama3', 'longrope']),
  theta: z.number().positive(),
  /** Number of rotated dimensions per head (head_dim unless partial rotary). */
  dim: z.number().int().positive(),
  /** linear and llama3 */
  factor: z.number().positive().optional(),
  /** llama3 */
  low_freq_factor: z.number().positive().optional(),
  high_freq_factor: z.number().positive().optional(),
  /** llama3 and longrope */
  original_max_position_embeddings: z.number().int().positive().optional(),
  /** longrope: one factor per rotated frequency (dim / 2 entries each) */
  short_factor: z.array(z.number()).optional(),
  long_factor: z.array(z.number()).optional(),
  /** longrope: cos/sin multiplier, sqrt(1 + ln(max_pos / orig) / ln(orig)) unless the config sets it */
  attention_factor: z.number().positive().optional(),
});
export type RopeSpec = z.infer<typeof RopeSpec>;

/** Normalised description of the decoder, independent of the HF architecture's naming. */
export const ModelSpec = z.object({
  architecture: Architecture,
  vocab_size: z.number().int().positive(),
  hidden_size: z.number().int().positive(),
  intermediate_size: z.number().int().positive(),
  num_layers: z.number().int().positive(),
  num_heads: z.number().int().positive(),
  num_kv_heads: z.number().int().positive(),
  head_dim: z.number().int().positive(),
  rms_norm_eps: z.number().positive(),
  rope: RopeSpec,
  max_position_embeddings: z.number().int().positive(),
  tie_word_embeddings: z.boolean(),
  /** q/k/v projections carry a bias (qwen2) */
  qkv_bias: z.boolean(),
  bos_token_id: z.number().int().nullable(),
  /** generation_config eos ids (falls back to config.json) */
  eos_token_ids: z.array(z.number().int()),
});
export type ModelSpec = z.infer<typeof ModelSpec>;

export const Codebook = z.object({
  bits: z.union([z.literal(8), z.literal(4)]),
  kind: z.string(),
  ints: z.array(z.number().int()),
  denom: z.number().positive(),
  /** qins8: the offset c of the levels (1 + c) / (k + c) */
  c: z.number().optional(),
});
export type Codebook = z.infer<typeof Codebook>;

export const Part = z.object({ offset: z.number().int().nonnegative(), bytes: z.number().int().nonnegative() });
export type Part = z.infer<typeof Part>;

export const TensorEntry = z.object({
  name: z.string(),
  shape: z.array(z.number().int().positive()).min(1).max(2),
  codec: Codec,
  offset: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  crc32: z.number().int().nonnegative(),
  parts: z.record(z.string(), Part),
  block: z.number().int().positive().optional(),
  codebook: z.string().optional(),
  /** qins-seed: per-tensor scale */
  scale: z.number().optional(),
  snr_db: z.number().optional(),
  /** HF tensor name(s) this tensor was made from */
  source: z.array(z.string()).optional(),
});
export type TensorEntry = z.infer<typeof TensorEntry>;

export const QinsHeader = z.object({
  format: z.literal('qins'),
  version: z.union([z.literal(1), z.literal(2)]),
  model: ModelSpec,
  /** Source files verbatim: config.json, tokenizer.json, tokenizer_config.json, generation_config.json, … */
  files: z.record(z.string(), z.string()),
  codec: Codec,
  codebooks: z.record(z.string(), Codebook),
  tensors: z.array(TensorEntry),
  source: z.object({
    name: z.string(),
    bytes: z.number().int().nonnegative(),
    dtype: z.string(),
    files: z.array(z.string()),
  }),
  stats: z.object({
    seconds: z.number().nonnegative(),
    params: z.number().int().nonnegative(),
    coded_params: z.number().int().nonnegative(),
    weight_bytes: z.number().int().nonnegative(),
    bits_per_weight: z.number().nonnegative(),
    snr_db: z.number().nullable(),
  }),
  created: z.string(),
});
export type QinsHeader = z.infer<typeof QinsHeader>;

export class QinsFormatError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'QinsFormatError';
  }
}

export const alignUp = (n: number, a = QINS_ALIGN): number => Math.ceil(n / a) * a;

/** Encodes the preamble + header + padding; the payload starts at the returned buffer's length. */
export function encodeHeader(header: QinsHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const total = alignUp(QINS_PREAMBLE_BYTES + json.length);
  const out = Buffer.alloc(total);
  out.write(QINS_MAGIC, 0, 'ascii');
  out.writeUInt32LE(header.version, 4);
  out.writeBigUInt64LE(BigInt(json.length), 8);
  json.copy(out, QINS_PREAMBLE_BYTES);
  return out;
}

/** Size of the preamble + header + padding for a header JSON of `jsonBytes` bytes. */
export const headerRegionBytes = (jsonBytes: number): number => alignUp(QINS_PREAMBLE_BYTES + jsonBytes);

export interface QinsFileInfo {
  header: QinsHeader;
  /** Offset of the first payload byte. */
  payloadOffset: number;
  fileBytes: number;
}

/** Reads and validates the header of a `.qins` file (magic, version, bounds, schema, tensor ranges). */
export async function readQinsHeader(path: string): Promise<QinsFileInfo> {
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new QinsFormatError(`cannot open (${e.code ?? e.message})`, path);
  });
  try {
    const { size } = await fh.stat();
    if (size < QINS_PREAMBLE_BYTES) throw new QinsFormatError(`too small to be a .qins file (${size} bytes)`, path);
    const pre = Buffer.alloc(QINS_PREAMBLE_BYTES);
    await fh.read(pre, 0, QINS_PREAMBLE_BYTES, 0);
    if (pre.toString('ascii', 0, 4) !== QINS_MAGIC) throw new QinsFormatError('not a .qins file (bad magic)', path);
    const version = pre.readUInt32LE(4);
    if (!QINS_READABLE_VERSIONS.includes(version))
      throw new QinsFormatError(
        `unsupported format version ${version} (this build reads ${QINS_READABLE_VERSIONS.join(' and ')}; convert the checkpoint again with \`qins convert <checkpoint> -o <file.qins>\`)`,
        path,
      );
    const len = Number(pre.readBigUInt64LE(8));
    if (len > QINS_MAX_HEADER_BYTES || QINS_PREAMBLE_BYTES + len > size)
      throw new QinsFormatError(`header length ${len} exceeds the file (${size} bytes)`, path);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, QINS_PREAMBLE_BYTES);
    let json: unknown;
    try {
      json = JSON.parse(buf.toString('utf8'));
    } catch (e) {
      throw new QinsFormatError(`header is not valid JSON (${(e as Error).message})`, path);
    }
    const parsed = QinsHeader.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new QinsFormatError(`invalid header at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`, path);
    }
    const header = parsed.data;
    if (header.version !== version) throw new QinsFormatError(`header says version ${header.version}, the preamble ${version}`, path);
    const payloadOffset = headerRegionBytes(len);
    for (const t of header.tensors) {
      if (t.offset < payloadOffset || t.offset + t.bytes > size)
        throw new QinsFormatError(`tensor ${t.name} lies outside the payload (truncated file?)`, path);
      for (const [partName, p] of Object.entries(t.parts)) {
        if (p.offset % QINS_ALIGN !== 0) throw new QinsFormatError(`tensor ${t.name} part ${partName} is not 64-byte aligned`, path);
        if (p.offset < t.offset || p.offset + p.bytes > t.offset + t.bytes)
          throw new QinsFormatError(`tensor ${t.name} part ${partName} lies outside the tensor's range`, path);
      }
      if (t.codebook !== undefined && !(t.codebook in header.codebooks))
        throw new QinsFormatError(`tensor ${t.name} names unknown codebook ${t.codebook}`, path);
    }
    return { header, payloadOffset, fileBytes: size };
  } finally {
    await fh.close();
  }
}
