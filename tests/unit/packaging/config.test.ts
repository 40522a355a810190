// electron-builder.yml: valid by electron-builder's own schema, and shaped as issue 9 asks.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, projectDir, runtimeDependencyDirs, targetMatcher, validate, type BuilderConfig } from './builder.js';

let config: BuilderConfig;
beforeAll(async () => {
  config = await loadConfig();
});

describe('electron-builder configuration', () => {
  it('passes electron-builder schema validation', async () => {
    await expect(validate(config)).resolves.toBeUndefined();
  });

  it('is really validated: a misspelled option is rejected', async () => {
    await expect(validate({ ...config, mac: { ...config.mac, hardendRuntime: true } })).rejects.toThrow(/configuration\.mac /);
    await expect(validate({ ...config, asarUnpak: ['native/**'] })).rejects.toThrow(/asarUnpak/);
  });

  it('names the product and builds .dmg files for Apple Silicon and Intel Macs', () => {
    expect(config.appId).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/);
    expect(config.productName).toBe('QINS Chat');
    expect(config.mac?.target).toEqual([{ target: 'dmg', arch: ['arm64', 'x64'] }]);
    expect(config.mac?.category).toMatch(/^public\.app-category\.(developer-tools|productivity)$/);
  });

  it('uses the hardened runtime with the entitlements in assets/', () => {
    expect(config.mac?.hardenedRuntime).toBe(true);
    expect(config.mac?.entitlements).toBe('assets/entitlements.mac.plist');
    expect(config.mac?.entitlementsInherit).toBe('assets/entitlements.mac.plist');
    expect(existsSync(join(projectDir, config.mac!.entitlements!))).toBe(true);
  });

  it('points at icons that exist: .icns for macOS, a PNG set for Linux', () => {
    expect(config.mac?.icon).toMatch(/\.icns$/);
    expect(statSync(join(projectDir, config.mac!.icon!)).isFile()).toBe(true);
    expect(statSync(join(projectDir, config.linux!.icon!)).isDirectory()).toBe(true);
    expect(existsSync(join(projectDir, config.linux!.icon!, '512x512.png'))).toBe(true);
  });

  it('associates .qins and .qinz files with the app (double-click adds the model)', () => {
    const assoc = (config as { fileAssociations?: Array<{ ext: string; role?: string }> }).fileAssociations ?? [];
    expect(assoc.map((a) => a.ext).sort()).toEqual(['qins', 'qinz']);
    for (const a of assoc) expect(a.role).toBe('Viewer');
  });

  it('builds AppImage and deb on Linux', () => {
    expect(config.linux?.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
  });

  it('rebuilds native dependencies for Electron in real builds and packs into app.asar', () => {
    // dry runs on machines without Electron headers pass -c.npmRebuild=false explicitly
    expect(config.npmRebuild).toBe(true);
    expect(config.asar).not.toBe(false);
  });

  it('ships the embedded model and the eval text as resources under <resources>/assets', () => {
    const resources = config.extraResources ?? [];
    const models = resources.find((r) => r.from === 'assets/models');
    expect(models?.to).toBe('assets/models');
    expect(existsSync(join(projectDir, 'assets/models/tiny-phi3-chat/config.json'))).toBe(true);
    expect(existsSync(join(projectDir, 'assets/models/tiny-phi3-chat/tokenizer.json'))).toBe(true);
    expect(resources.find((r) => r.from === 'assets/eval')?.to).toBe('assets/eval');
  });

  it('packs the built app and package.json, and leaves sources, tests and local builds out', () => {
    const main = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')).main as string;
    for (const [os, arch] of [['mac', 'arm64'], ['mac', 'x64'], ['linux', 'x64']] as const) {
      const t = targetMatcher(config, os, arch);
      for (const rel of [main, 'package.json', 'out/main/engine-host.js', 'out/main/cli.js', 'out/preload/bridge.cjs', 'out/renderer/index.html', 'native/prebuilds/darwin-arm64/qins.napi.node'])
        expect(t.included(rel), `${os}-${arch} packs ${rel}`).toBe(true);
      for (const rel of [
        'src-main/core/paths.ts',
        'src-shared/contract.ts',
        'src-renderer/index.html',
        'tests/unit/packaging/config.test.ts',
        'native/src/addon.cpp',
        'native/binding.gyp',
        'native/build/Release/qins.node',
        'docs/qins-format.md',
        'scripts/make-icons.mjs',
        'assets/models/tiny-phi3-chat/config.json', // an extra resource, not inside app.asar
        'electron-builder.yml',
        'README.md',
        'out/main/cli.js.map',
        'node_modules/better-sqlite3/deps/sqlite3/sqlite3.c',
        'node_modules/better-sqlite3/src/better_sqlite3.cpp',
        'node_modules/better-sqlite3/build/Release/obj.target/better_sqlite3.node',
      ])
        expect(t.included(rel), `${os}-${arch} leaves out ${rel}`).toBe(false);
    }
  });
});

