#!/usr/bin/env node
// Builds the QINS native addon for this platform and the given CPU architectures and stores each
// build as native/prebuilds/<platform>-<arch>/qins.napi.node (node-gyp-build layout; one N-API
// binary serves Node and Electron alike). The packaged app ships these prebuilds, not build/Release.
//
//   node scripts/prebuild-native.mjs                  this machine's arch
//   node scripts/prebuild-native.mjs --arch arm64 --arch x64   (on a Mac: both, clang cross-compiles)
//
// Each build runs in a temporary copy of native/ so the development build in native/build stays as
// it is. The result's CPU type is checked from its header, and a build for this machine's own arch
// is loaded once in a child process before it is stored.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, openSync, readSync, closeSync, renameSync, rmSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binaryArch, formatFor } from './lib/binary-arch.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const ADDON = 'qins';
const KNOWN_ARCHS = ['x64', 'arm64'];

function fail(message) {
  process.stderr.write(`prebuild-native: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const archs = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--arch') {
      const v = argv[++i];
      if (!v) fail('--arch needs a value (x64 or arm64)');
      archs.push(...v.split(','));
    } else if (a.startsWith('--arch=')) archs.push(...a.slice(7).split(','));
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node scripts/prebuild-native.mjs [--arch x64|arm64]...\n');
      process.exit(0);
    } else fail(`unknown argument ${a} (usage: --arch x64|arm64, repeatable)`);
  }
  for (const a of archs) if (!KNOWN_ARCHS.includes(a)) fail(`unsupported arch ${a} (expected ${KNOWN_ARCHS.join(' or ')})`);
  return archs.length ? [...new Set(archs)] : [process.arch];
}

function headerArch(file) {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return binaryArch(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

/** Like scripts/setup.sh: build against the distribution's Node headers when it ships them (no download). */
function headersEnv() {
  if (process.env.npm_config_nodedir || !existsSync('/usr/include/node/node.h')) return {};
  return { npm_config_nodedir: '/usr' };
}

function build(arch) {
  const work = mkdtempSync(join(tmpdir(), `qins-prebuild-${arch}-`));
  try {
    for (const part of ['binding.gyp', 'src', 'tools']) cpSync(join(nativeDir, part), join(work, part), { recursive: true });
    const nodeGyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
    process.stderr.write(`prebuild-native: building ${process.platform}-${arch} …\n`);
    const r = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--directory=${work}`, `--arch=${arch}`, '--jobs=max'], {
      stdio: ['ignore', 'inherit', 'inherit'],
      // binding.gyp resolves node-addon-api with require(); the copy has no node_modules of its own
      env: { ...process.env, ...headersEnv(), NODE_PATH: join(root, 'node_modules') },
    });
    if (r.status !== 0) fail(`node-gyp failed for ${process.platform}-${arch} (exit ${r.status ?? r.signal})`);
    const built = join(work, 'build', 'Release', `${ADDON}.node`);
    if (!existsSync(built)) fail(`node-gyp reported success but ${ADDON}.node is missing`);

    const found = headerArch(built);
    const want = formatFor(process.platform);
    if (!found || found.format !== want || found.archs.length !== 1 || found.archs[0] !== arch)
      fail(`the ${arch} build is ${found ? `${found.format} ${found.archs.join('+')}` : 'not a native binary'}, expected ${want} ${arch} (is a cross compiler set up?)`);

    if (arch === process.arch) {
      const probe = spawnSync(process.execPath, ['-e', `const m = require(${JSON.stringify(built)}); process.stdout.write(Object.keys(m).sort().join(','))`], {
        encoding: 'utf8',
      });
      if (probe.status !== 0) fail(`the ${arch} build does not load: ${(probe.stderr || '').trim().split('\n')[0]}`);
      process.stderr.write(`prebuild-native: loads; exports ${probe.stdout || '(none)'}\n`);
    }

    const destDir = join(nativeDir, 'prebuilds', `${process.platform}-${arch}`);
    mkdirSync(destDir, { recursive: true });
    const dest = join(destDir, `${ADDON}.napi.node`);
    const tmp = `${dest}.tmp-${process.pid}`;
    cpSync(built, tmp);
    renameSync(tmp, dest);
    process.stderr.write(`prebuild-native: wrote ${relative(root, dest)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

for (const arch of parseArgs(process.argv.slice(2))) build(arch);
