// The model library as the UI sees it: models, what the engine has loaded, conversion jobs with
// their progress, and quality measurements.
import { create } from 'zustand';
import type { APP_CODECS } from '../../../src-shared/codecs';
import type { ConvertEvent, ConvertJob, EvalEvent, ModelInfo, ModelStatus } from '../../../src-shared/contract';
import { type ReadableError, readable } from '../lib/errors';
import { qins } from '../lib/qins';
import { useApp } from './app';

export interface JobView extends ConvertJob {
  /** When the UI first saw the job (for a local ETA before the engine reports one). */
  seenAt: number;
  state: 'running' | 'cancelling' | 'failed' | 'done';
  error: ReadableError | null;
  /** The model it produced (state 'done'). */
  modelId: string | null;
}

export interface EvalView {
  jobId: string;
  modelId: string;
  done: number;
  total: number;
  stage: string;
  error: ReadableError | null;
}

interface ModelsState {
  models: ModelInfo[];
  listed: boolean;
  status: ModelStatus;
  jobs: JobView[];
  evals: Record<string, EvalView>;
  /** The default model was loaded automatically once; never again in this window. */
  autoLoaded: boolean;

  refresh(): Promise<void>;
  refreshStatus(): Promise<void>;
  refreshJobs(): Promise<void>;
  load(id: string): Promise<boolean>;
  /** Loads the default (or most recently used) model when nothing is loaded yet. */
  autoLoad(defaultModelId: string | null): Promise<void>;
  /** `choice`: a codec for a .qins, or 'ort-fp32' for the ONNX Runtime reference. */
  importModel(source: string, choice: ImportChoice): Promise<JobView | ReadableError>;
  /** Follows a conversion started elsewhere (a Hugging Face cache snapshot). */
  trackJob(job: ConvertJob): void;
  cancel(jobId: string): Promise<void>;
  dismissJob(jobId: string): void;
  remove(id: string): Promise<void>;
  rename(id: string, name: string): Promise<void>;
  evaluate(id: string): Promise<ReadableError | null>;
  onConvert(e: ConvertEvent): void;
  onEval(e: EvalEvent): void;
  setStatus(s: ModelStatus): void;
}

const NONE: ModelStatus = { state: 'none', loaded: null, loadingId: null, error: null };

/** What a checkpoint can become: a .qins with one of our codecs, or the FP32 ONNX reference run by ONNX Runtime. */
export type ImportChoice = (typeof APP_CODECS)[number] | 'ort-fp32';

const view = (j: ConvertJob): JobView => ({ ...j, seenAt: Date.now(), state: 'running', error: null, modelId: null });

/** The model to load without asking: the default setting, else the most recently used, else the first. */
export function preferredModel(models: ModelInfo[], defaultModelId: string | null): ModelInfo | null {
  const usable = models.filter((m) => !m.missing);
  return usable.find((m) => m.id === defaultModelId) ?? [...usable].sort((a, b) => (b.lastUsedAt ?? 0) - (a.lastUsedAt ?? 0) || b.addedAt - a.addedAt)[0] ?? null;
}

