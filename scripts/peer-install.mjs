#!/usr/bin/env node
// Installs the llama.cpp peer (node-llama-cpp, pinned) into .bench/peer/ for the benchmarks and
// the GGUF export tests. It is not an app dependency: the app never loads it.
//
//   node scripts/peer-install.mjs          (npm run peer:install)
//
// Only the CPU prebuilt for this platform is installed (`--omit=optional` drops the other
// @node-llama-cpp/* binaries, 732 MB in all; linux-x64 alone is about 29 MB) and no install script
// runs (node-llama-cpp's postinstall would try to download or build llama.cpp). Idempotent: when
// the pinned versions are already installed it only says so. QINS_PEER_DIR overrides the folder.
// Prints one line; exits 1 with a one-line reason when the install fails.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

const key = `${process.platform}-${process.arch}`;
const binary = BINARY_PACKAGES[key];
if (!binary) fail(`no node-llama-cpp ${VERSION} CPU prebuilt for ${key} (supported: ${Object.keys(BINARY_PACKAGES).join(', ')})`);

const wanted = { private: true, dependencies: { 'node-llama-cpp': VERSION, [binary]: VERSION } };
const done = () => installedVersion('node-llama-cpp') === VERSION && installedVersion(binary) === VERSION;

if (done()) {
  process.stdout.write(`peer:install: node-llama-cpp ${VERSION} + ${binary} already installed in ${shown}\n`);
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
