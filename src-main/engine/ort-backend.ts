// The ONNX Runtime reference engine: an InferenceBackend over an ONNX Runtime GenAI-style folder
// (`qins export-onnx` output or a Microsoft-published *-onnx folder of the same layout).
// The session lives in a worker thread: onnxruntime-node's run() is synchronous under its promise,
// and the backend contract says forward() never blocks the calling thread.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ModelSpec } from './format/qins-format.js';
import type { BackendMemory, ForwardOptions, InferenceBackend } from './backend.js';
import { DecoderSession } from './onnx/decoder-session.js';
import { inspectGraph, type GraphWeights } from './onnx/inspect.js';
import { readOrtModelDir, type OrtModelDir } from './onnx/model-dir.js';
import type { WorkerReply, WorkerRequest } from './onnx/ort-protocol.js';

export { isOrtModelDir } from './onnx/model-dir.js';

export interface OrtBackendOptions {
  /** ORT intra-op threads (default: ORT's choice, the physical core count). */
  threads?: number;
  /** Positions the KV cache may hold (default and maximum: genai_config's context_length). */
  contextLength?: number;
  /** Run the session on the calling thread instead of a worker (it then blocks during each run). */
  inThread?: boolean;
  /** Let idle ORT threads spin (see DecoderSessionOptions.spinning; default off, or QINS_ORT_SPINNING=1). */
  spinning?: boolean;
}

/** Where the worker entry is: the bundled out/main/ort-worker.js, or the TypeScript source under a TS loader. */
function workerEntry(): { file: URL; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return { file: new URL('./onnx/ort-worker.ts', here), execArgv: ['--import', 'jiti/register'] };
  for (const rel of ['./ort-worker.js', '../ort-worker.js']) {
    const file = new URL(rel, here);
    if (existsSync(fileURLToPath(file))) return { file, execArgv: [] };
  }
  throw new Error('ort-worker.js is missing next to the bundle (rebuild with electron-vite)');
}

interface Runner {
  forward(tokens: Int32Array, pos: number, allLogits: boolean): Promise<{ logits: Float32Array; kvBytes: number }>;
  /** Drops the cached keys and values (their tensors are freed). */
  reset(): void;
  dispose(): Promise<void>;
  readonly capacity: number;
}

class InThreadRunner implements Runner {
  private constructor(private readonly s: DecoderSession) {}
  static async open(model: OrtModelDir, o: OrtBackendOptions): Promise<InThreadRunner> {
    return new InThreadRunner(await DecoderSession.create(model, o));
  }
  get capacity(): number {
    return this.s.capacity;
  }
  async forward(tokens: Int32Array, pos: number, allLogits: boolean) {
    const logits = await this.s.forward(tokens, pos, allLogits);
    return { logits, kvBytes: this.s.kvBytes() };
  }
  reset(): void {
    this.s.reset();
  }
  dispose(): Promise<void> {
    return this.s.release();
  }
}

