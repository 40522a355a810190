// Downloads from the Hugging Face Hub as jobs the UI follows (hub.event): preflight, download into
// the Hugging Face cache with progress, pause / resume (also after a restart: unfinished jobs are
// kept in hub-downloads.json in the data folder), cancel, then the conversion into the library with
// the usual convert.event progress, and — when asked — the downloaded checkpoint removed afterwards.
// Also: the checkpoints already in the cache, converted in place, and the token.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import type { Codec } from '../../../src-shared/codecs.js';
import { type ConvertEvent, type ConvertJob, QinsError } from '../../../src-shared/contract.js';
import { HubJob, type HubCacheList, type HubPreflight, type HubTokenStatus, type RepoRef, parseRepoRef } from '../../../src-shared/hub.js';
import type { Broadcast } from '../library.js';
import type { ImportOptions } from '../library-imports.js';
import { blobPath, deleteSnapshot, repoFolder, repoOfFolder } from './cache.js';
import { describeSnapshot, discoverCache } from './discover.js';
import { type TokenStore, hubCacheDir, hubEndpoint, resolveToken } from './env.js';
import { type FreeSpace, preflight, pullSnapshot, refusal, snapshotName } from './pull.js';
import { type HubClient, type RemoteRepo, inspectRemote } from './remote.js';
import type { OpenSink, RetryPolicy } from './transfer.js';

/** What the service needs from the model library. */
export interface Importer {
  import(source: string, codec: Codec, options: ImportOptions): Promise<ConvertJob>;
  cancelImport(jobId: string): Promise<boolean>;
}

export interface HubServiceOptions {
  importer: Importer;
  broadcast: Broadcast;
  /** Folder of hub-downloads.json (the app's data folder). */
  dataDir: string;
  modelsDir: string;
  tokenStore?: TokenStore | null;
  env?: NodeJS.ProcessEnv;
  retry?: RetryPolicy;
  openSink?: OpenSink;
  freeSpace?: FreeSpace;
}

interface Entry {
  job: HubJob;
  remote: RemoteRepo | null;
  controller: AbortController | null;
  /** What the abort of `controller` means. */
  stopping: 'pause' | 'cancel' | null;
  /** The snapshot folder did not exist before this job (so "delete the checkpoint" may remove it). */
  createdSnapshot: boolean;
  /** The blobs this job downloads (their .incomplete files go when it is cancelled). */
  oids: string[];
  running: Promise<void> | null;
}

const Persisted = z.array(HubJob.extend({ createdSnapshot: z.boolean().default(false), oids: z.array(z.string()).default([]) }));
const TERMINAL = new Set(['done', 'failed', 'cancelled']);
const NOT_RESUMABLE = new Set(['done', 'cancelled', 'downloading', 'converting', 'queued']);

