// Hugging Face downloads as the UI sees them: the jobs (hub.event), the checkpoints in the local
// Hugging Face cache, and where the token comes from.
import { create } from 'zustand';
import type { APP_CODECS } from '../../../src-shared/codecs';
import type { HubCacheList, HubJob, HubPreflight, HubTokenStatus } from '../../../src-shared/contract';
import { type ReadableError, readable } from '../lib/errors';
import { qins } from '../lib/qins';
import { useModels } from './models';

export type HubCodec = (typeof APP_CODECS)[number];

interface HubState {
  jobs: HubJob[];
  cache: HubCacheList | null;
  cacheError: ReadableError | null;
  token: HubTokenStatus | null;
  refreshJobs(): Promise<void>;
  refreshCache(): Promise<void>;
  refreshToken(): Promise<void>;
  preflight(ref: string, codec: HubCodec): Promise<HubPreflight | ReadableError>;
  download(ref: string, codec: HubCodec, keepCheckpoint: boolean): Promise<ReadableError | null>;
  pause(jobId: string): Promise<ReadableError | null>;
  resume(jobId: string): Promise<ReadableError | null>;
  cancel(jobId: string): Promise<void>;
  dismiss(jobId: string): Promise<void>;
  convertCached(path: string, codec: HubCodec): Promise<ReadableError | null>;
  setToken(token: string | null): Promise<ReadableError | null>;
  onEvent(job: HubJob): void;
}

const attempt = async (fn: () => Promise<unknown>): Promise<ReadableError | null> => {
  try {
    await fn();
    return null;
  } catch (e) {
    return readable(e);
  }
};

export const isHubError = (r: HubPreflight | ReadableError): r is ReadableError => 'title' in r;

export const useHub = create<HubState>((set, get) => ({
  jobs: [],
  cache: null,
  cacheError: null,
  token: null,

  async refreshJobs() {
    set({ jobs: await qins.invoke('hub.jobs', {}) });
  },
  async refreshCache() {
    try {
      set({ cache: await qins.invoke('hub.cache', {}), cacheError: null });
    } catch (e) {
      set({ cacheError: readable(e) });
    }
  },
  async refreshToken() {
    set({ token: await qins.invoke('hub.token', {}) });
  },
  async preflight(ref, codec) {
    try {
      return await qins.invoke('hub.preflight', { ref, codec });
    } catch (e) {
      return readable(e);
    }
  },
  download: (ref, codec, keepCheckpoint) =>
    attempt(async () => {
      const job = await qins.invoke('hub.download', { ref, codec, keepCheckpoint });
      get().onEvent(job);
    }),
  pause: (jobId) => attempt(() => qins.invoke('hub.pause', { jobId })),
  resume: (jobId) => attempt(() => qins.invoke('hub.resume', { jobId })),
  async cancel(jobId) {
    await qins.invoke('hub.cancel', { jobId }).catch(() => undefined);
  },
  async dismiss(jobId) {
    await qins.invoke('hub.dismiss', { jobId }).catch(() => undefined);
    set((s) => ({ jobs: s.jobs.filter((j) => j.jobId !== jobId) }));
  },
  convertCached: (path, codec) =>
    attempt(async () => {
      const job = await qins.invoke('hub.convertCached', { path, codec });
      useModels.getState().trackJob(job);
    }),
  setToken: (token) =>
    attempt(async () => {
      set({ token: await qins.invoke('hub.setToken', { token }) });
    }),
  onEvent(job) {
    set((s) => ({ jobs: s.jobs.some((j) => j.jobId === job.jobId) ? s.jobs.map((j) => (j.jobId === job.jobId ? job : j)) : [...s.jobs, job] }));
    // a download that finished may have added (or removed) a snapshot of the cache
    if (job.state === 'done' && get().cache) void get().refreshCache();
  },
}));
