// Checkpoints already in the user's Hugging Face cache (left there by Python transformers or
// huggingface_hub, or by an earlier download): every snapshot with a config.json or safetensors,
// with its architecture, its weights' size and whether it can be converted as it is. Snapshot files
// are symlinks into blobs/ (copies on Windows); a link whose blob is gone makes the snapshot
// incomplete, never an error for the whole list.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ARCHITECTURES } from '../../../src-shared/codecs.js';
import type { HubCacheEntry } from '../../../src-shared/hub.js';
import { readRefs, repoOfFolder } from './cache.js';

const INDEX = 'model.safetensors.index.json';

async function readJson(path: string): Promise<Record<string, unknown> | null> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** What a snapshot folder holds, and why it cannot be converted if it cannot. */
export async function describeSnapshot(dir: string): Promise<Pick<HubCacheEntry, 'architecture' | 'supported' | 'reason' | 'weightBytes'> | null> {
  const names = (await readdir(dir).catch(() => [] as string[])).sort();
  const weights = names.filter((n) => n.endsWith('.safetensors'));
  if (!names.includes('config.json') && weights.length === 0) return null;
  const config = names.includes('config.json') ? await readJson(join(dir, 'config.json')) : null;
  const architecture = typeof config?.model_type === 'string' ? config.model_type : null;
  let weightBytes = 0;
  const missing: string[] = [];
  for (const w of weights) {
    const st = await stat(join(dir, w)).catch(() => null); // follows the symlink to the blob
    if (st) weightBytes += st.size;
    else missing.push(w);
  }
  let reason: string | null = null;
  if (!config) reason = names.includes('config.json') ? 'config.json is not readable JSON' : 'no config.json';
  else if (!architecture || !(ARCHITECTURES as readonly string[]).includes(architecture))
    reason = `${architecture ? `model_type "${architecture}"` : 'no model_type in config.json'} is not supported (supported: ${ARCHITECTURES.join(', ')})`;
  else if (weights.length === 0) reason = 'no .safetensors weights (only other formats)';
  else if (missing.length) reason = `${missing[0]} is missing (its download did not finish)`;
  else if (!names.includes('tokenizer.json') || !(await stat(join(dir, 'tokenizer.json')).catch(() => null))) reason = 'no tokenizer.json';
  else if (names.includes(INDEX)) {
    const index = await readJson(join(dir, INDEX));
    const map = index?.weight_map;
    const shards = map && typeof map === 'object' ? [...new Set(Object.values(map as Record<string, unknown>).map(String))] : null;
    if (!shards) reason = `${INDEX} is not readable`;
    else {
      const absent = shards.find((s) => !weights.includes(s));
      if (absent) reason = `${absent} is not in the cache (only part of the checkpoint was downloaded)`;
    }
  }
  return { architecture, supported: reason === null, reason, weightBytes };
}

/** Every model snapshot in the cache, sorted by repo; an absent cache is an empty list. */
export async function discoverCache(cacheDir: string): Promise<HubCacheEntry[]> {
  const out: HubCacheEntry[] = [];
  const repos = await readdir(cacheDir, { withFileTypes: true }).catch(() => []);
  for (const r of repos.sort((a, b) => a.name.localeCompare(b.name))) {
    const repo = repoOfFolder(r.name);
    if (!repo || !r.isDirectory()) continue;
    const repoDir = join(cacheDir, r.name);
    const refs = await readRefs(repoDir);
    const snapshots = await readdir(join(repoDir, 'snapshots'), { withFileTypes: true }).catch(() => []);
    for (const s of snapshots) {
      if (!s.isDirectory()) continue;
      const path = join(repoDir, 'snapshots', s.name);
      const d = await describeSnapshot(path);
      if (d) out.push({ repo, commit: s.name, refs: refs.get(s.name) ?? [], path, ...d });
    }
  }
  return out;
}