class WorkerRunner implements Runner {
  private nextId = 1;
  private pending = new Map<number, { resolve: (r: { logits: Float32Array; kvBytes: number }) => void; reject: (e: Error) => void }>();
  private dead: Error | null = null;
  private onDisposed: (() => void) | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly capacity: number,
  ) {
    worker.on('message', (m: WorkerReply) => {
      if (m.type === 'logits' || m.type === 'error') {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.type === 'logits') p?.resolve({ logits: m.logits, kvBytes: m.kvBytes });
        else p?.reject(new Error(m.message));
      } else if (m.type === 'disposed') this.onDisposed?.();
    });
    const fail = (e: Error) => {
      this.dead = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      this.onDisposed?.();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`ORT worker exited (code ${code})`)));
  }

  static open(dir: string, o: OrtBackendOptions): Promise<WorkerRunner> {
    const { file, execArgv } = workerEntry();
    const worker = new Worker(file, {
      workerData: { dir, options: { threads: o.threads, contextLength: o.contextLength, spinning: o.spinning } },
      execArgv,
    });
    return new Promise((resolve, reject) => {
      const early = (e: Error) => reject(e);
      worker.once('error', early);
      worker.once('message', (m: WorkerReply) => {
        worker.off('error', early);
        if (m.type === 'ready') resolve(new WorkerRunner(worker, m.capacity));
        else {
          void worker.terminate();
          reject(new Error(m.type === 'failed' ? m.message : `ORT worker: unexpected ${m.type}`));
        }
      });
    });
  }

  forward(tokens: Int32Array, pos: number, allLogits: boolean) {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<{ logits: Float32Array; kvBytes: number }>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const req: WorkerRequest = { type: 'forward', id, tokens: tokens.slice(), pos, allLogits };
      this.worker.postMessage(req, [req.tokens.buffer as ArrayBuffer]);
    });
  }

  reset(): void {
    // The worker handles requests in order: this lands after the forward calls sent before it.
    if (!this.dead) this.worker.postMessage({ type: 'reset' } satisfies WorkerRequest);
  }

  async dispose(): Promise<void> {
    if (!this.dead) {
      const done = new Promise<void>((r) => (this.onDisposed = r));
      this.worker.postMessage({ type: 'dispose' } satisfies WorkerRequest);
      await done;
    }
    await this.worker.terminate();
  }
}

export class OrtBackend implements InferenceBackend {
  readonly kind = 'ort' as const;
  private kvBytes = 0;
  private disposed = false;
  /** forward() calls run one after another (the KV cache is sequential state). */
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly model: OrtModelDir,
    readonly weights: GraphWeights,
    private readonly runner: Runner,
  ) {}

  static async open(dir: string, optsIn: OrtBackendOptions = {}): Promise<OrtBackend> {
    const opts = { ...optsIn, spinning: optsIn.spinning ?? process.env.QINS_ORT_SPINNING === '1' };
    const model = await readOrtModelDir(dir);
    const weights = await inspectGraph(model.modelPath);
    const runner = opts.inThread ? await InThreadRunner.open(model, opts) : await WorkerRunner.open(model.dir, opts);
    return new OrtBackend(model, weights, runner);
  }

  get spec(): ModelSpec {
    return this.model.spec;
  }

  /** The model folder (tokenizer.json, tokenizer_config.json, generation_config.json live here). */
  get dir(): string {
    return this.model.dir;
  }

  /** Bytes on disk: the decoder file plus its external data. */
  get fileBytes(): number {
    return this.model.fileBytes;
  }

  get contextLength(): number {
    return this.runner.capacity;
  }

  async forward(tokens: Int32Array, pos: number, options: ForwardOptions = {}): Promise<Float32Array> {
    if (this.disposed) throw new Error('ORT backend: used after dispose()');
    const run = this.chain.then(async () => {
      const r = await this.runner.forward(tokens, pos, options.allLogits === true);
      this.kvBytes = r.kvBytes;
      return r.logits;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  memory(): BackendMemory {
    // The past key/value tensors grow by concatenation: nothing is reserved beyond what is held.
    return { weightBytes: this.weights.perTokenBytes, kvBytes: this.kvBytes, kvBytesUsed: this.kvBytes, mappedBytes: 0 };
  }

  /** ONNX Runtime loads the weights itself; how much of them is resident is not measured. */
  residentWeightBytes(): Promise<number | null> {
    return Promise.resolve(null);
  }

  resetCache(): void {
    if (this.disposed) return;
    this.kvBytes = 0;
    const run = this.chain.then(() => {
      this.runner.reset();
      this.kvBytes = 0;
    });
    this.chain = run.catch(() => undefined);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.chain;
    await this.runner.dispose();
  }
}

/** Opens an ONNX model folder as an InferenceBackend (kind 'ort'). */
export function openOrtBackend(dir: string, opts: OrtBackendOptions = {}): Promise<OrtBackend> {
  return OrtBackend.open(dir, opts);
}
