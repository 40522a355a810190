// llama.cpp as a peer engine, through node-llama-cpp installed on demand in .bench/peer
// (`npm run peer:install`; QINS_PEER_DIR overrides the folder). It is a benchmark and test tool,
// not an app dependency: nothing here is imported unless a bench or a test asks for the peer, and
// the package is loaded from its file URL, so the app builds and runs without it.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { appRoot } from '../core/paths.js';

/** The pinned node-llama-cpp release (scripts/peer-install.mjs installs exactly this). */
export const PEER_VERSION = '3.21.1';
export const PEER_NOT_INSTALLED = 'llama.cpp peer not installed (npm run peer:install)';

export const peerDir = (): string => resolve(process.env.QINS_PEER_DIR ?? join(appRoot(), '.bench', 'peer'));
const packageDir = (): string => join(peerDir(), 'node_modules', 'node-llama-cpp');

export type PeerStatus = { ok: true; version: string; dir: string } | { ok: false; reason: string };

/** Whether the pinned node-llama-cpp is installed (no loading: cheap, synchronous). */
export function peerAvailable(): PeerStatus {
  const pkg = join(packageDir(), 'package.json');
  if (!existsSync(pkg) || !existsSync(join(packageDir(), 'dist', 'index.js'))) return { ok: false, reason: PEER_NOT_INSTALLED };
  let version: string;
  try {
    version = String((JSON.parse(readFileSync(pkg, 'utf8')) as { version?: unknown }).version);
  } catch {
    return { ok: false, reason: `${pkg} is unreadable; reinstall with npm run peer:install` };
  }
  if (version !== PEER_VERSION)
    return { ok: false, reason: `${peerDir()} holds node-llama-cpp ${version}, not ${PEER_VERSION} (npm run peer:install)` };
  return { ok: true, version, dir: peerDir() };
}

// The few parts of node-llama-cpp's API used here (its own .d.ts lives in the peer folder).
type Token = number;
type NlcControlledItem = Token | [Token, { generateNext?: { probabilities?: boolean; options?: { temperature?: number; topK?: number; topP?: number; minP?: number } } }];
interface NlcSequence {
  clearHistory(): Promise<void>;
  controlledEvaluate(input: NlcControlledItem[]): Promise<Array<undefined | { next: { probabilities?: Map<Token, number> } }>>;
  evaluate(tokens: Token[], options?: { temperature?: number; yieldEogToken?: boolean }): AsyncGenerator<Token, void, void | Token | Token[]>;
}
interface NlcContext {
  getSequence(): NlcSequence;
  readonly contextSize: number;
  readonly batchSize: number;
  readonly currentThreads: number;
  readonly idealThreads: number;
  readonly flashAttention: 'auto' | boolean;
  readonly kvCacheKeyType: number | string;
  readonly kvCacheValueType: number | string;
  dispose(): Promise<void>;
}
interface NlcModel {
  tokenize(text: string, specialTokens?: boolean): Token[];
  detokenize(tokens: readonly Token[], specialTokens?: boolean): string;
  createContext(options: { contextSize: number; batchSize?: number; threads?: number | { ideal: number; min: number }; sequences?: number }): Promise<NlcContext>;
  readonly trainContextSize: number;
  dispose(): Promise<void>;
}
interface NlcLlama {
  loadModel(options: { modelPath: string; gpuLayers?: number }): Promise<NlcModel>;
  readonly llamaCppRelease: { readonly repo: string; readonly release: string };
  readonly cpuMathCores: number;
  readonly buildType: 'localBuild' | 'prebuilt';
  readonly systemInfo: string;
  readonly gpu: string | false;
  dispose(): Promise<void>;
}
interface NlcModule {
  getLlama(options: { gpu: false; build: 'never'; logLevel: 'warn' | 'error'; logger?: (level: string, message: string) => void }): Promise<NlcLlama>;
}