export class HubService {
  private readonly jobs = new Map<string, Entry>();
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly o: HubServiceOptions) {
    // Jobs the app had not finished when it stopped come back paused, to be resumed.
    try {
      const saved = Persisted.parse(JSON.parse(readFileSync(this.file, 'utf8')));
      for (const { createdSnapshot, oids, ...job } of saved) {
        const state = TERMINAL.has(job.state) ? job.state : 'paused';
        this.jobs.set(job.jobId, { job: { ...job, state, progress: { ...job.progress, bytesPerSecond: 0, etaMs: null } }, remote: null, controller: null, stopping: null, createdSnapshot, oids, running: null });
      }
    } catch {
      // no file yet, or unreadable: nothing to resume
    }
  }

  private get env(): NodeJS.ProcessEnv {
    return this.o.env ?? process.env;
  }
  private get file(): string {
    return join(this.o.dataDir, 'hub-downloads.json');
  }
  cacheDir(): string {
    return hubCacheDir(this.env);
  }
  private client(): HubClient {
    return { endpoint: hubEndpoint(this.env), token: resolveToken(this.o.tokenStore ?? null, this.env)?.token ?? null };
  }

  private parse(text: string): RepoRef {
    try {
      return parseRepoRef(text);
    } catch (e) {
      throw new QinsError('BAD_INPUT', (e as Error).message);
    }
  }

  /** Unfinished jobs survive a restart (written atomically, one write at a time). */
  private persist(): void {
    const rows = [...this.jobs.values()].filter((e) => !TERMINAL.has(e.job.state)).map((e) => ({ ...e.job, createdSnapshot: e.createdSnapshot, oids: e.oids }));
    const write = async (): Promise<void> => {
      await mkdir(this.o.dataDir, { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(rows, null, 1));
      await rename(tmp, this.file);
    };
    this.saving = this.saving.then(write, write).catch(() => undefined);
  }

  private update(e: Entry, patch: Partial<HubJob>, save = true): HubJob {
    e.job = { ...e.job, ...patch };
    this.o.broadcast('hub.event', structuredClone(e.job));
    if (save) this.persist();
    return structuredClone(e.job);
  }

  private entry(jobId: string): Entry {
    const e = this.jobs.get(jobId);
    if (!e) throw new QinsError('NOT_FOUND', `no download with id ${jobId}`);
    return e;
  }

  list(): HubJob[] {
    return [...this.jobs.values()].map((e) => structuredClone(e.job)).sort((a, b) => a.createdAt - b.createdAt);
  }

  async preflight(refText: string, codec: Codec): Promise<HubPreflight> {
    const ref = this.parse(refText);
    const token = resolveToken(this.o.tokenStore ?? null, this.env);
    return (await preflight(ref, { client: this.client(), cacheDir: this.cacheDir(), modelsDir: this.o.modelsDir, codec, hasToken: token !== null, freeSpace: this.o.freeSpace })).preflight;
  }

  /** Checks the repo (preflight), then starts downloading; returns the job at once. */
  async download(refText: string, codec: Codec, keepCheckpoint: boolean): Promise<HubJob> {
    const ref = this.parse(refText);
    const busy = [...this.jobs.values()].find((e) => e.job.repo === ref.repo && !TERMINAL.has(e.job.state) && e.job.codec === codec);
    if (busy) throw new QinsError('BUSY', `${ref.repo} is already being downloaded (${busy.job.state})`);
    const token = resolveToken(this.o.tokenStore ?? null, this.env);
    const { preflight: p, remote } = await preflight(ref, { client: this.client(), cacheDir: this.cacheDir(), modelsDir: this.o.modelsDir, codec, hasToken: token !== null, freeSpace: this.o.freeSpace });
    const refused = refusal(p);
    if (refused) throw refused;
    const job: HubJob = {
      jobId: randomUUID(),
      repo: p.repo,
      revision: p.revision,
      commit: p.commit,
      codec,
      keepCheckpoint,
      state: 'queued',
      progress: { file: null, filesDone: 0, filesTotal: p.files.length, bytesDone: 0, bytesTotal: p.totalBytes, bytesPerSecond: 0, etaMs: null },
      convertJobId: null,
      modelId: null,
      snapshotDir: null,
      error: null,
      createdAt: Date.now(),
    };
    const e: Entry = { job, remote, controller: null, stopping: null, createdSnapshot: false, oids: remote.files.map((f) => f.oid), running: null };
    this.jobs.set(job.jobId, e);
    this.update(e, {});
    this.start(e);
    return structuredClone(e.job);
  }

  private start(e: Entry): void {
    const run = this.run(e).finally(() => {
      if (e.running === run) e.running = null;
    });
    e.running = run;
  }

  private async run(e: Entry): Promise<void> {
    const controller = new AbortController();
    e.controller = controller;
    e.stopping = null;
    this.update(e, { state: 'downloading', error: null });
    let dir: string;
    try {
      if (!e.remote) {
        // after a restart: the same files, listed again at the commit the job started from
        const remote = await inspectRemote(this.client(), { repo: e.job.repo, revision: e.job.commit });
        e.remote = { ...remote, revision: e.job.revision };
      }
      const pulled = await pullSnapshot(e.remote, {
        client: this.client(),
        cacheDir: this.cacheDir(),
        signal: controller.signal,
        retry: this.o.retry,
        openSink: this.o.openSink,
        onProgress: (progress) => this.update(e, { progress }, false),
      });
      dir = pulled.dir;
      e.createdSnapshot ||= !pulled.existed;
    } catch (err) {
      e.controller = null;
      await this.stopped(e, err);
      return;
    }
    e.controller = null;
    if (e.stopping === 'cancel') return void (await this.stopped(e, new QinsError('CANCELLED', 'cancelled')));
    this.update(e, { state: 'converting', snapshotDir: dir, progress: { ...e.job.progress, file: null, bytesPerSecond: 0, etaMs: 0 } });
    try {
      const convert = await this.o.importer.import(dir, e.job.codec, {
        name: snapshotName(e.job.repo),
        onOutcome: (ev) => void this.converted(e, ev),
      });
      this.update(e, { convertJobId: convert.jobId });
    } catch (err) {
      this.update(e, { state: 'failed', error: asQins(err).toJSON() });
    }
  }

  /** The download stopped: paused, cancelled (its partial files removed) or failed. */
  private async stopped(e: Entry, err: unknown): Promise<void> {
    const q = asQins(err);
    if (q.code === 'CANCELLED' && e.stopping === 'pause') {
      this.update(e, { state: 'paused', progress: { ...e.job.progress, bytesPerSecond: 0, etaMs: null } });
      return;
    }
    if (q.code === 'CANCELLED') {
      await this.removePartials(e);
      this.update(e, { state: 'cancelled', error: q.toJSON() });
      return;
    }
    this.update(e, { state: 'failed', error: q.toJSON(), progress: { ...e.job.progress, bytesPerSecond: 0, etaMs: null } });
  }

  private async removePartials(e: Entry): Promise<void> {
    const repoDir = repoFolder(this.cacheDir(), e.job.repo);
    for (const oid of e.oids) if (/^[0-9a-f]{40,64}$/.test(oid)) await rm(`${blobPath(repoDir, oid)}.incomplete`, { force: true }).catch(() => undefined);
  }

  private async converted(e: Entry, ev: Extract<ConvertEvent, { type: 'done' | 'error' }>): Promise<void> {
    if (ev.type === 'error') {
      // the checkpoint stays in the cache: converting it again needs no download
      this.update(e, { state: ev.error.code === 'CANCELLED' ? 'cancelled' : 'failed', error: ev.error });
      return;
    }
    if (!e.job.keepCheckpoint && e.createdSnapshot && e.job.snapshotDir) {
      await deleteSnapshot(this.cacheDir(), repoFolder(this.cacheDir(), e.job.repo), e.job.commit).catch(() => undefined);
    }
    this.update(e, { state: 'done', modelId: ev.model.id, progress: { ...e.job.progress, etaMs: null } });
  }

  pause(jobId: string): HubJob {
    const e = this.entry(jobId);
    if (e.job.state === 'paused') return structuredClone(e.job);
    if (e.job.state !== 'downloading' && e.job.state !== 'queued') throw new QinsError('BUSY', `the download is ${e.job.state}: only a running download can be paused`);
    e.stopping = 'pause';
    e.controller?.abort();
    return structuredClone(e.job);
  }

  resume(jobId: string): HubJob {
    const e = this.entry(jobId);
    if (NOT_RESUMABLE.has(e.job.state)) throw new QinsError('BUSY', `the download is ${e.job.state}: only a paused or failed download can be resumed`);
    this.start(e);
    return structuredClone(e.job);
  }

  async cancel(jobId: string): Promise<boolean> {
    const e = this.jobs.get(jobId);
    if (!e || TERMINAL.has(e.job.state)) return false;
    if (e.job.state === 'converting') return e.job.convertJobId ? this.o.importer.cancelImport(e.job.convertJobId) : false;
    e.stopping = 'cancel';
    if (e.controller) {
      e.controller.abort();
      await e.running?.catch(() => undefined);
    } else await this.stopped(e, new QinsError('CANCELLED', 'cancelled'));
    return true;
  }

  dismiss(jobId: string): boolean {
    const e = this.jobs.get(jobId);
    if (!e || !TERMINAL.has(e.job.state)) return false;
    this.jobs.delete(jobId);
    this.persist();
    return true;
  }

  /** Stops every download (app exit); they resume as paused on the next start. */
  async stop(): Promise<void> {
    for (const e of this.jobs.values()) {
      if (e.controller) {
        e.stopping = 'pause';
        e.controller.abort();
      }
    }
    await Promise.all([...this.jobs.values()].map((e) => e.running?.catch(() => undefined)));
    await this.saving;
  }

  async cache(): Promise<HubCacheList> {
    const cacheDir = this.cacheDir();
    return { cacheDir, entries: await discoverCache(cacheDir) };
  }

  /** Converts a snapshot of the cache where it is: nothing is copied or downloaded. */
  async convertCached(path: string, codec: Codec): Promise<ConvertJob> {
    const abs = resolve(path);
    const parts = relative(resolve(this.cacheDir()), abs).split(sep);
    const repoName = parts.length === 3 && parts[1] === 'snapshots' ? repoOfFolder(parts[0]!) : null;
    if (!repoName) throw new QinsError('BAD_INPUT', `${abs} is not a snapshot folder of the Hugging Face cache (${this.cacheDir()})`);
    const d = await describeSnapshot(abs);
    if (!d) throw new QinsError('NOT_FOUND', `${abs}: no checkpoint there`);
    if (!d.supported) throw new QinsError('UNSUPPORTED', `${repoName}: ${d.reason}`);
    return this.o.importer.import(abs, codec, { name: snapshotName(repoName) });
  }

  tokenStatus(): HubTokenStatus {
    return { source: resolveToken(this.o.tokenStore ?? null, this.env)?.source ?? null, canSave: this.o.tokenStore?.canSave ?? false };
  }

  setToken(token: string | null): HubTokenStatus {
    const store = this.o.tokenStore;
    if (!store?.canSave) throw new QinsError('UNSUPPORTED', 'saving a token needs the desktop app (the system keychain encrypts it); set HF_TOKEN instead');
    const t = token?.trim() ?? null;
    if (t !== null && !/^hf_[A-Za-z0-9]{8,}$/.test(t)) throw new QinsError('BAD_INPUT', 'that is not a Hugging Face token: tokens start with hf_ (make one at huggingface.co/settings/tokens)');
    store.set(t);
    return this.tokenStatus();
  }
}

function asQins(e: unknown): QinsError {
  if (e instanceof QinsError) return e;
  return new QinsError('INTERNAL', e instanceof Error ? e.message : String(e));
}
