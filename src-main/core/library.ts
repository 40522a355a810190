// The model library: converted models on disk (registered in the store), loading a model into the
// engine host; the conversion jobs that add to it (./library-imports.ts) and quality measurements
// (./library-quality.ts) are composed here.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import {
  type ContextPlan,
  type ConvertJob,
  type EventChannel,
  type EventOf,
  type LoadedModel,
  type ModelInfo,
  type ModelStatus,
  QinsError,
} from '../../src-shared/contract.js';
import { isOrtModelDir } from '../engine/onnx/model-dir.js';
import { availableMemory, chooseContextLength, type ModelMemorySpec, modelMemorySpec, planContext } from './context-plan.js';
import type { Codec } from '../../src-shared/codecs.js';
import type { EngineSupervisor } from './engine-supervisor.js';
import { type ImportOptions, ModelImports } from './library-imports.js';
import { QualityMeasurer } from './library-quality.js';
import { assetsDir, modelsDir } from './paths.js';
import type { ChatStore, ModelRecord } from './store/index.js';

export type Broadcast = <E extends EventChannel>(event: E, payload: EventOf<E>) => void;

/** The embedded default model and the text "Measure quality" evaluates on. */
export const defaultModelSource = (): string => join(assetsDir(), 'models', 'tiny-phi3-chat');
export const evalTextPath = (): string => join(assetsDir(), 'eval', 'eval_dev.txt');

export class ModelLibrary {
  private status: ModelStatus = { state: 'none', loaded: null, loadingId: null, error: null };
  private loading: Promise<LoadedModel> | undefined;
  private readonly imports: ModelImports;
  private readonly quality: QualityMeasurer;

