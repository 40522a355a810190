// Loads the native encoders (native/src/codecs, exported as `codecs` by the QINS addon).
import { loadAddon } from '../native.js';
import type { SourceDtype } from './safetensors.js';
import { ConvertError } from './errors.js';

export type NativeCodecName = 'q8' | 'qins8' | 'q4' | 'qins4' | 'qins-seed';
/** The engine's instruction sets (native/src/kernels/dispatch.cpp); the encoders use the same ones. */
export type NativeIsa = 'generic' | 'avx2' | 'avxvnni' | 'avx512' | 'neon';
/**
 * Which encoder set a job uses: 'auto' (the default) is the env QINS_KERNELS when it names a set,
 * else the best this CPU runs; a set this CPU or build lacks is refused (the call throws).
 * Every set produces the same codes.
 */
export type IsaChoice = 'auto' | NativeIsa;

export interface EncodeJob {
  codec: NativeCodecName;
  /** The rows, or else `fd` + `offset`: the native threads read them from the open file. */
  src?: Uint8Array;
  /** An open file descriptor holding the rows at `offset` (rows × cols × dtype bytes). A failed read
   *  rejects with an Error whose `code` is 'EOF' (the file ended early) or the errno name. */
  fd?: number;
  offset?: number;
  dtype: SourceDtype;
  rows: number;
  cols: number;
  block?: number;
  /** 8-bit: rows × cols_p; 4-bit: rows × cols_p / 2; seed: rows × cols */
  codes: Uint8Array;
  /** rows × (cols_p / block) fp16 (not for the seed) */
  scales?: Uint8Array;
  /** seed: rows × ceil(cols / 8) */
  signs?: Uint8Array;
  /** qins8 (256) / qins4 (16) codebook entries */
  ints?: Int32Array;
  denom?: number;
  /** qins8 offset */
  c?: number;
  seedScale?: number;
  /** qins4: extra scale candidates on each side of the block maximum */
  search?: number;
  /** qins4 error weights: 0 none, 1 w², 2 sqrt(σ² + w²) */
  weighting?: 0 | 1 | 2;
  threads?: number;
  isa?: IsaChoice;
  /** The running CRC-32 of the codes part: the result then holds it continued over `codes`. */
  crc?: number;
}
export interface EncodeStats {
  sumsq: number;
  errsq: number;
  absmax: number;
  /** With `crc` in the job. */
  crc?: number;
}
export interface SampleJob {
  src: Uint8Array;
  dtype: SourceDtype;
  rows: number;
  cols: number;
  block?: number;
  threads?: number;
  isa?: IsaChoice;
}
export interface NativeCodecs {
  encode(job: EncodeJob): Promise<EncodeStats>;
  absMax(job: { src: Uint8Array; dtype: SourceDtype; threads?: number }): Promise<{ absmax: number; finite: boolean }>;
  tuneQins8(job: SampleJob & { maxC?: number }): Promise<{ c: number; ints: Int32Array; errsq: number; sumsq: number; curve: Array<[number, number]> }>;
  tuneQins4(
    job: SampleJob & { search?: number; weighting?: 0 | 1 | 2; iterations?: number; cdRounds?: number; anchorZero?: boolean; init?: Int32Array; initC?: number },
  ): Promise<{ ints: Int32Array; initC: number; errsq: number; sumsq: number; iterations: number }>;
  qins8Codebook(c: number): Int32Array;
  inverse4Codebook(c: number): Int32Array;
  readonly threads: number;
  /** The set 'auto' chooses now, or null when QINS_KERNELS names a set this CPU or build lacks. */
  readonly isa: NativeIsa | null;
}

let cached: NativeCodecs | null = null;

/**
 * The native encoders, from the addon the engine loads (engine/native.ts loadAddon: a local build
 * in native/build/Release, else a prebuild; unpacked next to app.asar in a packaged app).
 * `QINS_ADDON` may name a .node file to load instead.
 */
export function loadNativeCodecs(): NativeCodecs {
  if (cached) return cached;
  let addon: { codecs?: NativeCodecs };
  try {
    addon = loadAddon() as { codecs?: NativeCodecs };
  } catch (e) {
    throw new ConvertError('NATIVE_UNAVAILABLE', `the native codecs are not built (${(e as Error).message.split('\n')[0]}); run npm run build:native`);
  }
  if (!addon.codecs || typeof addon.codecs.encode !== 'function')
    throw new ConvertError('NATIVE_UNAVAILABLE', 'the native addon has no codecs; rebuild it with npm run build:native');
  cached = addon.codecs;
  return cached;
}
