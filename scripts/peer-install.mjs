#!/usr/bin/env node
// Installs the llama.cpp peer (node-llama-cpp, pinned) into .bench/peer/ for the benchmarks and
// the GGUF export tests. It is not an app dependency: the app never loads it.
//
//   node scripts/peer-install.mjs                     (npm run peer:install)
//   node scripts/peer-install.mjs --variant haswell   also a copy in .bench/peer-haswell whose
//                                                     ggml loads only that CPU variant (AVX2)
//
// Only the CPU prebuilt for this platform is installed (`--omit=optional` drops the other
// @node-llama-cpp/* binaries, 732 MB in all; linux-x64 alone is about 29 MB) and no install script
// runs (node-llama-cpp's postinstall would try to download or build llama.cpp). Idempotent: when
// the pinned versions are already installed it only says so. QINS_PEER_DIR overrides the folder.
// Prints one line (two with --variant); exits 1 with a one-line reason when the install fails.
//
// ggml picks the best of the libggml-cpu-<variant> libraries beside it that the CPU runs; a copy of
// the peer folder that keeps only one of them (e.g. haswell: AVX2, FMA, F16C) runs llama.cpp with
// that code on any CPU that has those features, for comparisons with our own AVX2 kernels.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '3.21.1';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = resolve(process.env.QINS_PEER_DIR ?? join(root, '.bench', 'peer'));
const rel = relative(process.cwd(), dir);
const shown = rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? dir : rel;

/** The CPU prebuilt package of node-llama-cpp for each platform-arch we can run on. */
const BINARY_PACKAGES = {
  'linux-x64': '@node-llama-cpp/linux-x64',
  'linux-arm64': '@node-llama-cpp/linux-arm64',
  'darwin-arm64': '@node-llama-cpp/mac-arm64-metal',
  'darwin-x64': '@node-llama-cpp/mac-x64',
  'win32-x64': '@node-llama-cpp/win-x64',
  'win32-arm64': '@node-llama-cpp/win-arm64',
};

function fail(reason) {
  process.stderr.write(`peer:install: ${reason}\n`);
  process.exit(1);
}

function installedVersion(name) {
  try {
    return JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')).version ?? null;
  } catch {
    return null;
  }
}

const argv = process.argv.slice(2);
let variant = null;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--variant' && argv[i + 1]) variant = argv[++i];
  else if (argv[i].startsWith('--variant=')) variant = argv[i].slice('--variant='.length);
  else fail(`unknown argument ${argv[i]} (usage: peer-install.mjs [--variant <ggml CPU variant, e.g. haswell>])`);
}
if (variant !== null && !/^[a-z0-9_]+$/.test(variant)) fail(`--variant: "${variant}" is not a ggml CPU variant name`);

/** The bins folder of the CPU prebuilt inside a peer folder. */
const binsDir = (peer) => join(peer, 'node_modules', ...binary.split('/'), 'bins', key);
const cpuLibs = (bins) => readdirSync(bins).filter((f) => /^libggml-cpu-.+\.(so|dylib|dll)$/.test(f));

/** Copies the peer folder to <dir>-<variant> and keeps only that CPU library there. */
function installVariant() {
  if (process.platform !== 'linux') fail(`--variant: only on Linux (ggml's CPU variants are separate libraries there)`);
  const target = `${dir}-${variant}`;
  const shownTarget = relative(process.cwd(), target) || target;
  const lib = `libggml-cpu-${variant}.so`;
  if (!existsSync(join(binsDir(dir), lib))) fail(`--variant: ${binary} has no ${lib} (has: ${cpuLibs(binsDir(dir)).join(', ')})`);
  const ready = () => {
    try {
      const v = JSON.parse(readFileSync(join(target, 'node_modules', 'node-llama-cpp', 'package.json'), 'utf8')).version;
      const libs = cpuLibs(binsDir(target));
      return v === VERSION && libs.length === 1 && libs[0] === lib;
    } catch {
      return false;
    }
  };
  if (ready()) {
    process.stdout.write(`peer:install: ${shownTarget} already runs only ${lib}\n`);
    return;
  }
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    rmSync(tmp, { recursive: true, force: true });
    // the installed packages only (not whatever else lies in the peer folder)
    const keep = (src) => {
      const top = relative(dir, src).split(/[\\/]/)[0];
      return top === '' || top === 'node_modules' || top === 'package.json' || top === 'package-lock.json';
    };
    cpSync(dir, tmp, { recursive: true, verbatimSymlinks: true, filter: keep });
    for (const f of cpuLibs(binsDir(tmp))) if (f !== lib) rmSync(join(binsDir(tmp), f));
    rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    fail(`cannot make ${shownTarget} (${e.code ?? e.message})`);
  }
  process.stdout.write(`peer:install: ${shownTarget} runs only ${lib} (a copy of ${shown})\n`);
}

const key = `${process.platform}-${process.arch}`;
const binary = BINARY_PACKAGES[key];
if (!binary) fail(`no node-llama-cpp ${VERSION} CPU prebuilt for ${key} (supported: ${Object.keys(BINARY_PACKAGES).join(', ')})`);

const wanted = { private: true, dependencies: { 'node-llama-cpp': VERSION, [binary]: VERSION } };
const done = () => installedVersion('node-llama-cpp') === VERSION && installedVersion(binary) === VERSION;

if (done()) {
  process.stdout.write(`peer:install: node-llama-cpp ${VERSION} + ${binary} already installed in ${shown}\n`);
  if (variant !== null) installVariant();
  process.exit(0);
}

try {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(wanted, null, 2)}\n`);
} catch (e) {
  fail(`cannot write ${join(shown, 'package.json')} (${e.code ?? e.message})`);
}

// Under `npm run`, npm_execpath names npm's own CLI script: run that with this node.
const npmCli = process.env.npm_execpath && /npm-cli\.c?js$/.test(process.env.npm_execpath) ? process.env.npm_execpath : null;
const args = ['install', '--omit=optional', '--ignore-scripts', '--no-audit', '--no-fund', '--no-save', '--loglevel=error'];
const started = Date.now();
const r = npmCli
  ? spawnSync(process.execPath, [npmCli, ...args], { cwd: dir, encoding: 'utf8' })
  : spawnSync('npm', args, { cwd: dir, encoding: 'utf8', shell: process.platform === 'win32' });
if (r.error) fail(`cannot run npm (${r.error.code ?? r.error.message})`);
if (r.status !== 0) {
  const lines = `${r.stderr ?? ''}\n${r.stdout ?? ''}`
    .split('\n')
    .map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim())
    .filter((l) => l && !/^(A complete log|code |errno |syscall |\d{4}-\d\d-\d\dT)/.test(l));
  fail(`npm install in ${shown} failed (exit ${r.status}): ${lines[0] ?? 'no output'}`);
}
if (!done())
  fail(
    `npm install finished but ${shown} holds node-llama-cpp ${installedVersion('node-llama-cpp') ?? 'none'}, ${binary} ${installedVersion(binary) ?? 'none'} (want ${VERSION})`,
  );
if (!existsSync(join(dir, 'node_modules', 'node-llama-cpp', 'dist', 'index.js'))) fail(`node-llama-cpp in ${shown} has no dist/index.js`);
process.stdout.write(`peer:install: node-llama-cpp ${VERSION} + ${binary} installed in ${shown} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
if (variant !== null) installVariant();
