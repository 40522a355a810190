// Packaging scripts: npm script wiring, the binary header reader, the prebuild script's argument
// checks, the icns writer, and the README's install section.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { binaryArch } from '../../../scripts/lib/binary-arch.mjs';
import { buildIcns } from '../../../scripts/lib/icns.mjs';
import { projectDir } from './builder.js';

const pkg = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

describe('npm scripts', () => {
  it('dist:mac builds the app, arm64 + x64 addon prebuilds, then the .dmg files', () => {
    const s = pkg.scripts['dist:mac']!;
    expect(s).toMatch(/npm run build:app/);
    expect(s).toMatch(/prebuild-native\.mjs --arch arm64 --arch x64/);
    expect(s).toMatch(/electron-builder --mac\b/);
    expect(s).not.toMatch(/npmRebuild=false/); // a real build rebuilds better-sqlite3 for Electron
    expect(s.indexOf('build:app')).toBeLessThan(s.indexOf('electron-builder'));
  });

  it('dist:linux builds the app, this arch prebuild, then AppImage + deb', () => {
    const s = pkg.scripts['dist:linux']!;
    expect(s).toMatch(/npm run build:app/);
    expect(s).toMatch(/prebuild-native\.mjs/);
    expect(s).toMatch(/electron-builder --linux\b/);
  });

  it('build:native, build:prebuilds, icons and test:packaging exist', () => {
    expect(pkg.scripts['build:native']).toMatch(/node-gyp rebuild --directory=native/);
    expect(pkg.scripts['build:prebuilds']).toMatch(/prebuild-native\.mjs/);
    expect(pkg.scripts.icons).toMatch(/make-icons\.mjs/);
    expect(pkg.scripts['test:packaging']).toMatch(/vitest run tests\/unit\/packaging/);
  });
});

/** An ELF header (64-bit, little-endian) for a machine type. */
function elf(machine: number): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2;
  b[5] = 1;
  b.writeUInt16LE(machine, 18);
  return b;
}
function macho(cpu: number): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32LE(0xfeedfacf, 0);
  b.writeUInt32LE(cpu, 4);
  return b;
}
function fat(cpus: number[]): Buffer {
  const b = Buffer.alloc(8 + cpus.length * 20);
  b.writeUInt32BE(0xcafebabe, 0);
  b.writeUInt32BE(cpus.length, 4);
  cpus.forEach((c, i) => b.writeUInt32BE(c, 8 + i * 20));
  return b;
}
function pe(machine: number): Buffer {
  const b = Buffer.alloc(0x100);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  b.writeUInt16LE(machine, 0x84);
  return b;
}

describe('binaryArch', () => {
  it('reads ELF, Mach-O (thin and universal) and PE headers', () => {
    expect(binaryArch(elf(62))).toEqual({ format: 'elf', archs: ['x64'] });
    expect(binaryArch(elf(183))).toEqual({ format: 'elf', archs: ['arm64'] });
    expect(binaryArch(macho(0x0100000c))).toEqual({ format: 'macho', archs: ['arm64'] });
    expect(binaryArch(macho(0x01000007))).toEqual({ format: 'macho', archs: ['x64'] });
    expect(binaryArch(fat([0x01000007, 0x0100000c]))).toEqual({ format: 'macho', archs: ['x64', 'arm64'] });
    expect(binaryArch(pe(0x8664))).toEqual({ format: 'pe', archs: ['x64'] });
    expect(binaryArch(pe(0xaa64))).toEqual({ format: 'pe', archs: ['arm64'] });
  });

  it('returns null for anything else', () => {
    expect(binaryArch(Buffer.from('#!/bin/sh\necho hi\n'))).toBeNull();
    expect(binaryArch(Buffer.alloc(0))).toBeNull();
  });

  it('agrees with the real binaries shipped by onnxruntime-node', () => {
    const head = (rel: string): Buffer => readFileSync(join(projectDir, 'node_modules/onnxruntime-node/bin/napi-v6', rel)).subarray(0, 4096);
    expect(binaryArch(head('darwin/arm64/onnxruntime_binding.node'))).toEqual({ format: 'macho', archs: ['arm64'] });
    expect(binaryArch(head('linux/x64/onnxruntime_binding.node'))).toEqual({ format: 'elf', archs: ['x64'] });
    expect(binaryArch(head('linux/arm64/onnxruntime_binding.node'))).toEqual({ format: 'elf', archs: ['arm64'] });
    expect(binaryArch(head('win32/x64/onnxruntime_binding.node'))).toEqual({ format: 'pe', archs: ['x64'] });
  });
});

describe('scripts/prebuild-native.mjs arguments', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [join(projectDir, 'scripts/prebuild-native.mjs'), ...args], { encoding: 'utf8' });

  it('refuses an unknown arch or argument with one line, before building anything', () => {
    for (const args of [['--arch', 'ppc64'], ['--arch'], ['--frobnicate']]) {
      const r = run(...args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^prebuild-native: /);
    }
  });
});

describe('scripts/lib/icns.mjs', () => {
  it('refuses an image of the wrong size', () => {
    const png16 = readFileSync(join(projectDir, 'assets/icons/png/16x16.png'));
    const sizes = [16, 32, 64, 128, 256, 512, 1024];
    expect(() => buildIcns(new Map(sizes.map((s) => [s, png16])))).toThrow(/the 32 px image is 16x16/);
    expect(() => buildIcns(new Map([[16, png16]]))).toThrow(/no 32 px image/);
  });
});

describe('README', () => {
  const readme = readFileSync(join(projectDir, 'README.md'), 'utf8');

  it('has an "Install on macOS" section before the architecture section', () => {
    const at = readme.indexOf('\n## Install on macOS');
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(readme.indexOf('\n## Architecture'));
  });

  it('covers the .dmg, Gatekeeper, data folder, uninstall, building with dist:mac and the prebuilds', () => {
    const section = readme.slice(readme.indexOf('\n## Install on macOS'), readme.indexOf('\n## Architecture'));
    for (const needle of ['.dmg', 'Gatekeeper', 'Open Anyway', 'xattr', '~/Library/Application Support/QINS Chat', 'Uninstall', 'npm run dist:mac', 'darwin-arm64', 'darwin-x64', '--arch x64'])
      expect(section, needle).toContain(needle);
  });
});
