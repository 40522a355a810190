// Reading a .qins file back: a summary for `qins inspect` and the app's model library, and a
// checksum pass over every tensor for `qins verify`.
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { QinsFormatError, readQinsHeader, type ModelSpec, type QinsHeader } from '../format/qins-format.js';
import { ConvertError, fsError, throwIfAborted } from './errors.js';

export interface TensorSummary {
  name: string;
  shape: number[];
  codec: string;
  bytes: number;
  bits_per_weight: number;
  snr_db: number | null;
  /** qins8: the offset c of the codebook */
  c?: number;
}

export interface QinsInspection {
  path: string;
  architecture: ModelSpec['architecture'];
  codec: QinsHeader['codec'];
  model: ModelSpec;
  file_bytes: number;
  /** payload bytes of the tensors (all parts) */
  weight_bytes: number;
  params: number;
  coded_params: number;
  bits_per_weight: number;
  /** .qins size / source size, both whole (weights + tokenizer and config files) */
  size_ratio: number;
  /** coded weight bytes / the same weights in the source dtype */
  weight_ratio: number;
  source: QinsHeader['source'];
  stats: QinsHeader['stats'];
  files: string[];
  created: string;
  tensors: TensorSummary[];
}

export async function readHeaderOrThrow(path: string): Promise<{ header: QinsHeader; fileBytes: number; payloadOffset: number }> {
  try {
    return await readQinsHeader(path);
  } catch (e) {
    if (e instanceof QinsFormatError) throw new ConvertError('BAD_FILE', e.message.split('\n')[0]!, path);
    throw fsError(e, path, 'reading');
  }
}

const SOURCE_ELEMENT_BYTES: Record<string, number> = { BF16: 2, F16: 2, F32: 4 };

export async function inspectQins(path: string): Promise<QinsInspection> {
  const { header, fileBytes } = await readHeaderOrThrow(path);
  const tensors: TensorSummary[] = header.tensors.map((t) => {
    const n = t.shape.reduce((a, d) => a * d, 1);
    const bytes = Object.values(t.parts).reduce((a, p) => a + p.bytes, 0);
    const cb = t.codebook ? header.codebooks[t.codebook] : undefined;
    return {
      name: t.name,
      shape: t.shape,
      codec: t.codec,
      bytes,
      bits_per_weight: Math.round(((8 * bytes) / n) * 1e4) / 1e4,
      snr_db: t.snr_db ?? null,
      ...((cb?.kind === 'offset-inverse' || cb?.kind === 'inverse-segments') && cb.c !== undefined ? { c: cb.c } : {}),
    };
  });
  const coded = header.tensors.filter((t) => t.shape.length === 2);
  const codedBytes = coded.reduce((a, t) => a + Object.values(t.parts).reduce((b, p) => b + p.bytes, 0), 0);
  const srcEl = SOURCE_ELEMENT_BYTES[header.source.dtype] ?? 2;
  const codedParams = coded.reduce((a, t) => a + t.shape.reduce((b, d) => b * d, 1), 0);
  return {
    path,
    architecture: header.model.architecture,
    codec: header.codec,
    model: header.model,
    file_bytes: fileBytes,
    weight_bytes: header.stats.weight_bytes,
    params: header.stats.params,
    coded_params: header.stats.coded_params,
    bits_per_weight: header.stats.bits_per_weight,
    size_ratio: header.source.bytes ? Math.round((fileBytes / header.source.bytes) * 1e4) / 1e4 : 0,
    weight_ratio: codedParams ? Math.round((codedBytes / (codedParams * srcEl)) * 1e4) / 1e4 : 0,
    source: header.source,
    stats: header.stats,
    files: Object.keys(header.files),
    created: header.created,
    tensors,
  };
}

export interface VerifyResult {
  path: string;
  ok: boolean;
  tensors: number;
  bytes_checked: number;
  mismatches: Array<{ name: string; expected: number; actual: number }>;
}

export interface VerifyOptions {
  signal?: AbortSignal;
  onProgress?: (p: { bytesDone: number; bytesTotal: number; tensor: string }) => void;
}

/** Recomputes the CRC-32 of every tensor's byte range and compares it with the header. */
export async function verifyQins(path: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const { header } = await readHeaderOrThrow(path);
  const total = header.tensors.reduce((a, t) => a + t.bytes, 0);
  const fh = await open(path, 'r').catch((e: unknown) => {
    throw fsError(e, path, 'opening');
  });
  const buf = Buffer.allocUnsafeSlow(8 << 20);
  const mismatches: VerifyResult['mismatches'] = [];
  let done = 0;
  try {
    for (const t of header.tensors) {
      let crc = 0;
      for (let off = 0; off < t.bytes; ) {
        throwIfAborted(opts.signal, 'verification');
        const n = Math.min(buf.length, t.bytes - off);
        const { bytesRead } = await fh.read(buf, 0, n, t.offset + off);
        if (bytesRead === 0) throw new ConvertError('BAD_FILE', `${path}: tensor ${t.name} is cut short (truncated file)`, path, t.name);
        crc = crc32(buf.subarray(0, bytesRead), crc);
        off += bytesRead;
        done += bytesRead;
      }
      if (crc >>> 0 !== t.crc32) mismatches.push({ name: t.name, expected: t.crc32, actual: crc >>> 0 });
      opts.onProgress?.({ bytesDone: done, bytesTotal: total, tensor: t.name });
    }
  } finally {
    await fh.close();
  }
  return { path, ok: mismatches.length === 0, tensors: header.tensors.length, bytes_checked: done, mismatches };
}
