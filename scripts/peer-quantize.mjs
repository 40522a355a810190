#!/usr/bin/env node
// Builds llama.cpp's `llama-quantize` (only that tool) from the llama.cpp source shipped inside the
// installed peer package (node-llama-cpp's llama/gitRelease.bundle, see peer-install.mjs), for
// comparing conversion speed with `qins convert`. Not an app dependency.
//
//   node scripts/peer-quantize.mjs [--variant avx2|avx512|neon|generic]
//   node scripts/peer-quantize.mjs [--variant v] -- <in.gguf> <out.gguf> <TYPE> [threads]
//
// The bundle is cloned into .bench/llama.cpp-src; each variant is configured with GGML_NATIVE=OFF
// and exactly that instruction set, built in .bench/llama-quantize/build-<variant> and copied to
// .bench/llama-quantize/<variant>/llama-quantize. The default variant is the best this CPU runs
// (x86-64: avx512 with VBMI and VNNI, else avx2; arm64: neon). Idempotent: a variant already built
// from the same commit with the same flags is only reported. After `--`, the arguments go to
// llama-quantize (its exit status is returned). QINS_PEER_DIR names the peer folder (default
// .bench/peer). Prints one line; fails with a one-line reason (the full build log is kept).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bench = join(root, '.bench');
const peerDir = resolve(process.env.QINS_PEER_DIR ?? join(bench, 'peer'));
const bundle = join(peerDir, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
const srcDir = join(bench, 'llama.cpp-src');
const outDir = join(bench, 'llama-quantize');

const shown = (p) => {
  const rel = relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? p : rel;
};
function fail(reason) {
  process.stderr.write(`peer:quantize: ${reason}\n`);
  process.exit(1);
}

/** CMake options of each variant (GGML_NATIVE is always off: the build must not depend on the build machine). */
const X86_BASE = ['-DGGML_SSE42=ON', '-DGGML_AVX=ON', '-DGGML_AVX2=ON', '-DGGML_FMA=ON', '-DGGML_F16C=ON', '-DGGML_BMI2=ON'];
const OFF_X86 = ['SSE42', 'AVX', 'AVX2', 'FMA', 'F16C', 'BMI2', 'AVX512', 'AVX512_VBMI', 'AVX512_VNNI'].map((o) => `-DGGML_${o}=OFF`);
const VARIANTS = {
  generic: process.arch === 'x64' ? OFF_X86 : [],
  avx2: [...X86_BASE, '-DGGML_AVX512=OFF', '-DGGML_AVX512_VBMI=OFF', '-DGGML_AVX512_VNNI=OFF'],
  avx512: [...X86_BASE, '-DGGML_AVX512=ON', '-DGGML_AVX512_VBMI=ON', '-DGGML_AVX512_VNNI=ON'],
  neon: ['-DGGML_CPU_ARM_ARCH=armv8.2-a+fp16+dotprod'],
};

function bestVariant() {
  if (process.arch === 'arm64') return 'neon';
  if (process.arch !== 'x64') return 'generic';
  let flags = '';
  try {
    flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '';
  } catch {
    return 'avx2';
  }
  const has = (f) => new RegExp(`\\b${f}\\b`).test(flags);
  if (['avx512f', 'avx512bw', 'avx512vl', 'avx512dq', 'avx512vbmi', 'avx512_vnni'].every(has)) return 'avx512';
  return has('avx2') && has('fma') && has('f16c') ? 'avx2' : 'generic';
}

// ---- arguments
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const own = dash < 0 ? argv : argv.slice(0, dash);
const passArgs = dash < 0 ? [] : argv.slice(dash + 1);
let variant = null;
for (let i = 0; i < own.length; i++) {
  if (own[i] === '--variant' && i + 1 < own.length) variant = own[++i];
  else if (own[i].startsWith('--variant=')) variant = own[i].slice('--variant='.length);
  else fail(`unknown argument "${own[i]}" (usage: peer-quantize.mjs [--variant ${Object.keys(VARIANTS).join('|')}] [-- llama-quantize args])`);
}
variant ??= bestVariant();
if (!VARIANTS[variant]) fail(`unknown variant "${variant}" (variants: ${Object.keys(VARIANTS).join(', ')})`);
if ((variant === 'avx2' || variant === 'avx512') && process.arch !== 'x64') fail(`variant ${variant} needs an x86-64 machine (this is ${process.arch})`);
if (variant === 'neon' && process.arch !== 'arm64') fail(`variant neon needs an arm64 machine (this is ${process.arch})`);

/** Runs a command; on failure appends its output to the log and fails with its first error line. */
function run(what, cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });
  const log = opts.log;
  if (log) writeFileSync(log, `$ ${cmd} ${args.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}\n`, { flag: 'a' });
  if (r.error) fail(`${what}: cannot run ${cmd} (${r.error.code ?? r.error.message})`);
  if (r.status !== 0) {
    const lines = `${r.stderr ?? ''}\n${r.stdout ?? ''}`.split('\n').map((l) => l.trim());
    const first = lines.find((l) => /error|fatal|not found|CMake Error/i.test(l)) ?? lines.find((l) => l) ?? 'no output';
    fail(`${what} failed (exit ${r.status}): ${first}${log ? ` (log: ${shown(log)})` : ''}`);
  }
  return r.stdout.trim();
}

