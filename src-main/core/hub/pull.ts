// A checkpoint from the hub into the Hugging Face cache: the preflight (what will be downloaded,
// how big, whether it fits) and the download itself (every file resumable and verified; the
// snapshot folder and refs/ written only when every file is there).
import { statfs, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CODEC_TABLE, type Codec } from '../../../src-shared/codecs.js';
import { QinsError } from '../../../src-shared/contract.js';
import type { HubPreflight, HubProgress, RepoRef } from '../../../src-shared/hub.js';
import { blobPath, fileExists, linkSnapshotFile, repoFolder, safeRelative, snapshotDir, writeRef } from './cache.js';
import { type HubClient, type RemoteRepo, inspectRemote } from './remote.js';
import { type OpenSink, type RetryPolicy, downloadBlob } from './transfer.js';

/** Free bytes on the disk holding `path` (its nearest existing ancestor), and that disk's id. */
export type FreeSpace = (path: string) => Promise<{ free: number; dev: number } | null>;

export const freeSpace: FreeSpace = async (path) => {
  let p = path;
  for (;;) {
    const st = await stat(p).catch(() => null);
    if (st) {
      const fs = await statfs(p).catch(() => null);
      return fs ? { free: fs.bavail * fs.bsize, dev: st.dev } : null;
    }
    const up = dirname(p);
    if (up === p) return null;
    p = up;
  }
};

/** The converted file's size: the weights at the codec's bits per weight instead of the source dtype's, plus the tokenizer. */
export function estimateConverted(remote: RemoteRepo, codec: Codec): number {
  const weights = remote.files.filter((f) => f.path.endsWith('.safetensors')).reduce((n, f) => n + f.size, 0);
  const text = remote.files.filter((f) => !f.path.endsWith('.safetensors')).reduce((n, f) => n + f.size, 0);
  const dtype = String(remote.config.torch_dtype ?? remote.config.dtype ?? 'bfloat16');
  const sourceBits = dtype === 'float32' ? 32 : 16;
  return Math.ceil((weights * CODEC_TABLE[codec].bits) / sourceBits) + text;
}

export interface PreflightOptions {
  client: HubClient;
  cacheDir: string;
  modelsDir: string;
  codec: Codec;
  hasToken: boolean;
  freeSpace?: FreeSpace;
}

export async function preflight(ref: RepoRef, o: PreflightOptions): Promise<{ preflight: HubPreflight; remote: RemoteRepo }> {
  const remote = await inspectRemote(o.client, ref);
  const repoDir = repoFolder(o.cacheDir, remote.repo);
  const files = await Promise.all(
    remote.files.map(async (f) => ({ ...f, cached: (await stat(blobPath(repoDir, f.oid)).catch(() => null))?.size === f.size })),
  );
  const totalBytes = files.reduce((n, f) => n + f.size, 0);
  const downloadBytes = files.filter((f) => !f.cached).reduce((n, f) => n + f.size, 0);
  const convertedBytes = estimateConverted(remote, o.codec);
  const space = o.freeSpace ?? freeSpace;
  const [cache, models] = await Promise.all([space(o.cacheDir), space(o.modelsDir)]);
  let enoughSpace = true;
  if (cache && models && cache.dev === models.dev) enoughSpace = cache.free >= downloadBytes + convertedBytes;
  else enoughSpace = (cache === null || cache.free >= downloadBytes) && (models === null || models.free >= convertedBytes);
  return {
    remote,
    preflight: {
      repo: remote.repo,
      revision: remote.revision,
      commit: remote.commit,
      architecture: remote.architecture,
      supported: remote.reason === null,
      reason: remote.reason,
      license: remote.license,
      gated: remote.gated,
      private: remote.private,
      hasToken: o.hasToken,
      files,
      skipped: remote.skipped,
      totalBytes,
      downloadBytes,
      convertedBytes,
      cacheFreeBytes: cache?.free ?? null,
      modelsFreeBytes: models?.free ?? null,
      enoughSpace,
      cacheDir: o.cacheDir,
    },
  };
}

