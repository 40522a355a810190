// `qins bench-suite --report-from`: the report written again from a run's benchmarks.json, measuring
// nothing. The committed BENCHMARKS.md is exactly what the committed benchmarks.json renders to, and
// a file that is not a suite's results is refused in one line.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/built.js';

const dir = mkdtempSync(join(tmpdir(), 'qins-report-from-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function qins(...args: string[]) {
  const cli = join(repoRoot, 'out', 'main', 'cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npx electron-vite build\` before the unit tests`);
  return spawnSync(process.execPath, [join(repoRoot, 'bin', 'qins.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('bench-suite --report-from', () => {
  it("renders the committed benchmarks.json to the committed BENCHMARKS.md and charts, the README's blocks left alone", () => {
    copyFileSync(join(repoRoot, 'benchmarks.json'), join(dir, 'benchmarks.json'));
    const r = qins('bench-suite', '--report-from', join(dir, 'benchmarks.json'), '--out', dir, '--no-readme');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/wrote .*BENCHMARKS\.md \(from .*benchmarks\.json, measured /);
    expect(readFileSync(join(dir, 'BENCHMARKS.md'), 'utf8')).toBe(readFileSync(join(repoRoot, 'BENCHMARKS.md'), 'utf8'));
    expect(readFileSync(join(dir, 'benchmarks-decode.svg'), 'utf8')).toBe(readFileSync(join(repoRoot, 'benchmarks-decode.svg'), 'utf8'));
    expect(existsSync(join(dir, 'README.md'))).toBe(false);
  });

  it('refuses a file that is not a suite result, or is missing, in one line', () => {
    writeFileSync(join(dir, 'other.json'), '{"entries": 3}');
    for (const file of [join(dir, 'other.json'), join(dir, 'missing.json')]) {
      const r = qins('bench-suite', '--report-from', file, '--out', dir, '--no-readme');
      expect(r.status).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/--report-from: /);
    }
  });
});
