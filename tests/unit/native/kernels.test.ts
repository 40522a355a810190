// Runs the standalone kernel tests (native/test/run.sh): every SIMD kernel against the generic one
// at lengths 1..1023 for every weight path. On x86-64 the AVX2, AVX-VNNI and AVX-512 sets this CPU supports
// are required to be present and tested; the NEON set is cross-compiled for arm64 and run under
// qemu-aarch64 (skipped, with the reason printed, only when the cross toolchain is not installed).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/built.js';

const script = join(repoRoot, 'native', 'test', 'run.sh');

function cpuFlags(): Set<string> {
  if (!existsSync('/proc/cpuinfo')) return new Set();
  const line = readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('flags'));
  return new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []);
}

function requiredX86(): string[] {
  const f = cpuFlags();
  const has = (...names: string[]): boolean => names.every((n) => f.has(n));
  const out: string[] = [];
  if (has('avx2', 'fma', 'f16c', 'bmi2')) out.push('avx2');
  if (has('avx2', 'fma', 'f16c', 'bmi2', 'avx_vnni')) out.push('avxvnni');
  if (has('avx2', 'fma', 'f16c', 'bmi2', 'avx512f', 'avx512bw', 'avx512vl', 'avx512dq', 'avx512vbmi', 'avx512_vnni')) out.push('avx512');
  return out;
}

function run(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('bash', [script, ...args], { encoding: 'utf8', timeout: 900_000, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

const which = (cmd: string): boolean => spawnSync('bash', ['-c', `command -v ${cmd}`]).status === 0;

describe('native kernels equal the generic kernels', () => {
  it.runIf(process.arch === 'x64' && process.platform === 'linux')('x86-64: AVX2, AVX-VNNI and AVX-512 (as available on this CPU)', () => {
    const need = requiredX86();
    const r = run(['host', ...(need.length ? ['--require', need.join(',')] : [])]);
    const summary = r.out.split('\n').filter((l) => /kernel sets under test|checks,|FAIL/.test(l));
    console.log(summary.slice(0, 12).join('\n'));
    expect(r.status, r.out.slice(-4000)).toBe(0);
    expect(r.out).toMatch(/\d+ checks, 0 failures/);
    for (const isa of need) expect(r.out).toMatch(new RegExp(`kernel sets under test: .*${isa}`));
  }, 900_000);

  const cross = which('aarch64-linux-gnu-g++') && which('qemu-aarch64');
  if (!cross) console.warn('NEON kernel test skipped: aarch64-linux-gnu-g++ or qemu-aarch64 is not installed (apt-get install g++-aarch64-linux-gnu qemu-user)');
  it.runIf(cross && process.platform === 'linux')('arm64 NEON under qemu-aarch64 (with and without sdot)', () => {
    const r = run(['neon']);
    const summary = r.out.split('\n').filter((l) => /==|kernel sets under test|checks,|FAIL/.test(l));
    console.log(summary.slice(0, 12).join('\n'));
    expect(r.status, r.out.slice(-4000)).toBe(0);
    expect(r.out.match(/\d+ checks, 0 failures/g)?.length).toBe(2);
    expect(r.out).toMatch(/kernel sets under test: neon \(/);
    expect(r.out).toMatch(/kernel sets under test: neon-dotprod/);
  }, 900_000);
});
