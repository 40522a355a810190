// "Measure quality": a model's perplexity on the eval text, and once per checkpoint the perplexity
// of its unquantized weights (a temporary bf16 conversion), run as cancellable engine jobs.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type EvalEvent, type ModelInfo, QinsError } from '../../src-shared/contract.js';
import type { HostEventArgs, HostMethods } from '../../src-shared/engine-protocol.js';
import type { Codec } from '../../src-shared/codecs.js';
import type { EngineSupervisor } from './engine-supervisor.js';
import type { Broadcast } from './library.js';
import { modelsDir } from './paths.js';
import { readQinsHeader } from '../engine/format/qins-format.js';
import type { ChatStore, ModelRecord } from './store/index.js';

export class QualityMeasurer {
  private readonly evaluating = new Set<string>();
  /** Running quality measurements: job id → the engine job ids it runs (model, reference). */
  private readonly evalJobs = new Map<string, { cancelled: boolean; engineJobs: Set<string> }>();

  constructor(
    private readonly store: ChatStore,
    private readonly engine: EngineSupervisor,
    private readonly broadcast: Broadcast,
    /** The library's view of a registered model. */
    private readonly info: (id: string) => ModelInfo,
    /** The text "Measure quality" evaluates on. */
    private readonly evalText: string,
  ) {}

  /**
   * Measures perplexity on the bundled eval text, and — once per checkpoint — the perplexity of
   * its unquantized weights (a temporary bf16 conversion of the source folder), so the UI can show
   * the change the codec causes. Streams eval.event.
   */
  evaluate(id: string): { jobId: string } {
    const record = this.info(id);
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
