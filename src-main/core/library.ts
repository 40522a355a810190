// The model library: converted models on disk (registered in the store), conversion jobs that add
// to it, loading a model into the engine host, and quality measurements.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import {
  type ConvertEvent,
  type ConvertJob,
  type EvalEvent,
  type EventChannel,
  type EventOf,
  type LoadedModel,
  type ModelInfo,
  type ModelStatus,
  QinsError,
} from '../../src-shared/contract.js';
import type { Codec } from '../../src-shared/codecs.js';
import { isOrtModelDir, readOrtModelDir, specParams } from '../engine/onnx/model-dir.js';
import { inspectGraph, onnxWeightSummary } from '../engine/onnx/inspect.js';
import type { HostEventArgs, HostMethods } from '../../src-shared/engine-protocol.js';
import type { EngineSupervisor } from './engine-supervisor.js';
import { assetsDir, modelsDir } from './paths.js';
import { readQinsHeader } from '../engine/format/qins-format.js';
import type { ChatStore, ModelRecord } from './store/index.js';

export type Broadcast = <E extends EventChannel>(event: E, payload: EventOf<E>) => void;

/** The embedded default model and the text "Measure quality" evaluates on. */
export const defaultModelSource = (): string => join(assetsDir(), 'models', 'tiny-phi3-chat');
export const evalTextPath = (): string => join(assetsDir(), 'eval', 'eval_dev.txt');

const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80) || 'model';

export class ModelLibrary {
  private status: ModelStatus = { state: 'none', loaded: null, loadingId: null, error: null };
  private loading: Promise<LoadedModel> | undefined;
  private readonly jobs = new Map<string, ConvertJob>();
  /** Conversions run one after another (they are CPU- and disk-bound). */
  private convertChain: Promise<unknown> = Promise.resolve();
  private readonly evaluating = new Set<string>();
  /** Running quality measurements: job id → the engine job ids it runs (model, reference). */
  private readonly evalJobs = new Map<string, { cancelled: boolean; engineJobs: Set<string> }>();

  constructor(
    private readonly store: ChatStore,
    private readonly engine: EngineSupervisor,
    private readonly broadcast: Broadcast,
    /** The text "Measure quality" evaluates on (the bundled eval text by default). */
    private readonly evalText: string = evalTextPath(),
  ) {
    // A new engine host starts empty: the model it had is gone with the old one.
    engine.on('status', (s) => {
      if ((s.state === 'crashed' || s.state === 'stopped') && this.status.state !== 'none') this.setStatus({ state: 'none', loaded: null, loadingId: null, error: s.lastError });
    });
  }

  // ─── Listing ──────────────────────────────────────────────────────────────────────────────────

  private info(r: ModelRecord): ModelInfo {
    return { ...r, engine: isOrtModelDir(r.path) ? 'ort' : 'qins', quality: this.store.getModelQuality(r.id), missing: !existsSync(r.path) };
  }

  list(): ModelInfo[] {
    return this.store.listModels().map((r) => this.info(r));
  }

  get(id: string): ModelInfo {
    const r = this.store.getModel(id);
    if (!r) throw new QinsError('NOT_FOUND', `no model with id ${id}`);
    return this.info(r);
  }

  modelStatus(): ModelStatus {
    return structuredClone(this.status);
  }

  private setStatus(s: ModelStatus): void {
    this.status = s;
    this.broadcast('model.status', this.modelStatus());
  }

  rename(id: string, name: string): ModelInfo {
    const r = this.get(id);
    this.store.upsertModel({ ...r, name });
    this.broadcast('models.changed', { reason: 'renamed' });
    return this.get(id);
  }

