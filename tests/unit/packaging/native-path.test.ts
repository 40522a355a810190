// The addon path resolution, against folder layouts built in a temp dir: a packaged macOS app
// (app.asar + app.asar.unpacked), a development checkout (build/Release) and odd prebuild names.
import { mkdirSync, mkdtempSync, openSync, readSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { binaryArch } from '../../../scripts/lib/binary-arch.mjs';
import {
  currentTarget,
  nativeAddonDir,
  NativeAddonNotFoundError,
  parsePrebuildTags,
  resolveNativeAddon,
  unpackedPath,
  type AddonTarget,
} from '../../../src-main/engine/native-path.js';
import { projectDir } from './builder.js';

const mac = (arch: string, over: Partial<AddonTarget> = {}): AddonTarget => ({ platform: 'darwin', arch, runtime: 'electron', abi: '140', libc: 'glibc', ...over });
const linux = (arch: string, over: Partial<AddonTarget> = {}): AddonTarget => ({ platform: 'linux', arch, runtime: 'node', abi: '115', libc: 'glibc', ...over });

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'qins-native-path-'));
});
afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function touch(path: string, content = 'x'): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

describe('unpackedPath / nativeAddonDir', () => {
  it('maps app.asar to app.asar.unpacked, at the end or in the middle of a path', () => {
    const res = '/Applications/QINS Chat.app/Contents/Resources';
    expect(unpackedPath(`${res}/app.asar`)).toBe(`${res}/app.asar.unpacked`);
    expect(unpackedPath(`${res}/app.asar/out/main`)).toBe(`${res}/app.asar.unpacked/out/main`);
    expect(unpackedPath('C:\\Program Files\\QINS Chat\\resources\\app.asar')).toBe('C:\\Program Files\\QINS Chat\\resources\\app.asar.unpacked');
  });

  it('leaves other paths alone', () => {
    for (const p of ['/work/main', '/x/app.asar.unpacked/native', '/x/myapp.asar', '/x/app.asarx/y', '/x/notapp.asar/y']) expect(unpackedPath(p)).toBe(p);
  });

  it('nativeAddonDir is <root>/native, unpacked when the root is an archive', () => {
    expect(nativeAddonDir('/work/main')).toBe('/work/main/native');
    expect(nativeAddonDir('/opt/QINS Chat/resources/app.asar')).toBe('/opt/QINS Chat/resources/app.asar.unpacked/native');
  });
});

describe('resolveNativeAddon in a packaged macOS app layout', () => {
  let resources: string;
  let appRoot: string;
  beforeEach(() => {
    resources = join(tmp, 'QINS Chat.app', 'Contents', 'Resources');
    appRoot = join(resources, 'app.asar');
    touch(appRoot, 'asar archive'); // a file, as in a real package: nothing can be listed inside it
    touch(join(resources, 'app.asar.unpacked/native/prebuilds/darwin-arm64/qins.napi.node'), 'arm64');
    touch(join(resources, 'app.asar.unpacked/native/prebuilds/darwin-x64/qins.napi.node'), 'x64');
  });

  it('picks the prebuild for the running arch from app.asar.unpacked', () => {
    const dir = nativeAddonDir(appRoot);
    expect(resolveNativeAddon(dir, mac('arm64'))).toEqual({ path: join(dir, 'prebuilds/darwin-arm64/qins.napi.node'), source: 'prebuild' });
    expect(resolveNativeAddon(dir, mac('x64'))).toEqual({ path: join(dir, 'prebuilds/darwin-x64/qins.napi.node'), source: 'prebuild' });
    expect(resolveNativeAddon(dir, mac('arm64')).path.startsWith(join(resources, 'app.asar.unpacked'))).toBe(true);
  });

  it('fails with one clear line naming what it looked for when no prebuild matches', () => {
    const dir = nativeAddonDir(appRoot);
    for (const target of [linux('x64'), mac('ia32'), { ...mac('arm64'), platform: 'win32' }]) {
      let error: unknown;
      try {
        resolveNativeAddon(dir, target);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NativeAddonNotFoundError);
      const message = (error as Error).message;
      expect(message).not.toContain('\n');
      expect(message).toContain(`${target.platform}-${target.arch}`);
      expect(message).toContain(join(dir, 'prebuilds', `${target.platform}-${target.arch}`));
    }
  });

  it('needs the mapping: the same path inside the archive finds nothing on disk', () => {
    expect(() => resolveNativeAddon(join(appRoot, 'native'), mac('arm64'))).toThrow(NativeAddonNotFoundError);
    expect(resolveNativeAddon(nativeAddonDir(appRoot), mac('arm64')).source).toBe('prebuild');
  });
});

