// Where the QINS native addon is on disk, without loading it. Follows the node-gyp-build
// conventions: a local build in <dir>/build/Release wins (development), else a prebuilt binary in
// <dir>/prebuilds/<platform>-<arch>/ (what the packaged app ships). Inside a packaged app the
// application root is .../Resources/app.asar; native files cannot be loaded from inside an archive,
// so they are unpacked next to it, in .../Resources/app.asar.unpacked (electron-builder asarUnpack).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const ADDON_NAME = 'qins';

/** The platform and runtime the addon must match. */
export interface AddonTarget {
  platform: string;
  arch: string;
  /** 'node' or 'electron' (only matters for prebuilds tagged with a runtime). */
  runtime: string;
  /** process.versions.modules (only matters for prebuilds tagged abiN without napi). */
  abi: string;
  /** 'glibc' or 'musl' on Linux (only matters for prebuilds tagged with a libc). */
  libc: string;
}

export interface ResolvedAddon {
  /** Absolute path of the .node file that would be loaded. */
  path: string;
  source: 'build' | 'prebuild';
}

/** Read-only file system calls the resolver uses (replaceable in tests). */
export interface DirReader {
  /** Entry names of a directory; [] when it does not exist. */
  list(dir: string): string[];
  isFile(path: string): boolean;
}

export class NativeAddonNotFoundError extends Error {
  override name = 'NativeAddonNotFoundError';
}

export function currentTarget(): AddonTarget {
  // as node-gyp-build decides it: $LIBC, else musl on Alpine, else glibc
  const isMusl = process.platform === 'linux' && existsSync('/etc/alpine-release');
  return {
    platform: process.platform,
    arch: process.arch,
    runtime: process.versions.electron ? 'electron' : 'node',
    abi: process.versions.modules,
    libc: process.env.LIBC ?? (isMusl ? 'musl' : 'glibc'),
  };
}

export const diskReader: DirReader = {
  list(dir) {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
  isFile(path) {
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  },
};

/**
 * Maps a path inside an asar archive to the same path in the archive's unpacked folder:
 * `.../app.asar` → `.../app.asar.unpacked`, `.../app.asar/x` → `.../app.asar.unpacked/x`.
 * Paths outside an archive are returned unchanged. Works with either separator.
 */
export function unpackedPath(path: string): string {
  return path.replace(/([\\/]app\.asar)(?=$|[\\/])/, '$1.unpacked');
}

/** The folder holding the addon's build outputs (build/Release, prebuilds/) for an application root. */
export function nativeAddonDir(appRoot: string): string {
  return join(unpackedPath(appRoot), 'native');
}

interface PrebuildTags {
  runtime?: string;
  napi: boolean;
  abi?: string;
  libc?: string;
  specificity: number;
}

/** Tags in a prebuild file name, node-gyp-build style: `qins.napi.node`, `node.abi115.node`, `qins.glibc.node`. */
export function parsePrebuildTags(file: string): PrebuildTags | null {
  const parts = file.split('.');
  if (parts.length < 2 || parts.pop() !== 'node') return null;
  const tags: PrebuildTags = { napi: false, specificity: 0 };
  for (const tag of parts) {
    if (tag === 'node' || tag === 'electron' || tag === 'node-webkit') tags.runtime = tag;
    else if (tag === 'napi') tags.napi = true;
    else if (/^abi\d+$/.test(tag)) tags.abi = tag.slice(3);
    else if (tag === 'glibc' || tag === 'musl') tags.libc = tag;
    else continue;
    tags.specificity++;
  }
  return tags;
}

function tagsMatch(tags: PrebuildTags, target: AddonTarget): boolean {
  if (tags.runtime && tags.runtime !== target.runtime && !tags.napi) return false;
  if (tags.abi && tags.abi !== target.abi && !tags.napi) return false;
  if (tags.libc && target.platform === 'linux' && tags.libc !== target.libc) return false;
  return true;
}

/** `prebuilds/<platform>-<arch>[+<arch>…]` folder names (node-gyp-build also accepts multi-arch folders). */
function folderMatches(name: string, target: AddonTarget): boolean {
  const dash = name.indexOf('-');
  if (dash < 0) return false;
  return name.slice(0, dash) === target.platform && name.slice(dash + 1).split('+').includes(target.arch);
}

/**
 * The .node file the loader would load from `dir` (see nativeAddonDir) for `target`, without
 * loading it: `build/Release/*.node` first (a local build), else the best-matching prebuild in
 * `prebuilds/<platform>-<arch>/`. Throws NativeAddonNotFoundError (one line) naming the folders searched.
 */
export function resolveNativeAddon(dir: string, target: AddonTarget = currentTarget(), fs: DirReader = diskReader): ResolvedAddon {
  const release = join(dir, 'build', 'Release');
  const built = fs
    .list(release)
    .filter((f) => f.endsWith('.node') && fs.isFile(join(release, f)))
    .sort((a, b) => Number(b === `${ADDON_NAME}.node`) - Number(a === `${ADDON_NAME}.node`) || a.localeCompare(b));
  if (built[0]) return { path: join(release, built[0]), source: 'build' };

  const prebuilds = join(dir, 'prebuilds');
  const folders = fs
    .list(prebuilds)
    .filter((name) => folderMatches(name, target))
    // a folder for exactly this arch before a multi-arch one
    .sort((a, b) => a.split('+').length - b.split('+').length || a.localeCompare(b));
  for (const folder of folders) {
    const candidates = fs
      .list(join(prebuilds, folder))
      .map((file) => ({ file, tags: parsePrebuildTags(file) }))
      .filter((c): c is { file: string; tags: PrebuildTags } => c.tags !== null && tagsMatch(c.tags, target))
      .filter((c) => fs.isFile(join(prebuilds, folder, c.file)))
      .sort(
        (a, b) =>
          Number(b.tags.runtime === target.runtime) - Number(a.tags.runtime === target.runtime) ||
          b.tags.specificity - a.tags.specificity ||
          a.file.localeCompare(b.file),
      );
    if (candidates[0]) return { path: join(prebuilds, folder, candidates[0].file), source: 'prebuild' };
  }
  const wanted = `${target.platform}-${target.arch}`;
  throw new NativeAddonNotFoundError(
    `no QINS native addon for ${wanted} (${target.runtime}) in ${release} or ${join(prebuilds, wanted)}`,
  );
}
