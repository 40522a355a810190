// Conversion stage 3, encoding: each tensor prepared (its codebook tuned on a sample of rows, or the
// seed's max|w| pass), then coded chunk by chunk in the native addon (passthrough codecs in JS),
// with the running CRC and error sums.
import { basename } from 'node:path';
import { crc32 } from 'node:zlib';
import { BLOCK, isPassthrough, matrixRowParts, passthrough, qins8Codebook } from './codecs.js';
import { ConvertError, throwIfAborted } from './errors.js';
import type { ChunkTask } from './job-plan.js';
import { sourceReadError, type ShardReader } from './job-read.js';
import type { PlacedTensor } from './layout.js';
import type { EncodeStats, NativeCodecs } from './native-codecs.js';
import type { SourceDtype } from './safetensors.js';

const QINS8_SAMPLE_WEIGHTS = 1 << 18;
/** qins4 tuning: a 32 Ki-weight sample, a cheap scale search (1) while tuning; the first tensor starts
 *  from the inverse-family codebooks with more effort, each later one from the previous tensor's
 *  tuned codebook (warm start: similar tensors, a few refinement passes suffice). */
const QINS4_SAMPLE_WEIGHTS = 1 << 15;
const QINS4_TUNE_SEARCH = 1;
const QINS4_COLD = { iterations: 8, cdRounds: 6 };
const QINS4_WARM = { iterations: 4, cdRounds: 2 };
export const DEFAULT_QINS4_SEARCH = 4;
export const DEFAULT_QINS4_WEIGHTING = 'none';
export const WEIGHTING = { none: 0, square: 1, sigma: 2 } as const;

export interface TensorState {
  /** running CRC over the streamed first part */
  crc: number;
  sumsq: number;
  errsq: number;
  /** per-tensor buffers of the small parts (scales / signs), written at the end */
  small: Map<string, Buffer>;
  ints?: Int32Array;
  c?: number;
  seedScale?: number;
}

/** The fixed qins4 codebook per canonical tensor name (undefined → tune one), each checked when asked for. */
export function fixedCodebooks(option: number[] | ((tensor: string) => number[] | undefined) | undefined): (tensor: string) => number[] | undefined {
  return (tensor) => {
    const f = typeof option === 'function' ? option(tensor) : option;
    if (f && !(f.length === 16 && f.every((v, i) => Number.isInteger(v) && v >= -127 && v <= 127 && (i === 0 || v > f[i - 1]!)) && f[0]! < 0))
      throw new ConvertError('BAD_ARGUMENT', 'qins4Codebook must be 16 ascending integers in -127..127, the first negative');
    return f;
  };
}

export interface EncoderSettings {
  /** Encoder threads. */
  threads: number;
  qins4Search: number;
  weighting: (typeof WEIGHTING)[keyof typeof WEIGHTING];
  fixedFor: (tensor: string) => number[] | undefined;
  /** Source bytes per chunk (the seed's max|w| pass reads in chunks of this size). */
  chunkBytes: number;
  /** The largest source chunk (the size of the seed pass's read buffer). */
  maxSrc: number;
  signal: AbortSignal | undefined;
}

export class TensorEncoder {
  private lastQins4: { ints: Int32Array; c: number } | null = null;
  /** the seed's max|w| pass reads into its own buffer (the pool may hold a read in flight) */
  private scanBuf: Buffer | null = null;

  constructor(
    private readonly native: NativeCodecs | null,
    private readonly reader: ShardReader,
    private readonly s: EncoderSettings,
  ) {}