describe('resolveNativeAddon in a development checkout', () => {
  it('prefers a local build in build/Release over prebuilds (node-gyp-build order)', () => {
    const dir = join(tmp, 'native');
    touch(join(dir, 'prebuilds/linux-x64/qins.napi.node'));
    expect(resolveNativeAddon(dir, linux('x64')).source).toBe('prebuild');
    touch(join(dir, 'build/Release/qins.node'));
    expect(resolveNativeAddon(dir, linux('x64'))).toEqual({ path: join(dir, 'build/Release/qins.node'), source: 'build' });
  });

  it('picks qins.node among several build outputs and ignores non-addon files and folders', () => {
    const dir = join(tmp, 'native');
    touch(join(dir, 'build/Release/obj.target/qins.node')); // an intermediate, not in Release/ itself
    touch(join(dir, 'build/Release/qins_avx2.a'));
    mkdirSync(join(dir, 'build/Release/other.node'), { recursive: true }); // a folder named *.node
    touch(join(dir, 'build/Release/aaa.node'));
    touch(join(dir, 'build/Release/qins.node'));
    expect(resolveNativeAddon(dir, linux('x64')).path).toBe(join(dir, 'build/Release/qins.node'));
  });
});

describe('prebuild selection (node-gyp-build tags)', () => {
  it('parses tags', () => {
    expect(parsePrebuildTags('qins.napi.node')).toMatchObject({ napi: true, specificity: 1 });
    expect(parsePrebuildTags('electron.abi140.node')).toMatchObject({ runtime: 'electron', abi: '140', napi: false, specificity: 2 });
    expect(parsePrebuildTags('qins.glibc.napi.node')).toMatchObject({ libc: 'glibc', napi: true });
    expect(parsePrebuildTags('qins.node')).toMatchObject({ napi: false, specificity: 0 });
    expect(parsePrebuildTags('README.md')).toBeNull();
  });

  it('honours runtime, ABI and libc tags, preferring the exact runtime', () => {
    const dir = join(tmp, 'native');
    const folder = join(dir, 'prebuilds/linux-x64');
    touch(join(folder, 'qins.napi.node'));
    touch(join(folder, 'electron.abi140.node'));
    touch(join(folder, 'node.abi115.node'));
    expect(resolveNativeAddon(dir, linux('x64', { runtime: 'electron', abi: '140' })).path).toBe(join(folder, 'electron.abi140.node'));
    expect(resolveNativeAddon(dir, linux('x64', { runtime: 'node', abi: '115' })).path).toBe(join(folder, 'node.abi115.node'));
    // another Node ABI: only the N-API build fits
    expect(resolveNativeAddon(dir, linux('x64', { runtime: 'node', abi: '127' })).path).toBe(join(folder, 'qins.napi.node'));
  });

  it('does not load a musl build on glibc or the reverse', () => {
    const dir = join(tmp, 'native');
    touch(join(dir, 'prebuilds/linux-x64/qins.musl.napi.node'));
    expect(() => resolveNativeAddon(dir, linux('x64'))).toThrow(NativeAddonNotFoundError);
    expect(resolveNativeAddon(dir, linux('x64', { libc: 'musl' })).path).toContain('qins.musl.napi.node');
  });

  it('accepts multi-arch folders (darwin-x64+arm64), after a folder for exactly this arch', () => {
    const dir = join(tmp, 'native');
    touch(join(dir, 'prebuilds/darwin-x64+arm64/qins.napi.node'));
    expect(resolveNativeAddon(dir, mac('arm64')).path).toBe(join(dir, 'prebuilds/darwin-x64+arm64/qins.napi.node'));
    touch(join(dir, 'prebuilds/darwin-arm64/qins.napi.node'));
    expect(resolveNativeAddon(dir, mac('arm64')).path).toBe(join(dir, 'prebuilds/darwin-arm64/qins.napi.node'));
    expect(() => resolveNativeAddon(dir, mac('ia32'))).toThrow(NativeAddonNotFoundError);
  });
});

describe('this checkout', () => {
  it('currentTarget describes the running process', () => {
    const t = currentTarget();
    expect(t).toMatchObject({ platform: process.platform, arch: process.arch, runtime: 'node', abi: process.versions.modules });
  });

  it('resolves the addon built here (npm run build:native), for this CPU', () => {
    const found = resolveNativeAddon(nativeAddonDir(projectDir));
    const fd = openSync(found.path, 'r');
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
    expect(binaryArch(head.subarray(0, n))?.archs).toEqual([process.arch]);
  });

  it("the engine's loader (src-main/engine/native.ts) loads it through this resolution", async () => {
    const { loadNative, nativeDir } = await import('../../../src-main/engine/native.js');
    expect(nativeDir()).toBe(nativeAddonDir(projectDir));
    expect(typeof loadNative().cpuInfo().best).toBe('string');
  });
});