/** Package names the built bundles load at run time (bare specifiers of import / import() / require). */
function bundleImports(dir: string): Set<string> {
  const names = new Set<string>();
  const spec = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(["'])([^"'\s]+)\1/g;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(c|m)?js$/.test(e.name))
        for (const m of readFileSync(p, 'utf8').matchAll(spec)) {
          const s = m[2]!;
          // a package name, optionally with a subpath (skips relative paths and string look-alikes)
          if (!/^(node:)?(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w.@/-]*)?$/i.test(s)) continue;
          const parts = s.split('/');
          names.add(s.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
        }
    }
  };
  walk(dir);
  return names;
}

describe('the built bundles only import what the package ships', () => {
  it('every bare import in out/main and out/preload is a Node builtin, electron, or a packaged dependency', () => {
    const outMain = join(projectDir, 'out', 'main');
    expect(existsSync(join(outMain, 'electron-main.js')), 'out/main is built (npm run build:app)').toBe(true);
    const imports = new Set([...bundleImports(outMain), ...bundleImports(join(projectDir, 'out', 'preload'))]);
    expect(imports).toContain('better-sqlite3');
    const deps = new Set(runtimeDependencyDirs().map((d) => relative(join(projectDir, 'node_modules'), d).split('\\').join('/')));
    const builtins = new Set(builtinModules);
    const t = targetMatcher(config, 'mac', 'arm64');
    const unshipped = [...imports].filter((name) => {
      if (name.startsWith('node:') || builtins.has(name) || name === 'electron') return false;
      return !deps.has(name) || !t.included(`node_modules/${name}/package.json`);
    });
    expect(unshipped).toEqual([]);
  });
});

/** Bare specifiers reached from an entry through static imports only (what loads at start-up). */
function staticImportClosure(entry: string): Set<string> {
  const bare = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    // `import x from "y"`, `import { a } from "y"`, `import "y"`, `export … from "y"` (not import())
    for (const m of code.matchAll(/^\s*(?:import|export)\s+(?:[^'"()]*?\s+from\s+)?(["'])([^"']+)\1/gm)) {
      const spec = m[2]!;
      if (spec.startsWith('.')) visit(join(file, '..', spec));
      else bare.add(spec);
    }
  };
  visit(entry);
  return bare;
}

describe('start-up does not need ONNX Runtime', () => {
  it('the app and engine host entries load onnxruntime-node only on demand (the Intel Mac build has none)', () => {
    for (const entry of ['electron-main.js', 'engine-host.js']) {
      const closure = staticImportClosure(join(projectDir, 'out', 'main', entry));
      expect(closure.size, entry).toBeGreaterThan(0);
      expect([...closure], entry).not.toContain('onnxruntime-node');
    }
    // the scan does see it where it is imported statically (the ONNX Runtime backend's bundle)
    const outMain = join(projectDir, 'out', 'main');
    const withOrt = readdirSync(outMain).filter((f) => f.endsWith('.js') && staticImportClosure(join(outMain, f)).has('onnxruntime-node'));
    expect(withOrt.length).toBeGreaterThan(0);
  });
});
