// The converter's commands through the built CLI (out/main/cli.js, built by `npm run build`):
// --json prints exactly one JSON object on stdout, bad input exits non-zero with one stderr line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/built.js';
import { entries, LLAMA, makeTinyCheckpoint, scratch } from './helpers.js';

const cli = join(repoRoot, 'bin', 'qins.js');
const root = scratch('qins-cli-');
afterAll(() => root.cleanup());
beforeAll(() => {
  if (!existsSync(join(repoRoot, 'out', 'main', 'cli.js'))) throw new Error('out/main/cli.js is missing: run `npm run build` before the unit tests');
});

function qins(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('qins convert / inspect / verify / pack / unpack', () => {
  const out = join(root.dir, 'llama.qins');

  it('convert --json prints one object with the architecture, sizes and SNR', () => {
    const r = qins('convert', LLAMA, '-o', out, '--codec', 'qins8', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ architecture: 'llama', codec: 'qins8', path: out });
    expect(j.stats.snr_db).toBeGreaterThan(33);
    expect(j.size_ratio).toBeLessThan(0.56);
  });

  it('inspect --json has architecture and stats.snr_db; the human form names them', () => {
    const j = JSON.parse(qins('inspect', out, '--json').stdout);
    expect(j.architecture).toBe('llama');
    expect(typeof j.stats.snr_db).toBe('number');
    expect(j.tensors.length).toBeGreaterThan(10);
    const h = qins('inspect', out);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/architecture\s+llama/);
    expect(h.stdout).toMatch(/SNR\s+[\d.]+ dB/);
    expect(h.stdout).toMatch(/8\.5 bits\/weight/);
  });

  it('verify passes, then fails with exit 1 naming the tensor after a flipped byte', () => {
    const copy = join(root.dir, 'flipped.qins');
    const b = readFileSync(out);
    writeFileSync(copy, b);
    expect(qins('verify', copy).code).toBe(0);
    // flip a byte inside layers.4.down (its offset from the file's own JSON header)
    const len = Number(b.readBigUInt64LE(8));
    const hdr = JSON.parse(b.subarray(16, 16 + len).toString('utf8'));
    const entry = hdr.tensors.find((x: { name: string }) => x.name === 'layers.4.down');
    b[entry.offset + 1000] = b[entry.offset + 1000]! ^ 1;
    writeFileSync(copy, b);
    const v = qins('verify', copy, '--json');
    expect(v.code).toBe(1);
    expect(JSON.parse(v.stdout).mismatches.map((m: { name: string }) => m.name)).toEqual(['layers.4.down']);
    expect(v.stderr.trim().split('\n')).toHaveLength(1);
    expect(v.stderr).toMatch(/layers\.4\.down/);
  });

  it('pack then unpack restores the file byte for byte', () => {
    const z = join(root.dir, 'llama.qinz');
    const back = join(root.dir, 'back.qins');
    const p = qins('pack', out, '-o', z, '--json', '--quality', '3');
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).ratio).toBeGreaterThan(1.1);
    const u = qins('unpack', z, '-o', back, '--json');
    expect(u.code, u.stderr).toBe(0);
    expect(readFileSync(back).equals(readFileSync(out))).toBe(true);
  });
});

describe('bad input through the CLI: non-zero exit, one line on stderr, nothing written', () => {
  const cases: Array<[string, (dir: string) => string[]]> = [
    ['unsupported model_type', (d) => (makeTinyCheckpoint(join(d, 'c'), { config: { model_type: 'gpt2' } }), [join(d, 'c')])],
    ['missing tensor', (d) => (makeTinyCheckpoint(join(d, 'c'), { drop: ['model.norm.weight'] }), [join(d, 'c')])],
    ['empty folder', (d) => (mkdirSync(join(d, 'c')), [join(d, 'c')])],
    ['a file instead of a folder', (d) => (writeFileSync(join(d, 'f'), 'x'), [join(d, 'f')])],
    ['unknown codec', (d) => (makeTinyCheckpoint(join(d, 'c')), [join(d, 'c'), '--codec', 'q5'])],
  ];
  it.each(cases)('%s', (_name, setup) => {
    const s = scratch('qins-cli-bad-');
    try {
      const outDir = join(s.dir, 'out');
      mkdirSync(outDir);
      const [src, ...rest] = setup(s.dir);
      const r = qins('convert', src!, '-o', join(outDir, 'm.qins'), ...rest);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('convert:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^qins: /);
      expect(entries(outDir)).toEqual([]);
    } finally {
      s.cleanup();
    }
  });

  it('inspect of a file that is not .qins', () => {
    const f = join(root.dir, 'not.qins');
    writeFileSync(f, 'hello world, not a model');
    const r = qins('inspect', f);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^qins: .*bad magic/);
  });
});