  async delete(id: string): Promise<boolean> {
    const r = this.store.getModel(id);
    if (!r) return false;
    if (this.status.loaded?.modelId === id || this.status.loadingId === id) {
      await this.loading?.catch(() => undefined);
      await this.engine.call('model.unload', {}).catch(() => undefined);
      this.setStatus({ state: 'none', loaded: null, loadingId: null, error: null });
    }
    // Only files the app made live in the models folder; models registered in place stay on disk.
    if (resolve(r.path).startsWith(resolve(modelsDir()) + sep)) await rm(r.path, { recursive: true, force: true });
    this.store.removeModel(id);
    this.broadcast('models.changed', { reason: 'deleted' });
    return true;
  }

  // ─── Loading ──────────────────────────────────────────────────────────────────────────────────

  /** Loads a model into the engine host (replacing the loaded one). */
  load(id: string): Promise<LoadedModel> {
    const record = this.get(id);
    if (record.missing) throw new QinsError('NOT_FOUND', `${record.path} is missing on disk`);
    if (this.status.state === 'ready' && this.status.loaded?.modelId === id) return Promise.resolve(this.status.loaded);
    if (this.loading && this.status.loadingId === id) return this.loading;
    const previous = this.loading ?? Promise.resolve();
    const run = async (): Promise<LoadedModel> => {
      await previous.catch(() => undefined);
      this.setStatus({ state: 'loading', loaded: null, loadingId: id, error: null });
      try {
        await this.engine.start();
        const threads = this.store.getSettings().threads;
        const h = await this.engine.call('model.load', { path: record.path, threads });
        const loaded: LoadedModel = {
          modelId: id,
          name: record.name,
          engine: h.engine,
          codec: h.codec,
          architecture: h.architecture,
          params: h.params,
          contextLength: h.contextLength,
          weightBytes: h.weightBytes,
          fp32Bytes: h.params * 4,
          loadMs: h.loadMs,
          chat: h.chat,
          defaults: h.defaults,
        };
        this.store.touchModel(id);
        this.setStatus({ state: 'ready', loaded, loadingId: null, error: null });
        return loaded;
      } catch (e) {
        this.setStatus({ state: 'error', loaded: null, loadingId: null, error: e instanceof Error ? e.message : String(e) });
        throw e;
      }
    };
    const p = run();
    this.loading = p;
    void p.finally(() => {
      if (this.loading === p) this.loading = undefined;
    }).catch(() => undefined);
    return p;
  }

  /**
   * The model to chat with: the requested one, else the loaded one, else the default setting, else
   * the most recently used. Loads it when needed.
   */
  async ensureLoaded(preferredId?: string | null): Promise<LoadedModel> {
    const loaded = this.status.state === 'ready' ? this.status.loaded : null;
    if (preferredId && this.store.getModel(preferredId)) return this.load(preferredId);
    if (loaded) return loaded;
    if (this.loading) return this.loading;
    const models = this.list().filter((m) => !m.missing);
    if (models.length === 0) throw new QinsError('NOT_FOUND', 'no model is available yet: import a checkpoint first');
    const settingsId = this.store.getSettings().defaultModelId;
    const pick = models.find((m) => m.id === settingsId) ?? [...models].sort((a, b) => (b.lastUsedAt ?? 0) - (a.lastUsedAt ?? 0))[0]!;
    return this.load(pick.id);
  }

  // ─── Importing ────────────────────────────────────────────────────────────────────────────────

  listJobs(): ConvertJob[] {
    return [...this.jobs.values()];
  }

  private uniqueModelId(base: string): string {
    let id = base;
    for (let i = 2; this.store.getModel(id); i++) id = `${base}-${i}`;
    return id;
  }

