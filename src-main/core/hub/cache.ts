// The Hugging Face hub cache layout, shared with Python's huggingface_hub:
//   <cache>/models--org--name/blobs/<sha256 or git sha1>     the file contents, one per version
//   <cache>/models--org--name/snapshots/<commit>/<path>      relative symlinks to the blobs
//   <cache>/models--org--name/refs/<branch or tag>           the commit it pointed at
// A download goes to blobs/<oid>.incomplete and is renamed when complete and verified; the snapshot
// links are made only once every file of the checkpoint is there, so a half-downloaded repo never
// appears as a checkpoint.
import { copyFile, lstat, mkdir, readdir, readFile, readlink, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { getRepoFolderName } from '@huggingface/hub';

export const repoFolder = (cacheDir: string, repo: string): string => join(cacheDir, getRepoFolderName({ name: repo, type: 'model' }));
export const blobPath = (repoDir: string, oid: string): string => join(repoDir, 'blobs', oid);
export const snapshotDir = (repoDir: string, commit: string): string => join(repoDir, 'snapshots', commit);

/** `org/name` back from a `models--org--name` folder name (null for datasets, spaces, other files). */
export function repoOfFolder(name: string): string | null {
  if (!name.startsWith('models--')) return null;
  return name.slice('models--'.length).split('--').join('/');
}

/** A path inside the repo that stays inside the snapshot folder (the hub's tree is not trusted blindly). */
export function safeRelative(path: string): boolean {
  if (!path || path.startsWith('/') || path.includes('\\') || path.includes('\0')) return false;
  return path.split('/').every((p) => p !== '' && p !== '.' && p !== '..');
}

export const fileExists = async (p: string): Promise<boolean> => (await stat(p).catch(() => null)) !== null;

/** Links snapshots/<commit>/<path> to its blob (a relative symlink; a copy where symlinks are not allowed). */
export async function linkSnapshotFile(repoDir: string, commit: string, path: string, oid: string): Promise<void> {
  const target = join(snapshotDir(repoDir, commit), path);
  const blob = blobPath(repoDir, oid);
  await mkdir(dirname(target), { recursive: true });
  const existing = await lstat(target).catch(() => null);
  if (existing) {
    if (existing.isSymbolicLink() && resolve(dirname(target), await readlink(target)) === blob) return;
    await unlink(target);
  }
  try {
    await symlink(relative(dirname(target), blob), target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    await copyFile(blob, target); // Windows without the symlink privilege (huggingface_hub does the same)
  }
}

/** Writes refs/<revision> (branches and tags; a commit asked for directly has no ref). */
export async function writeRef(repoDir: string, revision: string, commit: string): Promise<void> {
  if (revision === commit || !safeRelative(revision)) return;
  const p = join(repoDir, 'refs', revision);
  await mkdir(dirname(p), { recursive: true });
  await writeFile(p, commit);
}

/** refs/ as commit → names. */
export async function readRefs(repoDir: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const name = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(join(dir, e.name), name);
      else {
        const commit = (await readFile(join(dir, e.name), 'utf8').catch(() => '')).trim();
        if (commit) out.set(commit, [...(out.get(commit) ?? []), name]);
      }
    }
  };
  await walk(join(repoDir, 'refs'), '');
  return out;
}

/** Every blob a snapshot folder links to. */
async function linkedBlobs(dir: string, into: Set<string>): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await linkedBlobs(p, into);
    else if (e.isSymbolicLink()) into.add(resolve(dir, await readlink(p)));
  }
}

/**
 * Removes a snapshot: its folder, the refs pointing at it and the blobs no other snapshot links to
 * (the whole repo folder when nothing else is left). Only inside `cacheDir`.
 */
export async function deleteSnapshot(cacheDir: string, repoDir: string, commit: string): Promise<void> {
  const root = resolve(cacheDir) + sep;
  if (!resolve(repoDir).startsWith(root) || !/^[0-9a-f]{40}$/.test(commit)) throw new Error(`${repoDir}/${commit} is not a snapshot of ${cacheDir}`);
  const dir = snapshotDir(repoDir, commit);
  const mine = new Set<string>();
  await linkedBlobs(dir, mine);
  await rm(dir, { recursive: true, force: true });
  const refs = await readRefs(repoDir);
  for (const name of refs.get(commit) ?? []) await rm(join(repoDir, 'refs', name), { force: true });
  const others = await readdir(join(repoDir, 'snapshots')).catch(() => []);
  if (others.length === 0) {
    await rm(repoDir, { recursive: true, force: true });
    return;
  }
  const kept = new Set<string>();
  for (const o of others) await linkedBlobs(join(repoDir, 'snapshots', o), kept);
  for (const b of mine) if (!kept.has(b) && dirname(b) === join(resolve(repoDir), 'blobs')) await rm(b, { force: true });
}
