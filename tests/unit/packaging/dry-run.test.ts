// A real electron-builder run (`--dir`, no installer) for Linux x64 and macOS arm64 + x64, with a
// stand-in Electron distribution (the binary cannot be downloaded here) and without the Electron
// rebuild of better-sqlite3 (needs Electron headers). It checks the layout the loaders expect:
// native files in app.asar.unpacked, the model under resources/assets, no sources in app.asar —
// then loads the packaged addon, better-sqlite3 and ONNX Runtime binaries from the unpacked folder
// (Linux x64, the only platform this machine can load).
// About 40 s: runs with `npm run test:packaging` (QINS_PACKAGING_DRY_RUN=1), not in `npm test`.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentTarget, nativeAddonDir, resolveNativeAddon, type AddonTarget } from '../../../src-main/engine/native-path.js';
import { isNativeBinary, projectDir } from './builder.js';

const enabled = process.env.QINS_PACKAGING_DRY_RUN === '1';
const require = createRequire(join(projectDir, 'package.json'));

interface AsarModule {
  listPackage(archive: string, options?: unknown): string[];
  statFile(archive: string, filename: string, followLinks?: boolean): { unpacked?: boolean; files?: unknown };
}

let work: string;
let asar: AsarModule;

function write(path: string, content: string | Buffer, mode?: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  if (mode) chmodSync(path, mode);
}

