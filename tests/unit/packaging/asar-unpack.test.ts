// Every native binary the packaged app may load must be outside app.asar (the OS cannot map code
// from inside an archive). Checked with electron-builder's own file matching, for each target.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  isNativeBinary,
  loadConfig,
  nativeBinariesUnder,
  projectDir,
  runtimeDependencyDirs,
  targetMatcher,
  type BuilderConfig,
  type BuilderOs,
  type TargetMatcher,
} from './builder.js';

const TARGETS: Array<[BuilderOs, string]> = [
  ['mac', 'arm64'],
  ['mac', 'x64'],
  ['linux', 'x64'],
  ['linux', 'arm64'],
];
// onnxruntime_binding.node links @rpath/libonnxruntime.1.dylib; libonnxruntime.1.x.y.dylib is a copy
const VERSIONED_DYLIB = /libonnxruntime\.\d+\.\d+\.\d+\.dylib$/;
const ORT_PLATFORM: Record<BuilderOs, string> = { mac: 'darwin', linux: 'linux' };

let config: BuilderConfig;
let depBinaries: string[];
beforeAll(async () => {
  config = await loadConfig();
  depBinaries = runtimeDependencyDirs().flatMap((dir) => nativeBinariesUnder(dir));
});

/** Native files of the app itself, real ones and the prebuild layout every target ships. */
function appBinaries(): string[] {
  const real = nativeBinariesUnder(join(projectDir, 'native'));
  const layout = TARGETS.map(([os, arch]) => `native/prebuilds/${ORT_PLATFORM[os]}-${arch}/qins.napi.node`);
  return [...new Set([...real, ...layout])].sort();
}

/** Packaged native files that would stay inside app.asar. */
function packedButNotUnpacked(t: TargetMatcher, files: string[]): string[] {
  return files.filter((rel) => t.included(rel) && !t.unpacked(rel));
}

describe('asarUnpack covers every native binary the app loads', () => {
  it('finds the native binaries of the runtime dependencies (the scan works)', () => {
    expect(runtimeDependencyDirs().map((d) => d.slice(projectDir.length + 1))).toEqual(
      expect.arrayContaining(['node_modules/better-sqlite3', 'node_modules/onnxruntime-node', 'node_modules/ws']),
    );
    expect(depBinaries).toContain('node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    expect(depBinaries).toContain('node_modules/onnxruntime-node/bin/napi-v6/darwin/arm64/onnxruntime_binding.node');
    expect(depBinaries).toContain('node_modules/onnxruntime-node/bin/napi-v6/darwin/arm64/libonnxruntime.1.dylib');
    expect(depBinaries).toContain('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1');
    expect(depBinaries.every((f) => isNativeBinary(f))).toBe(true);
  });

  it.each(TARGETS)('%s-%s: every packaged native file is unpacked', (os, arch) => {
    const t = targetMatcher(config, os, arch);
    expect(packedButNotUnpacked(t, [...depBinaries, ...appBinaries()])).toEqual([]);
  });

  it.each(TARGETS)('%s-%s: the binaries that target loads are packaged and unpacked', (os, arch) => {
    const t = targetMatcher(config, os, arch);
    const platform = ORT_PLATFORM[os];
    const needed = [
      `native/prebuilds/${platform}-${arch}/qins.napi.node`,
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      // onnxruntime-node 1.30 has no macOS Intel build: the ONNX reference engine is then unavailable
      ...depBinaries.filter((f) => f.startsWith(`node_modules/onnxruntime-node/bin/napi-v6/${platform}/${arch}/`) && !VERSIONED_DYLIB.test(f)),
    ];
    for (const rel of needed) {
      expect(t.included(rel), `${os}-${arch} packs ${rel}`).toBe(true);
      expect(t.unpacked(rel), `${os}-${arch} unpacks ${rel}`).toBe(true);
    }
    if (platform === 'darwin' && arch === 'arm64') {
      expect(needed).toContain('node_modules/onnxruntime-node/bin/napi-v6/darwin/arm64/libonnxruntime.1.dylib');
    }
    if (platform === 'linux' && arch === 'x64') {
      expect(needed).toContain('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1');
    }
  });

  it('onnxruntime-node ships no macOS Intel binary (so the x64 .dmg has no ONNX Runtime engine)', () => {
    // If a later onnxruntime-node brings darwin/x64 back, the test above starts requiring it.
    expect(existsSync(join(projectDir, 'node_modules/onnxruntime-node/bin/napi-v6/darwin/x64'))).toBe(false);
  });

  it.each(TARGETS)("%s-%s: other platforms' ONNX Runtime binaries stay out of the package", (os, arch) => {
    const t = targetMatcher(config, os, arch);
    const foreign = depBinaries
      .filter((f) => f.startsWith('node_modules/onnxruntime-node/bin/'))
      .filter((f) => !f.includes(`/${ORT_PLATFORM[os]}/`) && !(os === 'linux' && arch === 'arm64' && f.includes('/darwin/arm64/')));
    expect(foreign.length).toBeGreaterThan(0);
    expect(foreign.filter((f) => t.included(f))).toEqual([]);
    expect(depBinaries.filter((f) => VERSIONED_DYLIB.test(f) && t.included(f))).toEqual([]);
  });

  it.each(TARGETS)("%s-%s: addon prebuilds for other operating systems stay out", (os, arch) => {
    const t = targetMatcher(config, os, arch);
    expect(t.included('native/prebuilds/win32-x64/qins.napi.node')).toBe(false);
    expect(t.included(`native/prebuilds/${ORT_PLATFORM[os]}-${arch}/qins.napi.node`)).toBe(true);
    if (os === 'mac') expect(t.included('native/prebuilds/linux-x64/qins.napi.node')).toBe(false);
  });

  it('the versioned libonnxruntime dylib left out is a byte-identical copy of the one the binding links', () => {
    const copies = depBinaries.filter((f) => VERSIONED_DYLIB.test(f));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const linked = join(projectDir, dirname(copy), 'libonnxruntime.1.dylib');
      expect(readFileSync(join(projectDir, copy)).equals(readFileSync(linked)), copy).toBe(true);
      // and the binding names the .1 dylib, not the versioned one
      const binding = readFileSync(join(projectDir, dirname(copy), 'onnxruntime_binding.node')).toString('latin1');
      expect(binding).toContain('@rpath/libonnxruntime.1.dylib');
      expect(binding).not.toMatch(/libonnxruntime\.\d+\.\d+\.\d+\.dylib/);
    }
  });

  it('the check can fail: without asarUnpack the native files would stay packed', () => {
    const t = targetMatcher({ ...config, asarUnpack: [] }, 'mac', 'arm64');
    const missed = packedButNotUnpacked(t, [...depBinaries, ...appBinaries()]);
    expect(missed).toContain('node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    expect(missed).toContain('native/prebuilds/darwin-arm64/qins.napi.node');
    const onlyOurs = targetMatcher({ ...config, asarUnpack: ['native/prebuilds/**'] }, 'linux', 'x64');
    expect(packedButNotUnpacked(onlyOurs, depBinaries)).toContain('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1');
  });
});