// ---- source
if (!existsSync(bundle)) fail(`no llama.cpp source bundle at ${shown(bundle)}; run npm run peer:install first (or set QINS_PEER_DIR)`);
const bundleHead = run('reading the bundle', 'git', ['bundle', 'list-heads', bundle]).split(/\s+/)[0];
if (!/^[0-9a-f]{40}$/.test(bundleHead ?? '')) fail(`cannot read the head commit of ${shown(bundle)}`);
if (!existsSync(join(srcDir, '.git'))) {
  mkdirSync(bench, { recursive: true });
  run('git clone of the bundle', 'git', ['clone', '--quiet', '--no-checkout', bundle, srcDir]);
}
const srcHead = spawnSync('git', ['-C', srcDir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout?.trim();
if (srcHead !== bundleHead || !existsSync(join(srcDir, 'CMakeLists.txt'))) {
  run('git fetch from the bundle', 'git', ['-C', srcDir, 'fetch', '--quiet', bundle, bundleHead]);
  run('git checkout', 'git', ['-C', srcDir, '-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--force', bundleHead]);
}

// ---- build
const flags = [
  '-DCMAKE_BUILD_TYPE=Release',
  '-DGGML_NATIVE=OFF',
  '-DBUILD_SHARED_LIBS=OFF',
  '-DLLAMA_BUILD_TESTS=OFF',
  '-DLLAMA_BUILD_EXAMPLES=OFF',
  '-DLLAMA_BUILD_SERVER=OFF',
  '-DLLAMA_BUILD_APP=OFF',
  '-DLLAMA_BUILD_UI=OFF',
  '-DLLAMA_USE_PREBUILT_UI=OFF',
  '-DLLAMA_BUILD_TOOLS=ON',
  '-DLLAMA_OPENSSL=OFF',
  '-DLLAMA_CURL=OFF',
  '-DGGML_OPENMP=OFF',
  ...VARIANTS[variant],
];
const exe = process.platform === 'win32' ? 'llama-quantize.exe' : 'llama-quantize';
const binDir = join(outDir, variant);
const binary = join(binDir, exe);
const stampFile = join(binDir, 'build.json');
const stamp = JSON.stringify({ commit: bundleHead, flags });
const built = existsSync(binary) && existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp;
if (!built) {
  const buildDir = join(outDir, `build-${variant}`);
  const log = join(outDir, `build-${variant}.log`);
  mkdirSync(binDir, { recursive: true });
  writeFileSync(log, '');
  const started = Date.now();
  run('cmake configure', 'cmake', ['-S', srcDir, '-B', buildDir, ...flags], { log });
  run('cmake build', 'cmake', ['--build', buildDir, '--config', 'Release', '--target', 'llama-quantize', '-j', String(Number(process.env.QINS_BUILD_JOBS) || 2)], {
    log,
  });
  const candidates = [join(buildDir, 'bin', exe), join(buildDir, 'bin', 'Release', exe)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) fail(`the build finished but no ${exe} is in ${shown(join(buildDir, 'bin'))} (log: ${shown(log)})`);
  copyFileSync(found, binary);
  writeFileSync(stampFile, `${stamp}\n`);
  if (passArgs.length === 0)
    process.stdout.write(`peer:quantize: built ${shown(binary)} (${variant}, llama.cpp ${bundleHead.slice(0, 10)}, ${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
} else if (passArgs.length === 0) {
  process.stdout.write(`peer:quantize: ${shown(binary)} (${variant}, llama.cpp ${bundleHead.slice(0, 10)}) already built\n`);
}

// ---- run
if (passArgs.length > 0) {
  const r = spawnSync(binary, passArgs, { stdio: 'inherit' });
  if (r.error) fail(`cannot run ${shown(binary)} (${r.error.code ?? r.error.message})`);
  process.exit(r.status ?? 1);
}
