// Loads the QINS native addon (native/, built by node-gyp): the one loader, used by the engine
// (loadNative) and by the converter's encoders (convert/native-codecs.ts). Where the file is comes
// from native-path.ts, the node-gyp-build way: a local build in native/build/Release, else a prebuild
// in native/prebuilds/<platform>-<arch>/. native/ is found from the package root, so this works from
// the sources, from the out/main bundles and from a packaged app (app.asar → app.asar.unpacked).
// QINS_ADDON may name a .node file to load instead.
import { createRequire } from 'node:module';
import { appRoot } from './app-root.js';
import type { ModelSpec } from './format/qins-format.js';
import { nativeAddonDir, resolveNativeAddon } from './native-path.js';

export type KernelChoice = 'auto' | 'generic' | 'avx2' | 'avxvnni' | 'avx512' | 'neon';
export type KvType = 'f32' | 'f16' | 'q8';
export type ActivationMode = 'int8' | 'f32';

export interface NativeOpenOptions {
  /** Worker threads (default: physical cores). */
  threads?: number;
  /** KV cache positions (default: min(max_position_embeddings, 4096)). */
  contextLength?: number;
  kvType?: KvType;
  /** Kernel set (default: the best this CPU runs; env QINS_KERNELS overrides 'auto'). */
  kernels?: KernelChoice;
  /** Coded weights: int8 activations with integer kernels (default), or decoded rows with float activations (slow, exact). */
  activations?: ActivationMode;
  /** Read every page of the file at open so the first token does not fault them in (default true). */
  prefault?: boolean;
}

export interface NativeTensorDesc {
  name: string;
  shape: number[];
  codec: string;
  offset: number;
  bytes: number;
  parts: Record<string, { offset: number; bytes: number }>;
  block?: number;
  codebook?: string;
  scale?: number;
}

export interface NativeModelDesc {
  path: string;
  /** File size seen when the header was read; the native side refuses a file that changed since. */
  fileBytes: number;
  spec: ModelSpec;
  tensors: NativeTensorDesc[];
  codebooks: Record<string, { bits: number; ints: number[]; denom: number }>;
  options?: NativeOpenOptions;
}

export interface NativeModelInfo {
  /** Kernel set in use: generic, avx2, avxvnni, avx512, neon or neon-dotprod. */
  kernels: string;
  threads: number;
  contextLength: number;
  kvType: KvType;
  activations: ActivationMode;
  weightBytes: number;
  /** Bytes reserved for the KV cache (contextLength positions). */
  kvBytes: number;
  /** Size of the mapped file (not what of it is resident: see NativeModel.residentBytes). */
  mappedBytes: number;
}

export interface NativeModel {
  /** Logits of the last token (vocab floats) or, with allLogits, of every token (n × vocab). */
  forward(tokens: Int32Array, pos: number, allLogits: boolean): Promise<Float32Array>;
  info(): NativeModelInfo;
  /**
   * Bytes of the mapped file resident in memory now, measured on a worker thread (Linux: pages in
   * this process's page tables, as the mapping's Rss; elsewhere mincore()); null when the platform
   * gives no way to measure it.
   */
  residentBytes(): Promise<number | null>;
  /**
   * The read bandwidth of the memory the weights live in: the probe of streamBandwidth run over this
   * model's mapped file (its whole size unless `bytes`; one pass per timing, best of 3 unless asked;
   * the engine's thread count unless asked). The same pages the decode streams, so no decode of this
   * model can read them faster.
   */
  streamWeights(options?: BandwidthOptions): Promise<BandwidthResult>;
  /** Rejects while a forward call is in flight. */
  dispose(): Promise<void>;
}

export interface CpuInfo {
  best: string;
  available: string[];
  physicalCores: number;
  logicalCores: number;
}

/** Options of the read-bandwidth probe. */
export interface BandwidthOptions {
  bytes?: number;
  threads?: number;
  repeats?: number;
  passes?: number;
}

export interface BandwidthResult {
  /** Best of the repeats, GB/s (1e9 bytes). */
  gbs: number;
  /** Slowest repeat, GB/s. */
  worstGbs: number;
  /** Buffer size (default 1 GiB, 2 MiB-aligned). */
  bytes: number;
  threads: number;
  repeats: number;
  /** Reads of the whole buffer per timed repeat. */
  passes: number;
  /** madvise(MADV_HUGEPAGE) was accepted for the buffer (Linux). */
  hugePagesRequested: boolean;
  /** Bytes of the buffer mapped with huge pages (Linux smaps: AnonHugePages, FilePmdMapped; 0 elsewhere). */
  hugePageBytes: number;
  /** Threads bound to one CPU each (0 where the OS gives no way). */
  pinnedThreads: number;
  kernels: string;
}

export interface QinsNative {
  openModel(desc: NativeModelDesc): Promise<NativeModel>;
  cpuInfo(): CpuInfo;
  streamBandwidth(options?: BandwidthOptions): Promise<BandwidthResult>;
}

export class NativeUnavailableError extends Error {
  override name = 'NativeUnavailableError';
}

let cached: QinsNative | null = null;

/** The folder node-gyp-build searches (native/ beside package.json, unpacked in a packaged app). */
export function nativeDir(): string {
  return nativeAddonDir(appRoot());
}

/**
 * The addon's exports (QINS_ADDON, else the file native-path.ts resolves under nativeDir()). Throws
 * what require throws (a missing or unloadable file); callers word the error for their users.
 */
export function loadAddon(): Record<string, unknown> {
  const require = createRequire(import.meta.url);
  const override = process.env.QINS_ADDON;
  return (override ? require(override) : require(resolveNativeAddon(nativeDir()).path)) as Record<string, unknown>;
}

export function loadNative(): QinsNative {
  if (cached) return cached;
  let addon: Partial<QinsNative>;
  try {
    addon = loadAddon() as Partial<QinsNative>;
  } catch (e) {
    throw new NativeUnavailableError(`the QINS native addon cannot be loaded (${(e as Error).message.split('\n')[0]}); run npm run build:native`);
  }
  if (typeof addon.openModel !== 'function' || typeof addon.cpuInfo !== 'function' || typeof addon.streamBandwidth !== 'function')
    throw new NativeUnavailableError('the QINS native addon has no inference engine (stale build?); run npm run build:native');
  cached = addon as QinsNative;
  return cached;
}