export const useModels = create<ModelsState>((set, get) => ({
  models: [],
  listed: false,
  status: NONE,
  jobs: [],
  evals: {},
  autoLoaded: false,

  async refresh() {
    set({ models: await qins.invoke('models.list', {}), listed: true });
  },
  async refreshStatus() {
    set({ status: await qins.invoke('models.status', {}) });
  },
  async refreshJobs() {
    const live = await qins.invoke('models.jobs', {});
    set((s) => {
      const known = new Map(s.jobs.map((j) => [j.jobId, j]));
      const running = live.map((j) => ({ ...(known.get(j.jobId) ?? view(j)), progress: j.progress ?? known.get(j.jobId)?.progress ?? null }));
      const finished = s.jobs.filter((j) => j.state === 'failed' && !live.some((l) => l.jobId === j.jobId));
      return { jobs: [...running, ...finished] };
    });
  },
  async load(id) {
    try {
      set({ status: { state: 'loading', loaded: null, loadingId: id, error: null } });
      set({ status: await qins.invoke('models.load', { id }), autoLoaded: true });
      return true;
    } catch (e) {
      const r = readable(e);
      set({ status: { state: 'error', loaded: null, loadingId: null, error: r.message }, autoLoaded: true });
      return false;
    }
  },
  async autoLoad(defaultModelId) {
    const { status, models, autoLoaded } = get();
    if (autoLoaded || status.state !== 'none') return;
    const pick = preferredModel(models, defaultModelId);
    if (!pick) return;
    set({ autoLoaded: true });
    await get().load(pick.id);
  },
  async importModel(source, choice) {
    try {
      const request = choice === 'ort-fp32' ? { source, codec: 'f32' as const, engine: 'ort' as const } : { source, codec: choice, engine: 'qins' as const };
      const job = view(await qins.invoke('models.import', request));
      // A .qins file is added in place at once: no job to follow, the library just changes.
      if (job.kind === 'register') await get().refresh();
      else set((s) => ({ jobs: s.jobs.some((j) => j.jobId === job.jobId) ? s.jobs : [...s.jobs, job] }));
      return job;
    } catch (e) {
      return readable(e);
    }
  },
  trackJob(job) {
    set((s) => ({ jobs: s.jobs.some((j) => j.jobId === job.jobId) ? s.jobs : [...s.jobs, view(job)] }));
  },
  async cancel(jobId) {
    set((s) => ({ jobs: s.jobs.map((j) => (j.jobId === jobId && j.state === 'running' ? { ...j, state: 'cancelling' } : j)) }));
    await qins.invoke('models.cancelImport', { jobId }).catch(() => undefined);
  },
  dismissJob(jobId) {
    set((s) => ({ jobs: s.jobs.filter((j) => j.jobId !== jobId) }));
  },
  async remove(id) {
    await qins.invoke('models.delete', { id });
    await get().refresh();
  },
  async rename(id, name) {
    await qins.invoke('models.rename', { id, name });
    await get().refresh();
  },
  async evaluate(id) {
    try {
      const { jobId } = await qins.invoke('models.evaluate', { id });
      set((s) => ({ evals: { ...s.evals, [id]: s.evals[id]?.jobId === jobId ? s.evals[id]! : { jobId, modelId: id, done: 0, total: 0, stage: 'starting', error: null } } }));
      return null;
    } catch (e) {
      return readable(e);
    }
  },

  onConvert(e) {
    set((s) => {
      const existing = s.jobs.find((j) => j.jobId === e.jobId);
      if (e.type === 'progress') {
        const base = existing ?? view({ jobId: e.jobId, source: e.source, kind: e.kind, codec: e.codec, progress: null, builtin: false, name: e.name });
        const next = { ...base, progress: e.progress };
        return { jobs: existing ? s.jobs.map((j) => (j.jobId === e.jobId ? next : j)) : [...s.jobs, next] };
      }
      if (e.type === 'done') {
        // A finished job leaves the list; the model appears in the library.
        return { jobs: s.jobs.filter((j) => j.jobId !== e.jobId), models: [...s.models.filter((m) => m.id !== e.model.id), e.model] };
      }
      const error = readable(e.error);
      if (!existing) {
        // A job this window never saw start (e.g. the first-run conversion before it connected).
        if (error.code !== 'CANCELLED') queueMicrotask(() => useApp.getState().notify({ kind: 'error', title: `Conversion failed: ${error.title}`, message: error.message }));
        return {};
      }
      // A cancelled job simply goes away; a failed one stays until dismissed, with its reason.
      if (error.code === 'CANCELLED') return { jobs: s.jobs.filter((j) => j.jobId !== e.jobId) };
      return { jobs: s.jobs.map((j) => (j.jobId === e.jobId ? { ...j, state: 'failed', error } : j)) };
    });
    if (e.type === 'done') void get().refresh();
  },
  onEval(e) {
    set((s) => {
      const evals = { ...s.evals };
      if (e.type === 'progress') evals[e.modelId] = { jobId: e.jobId, modelId: e.modelId, done: e.done, total: e.total, stage: e.stage, error: null };
      else if (e.type === 'done') delete evals[e.modelId];
      else evals[e.modelId] = { jobId: e.jobId, modelId: e.modelId, done: 0, total: 0, stage: 'failed', error: readable(e.error) };
      return { evals };
    });
    if (e.type === 'done') void get().refresh();
  },
  setStatus(status) {
    set({ status });
  },
}));