  constructor(
    private readonly store: ChatStore,
    private readonly engine: EngineSupervisor,
    private readonly broadcast: Broadcast,
    /** The text "Measure quality" evaluates on (the bundled eval text by default). */
    evalText: string = evalTextPath(),
    /** Free memory in bytes (the OS's figure; tests inject one). */
    private readonly freeMemory: () => number = availableMemory,
  ) {
    this.imports = new ModelImports(store, engine, broadcast, (id) => this.get(id));
    this.quality = new QualityMeasurer(store, engine, broadcast, (id) => this.get(id), evalText);
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

  // ─── Context length and memory (./context-plan.ts) ──────────────────────────────────────────────

  /** The context length the settings ask for this model (its own, else the default; null: the engine's default). */
  private requestedContext(id: string): number | null {
    const s = this.store.getSettings();
    return s.modelContextLengths[id] ?? s.defaultContextLength;
  }

  /**
   * The memory a load of `id` needs at `contextLength` (default: what the settings ask, capped at
   * the model's maximum), against free memory plus what the loaded model would give back.
   */
  async contextPlan(id: string, contextLength?: number | null): Promise<ContextPlan> {
    const record = this.get(id);
    if (record.missing) throw new QinsError('NOT_FOUND', `${record.path} is missing on disk`);
    const spec = await modelMemorySpec(record.path);
    const s = this.store.getSettings();
    // The model's own setting is checked against its maximum; the default setting (for every
    // model) is capped at it.
    const asked = contextLength ?? s.modelContextLengths[id] ?? (s.defaultContextLength === null ? null : Math.min(s.defaultContextLength, spec.maxContextLength));
    return planContext(spec, asked, this.freeMemory() + (await this.loadedFootprint()));
  }

  /** Sets (null: clears) the model's own context length; a loaded model reloads with it. */
  async setContextLength(id: string, contextLength: number | null): Promise<ContextPlan> {
    const plan = contextLength === null ? null : await this.contextPlan(id, contextLength);
    if (plan && !plan.fits) throw new QinsError('NO_MEMORY', plan.message ?? 'not enough memory');
    const lengths = { ...this.store.getSettings().modelContextLengths };
    if (contextLength === null) delete lengths[id];
    else lengths[id] = contextLength;
    this.store.updateSettings({ modelContextLengths: lengths });
    this.broadcast('models.changed', { reason: 'context' });
    if (this.status.state === 'ready' && this.status.loaded?.modelId === id) await this.load(id).catch(() => undefined);
    return plan ?? this.contextPlan(id);
  }

  private memorySpecs = new Map<string, ModelMemorySpec>();

  /** Memory the loaded model holds (weights + its KV reservation), freed when another loads. */
  private async loadedFootprint(): Promise<number> {
    const loaded = this.status.state === 'ready' ? this.status.loaded : null;
    if (!loaded) return 0;
    const r = this.store.getModel(loaded.modelId);
    if (!r) return 0;
    let spec = this.memorySpecs.get(r.path);
    if (!spec) {
      spec = await modelMemorySpec(r.path).catch(() => undefined);
      if (!spec) return 0;
      this.memorySpecs.set(r.path, spec);
    }
    return spec.weightBytes + loaded.contextLength * spec.kvBytesPerToken;
  }

  // ─── Loading ──────────────────────────────────────────────────────────────────────────────────

  /** Loads a model into the engine host (replacing the loaded one). */
  load(id: string): Promise<LoadedModel> {
    const record = this.get(id);
    if (record.missing) throw new QinsError('NOT_FOUND', `${record.path} is missing on disk`);
    if (this.status.state === 'ready' && this.status.loaded?.modelId === id && !this.contextChanged(this.status.loaded)) return Promise.resolve(this.status.loaded);
    if (this.loading && this.status.loadingId === id) return this.loading;
    const previous = this.loading ?? Promise.resolve();
    const run = async (): Promise<LoadedModel> => {
      await previous.catch(() => undefined);
      this.setStatus({ state: 'loading', loaded: null, loadingId: id, error: null });
      try {
        const plan = await this.contextPlan(id);
        if (!plan.fits) throw new QinsError('NO_MEMORY', `${record.name}: ${plan.message}`);
        await this.engine.start();
        const threads = this.store.getSettings().threads;
        const h = await this.engine.call('model.load', { path: record.path, threads, contextLength: plan.contextLength });
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

  /** The settings now ask for another context length than the loaded model has. */
  private contextChanged(loaded: LoadedModel): boolean {
    const max = this.store.getModel(loaded.modelId)?.contextLength ?? loaded.contextLength;
    return chooseContextLength(this.requestedContext(loaded.modelId), max) !== loaded.contextLength;
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

  // ─── Importing (./library-imports.ts) ───────────────────────────────────────────────────────────

  listJobs(): ConvertJob[] {
    return this.imports.listJobs();
  }

  /**
   * Starts converting a checkpoint folder into the library. Returns at once; progress and the
   * outcome arrive as convert.event (exactly one 'done' or 'error' per job).
   */
  import(sourceIn: string, codec: Codec, options: ImportOptions = {}): Promise<ConvertJob> {
    return this.imports.import(sourceIn, codec, options);
  }

  cancelImport(jobId: string): Promise<boolean> {
    return this.imports.cancelImport(jobId);
  }

  /**
   * First run: with an empty library, convert the embedded default model (qins8). Returns null when
   * there is nothing to do; `onOutcome` is called once the conversion is done or has failed.
   */
  async ensureDefaultModel(onOutcome?: () => void): Promise<ConvertJob | null> {
    if (!this.needsDefaultModel()) return null;
    return this.import(defaultModelSource(), 'qins8', { builtin: true, ...(onOutcome ? { onOutcome } : {}) });
  }

  /** Whether ensureDefaultModel would convert the built-in model (an empty library, no such job yet). */
  needsDefaultModel(): boolean {
    return this.store.listModels().length === 0 && !this.imports.hasBuiltinJob() && existsSync(defaultModelSource());
  }

  // ─── Quality (./library-quality.ts) ─────────────────────────────────────────────────────────────

  /**
   * Measures perplexity on the bundled eval text, and — once per checkpoint — the perplexity of
   * its unquantized weights (a temporary bf16 conversion of the source folder), so the UI can show
   * the change the codec causes. Streams eval.event.
   */
  evaluate(id: string): { jobId: string } {
    return this.quality.evaluate(id);
  }

  cancelEvaluate(jobId: string): Promise<boolean> {
    return this.quality.cancelEvaluate(jobId);
  }
}