/** What was loaded: the package, llama.cpp's release, and the CPU code the process runs. */
export interface PeerInfo {
  version: string;
  dir: string;
  /** node-llama-cpp's record of the llama.cpp release its binaries were built from. */
  llamaCpp: { repo: string; release: string };
  buildType: 'localBuild' | 'prebuilt';
  /** ggml's CPU feature line (llama_print_system_info). */
  systemInfo: string;
  /** CPU cores node-llama-cpp considers useful for math. */
  cpuMathCores: number;
  /** The ggml CPU backend variant mapped into this process (e.g. libggml-cpu-zen4.so); null where it cannot be seen (no /proc). */
  cpuLibrary: string | null;
}

/** ggml's type numbers for the names a KV cache may have. */
const GGML_TYPES: Record<number, string> = { 0: 'f32', 1: 'f16', 2: 'q4_0', 3: 'q4_1', 6: 'q5_0', 7: 'q5_1', 8: 'q8_0', 30: 'bf16' };

let loading: Promise<{ llama: NlcLlama; info: PeerInfo }> | null = null;

function mappedCpuLibrary(): string | null {
  try {
    const libs = new Set<string>();
    for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
      const m = /\s(\/\S*libggml-cpu[^/\s]*\.(?:so|dylib|dll))$/.exec(line);
      if (m) libs.add(basename(m[1]!));
    }
    return libs.size > 0 ? [...libs].join(', ') : null;
  } catch {
    return null;
  }
}

/** Loads node-llama-cpp (once per process) with the CPU backend only and no build or download. */
export function loadPeer(): Promise<{ llama: NlcLlama; info: PeerInfo }> {
  loading ??= (async () => {
    const status = peerAvailable();
    if (!status.ok) throw new Error(status.reason);
    const url = pathToFileURL(join(packageDir(), 'dist', 'index.js')).href;
    const mod = (await import(/* @vite-ignore */ url)) as NlcModule;
    const llama = await mod.getLlama({
      gpu: false,
      build: 'never',
      logLevel: 'warn',
      logger: (level, message) => {
        const text = message.trim();
        if (text) process.stderr.write(`llama.cpp ${level}: ${text}\n`);
      },
    });
    const info: PeerInfo = {
      version: status.version,
      dir: status.dir,
      llamaCpp: { repo: llama.llamaCppRelease.repo, release: llama.llamaCppRelease.release },
      buildType: llama.buildType,
      systemInfo: llama.systemInfo.trim(),
      cpuMathCores: llama.cpuMathCores,
      cpuLibrary: mappedCpuLibrary(),
    };
    return { llama, info };
  })();
  loading.catch(() => {
    loading = null;
  });
  return loading;
}

export interface PeerModelOptions {
  threads: number;
  contextSize: number;
  batchSize?: number;
}

/** How the context runs: what llama.cpp was given and what it reports. */
export interface PeerContextInfo {
  threads: number;
  batchSize: number;
  flashAttention: 'auto' | boolean;
  /** ggml type names (or numbers) of the K and V caches. */
  kvCacheKeyType: string;
  kvCacheValueType: string;
}

/** Tokens of a greedy run and when each one was ready (performance.now(), ms). */
export interface TimedTokens {
  tokens: number[];
  /** performance.now() when the evaluation started. */
  start: number;
  /** performance.now() when token i was sampled (after evaluating the prompt for i = 0, token i − 1 after that). */
  times: number[];
}

export interface PeerModel {
  readonly info: PeerInfo;
  readonly contextSize: number;
  readonly context: PeerContextInfo;
  /** llama.cpp's tokenization of `text` (no BOS added); `specials` parses special-token text. */
  tokenize(text: string, options: { specials: boolean }): number[];
  detokenize(ids: readonly number[], options: { specials: boolean }): string;
  /** Evaluates `promptIds` exactly as given (from an empty context) and takes the argmax `n` times (end-of-generation tokens included). */
  greedy(promptIds: number[], n: number): Promise<number[]>;
  /** As greedy, from an empty context, with the time each token was ready: a prefill, then one decode step per token. */
  timedGreedy(promptIds: number[], n: number): Promise<TimedTokens>;
  /** The `k` most likely next tokens after `promptIds` with their log-probabilities (full softmax of the logits, best first). */
  topNext(promptIds: number[], k: number): Promise<Array<{ id: number; logprob: number }>>;
  dispose(): Promise<void>;
}

