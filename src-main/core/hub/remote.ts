// What a repo on the hub holds, through @huggingface/hub: the commit a revision points at, license
// and gating (modelInfo), every file with its size and LFS sha256 (listFiles), config.json and the
// safetensors index (downloadFile); and the files conversion needs out of it.
import { downloadFile, listFiles, type ListFileEntry, modelInfo } from '@huggingface/hub';
import { ARCHITECTURES } from '../../../src-shared/codecs.js';
import { QinsError } from '../../../src-shared/contract.js';
import type { RepoRef } from '../../../src-shared/hub.js';
import { type HubTarget, fromHubCall } from './errors.js';
import type { RemoteFile } from './transfer.js';

/** Text files the converter reads (src-main/engine/convert/checkpoint.ts) and the safetensors index. */
export const TEXT_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
  'chat_template.json',
  'model.safetensors.index.json',
];
const INDEX = 'model.safetensors.index.json';

export interface HubClient {
  endpoint: string;
  token: string | null;
  /** Tests and proxies; the global fetch otherwise. */
  fetch?: typeof fetch;
}

export interface RemoteRepo {
  repo: string;
  revision: string;
  commit: string;
  gated: 'no' | 'auto' | 'manual';
  private: boolean;
  license: string | null;
  /** The files conversion needs. */
  files: RemoteFile[];
  skipped: number;
  config: Record<string, unknown>;
  architecture: string | null;
  /** Why it cannot be converted (null when it can). */
  reason: string | null;
}

const creds = (c: HubClient) => ({ hubUrl: c.endpoint, fetch: c.fetch, ...(c.token ? { accessToken: c.token } : {}) });

async function fetchJson(c: HubClient, repo: string, commit: string, path: string, target: HubTarget): Promise<Record<string, unknown>> {
  let text: string;
  try {
    const blob = await downloadFile({ repo: { type: 'model', name: repo }, path, revision: commit, xet: false, ...creds(c) });
    if (!blob) throw new QinsError('NOT_FOUND', `${repo}@${target.revision} lists ${path} but the hub does not serve it`);
    text = await blob.text();
  } catch (e) {
    throw fromHubCall(e, { ...target, file: path });
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new QinsError('BAD_INPUT', `${path} of ${repo}@${target.revision} is not a JSON object`);
}

/** What the repo has instead of safetensors, for the refusal. */
function otherWeights(paths: string[]): string {
  const kinds: string[] = [];
  if (paths.some((p) => /\.(bin|pt|pth)$/i.test(p))) kinds.push('PyTorch .bin');
  if (paths.some((p) => /\.gguf$/i.test(p))) kinds.push('GGUF');
  if (paths.some((p) => /\.onnx(_data)?$/i.test(p) || p.startsWith('onnx/'))) kinds.push('ONNX');
  return kinds.length ? `only ${kinds.join(', ')} weights` : 'no weights QINS Chat can read';
}

/** The files to download, given the repo's tree (top-level files only) and its safetensors index. */
export function selectFiles(entries: ListFileEntry[], indexShards: string[] | null): { files: RemoteFile[]; skipped: number } {
  const top = entries.filter((e) => e.type === 'file' && !e.path.includes('/'));
  const names = new Set(top.map((e) => e.path));
  let weights: string[];
  if (indexShards) weights = indexShards;
  else if (names.has('model.safetensors')) weights = ['model.safetensors'];
  else weights = top.map((e) => e.path).filter((p) => p.endsWith('.safetensors'));
  const wanted = new Set([...TEXT_FILES, ...weights]);
  const files: RemoteFile[] = [];
  for (const e of top) {
    if (!wanted.has(e.path)) continue;
    const oid = e.lfs?.oid ?? e.oid;
    if (!oid) throw new QinsError('BAD_INPUT', `the hub lists ${e.path} without a checksum`);
    files.push({ path: e.path, size: e.lfs?.size ?? e.size, oid, lfs: e.lfs !== undefined });
  }
  return { files, skipped: entries.filter((e) => e.type === 'file').length - files.length };
}

/** Looks the repo up on the hub. Throws NOT_FOUND, FORBIDDEN (gated or private), NETWORK, UNSUPPORTED (no safetensors). */
export async function inspectRemote(c: HubClient, ref: RepoRef): Promise<RemoteRepo> {
  const revision = ref.revision ?? 'main';
  const target: HubTarget = { repo: ref.repo, revision };
  let info: Awaited<ReturnType<typeof modelInfo<'sha' | 'cardData'>>>;
  try {
    info = await modelInfo({ name: ref.repo, revision, additionalFields: ['sha', 'cardData'], ...creds(c) });
  } catch (e) {
    throw fromHubCall(e, target);
  }
  const commit = info.sha;
  if (typeof commit !== 'string' || !/^[0-9a-f]{40}$/.test(commit)) throw new QinsError('NETWORK', `the hub gave no commit for ${ref.repo}@${revision}`);
  const entries: ListFileEntry[] = [];
  try {
    for await (const e of listFiles({ repo: { type: 'model', name: ref.repo }, revision: commit, recursive: true, ...creds(c) })) entries.push(e);
  } catch (e) {
    throw fromHubCall(e, target);
  }
  const paths = entries.filter((e) => e.type === 'file').map((e) => e.path);
  if (!paths.some((p) => !p.includes('/') && p.endsWith('.safetensors')))
    throw new QinsError('UNSUPPORTED', `${ref.repo}@${revision} has no .safetensors weights (${otherWeights(paths)}): QINS Chat converts safetensors checkpoints`);
  if (!paths.includes('config.json')) throw new QinsError('UNSUPPORTED', `${ref.repo}@${revision} has no config.json: not a transformers checkpoint`);
  const config = await fetchJson(c, ref.repo, commit, 'config.json', target);
  let shards: string[] | null = null;
  if (paths.includes(INDEX)) {
    const index = await fetchJson(c, ref.repo, commit, INDEX, target);
    const map = index.weight_map;
    if (typeof map !== 'object' || map === null) throw new QinsError('BAD_INPUT', `${INDEX} of ${ref.repo} has no weight_map`);
    shards = [...new Set(Object.values(map as Record<string, unknown>).map(String))].sort();
    const missing = shards.filter((s) => !paths.includes(s));
    if (missing.length) throw new QinsError('BAD_INPUT', `${ref.repo}@${revision}: ${INDEX} names ${missing[0]}, which the repo does not have`);
  }
  const { files, skipped } = selectFiles(entries, shards);
  const architecture = typeof config.model_type === 'string' ? config.model_type : null;
  let reason: string | null = null;
  if (!architecture || !(ARCHITECTURES as readonly string[]).includes(architecture))
    reason = `${architecture ? `model_type "${architecture}"` : 'a config.json without model_type'} is not supported (supported: ${ARCHITECTURES.join(', ')})`;
  else if (!paths.includes('tokenizer.json')) reason = 'the repo has no tokenizer.json (QINS Chat needs the fast tokenizer file)';
  const license = info.cardData?.license;
  return {
    repo: ref.repo,
    revision,
    commit,
    gated: info.gated === false || info.gated === undefined ? 'no' : info.gated,
    private: info.private === true,
    license: Array.isArray(license) ? license.join(', ') : typeof license === 'string' ? license : null,
    files,
    skipped,
    config,
    architecture,
    reason,
  };
}