  /** A tensor's codebook (tuned on a sample) or scale; tuneThreads do not change the result. */
  async prepare(t: PlacedTensor, tuneThreads: number): Promise<TensorState> {
    const { native, reader, s: o } = this;
    const st: TensorState = { crc: 0, sumsq: 0, errsq: 0, small: new Map() };
    for (const [name, part] of Object.entries(t.entry.parts).slice(1)) st.small.set(name, Buffer.alloc(part.bytes));
    if (t.codec === 'qins8') {
      const s = await reader.sampleRows(t, QINS8_SAMPLE_WEIGHTS);
      const r = await native!.tuneQins8({ src: s.buf, dtype: 'F32', rows: s.rows, cols: t.cols, block: BLOCK, threads: tuneThreads });
      st.c = r.c;
      st.ints = r.ints;
    } else if (t.codec === 'qins4' && o.fixedFor(t.plan.name)) {
      st.ints = Int32Array.from(o.fixedFor(t.plan.name)!);
      st.c = 0;
    } else if (t.codec === 'qins4') {
      const s = await reader.sampleRows(t, QINS4_SAMPLE_WEIGHTS);
      const warm = this.lastQins4;
      const r = await native!.tuneQins4({
        src: s.buf,
        dtype: 'F32',
        rows: s.rows,
        cols: t.cols,
        block: BLOCK,
        threads: tuneThreads,
        search: Math.min(o.qins4Search, QINS4_TUNE_SEARCH),
        weighting: o.weighting,
        ...(warm ? { ...QINS4_WARM, init: warm.ints, initC: warm.c } : QINS4_COLD),
        // padded columns must decode to exactly 0, so keep 0 in the codebook when there are any
        anchorZero: t.cols % BLOCK !== 0,
      });
      st.ints = r.ints;
      st.c = r.initC;
      this.lastQins4 = { ints: r.ints, c: r.initC };
    } else if (t.codec === 'qins-seed') {
      let m = 0;
      this.scanBuf ??= Buffer.allocUnsafeSlow(o.maxSrc);
      for (const src of t.plan.sources) {
        const rowBytes = src.bytes / src.shape[0]!;
        const per = Math.max(1, Math.floor(o.chunkBytes / rowBytes));
        for (let r0 = 0; r0 < src.shape[0]!; r0 += per) {
          throwIfAborted(o.signal, 'conversion');
          const rows = Math.min(per, src.shape[0]! - r0);
          const raw = await reader.readInto(src, r0, rows, this.scanBuf);
          const r = await native!.absMax({ src: raw, dtype: src.dtype as SourceDtype, threads: o.threads });
          if (!r.finite)
            throw new ConvertError('BAD_CHECKPOINT', `${basename(src.file)}: tensor ${src.name} contains NaN or infinite values`, src.file, src.name);
          m = Math.max(m, r.absmax);
        }
      }
      st.seedScale = Math.fround(m);
    }
    return st;
  }

  /** Codes one chunk; raw holds its rows when read in JS, else the encoder reads them (and continues the CRC). */
  async encodeChunk(task: ChunkTask, st: TensorState, raw: Buffer | null, outBuf: Buffer): Promise<Buffer> {
    const o = this.s;
    const { t } = task;
    const dtype = task.src.dtype as SourceDtype;
    const parts = matrixRowParts(t.codec, t.cols);
    const codes = outBuf.subarray(0, task.rows * parts[0]!.bytes);
    if (isPassthrough(t.codec)) {
      const r = passthrough(raw!, dtype, t.codec as 'bf16' | 'f32', codes);
      st.sumsq += r.sumsq;
      st.errsq += r.errsq;
      st.crc = crc32(codes, st.crc);
      return codes;
    }
    const small = (name: string): Uint8Array | undefined => {
      const per = parts.find((p) => p.name === name)?.bytes;
      return per === undefined ? undefined : st.small.get(name)!.subarray(task.outRow * per, (task.outRow + task.rows) * per);
    };
    const rowBytes = task.src.bytes / task.src.shape[0]!;
    const from = raw ? { src: raw } : { fd: this.reader.fd(task.src.file), offset: task.src.offset + task.r0 * rowBytes };
    let r: EncodeStats;
    try {
      r = await this.native!.encode({
        codec: t.codec as 'q8' | 'qins8' | 'q4' | 'qins4' | 'qins-seed',
        ...from,
        dtype,
        rows: task.rows,
        cols: t.cols,
        block: BLOCK,
        codes,
        scales: small('scales'),
        signs: small('signs'),
        ints: st.ints,
        denom: t.codec === 'qins8' ? qins8Codebook(st.c!).denom : 127,
        c: st.c,
        seedScale: st.seedScale,
        search: o.qins4Search,
        weighting: o.weighting,
        threads: o.threads,
        crc: st.crc,
      });
    } catch (e) {
      throw sourceReadError(e, task.src);
    }
    st.sumsq += r.sumsq;
    st.errsq += r.errsq;
    st.crc = r.crc!;
    return codes;
  }
}