  /**
   * Starts converting a checkpoint folder into the library. Returns at once; progress and the
   * outcome arrive as convert.event (exactly one 'done' or 'error' per job).
   */
  async import(sourceIn: string, codec: Codec, options: { builtin?: boolean; engine?: 'qins' | 'ort' } = {}): Promise<ConvertJob> {
    const source = resolve(sourceIn);
    const st = await stat(source).catch(() => null);
    if (!st) throw new QinsError('BAD_INPUT', `${source}: no such file or folder`);
    const lower = source.toLowerCase();
    let kind: ConvertJob['kind'] = 'convert';
    if (st.isFile() && lower.endsWith('.qinz')) kind = 'unpack';
    else if (st.isFile() && lower.endsWith('.qins')) kind = 'register';
    else if (!st.isDirectory())
      throw new QinsError('BAD_INPUT', `${source}: not a folder (drop a HuggingFace checkpoint folder with config.json and *.safetensors, or a .qinz / .qins file)`);
    else if (isOrtModelDir(source)) kind = 'register';
    else if (!existsSync(join(source, 'config.json'))) throw new QinsError('BAD_INPUT', `${source}: no config.json (not a HuggingFace checkpoint folder)`);
    else if (options.engine === 'ort') {
      kind = 'export';
      codec = 'f32';
    }
    if (kind === 'register') return this.register(source, options.builtin ?? false);
    const name = kind === 'unpack' ? basename(source).replace(/\.qinz$/i, '') : basename(source);
    const id = this.uniqueModelId(kind === 'unpack' ? slug(name) : `${slug(name)}-${kind === 'export' ? 'ort-fp32' : codec}`);
    const jobId = randomUUID();
    const job: ConvertJob = { jobId, source, kind, codec, progress: null, builtin: options.builtin ?? false };
    this.jobs.set(jobId, job);
    const emit = (e: ConvertEvent) => this.broadcast('convert.event', e);
    const run = async () => {
      const dir = modelsDir();
      await mkdir(dir, { recursive: true });
      const destination = join(dir, kind === 'export' ? id : `${id}.qins`);
      const onProgress = (...[event, d]: HostEventArgs) => {
        if (event !== 'convert.progress' || d.jobId !== jobId || !d.progress) return;
        job.progress = d.progress;
        emit({ jobId, type: 'progress', source, kind, codec, progress: d.progress });
      };
      this.engine.on('event', onProgress);
      try {
        await this.engine.start();
        const r = await this.engine.call('convert', { jobId, source, destination, codec, kind });
        this.store.upsertModel({
          id,
          name,
          path: r.path,
          codec: r.codec,
          architecture: r.architecture,
          params: r.params,
          fileBytes: r.fileBytes,
          contextLength: r.contextLength,
          bitsPerWeight: r.bitsPerWeight,
          snrDb: r.snrDb,
          sourceName: r.sourceName,
          sourceBytes: r.sourceBytes,
          sourcePath: kind === 'convert' || kind === 'export' ? source : null,
          builtin: job.builtin,
          addedAt: Date.now(),
          lastUsedAt: null,
        });
        this.broadcast('models.changed', { reason: 'imported' });
        emit({ jobId, type: 'done', model: this.get(id) });
      } catch (e) {
        await rm(destination, { recursive: true, force: true }).catch(() => undefined);
        const error = e instanceof QinsError ? e.toJSON() : { code: 'INTERNAL' as const, message: e instanceof Error ? e.message : String(e) };
        emit({ jobId, type: 'error', error });
      } finally {
        this.engine.off('event', onProgress);
        this.jobs.delete(jobId);
      }
    };
    this.convertChain = this.convertChain.then(run, run);
    return { ...job };
  }

