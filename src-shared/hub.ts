// Models from the Hugging Face Hub and the local Hugging Face cache: the repo reference a user types,
// the preflight the app shows before anything downloads, download jobs and their progress, and the
// checkpoints found in the cache (README "Downloading from Hugging Face"). Node-free: the renderer
// parses repo references with the same code as the main process.
import { z } from 'zod';
import { Codec } from './codecs.js';
import { QinsErrorShape } from './errors.js';

const Bytes = z.number().int().nonnegative();

export interface RepoRef {
  /** `org/name` (or a legacy single-segment name such as `gpt2`). */
  repo: string;
  /** Branch, tag or commit; null means the default branch (`main`). */
  revision: string | null;
}

const PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
const validPart = (p: string): boolean => PART.test(p) && !p.includes('--') && !p.includes('..') && !p.endsWith('.') && !p.endsWith('-');
const HUB_HOSTS = new Set(['huggingface.co', 'www.huggingface.co', 'hf.co']);

/**
 * Reads what a user pastes: `org/name`, `org/name@revision`, or a model page URL
 * (`https://huggingface.co/org/name`, `…/tree/<rev>`, `…/blob/<rev>/file`, `hf.co/org/name`).
 * Throws an Error whose message says what is wrong.
 */
export function parseRepoRef(input: string): RepoRef {
  const text = input.trim();
  if (!text) throw new Error('enter a repository id such as microsoft/Phi-3.5-mini-instruct');
  if (text.length > 500) throw new Error('that is too long for a repository id');
  let path = text;
  let revision: string | null = null;
  const urlLike = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) || /^(www\.)?(huggingface\.co|hf\.co)\//i.test(text);
  if (urlLike) {
    let url: URL;
    try {
      url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
    } catch {
      throw new Error(`"${text}" is not a valid URL`);
    }
    if (!/^https?:$/.test(url.protocol)) throw new Error(`"${text}": only http(s) model page URLs are understood`);
    if (!HUB_HOSTS.has(url.hostname.toLowerCase()) && !/^(127\.0\.0\.1|localhost)$/.test(url.hostname))
      throw new Error(`${url.hostname} is not the Hugging Face Hub: paste a huggingface.co model URL or an org/name id`);
    const segs = url.pathname.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
    if (segs[0] === 'datasets' || segs[0] === 'spaces') throw new Error(`that is a ${segs[0] === 'datasets' ? 'dataset' : 'Space'}, not a model repository`);
    const at = segs.findIndex((s) => s === 'tree' || s === 'blob' || s === 'resolve');
    const repoSegs = at === -1 ? segs : segs.slice(0, at);
    if (at !== -1) {
      if (!segs[at + 1]) throw new Error(`"${text}": the URL names no revision after /${segs[at]}/`);
      revision = segs[at + 1]!;
    }
    path = repoSegs.join('/');
  } else {
    const at = text.indexOf('@');
    if (at !== -1) {
      revision = text.slice(at + 1);
      path = text.slice(0, at);
      if (!revision) throw new Error(`"${text}": nothing after @ (write org/name@revision, e.g. @main or a commit)`);
    }
  }
  const parts = path.split('/');
  if (parts.length > 2 || parts.some((p) => !validPart(p)))
    throw new Error(`"${path || text}" is not a repository id: expected org/name (letters, digits, '-', '_', '.'), e.g. microsoft/Phi-3.5-mini-instruct`);
  if (revision !== null && (revision.length > 200 || !/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(revision) || revision.includes('..')))
    throw new Error(`"${revision}" is not a valid revision (a branch, tag or commit)`);
  return { repo: parts.join('/'), revision };
}

export const formatRepoRef = (r: RepoRef): string => (r.revision ? `${r.repo}@${r.revision}` : r.repo);

/** A file of the repo that conversion needs. */
export const HubFile = z.object({
  path: z.string(),
  size: Bytes,
  /** Stored with Git LFS (the hub gives its sha256, which the download is checked against). */
  lfs: z.boolean(),
  /** The LFS sha256, or the git blob sha1 of a small file: the blob's name in the cache. */
  oid: z.string(),
  /** Already complete in the local cache. */
  cached: z.boolean(),
});
export type HubFile = z.infer<typeof HubFile>;