/** Why a preflight cannot go on to a download (null when it can). */
export function refusal(p: HubPreflight): QinsError | null {
  if (!p.supported) return new QinsError('UNSUPPORTED', `${p.repo}: ${p.reason}`);
  if (!p.enoughSpace) {
    const gb = (n: number | null) => (n === null ? '?' : `${(n / 1e9).toFixed(2)} GB`);
    return new QinsError('NO_SPACE', `${p.repo} needs ${gb(p.downloadBytes)} to download and about ${gb(p.convertedBytes)} for the converted file; ${gb(p.cacheFreeBytes)} is free`);
  }
  return null;
}

export interface PullOptions {
  client: HubClient;
  cacheDir: string;
  signal: AbortSignal;
  onProgress?: (p: HubProgress) => void;
  retry?: RetryPolicy;
  openSink?: OpenSink;
}

/**
 * Speed over the last few seconds, for "time left". A window shorter than a second counts as one
 * second, so a chunk that arrives right after the first sample is not reported as a burst of speed.
 */
export class SpeedMeter {
  private samples: Array<[number, number]> = [];
  sample(bytes: number, now = Date.now()): number {
    this.samples.push([now, bytes]);
    while (this.samples.length > 2 && now - this.samples[1]![0] >= 5000) this.samples.shift();
    const [t0, b0] = this.samples[0]!;
    return Math.max(0, ((bytes - b0) * 1000) / Math.max(1000, now - t0));
  }
}

/**
 * Downloads every file of `remote` at its commit into the cache, then links the snapshot and writes
 * refs/<revision>. Files already complete are not downloaded again; partial ones are resumed.
 * Returns the snapshot folder and whether it existed before.
 */
export async function pullSnapshot(remote: RemoteRepo, o: PullOptions): Promise<{ dir: string; existed: boolean }> {
  const repoDir = repoFolder(o.cacheDir, remote.repo);
  const dir = snapshotDir(repoDir, remote.commit);
  const existed = await fileExists(dir);
  for (const f of remote.files) if (!safeRelative(f.path)) throw new QinsError('BAD_INPUT', `the hub lists an unsafe file name: ${JSON.stringify(f.path)}`);
  const bytesTotal = remote.files.reduce((n, f) => n + f.size, 0);
  const meter = new SpeedMeter();
  let before = 0;
  let lastEmit = 0;
  // bytes received over the network in this run: the speed (a resumed file's first report is what
  // was already on disk, not a burst of speed)
  let received = 0;
  let fileSeen: number | null = null;
  const emit = (file: string | null, filesDone: number, fileBytes: number, force = false): void => {
    if (fileSeen !== null && fileBytes > fileSeen) received += fileBytes - fileSeen;
    fileSeen = fileBytes;
    const now = Date.now();
    if (!force && now - lastEmit < 200) return;
    lastEmit = now;
    const bytesDone = before + fileBytes;
    const bytesPerSecond = meter.sample(received, now);
    const etaMs = bytesPerSecond > 0 ? ((bytesTotal - bytesDone) * 1000) / bytesPerSecond : null;
    o.onProgress?.({ file, filesDone, filesTotal: remote.files.length, bytesDone, bytesTotal, bytesPerSecond, etaMs });
  };
  for (const [i, f] of remote.files.entries()) {
    fileSeen = null;
    emit(f.path, i, 0, true);
    fileSeen = null;
    await downloadBlob({
      url: `${o.client.endpoint}/${remote.repo}/resolve/${remote.commit}/${f.path.split('/').map(encodeURIComponent).join('/')}`,
      token: o.client.token,
      file: f,
      blob: blobPath(repoDir, f.oid),
      target: { repo: remote.repo, revision: remote.revision },
      signal: o.signal,
      onProgress: (n) => emit(f.path, i, n),
      retry: o.retry,
      fetch: o.client.fetch,
      openSink: o.openSink,
    });
    before += f.size;
  }
  for (const f of remote.files) await linkSnapshotFile(repoDir, remote.commit, f.path, f.oid);
  await writeRef(repoDir, remote.revision, remote.commit);
  emit(null, remote.files.length, 0, true);
  return { dir, existed };
}

export const snapshotName = (repo: string): string => repo.split('/').at(-1) ?? repo;