  /** What a .qins file or an ONNX folder says about itself, for registering it. */
  private async describe(path: string): Promise<Omit<ModelRecord, 'id' | 'name' | 'path' | 'codec' | 'sourcePath' | 'builtin' | 'addedAt' | 'lastUsedAt'> & { codec: Codec }> {
    if (isOrtModelDir(path)) {
      const d = await readOrtModelDir(path).catch((e: Error) => {
        throw new QinsError('BAD_INPUT', e.message);
      });
      const params = specParams(d.spec);
      // FP32 weights, or int4 ones (MatMulNBits) in the published *-int4 folders: the graph says
      // which, and its matrix weights' bytes over their parameters give the bits per weight.
      const graph = await inspectGraph(d.modelPath).catch((e: Error) => {
        throw new QinsError('BAD_INPUT', `${d.modelPath}: ${e.message}`);
      });
      const { codec, bitsPerWeight } = onnxWeightSummary(graph, { fileBytes: d.fileBytes, params });
      return {
        codec,
        architecture: d.spec.architecture,
        params,
        fileBytes: d.fileBytes,
        contextLength: d.contextLength,
        bitsPerWeight,
        snrDb: null,
        sourceName: basename(path),
        sourceBytes: d.fileBytes,
      };
    }
    const { header: h, fileBytes } = await readQinsHeader(path).catch((e: Error) => {
      throw new QinsError('BAD_INPUT', e.message);
    });
    return {
      codec: h.codec,
      architecture: h.model.architecture,
      params: h.stats.params,
      fileBytes,
      contextLength: h.model.max_position_embeddings,
      bitsPerWeight: h.stats.bits_per_weight,
      snrDb: h.stats.snr_db,
      sourceName: h.source.name,
      sourceBytes: h.source.bytes,
    };
  }

  /** Adds an existing .qins file or ONNX model folder to the library where it is (never moved or deleted). */
  private async register(path: string, builtin: boolean): Promise<ConvertJob> {
    const described = await this.describe(path);
    const existing = this.store.listModels().find((m) => resolve(m.path) === path);
    if (existing) throw new QinsError('BAD_INPUT', `${path} is already in the library (${existing.name})`);
    const name = basename(path).replace(/\.qins$/i, '');
    const id = this.uniqueModelId(slug(name));
    const jobId = randomUUID();
    this.store.upsertModel({ id, name, path, ...described, sourcePath: null, builtin, addedAt: Date.now(), lastUsedAt: null });
    this.broadcast('models.changed', { reason: 'imported' });
    // Announced after the caller has the job id, like a conversion's outcome.
    setImmediate(() => this.broadcast('convert.event', { jobId, type: 'done', model: this.get(id) }));
    return { jobId, source: path, kind: 'register', codec: described.codec, progress: null, builtin };
  }

  async cancelImport(jobId: string): Promise<boolean> {
    if (!this.jobs.has(jobId)) return false;
    try {
      const r = await this.engine.call('convert.cancel', { jobId });
      if (r.cancelled) return true;
    } catch {
      // the engine host is down: the job has failed already or will fail
    }
    return this.jobs.has(jobId);
  }

  /** First run: with an empty library, convert the embedded default model (qins8). */
  async ensureDefaultModel(): Promise<ConvertJob | null> {
    if (this.store.listModels().length > 0 || [...this.jobs.values()].some((j) => j.builtin)) return null;
    const source = defaultModelSource();
    if (!existsSync(source)) return null;
    return this.import(source, 'qins8', { builtin: true });
  }

