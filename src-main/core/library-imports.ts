// The library's import jobs: converting a checkpoint folder (or exporting it for ONNX Runtime, or
// unpacking a .qinz) in the engine host, one job after another, and registering an existing .qins
// file or ONNX folder where it is.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { type ConvertEvent, type ConvertJob, type ModelInfo, QinsError } from '../../src-shared/contract.js';
import { isOrtModelDir } from '../engine/onnx/model-dir.js';
import type { Codec } from '../../src-shared/codecs.js';
import type { HostEventArgs } from '../../src-shared/engine-protocol.js';
import type { EngineSupervisor } from './engine-supervisor.js';
import { describeModel, slug } from './library-describe.js';
import type { Broadcast } from './library.js';
import { modelsDir } from './paths.js';
import type { ChatStore } from './store/index.js';

export interface ImportOptions {
  builtin?: boolean;
  engine?: 'qins' | 'ort';
  /** The model's name in the library (default: the folder's or file's name). */
  name?: string;
  /** Called with the job's outcome (the 'done' or 'error' convert.event) after it is broadcast. */
  onOutcome?: (e: Extract<ConvertEvent, { type: 'done' | 'error' }>) => void;
}

export class ModelImports {
  private readonly jobs = new Map<string, ConvertJob>();
  /** Conversions run one after another (they are CPU- and disk-bound). */
  private convertChain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: ChatStore,
    private readonly engine: EngineSupervisor,
    private readonly broadcast: Broadcast,
    /** The library's view of a registered model (sent with a job's outcome). */
    private readonly info: (id: string) => ModelInfo,
  ) {}

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
  async import(sourceIn: string, codec: Codec, options: ImportOptions = {}): Promise<ConvertJob> {
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
    const name = options.name ?? (kind === 'unpack' ? basename(source).replace(/\.qinz$/i, '') : basename(source));
    const id = this.uniqueModelId(kind === 'unpack' ? slug(name) : `${slug(name)}-${kind === 'export' ? 'ort-fp32' : codec}`);
    const jobId = randomUUID();
    const job: ConvertJob = { jobId, source, kind, codec, progress: null, builtin: options.builtin ?? false, ...(options.name ? { name } : {}) };
    this.jobs.set(jobId, job);
    const emit = (e: ConvertEvent) => {
      this.broadcast('convert.event', e);
      if (e.type !== 'progress') options.onOutcome?.(e);
    };
    const run = async () => {
      const dir = modelsDir();
      await mkdir(dir, { recursive: true });
      const destination = join(dir, kind === 'export' ? id : `${id}.qins`);
      const onProgress = (...[event, d]: HostEventArgs) => {
        if (event !== 'convert.progress' || d.jobId !== jobId || !d.progress) return;
        job.progress = d.progress;
        emit({ jobId, type: 'progress', source, kind, codec, progress: d.progress, ...(options.name ? { name } : {}) });
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
        emit({ jobId, type: 'done', model: this.info(id) });
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

  /** Adds an existing .qins file or ONNX model folder to the library where it is (never moved or deleted). */
  private async register(path: string, builtin: boolean): Promise<ConvertJob> {
    const described = await describeModel(path);
    const existing = this.store.listModels().find((m) => resolve(m.path) === path);
    if (existing) throw new QinsError('BAD_INPUT', `${path} is already in the library (${existing.name})`);
    const name = basename(path).replace(/\.qins$/i, '');
    const id = this.uniqueModelId(slug(name));
    const jobId = randomUUID();
    this.store.upsertModel({ id, name, path, ...described, sourcePath: null, builtin, addedAt: Date.now(), lastUsedAt: null });
    this.broadcast('models.changed', { reason: 'imported' });
    // Announced after the caller has the job id, like a conversion's outcome.
    setImmediate(() => this.broadcast('convert.event', { jobId, type: 'done', model: this.info(id) }));
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

  /** A job is converting the built-in default model. */
  hasBuiltinJob(): boolean {
    return [...this.jobs.values()].some((j) => j.builtin);
  }
}