/** A minimal Info.plist, enough for electron-builder to rename and fill in a bundle. */
const infoPlist = (exe: string, id: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n` +
  `<plist version="1.0"><dict><key>CFBundleExecutable</key><string>${exe}</string><key>CFBundleIdentifier</key><string>${id}</string>` +
  `<key>CFBundleName</key><string>${exe}</string><key>CFBundleIconFile</key><string>electron.icns</string></dict></plist>\n`;

function fakeElectronDists(root: string): { linux: string; mac: string } {
  const linux = join(root, 'electron-linux');
  write(join(linux, 'electron'), '#!/bin/sh\n', 0o755);
  mkdirSync(join(linux, 'resources'), { recursive: true });
  const mac = join(root, 'electron-mac');
  const contents = join(mac, 'Electron.app', 'Contents');
  write(join(contents, 'Info.plist'), infoPlist('Electron', 'com.github.Electron'));
  write(join(contents, 'MacOS', 'Electron'), '#!/bin/sh\n', 0o755);
  write(join(contents, 'Resources', 'electron.icns'), '');
  for (const suffix of ['', ' (GPU)', ' (Renderer)', ' (Plugin)']) {
    const helper = join(contents, 'Frameworks', `Electron Helper${suffix}.app`, 'Contents');
    write(join(helper, 'Info.plist'), infoPlist(`Electron Helper${suffix}`, 'com.github.Electron.helper'));
    write(join(helper, 'MacOS', `Electron Helper${suffix}`), '#!/bin/sh\n', 0o755);
  }
  return { linux, mac };
}

/**
 * A copy of the project holding what packaging reads: package.json, the config, the built bundles,
 * assets, node_modules (linked), addon prebuilds (the real one for this machine, stand-ins for
 * macOS) and, to prove they stay out, a local build and a C++ source.
 */
function stageProject(root: string): string {
  const proj = join(root, 'proj');
  mkdirSync(proj, { recursive: true });
  for (const f of ['package.json', 'electron-builder.yml']) copyFileSync(join(projectDir, f), join(proj, f));
  cpSync(join(projectDir, 'out'), join(proj, 'out'), { recursive: true });
  cpSync(join(projectDir, 'assets'), join(proj, 'assets'), { recursive: true });
  symlinkSync(join(projectDir, 'node_modules'), join(proj, 'node_modules'), 'dir');
  const host = resolveNativeAddon(nativeAddonDir(projectDir));
  write(join(proj, `native/prebuilds/${process.platform}-${process.arch}/qins.napi.node`), readFileSync(host.path), 0o755);
  write(join(proj, 'native/prebuilds/darwin-arm64/qins.napi.node'), 'stand-in for the darwin-arm64 build');
  write(join(proj, 'native/prebuilds/darwin-x64/qins.napi.node'), 'stand-in for the darwin-x64 build');
  write(join(proj, 'native/build/Release/qins.node'), 'local build');
  write(join(proj, 'native/src/addon.cpp'), '// source');
  write(join(proj, 'src-main/core/paths.ts'), '// source');
  return proj;
}

function electronBuilder(proj: string, args: string[]): void {
  const cli = require.resolve('electron-builder/cli.js');
  const r = spawnSync(process.execPath, [cli, ...args, '--publish', 'never', '-c.npmRebuild=false'], { cwd: proj, encoding: 'utf8', env: { ...process.env, CSC_IDENTITY_AUTO_DISCOVERY: 'false' } });
  if (r.status !== 0) throw new Error(`electron-builder ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

/** Every entry of app.asar that is a native binary, with whether it is unpacked. */
function nativeEntries(archive: string): Array<{ path: string; unpacked: boolean }> {
  return asar
    .listPackage(archive)
    .filter((p) => isNativeBinary(p))
    .map((p) => ({ path: p, unpacked: asar.statFile(archive, p.replace(/^[\\/]/, '')).unpacked === true }));
}

/** Loads a .node file in a fresh Node process; returns its export names. */
function loadInNode(file: string): string[] {
  const r = spawnSync(process.execPath, ['-e', `process.stdout.write(JSON.stringify(Object.keys(require(${JSON.stringify(file)}))))`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot load ${file}: ${r.stderr.trim().split('\n')[0]}`);
  return JSON.parse(r.stdout) as string[];
}

describe.runIf(enabled)('packaging dry run (electron-builder --dir with a stand-in Electron)', () => {
  let linuxResources: string;
  let macResources: Record<'arm64' | 'x64', string>;

  beforeAll(() => {
    asar = require('@electron/asar') as AsarModule;
    work = mkdtempSync(join(tmpdir(), 'qins-dry-run-'));
    const dists = fakeElectronDists(work);
    const proj = stageProject(work);
    electronBuilder(proj, ['--linux', '--dir', `-c.electronDist=${dists.linux}`, `-c.directories.output=${join(work, 'linux')}`]);
    electronBuilder(proj, ['--mac', '--dir', '--arm64', '--x64', '-c.mac.identity=null', `-c.electronDist=${dists.mac}`, `-c.directories.output=${join(work, 'mac')}`]);
    linuxResources = join(work, 'linux', 'linux-unpacked', 'resources');
    macResources = {
      arm64: join(work, 'mac', 'mac-arm64', 'QINS Chat.app', 'Contents', 'Resources'),
      x64: join(work, 'mac', 'mac', 'QINS Chat.app', 'Contents', 'Resources'),
    };
  }, 180_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('Linux: app.asar holds the bundles and no sources, tests or local builds', () => {
    const entries = asar.listPackage(join(linuxResources, 'app.asar')).map((p) => p.replace(/\\/g, '/'));
    for (const p of ['/package.json', '/out/main/electron-main.js', '/out/main/engine-host.js', '/out/preload/bridge.cjs', '/out/renderer/index.html'])
      expect(entries).toContain(p);
    expect(entries.filter((p) => /^\/(src-main|src-preload|src-renderer|tests|docs|scripts|assets)(\/|$)/.test(p))).toEqual([]);
    expect(entries.filter((p) => /^\/native\/(build|src)(\/|$)/.test(p))).toEqual([]);
    expect(entries.filter((p) => p.endsWith('.map'))).toEqual([]);
  });

  it('Linux: every native binary in app.asar is unpacked, and the loaded ones are on disk', () => {
    const natives = nativeEntries(join(linuxResources, 'app.asar'));
    expect(natives.length).toBeGreaterThan(0);
    expect(natives.filter((n) => !n.unpacked)).toEqual([]);
    const unpacked = join(linuxResources, 'app.asar.unpacked');
    for (const rel of [
      `native/prebuilds/linux-${process.arch}/qins.napi.node`,
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      `node_modules/onnxruntime-node/bin/napi-v6/linux/${process.arch}/onnxruntime_binding.node`,
      `node_modules/onnxruntime-node/bin/napi-v6/linux/${process.arch}/libonnxruntime.so.1`,
    ])
      expect(existsSync(join(unpacked, rel)), rel).toBe(true);
    expect(existsSync(join(unpacked, 'node_modules/onnxruntime-node/bin/napi-v6/win32'))).toBe(false);
    expect(existsSync(join(unpacked, 'node_modules/onnxruntime-node/bin/napi-v6/darwin'))).toBe(false);
  });

  it('Linux: the embedded model is a resource under resources/assets', () => {
    expect(existsSync(join(linuxResources, 'assets/models/tiny-phi3-chat/config.json'))).toBe(true);
    expect(existsSync(join(linuxResources, 'assets/models/tiny-phi3-chat/model-00004-of-00004.safetensors'))).toBe(true);
  });

  it('Linux: the resolver finds the addon through app.asar → app.asar.unpacked, and it loads', () => {
    const appRoot = join(linuxResources, 'app.asar');
    const found = resolveNativeAddon(nativeAddonDir(appRoot), currentTarget());
    expect(found).toEqual({ path: join(linuxResources, 'app.asar.unpacked', `native/prebuilds/linux-${process.arch}/qins.napi.node`), source: 'prebuild' });
    expect(loadInNode(found.path)).toContain('codecs');
  });

  it('Linux: the packaged better-sqlite3 and ONNX Runtime bindings load from app.asar.unpacked', () => {
    const unpacked = join(linuxResources, 'app.asar.unpacked');
    // not rebuilt for Electron in a dry run, so Node can load it
    expect(loadInNode(join(unpacked, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'))).toContain('Database');
    // needs libonnxruntime.so.1 next to it ($ORIGIN)
    expect(loadInNode(join(unpacked, `node_modules/onnxruntime-node/bin/napi-v6/linux/${process.arch}/onnxruntime_binding.node`)).length).toBeGreaterThan(0);
  });

  it.each(['arm64', 'x64'] as const)('macOS %s: bundle identity, icon and minimum system version', (arch) => {
    const contents = dirname(macResources[arch]);
    const plist = require('plist') as { parse(xml: string): Record<string, unknown> };
    const info = plist.parse(readFileSync(join(contents, 'Info.plist'), 'utf8'));
    expect(info).toMatchObject({
      CFBundleIdentifier: 'dev.qins.chat',
      CFBundleName: 'QINS Chat',
      CFBundleExecutable: 'QINS Chat',
      CFBundleIconFile: 'icon.icns',
      LSMinimumSystemVersion: '12.0',
      LSApplicationCategoryType: 'public.app-category.developer-tools',
    });
    expect(existsSync(join(contents, 'MacOS', 'QINS Chat'))).toBe(true);
    expect(readFileSync(join(macResources[arch], 'icon.icns')).equals(readFileSync(join(projectDir, 'assets/icons/icon.icns')))).toBe(true);
  });

  it.each(['arm64', 'x64'] as const)('macOS %s: native binaries unpacked, the resolver picks the matching darwin prebuild', (arch) => {
    const resources = macResources[arch];
    const natives = nativeEntries(join(resources, 'app.asar'));
    expect(natives.filter((n) => !n.unpacked)).toEqual([]);
    const unpacked = join(resources, 'app.asar.unpacked');
    expect(existsSync(join(unpacked, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'))).toBe(true);
    expect(existsSync(join(unpacked, 'native/prebuilds/linux-x64'))).toBe(false);
    const target: AddonTarget = { platform: 'darwin', arch, runtime: 'electron', abi: '140', libc: 'glibc' };
    expect(resolveNativeAddon(nativeAddonDir(join(resources, 'app.asar')), target).path).toBe(join(unpacked, `native/prebuilds/darwin-${arch}/qins.napi.node`));
    expect(existsSync(join(resources, 'assets/models/tiny-phi3-chat/tokenizer.json'))).toBe(true);
  });

  it('macOS: ONNX Runtime for Apple Silicon only in the arm64 app, without the duplicate dylib', () => {
    const ort = (arch: 'arm64' | 'x64', rel: string): boolean => existsSync(join(macResources[arch], 'app.asar.unpacked/node_modules/onnxruntime-node/bin/napi-v6', rel));
    expect(ort('arm64', 'darwin/arm64/onnxruntime_binding.node')).toBe(true);
    expect(ort('arm64', 'darwin/arm64/libonnxruntime.1.dylib')).toBe(true);
    expect(ort('arm64', 'darwin/arm64/libonnxruntime.1.30.0.dylib')).toBe(false);
    expect(ort('arm64', 'linux')).toBe(false);
    expect(ort('x64', 'darwin/arm64')).toBe(false);
  });
});

if (!enabled) {
  describe('packaging dry run', () => {
    it.skip('runs with `npm run test:packaging` (about 40 s)', () => {});
  });
}