  // ─── Quality ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Measures perplexity on the bundled eval text, and — once per checkpoint — the perplexity of
   * its unquantized weights (a temporary bf16 conversion of the source folder), so the UI can show
   * the change the codec causes. Streams eval.event.
   */
  evaluate(id: string): { jobId: string } {
    const record = this.get(id);
    if (record.missing) throw new QinsError('NOT_FOUND', `${record.path} is missing on disk`);
    if (this.evaluating.has(id)) throw new QinsError('BUSY', `${record.name} is already being measured`);
    const textPath = this.evalText;
    if (!existsSync(textPath)) throw new QinsError('NOT_FOUND', `the eval text is missing (${textPath})`);
    const jobId = randomUUID();
    const emit = (e: EvalEvent) => this.broadcast('eval.event', e);
    let stage = 'model';
    const onProgress = (...[event, d]: HostEventArgs) => {
      if (event === 'eval.progress' && d.jobId.startsWith(jobId)) emit({ jobId, type: 'progress', modelId: id, done: d.done, total: d.total, stage });
      if (event === 'convert.progress' && d.jobId.startsWith(jobId)) emit({ jobId, type: 'progress', modelId: id, done: 0, total: 0, stage: 'preparing reference' });
    };
    this.evaluating.add(id);
    this.evalJobs.set(jobId, { cancelled: false, engineJobs: new Set() });
    this.engine.on('event', onProgress);
    void (async () => {
      try {
        await this.engine.start();
        const r = await this.evalStep(jobId, 'eval.perplexity', { jobId: `${jobId}:model`, path: record.path, textPath });
        stage = 'reference';
        const referencePpl = await this.referencePerplexity(record, jobId, textPath);
        const quality = this.store.setModelQuality(id, { ppl: r.ppl, tokens: r.tokens, referencePpl, measuredAt: Date.now() });
        this.broadcast('models.changed', { reason: 'evaluated' });
        emit({ jobId, type: 'done', modelId: id, quality });
      } catch (e) {
        const error = e instanceof QinsError ? e.toJSON() : { code: 'INTERNAL' as const, message: e instanceof Error ? e.message : String(e) };
        emit({ jobId, type: 'error', modelId: id, error });
      } finally {
        this.evaluating.delete(id);
        this.evalJobs.delete(jobId);
        this.engine.off('event', onProgress);
      }
    })();
    return { jobId };
  }

  /** One engine job of a quality measurement, cancellable through cancelEvaluate. */
  private async evalStep<M extends 'convert' | 'eval.perplexity'>(jobId: string, method: M, params: HostMethods[M]['params']): Promise<HostMethods[M]['result']> {
    const job = this.evalJobs.get(jobId);
    if (!job || job.cancelled) throw new QinsError('CANCELLED', 'quality measurement cancelled');
    job.engineJobs.add(params.jobId);
    try {
      return await this.engine.call(method, params);
    } finally {
      job.engineJobs.delete(params.jobId);
    }
  }

  async cancelEvaluate(jobId: string): Promise<boolean> {
    const job = this.evalJobs.get(jobId);
    if (!job) return false;
    job.cancelled = true;
    for (const engineJob of job.engineJobs) {
      const method = engineJob.endsWith(':convert') ? 'convert.cancel' : 'eval.cancel';
      await this.engine.call(method, { jobId: engineJob }).catch(() => undefined);
    }
    return true;
  }

  /** Perplexity of the same checkpoint without quantization, or null when it cannot be measured. */
  private async referencePerplexity(record: ModelRecord, jobId: string, textPath: string): Promise<number | null> {
    if (record.codec === 'bf16' || record.codec === 'f32') return null;
    // Already known from another model of the same checkpoint?
    for (const other of this.store.listModels()) {
      if (other.id === record.id || other.sourcePath !== record.sourcePath || !record.sourcePath) continue;
      const q = this.store.getModelQuality(other.id);
      if (q?.referencePpl) return q.referencePpl;
      if (q && (other.codec === 'bf16' || other.codec === 'f32')) return q.ppl;
    }
    if (!record.sourcePath || !existsSync(join(record.sourcePath, 'config.json'))) return null;
    const header = await readQinsHeader(record.path).catch(() => null);
    const dtype = header?.header.source.dtype.toLowerCase() ?? 'bf16';
    const codec: Codec = dtype.includes('32') ? 'f32' : 'bf16';
    const tmp = join(modelsDir(), `.reference-${jobId}.qins`);
    try {
      await this.evalStep(jobId, 'convert', { jobId: `${jobId}:convert`, source: record.sourcePath, destination: tmp, codec });
      const r = await this.evalStep(jobId, 'eval.perplexity', { jobId: `${jobId}:reference`, path: tmp, textPath });
      return r.ppl;
    } finally {
      await rm(tmp, { force: true });
    }
  }
}
