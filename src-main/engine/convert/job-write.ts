// Conversion stage 4, writing: the 1-D tensors (as f32), each coded tensor's small parts, CRC and
// SNR once its last chunk is coded, the file's statistics; and the tracking of writes in flight.
import { basename } from 'node:path';
import { crc32 } from 'node:zlib';
import type { QinsHeader } from '../format/qins-format.js';
import { isMatrix } from './arch.js';
import { inverse4Codebook, qins8Codebook, toF32 } from './codecs.js';
import { ConvertError, throwIfAborted } from './errors.js';
import type { TensorState } from './job-encode.js';
import type { ShardReader } from './job-read.js';
import type { PlacedTensor } from './layout.js';
import type { SourceDtype } from './safetensors.js';
import type { AtomicFile } from './writer.js';

export const round = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
export const snrDb = (sumsq: number, errsq: number): number | null =>
  errsq > 0 && sumsq > 0 ? round(10 * Math.log10(sumsq / errsq), 4) : null;

/** Reads and writes in flight, so that a failure can wait for all of them before cleaning up. */
export class InFlight {
  private readonly pending = new Set<Promise<unknown>>();

  track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    p.then(
      () => this.pending.delete(p),
      () => this.pending.delete(p),
    );
    return p;
  }

  settle(): Promise<unknown> {
    return Promise.allSettled([...this.pending]);
  }
}

/** Squared weights and squared errors over every coded tensor (the file's SNR). */
export interface ErrorTotals {
  sumsq: number;
  errsq: number;
}

/** The 1-D tensors (small): read, converted to f32, written; `onTensor` after each one with its source bytes. */
export async function writeVectors(
  placed: readonly PlacedTensor[],
  reader: ShardReader,
  out: AtomicFile,
  flight: InFlight,
  signal: AbortSignal | undefined,
  onTensor: (sourceBytes: number) => void,
): Promise<void> {
  for (const t of placed) {
    if (isMatrix(t.plan)) continue;
    throwIfAborted(signal, 'conversion');
    const parts: Float32Array[] = [];
    let sourceBytes = 0;
    for (const src of t.plan.sources) {
      const raw = await reader.readInto(src, 0, src.shape[0]!, Buffer.allocUnsafe(src.bytes));
      parts.push(toF32(raw, src.dtype as SourceDtype));
      sourceBytes += src.bytes;
    }
    const data = Buffer.alloc(t.entry.parts.data!.bytes);
    let off = 0;
    for (const p of parts) {
      data.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), off);
      off += p.byteLength;
    }
    for (let i = 0; i < data.length; i += 4) {
      if (!Number.isFinite(data.readFloatLE(i)))
        throw new ConvertError(
          'BAD_CHECKPOINT',
          `${basename(t.plan.sources[0]!.file)}: tensor ${t.entry.source?.join(' + ')} contains NaN or infinite values`,
          t.plan.sources[0]!.file,
          t.plan.name,
        );
    }
    t.entry.crc32 = crc32(data) >>> 0;
    await flight.track(out.write(data, t.entry.parts.data!.offset));
    onTensor(sourceBytes);
  }
}

/**
 * After a coded tensor's last chunk: writes its small parts (scales, signs), completes its CRC,
 * records its SNR, codebook or scale in the header, and adds its error sums to `totals`.
 */
export function finishTensor(out: AtomicFile, header: QinsHeader, t: PlacedTensor, st: TensorState, totals: ErrorTotals): Promise<void> {
  const e = t.entry;
  const partNames = Object.keys(e.parts);
  const first = e.parts[partNames[0]!]!;
  let crc = st.crc;
  let pos = first.offset + first.bytes;
  const writes: Promise<void>[] = [];
  for (const name of partNames.slice(1)) {
    const part = e.parts[name]!;
    if (part.offset > pos) crc = crc32(Buffer.alloc(part.offset - pos), crc);
    const buf = st.small.get(name)!;
    crc = crc32(buf, crc);
    writes.push(out.write(buf, part.offset));
    pos = part.offset + part.bytes;
  }
  e.crc32 = crc >>> 0;
  if (!Number.isFinite(st.sumsq) || !Number.isFinite(st.errsq))
    throw new ConvertError(
      'BAD_CHECKPOINT',
      `${basename(t.plan.sources[0]!.file)}: tensor ${t.plan.sources.map((s) => s.name).join(' + ')} contains NaN or infinite values`,
      t.plan.sources[0]!.file,
      t.plan.name,
    );
  const snr = snrDb(st.sumsq, st.errsq);
  if (snr !== null) e.snr_db = snr;
  totals.sumsq += st.sumsq;
  totals.errsq += st.errsq;
  if (t.codec === 'qins8') header.codebooks[e.codebook!] = qins8Codebook(st.c!);
  if (t.codec === 'qins4') header.codebooks[e.codebook!] = inverse4Codebook(st.ints!, st.c!);
  if (t.codec === 'qins-seed') e.scale = st.seedScale!;
  return Promise.all(writes).then(() => undefined);
}

/** The header's statistics: parameters, coded parameters, weight bytes, bits per weight, SNR. */
export function fileStats(placed: readonly PlacedTensor[], seconds: number, totals: ErrorTotals): QinsHeader['stats'] {
  let params = 0;
  let coded = 0;
  let codedBytes = 0;
  let weightBytes = 0;
  for (const t of placed) {
    const n = t.plan.shape.reduce((a, d) => a * d, 1);
    const bytes = Object.values(t.entry.parts).reduce((a, p) => a + p.bytes, 0);
    params += n;
    weightBytes += bytes;
    if (isMatrix(t.plan)) {
      coded += n;
      codedBytes += bytes;
    }
  }
  return {
    seconds: round(seconds, 3),
    params,
    coded_params: coded,
    weight_bytes: weightBytes,
    bits_per_weight: coded ? round((8 * codedBytes) / coded, 4) : 0,
    snr_db: snrDb(totals.sumsq, totals.errsq),
  };
}
