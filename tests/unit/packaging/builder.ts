// electron-builder's own configuration loading, schema validation and file matching, driven
// directly (no packaging), so tests can ask "would this file be packaged, and would it be unpacked
// from app.asar?" exactly as electron-builder decides it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const require = createRequire(join(projectDir, 'package.json'));

type Filter = (file: string, stat: FakeStat) => boolean;
interface FakeStat {
  isDirectory(): boolean;
  moduleFullFilePath?: string;
}
interface Matcher {
  createFilter(): Filter;
  patterns: string[];
}
/** The parts of electron-builder's configuration the tests read (the rest is validated by its schema). */
export interface BuilderConfig {
  appId?: string;
  productName?: string;
  npmRebuild?: boolean;
  asar?: boolean;
  asarUnpack?: string[];
  directories: { output: string; buildResources: string };
  files?: unknown;
  extraResources?: Array<{ from?: string; to?: string; filter?: string[] }>;
  mac?: {
    target?: Array<{ target: string; arch: string[] }>;
    category?: string;
    icon?: string;
    hardenedRuntime?: boolean;
    entitlements?: string;
    entitlementsInherit?: string;
    minimumSystemVersion?: string;
  };
  linux?: { target?: string[]; icon?: string; category?: string };
  [key: string]: unknown;
}

const configModule = require('app-builder-lib/out/util/config/config') as {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: unknown): Promise<BuilderConfig>;
  validateConfiguration(config: unknown, debugLogger: unknown): Promise<void>;
};
const fileMatcher = require('app-builder-lib/out/fileMatcher') as {
  getMainFileMatchers(appDir: string, dest: string, expand: (p: string) => string, platformOptions: unknown, packager: unknown, outDir: string, isElectronCompile: boolean): Matcher[];
  getNodeModuleFileMatcher(appDir: string, dest: string, expand: (p: string) => string, platformOptions: unknown, info: unknown): Matcher;
  getFileMatchers(config: unknown, name: string, dest: string, options: unknown): Matcher[] | null;
};
const { expandMacro } = require('app-builder-lib/out/util/macroExpander') as {
  expandMacro(pattern: string, arch: string | null, appInfo: unknown, extra: Record<string, string>, sanitized?: boolean): string;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

/** Loads electron-builder.yml the way the electron-builder CLI does (quietly). */
export async function loadConfig(): Promise<BuilderConfig> {
  const log = console.log;
  try {
    return await configModule.getConfig(projectDir, null, null);
  } finally {
    console.log = log;
  }
}

/** electron-builder's schema validation (throws on an invalid configuration). */
export function validate(config: unknown): Promise<void> {
  return configModule.validateConfiguration(structuredClone(config), new DebugLogger(false));
}

export type BuilderOs = 'mac' | 'linux';

/** Decides, for one target, whether a project-relative path is packaged and whether it is unpacked. */
export interface TargetMatcher {
  os: BuilderOs;
  arch: string;
  included(rel: string): boolean;
  unpacked(rel: string): boolean;
}

export function targetMatcher(config: BuilderConfig, os: BuilderOs, arch: string): TargetMatcher {
  const pkg = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as { name: string; version: string; productName?: string };
  const productName = config.productName ?? pkg.productName ?? pkg.name;
  const appInfo = { productName, sanitizedProductName: productName, name: pkg.name, version: pkg.version };
  // as PlatformPackager.getFileMatchers expands macros for a target
  const expand = (p: string): string => expandMacro(p, arch, appInfo, { os, '/*': '{,/**/*}' });
  const platformOptions = (config[os] ?? {}) as object;
  const outDir = resolve(projectDir, config.directories.output);
  const info = {
    isPrepackedAppAsar: false,
    config,
    projectDir,
    buildResourcesDir: resolve(projectDir, config.directories.buildResources),
    debugLogger: new DebugLogger(false),
  };
  const dest = '/packaged/resources/app';
  const main = fileMatcher.getMainFileMatchers(projectDir, dest, expand, platformOptions, { info }, outDir, false).map((m) => m.createFilter());
  const modules = fileMatcher.getNodeModuleFileMatcher(projectDir, dest, expand, platformOptions, info).createFilter();
  const unpackMatchers = fileMatcher.getFileMatchers(config, 'asarUnpack', dest, {
    macroExpander: expand,
    customBuildOptions: platformOptions,
    globalOutDir: outDir,
    defaultSrc: projectDir,
  });
  const unpack = unpackMatchers?.[0]?.createFilter() ?? (() => false);
  // electron-builder copies node_modules itself and matches them by their path in the app
  const stat = (rel: string): FakeStat => ({ isDirectory: () => false, ...(rel.startsWith('node_modules/') ? { moduleFullFilePath: rel } : {}) });
  return {
    os,
    arch,
    included: (rel) => (rel.startsWith('node_modules/') ? modules(join(projectDir, rel), stat(rel)) : main.some((f) => f(join(projectDir, rel), stat(rel)))),
    unpacked: (rel) => unpack(join(projectDir, rel), stat(rel)),
  };
}

/** Files whose code the OS loads at run time (Node addons and shared libraries). */
export const isNativeBinary = (name: string): boolean => /\.(node|dylib|dll|so)$/.test(name) || /\.so\.\d+(\.\d+)*$/.test(name);

/** Project-relative paths of every native binary under `dir` (not descending into node_modules). */
export function nativeBinariesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(p);
      } else if (isNativeBinary(e.name) && statSync(p).isFile()) out.push(relative(projectDir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

interface PackageJson {
  name: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** Folders of the production dependency closure (what electron-builder packs), resolved like Node does. */
export function runtimeDependencyDirs(): string[] {
  const root = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as PackageJson;
  const seen = new Set<string>();
  const visit = (pkg: PackageJson, fromDir: string): void => {
    const names = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})];
    for (const name of names) {
      const dir = findPackage(name, fromDir);
      if (!dir) {
        if (pkg.optionalDependencies?.[name] !== undefined) continue; // optional and not installed for this platform
        throw new Error(`${pkg.name} depends on ${name}, which is not installed`);
      }
      if (seen.has(dir)) continue;
      seen.add(dir);
      visit(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson, dir);
    }
  };
  visit(root, projectDir);
  return [...seen].sort();
}

function findPackage(name: string, fromDir: string): string | null {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    try {
      if (statSync(join(candidate, 'package.json')).isFile()) return candidate;
    } catch {}
    if (dir === projectDir) return null;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}