export const HubGated = z.enum(['no', 'auto', 'manual']);
export type HubGated = z.infer<typeof HubGated>;

/** What the app shows before anything downloads. */
export const HubPreflight = z.object({
  repo: z.string(),
  /** The revision asked for (`main` when none was). */
  revision: z.string(),
  /** The commit that revision points at now: every file is downloaded from it. */
  commit: z.string(),
  /** config.json's model_type, or null when it has none. */
  architecture: z.string().nullable(),
  supported: z.boolean(),
  /** Why it cannot be converted, when it cannot (unsupported architecture). */
  reason: z.string().nullable(),
  license: z.string().nullable(),
  gated: HubGated,
  private: z.boolean(),
  /** A token will be sent (HF_TOKEN, the saved one or the Hugging Face CLI's). */
  hasToken: z.boolean(),
  files: z.array(HubFile),
  /** Files of the repo left out (other weight formats, docs, code). */
  skipped: z.number().int().nonnegative(),
  totalBytes: Bytes,
  /** Bytes still to download (files not already in the cache). */
  downloadBytes: Bytes,
  /** Estimated size of the converted file with the codec asked for. */
  convertedBytes: Bytes,
  /** Free bytes where the download goes (the Hugging Face cache) and where the converted file goes. */
  cacheFreeBytes: Bytes.nullable(),
  modelsFreeBytes: Bytes.nullable(),
  /** Both fit (on one disk: their sum). */
  enoughSpace: z.boolean(),
  cacheDir: z.string(),
});
export type HubPreflight = z.infer<typeof HubPreflight>;

export const HubProgress = z.object({
  /** The file being downloaded now. */
  file: z.string().nullable(),
  filesDone: z.number().int().nonnegative(),
  filesTotal: z.number().int().nonnegative(),
  bytesDone: Bytes,
  bytesTotal: Bytes,
  bytesPerSecond: z.number().nonnegative(),
  etaMs: z.number().nonnegative().nullable(),
});
export type HubProgress = z.infer<typeof HubProgress>;

/**
 * queued → downloading → converting → done, or paused (by the user, or when the app stopped
 * mid-download: resumable), failed, cancelled.
 */
export const HubJobState = z.enum(['queued', 'downloading', 'paused', 'converting', 'done', 'failed', 'cancelled']);
export type HubJobState = z.infer<typeof HubJobState>;

export const HubJob = z.object({
  jobId: z.string(),
  repo: z.string(),
  revision: z.string(),
  commit: z.string(),
  codec: Codec,
  /** Keep the downloaded checkpoint in the Hugging Face cache after converting it. */
  keepCheckpoint: z.boolean(),
  state: HubJobState,
  progress: HubProgress,
  /** The conversion job (convert.event) once the download is complete. */
  convertJobId: z.string().nullable(),
  modelId: z.string().nullable(),
  /** The checkpoint folder (a snapshot in the Hugging Face cache) once it is complete. */
  snapshotDir: z.string().nullable(),
  error: QinsErrorShape.nullable(),
  createdAt: z.number().int().nonnegative(),
});
export type HubJob = z.infer<typeof HubJob>;

/** A checkpoint found in the local Hugging Face cache. */
export const HubCacheEntry = z.object({
  repo: z.string(),
  commit: z.string(),
  /** Branches and tags pointing at this commit (refs/). */
  refs: z.array(z.string()),
  /** The snapshot folder: converted in place from here. */
  path: z.string(),
  architecture: z.string().nullable(),
  supported: z.boolean(),
  /** Why it cannot be converted (unsupported, no safetensors, missing shards or tokenizer). */
  reason: z.string().nullable(),
  weightBytes: Bytes,
});
export type HubCacheEntry = z.infer<typeof HubCacheEntry>;

export const HubCacheList = z.object({ cacheDir: z.string(), entries: z.array(HubCacheEntry) });
export type HubCacheList = z.infer<typeof HubCacheList>;

export const HubTokenStatus = z.object({
  /** Where the token sent to the hub comes from (null: none, public repos only). */
  source: z.enum(['env', 'saved', 'huggingface-cli']).nullable(),
  /** The app can save a token (encrypted with the system keychain: desktop app only). */
  canSave: z.boolean(),
});
export type HubTokenStatus = z.infer<typeof HubTokenStatus>;