/** Loads a GGUF file into llama.cpp on the CPU with one sequence of `contextSize` positions. */
export async function openPeerModel(ggufPath: string, options: PeerModelOptions): Promise<PeerModel> {
  const { llama, info } = await loadPeer();
  const model = await llama.loadModel({ modelPath: resolve(ggufPath), gpuLayers: 0 });
  let context: NlcContext;
  try {
    context = await model.createContext({
      contextSize: options.contextSize,
      // min = ideal: every evaluation uses exactly this many threads
      threads: { ideal: options.threads, min: options.threads },
      sequences: 1,
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    });
  } catch (e) {
    await model.dispose();
    throw e;
  }
  const sequence = context.getSequence();
  const typeName = (t: number | string): string => (typeof t === 'string' ? t : (GGML_TYPES[t] ?? String(t)));
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };
  const timedGreedy = (promptIds: number[], n: number): Promise<TimedTokens> =>
    serial(async () => {
      if (promptIds.length === 0) throw new Error('timedGreedy: the prompt is empty');
      if (promptIds.length + n > context.contextSize)
        throw new Error(`timedGreedy: ${promptIds.length} + ${n} tokens exceed the context (${context.contextSize})`);
      await sequence.clearHistory();
      const out: TimedTokens = { tokens: [], start: performance.now(), times: [] };
      if (n <= 0) return out;
      const it = sequence.evaluate(promptIds.slice(), { temperature: 0, yieldEogToken: true });
      try {
        for (let r = await it.next(); !r.done; r = await it.next()) {
          out.times.push(performance.now());
          out.tokens.push(r.value);
          if (out.tokens.length >= n) break;
        }
      } finally {
        await it.return(undefined);
      }
      return out;
    });
  return {
    info,
    contextSize: context.contextSize,
    context: {
      threads: context.currentThreads,
      batchSize: context.batchSize,
      flashAttention: context.flashAttention,
      kvCacheKeyType: typeName(context.kvCacheKeyType),
      kvCacheValueType: typeName(context.kvCacheValueType),
    },
    timedGreedy,
    tokenize: (text, o) => Array.from(model.tokenize(text, o.specials)),
    detokenize: (ids, o) => model.detokenize(ids, o.specials),
    greedy: (promptIds, n) =>
      serial(async () => {
        if (promptIds.length === 0) throw new Error('greedy: the prompt is empty');
        if (promptIds.length + n > context.contextSize)
          throw new Error(`greedy: ${promptIds.length} + ${n} tokens exceed the context (${context.contextSize})`);
        await sequence.clearHistory();
        const out: number[] = [];
        if (n <= 0) return out;
        const it = sequence.evaluate(promptIds.slice(), { temperature: 0, yieldEogToken: true });
        try {
          for (let r = await it.next(); !r.done; r = await it.next()) {
            out.push(r.value);
            if (out.length >= n) break;
          }
        } finally {
          await it.return(undefined);
        }
        return out;
      }),
    topNext: (promptIds, k) =>
      serial(async () => {
        if (promptIds.length === 0 || promptIds.length >= context.contextSize) throw new Error(`topNext: ${promptIds.length} tokens do not fit the context`);
        await sequence.clearHistory();
        const last = promptIds.length - 1;
        const input: NlcControlledItem[] = promptIds.map((t, i) =>
          i === last ? [t, { generateNext: { probabilities: true, options: { temperature: 1, topK: 0, topP: 1, minP: 0 } } }] : t,
        );
        const probs = (await sequence.controlledEvaluate(input))[last]?.next.probabilities;
        if (!probs) throw new Error('topNext: llama.cpp returned no probabilities');
        const out: Array<{ id: number; logprob: number }> = [];
        for (const [id, p] of probs) {
          if (out.length >= k) break;
          out.push({ id, logprob: Math.log(p) });
        }
        return out;
      }),
    dispose: async () => {
      await queue;
      await context.dispose();
      await model.dispose();
    },
  };
}
