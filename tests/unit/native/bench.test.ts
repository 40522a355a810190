// `qins bench`: the library function over any backend factory, and the CLI's one-object JSON output.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { InferenceBackend } from '../../../src-main/engine/backend.js';
import { runBench, type BackendFactory } from '../../../src-main/engine/bench.js';
import { openQinsBackend } from '../../../src-main/engine/qins-backend.js';
import { repoRoot } from '../helpers/built.js';
import { converted, workDir } from './helpers.js';

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const KEYS = [
  'load_ms',
  'prefill_tok_s',
  'decode_tok_s',
  'decode_depth0_tok_s',
  'rss_bytes',
  'weight_bytes',
  'kv_bytes',
  'bandwidth_gbs',
  'stream_bytes_per_token',
  'weights_read_gbs',
  'weights_read_fraction',
];

describe('bench', () => {
  it('measures any backend through its factory and counts every forward call', async () => {
    const file = await converted('tiny-llama', 'q8');
    const calls: Array<{ n: number; pos: number }> = [];
    let opened: { threads?: number; contextLength?: number } | null = null;
    const factory: BackendFactory = async (path, o) => {
      opened = o;
      const b = await openQinsBackend(path, o);
      // `info` passes through: the bench reads the backend's KV type and kernel set from it
      const counting: InferenceBackend & { info: typeof b.info } = {
        info: b.info,
        kind: b.kind,
        spec: b.spec,
        contextLength: b.contextLength,
        forward: (t, pos, opt) => {
          calls.push({ n: t.length, pos });
          return b.forward(t, pos, opt);
        },
        memory: () => b.memory(),
        residentWeightBytes: () => b.residentWeightBytes(),
        resetCache: () => b.resetCache(),
        dispose: () => b.dispose(),
      };
      return counting;
    };
    const r = await runBench(file, factory, { threads: 2, prefillTokens: 40, decodeTokens: 6, repeats: 2, bandwidth: false });
    expect(opened).toEqual({ threads: 2, contextLength: 47 });
    // first token, then per round: one 40-token prefill at 0, a warm-up step at 40 and 6 timed
    // single tokens at 41..46; then a one-token prompt at 0, a warm-up step at 1 and 6 timed at 2..7
    const steps = (from: number) => Array.from({ length: 7 }, (_, k) => ({ n: 1, pos: from + k }));
    const round = [{ n: 40, pos: 0 }, ...steps(40), { n: 1, pos: 0 }, ...steps(1)];
    expect(calls).toEqual([{ n: 1, pos: 0 }, ...round, ...round]);
    expect(r.samples.length).toBe(2);
    expect(r.warmup_steps).toBe(1);
    expect(r.prefill_tok_s).toBeGreaterThan(0);
    expect(r.decode_tok_s).toBeGreaterThan(0);
    expect(r.decode_depth0_tok_s).toBeGreaterThan(0);
    for (const s of r.samples) expect(Object.keys(s).sort()).toEqual(['decode_depth0_tok_s', 'decode_tok_s', 'prefill_tok_s', 'weights_read_gbs']);
    // a backend that cannot probe its weight pages has no such figure
    expect(r.samples.map((s) => s.weights_read_gbs)).toEqual([null, null]);
    expect(r.weights_read_gbs).toBeNull();
    expect(r.weights_read_fraction).toBeNull();
    // streamed bytes: weights + one embedding row + the KV attended (f16 by default)
    expect(r.kv_type).toBe('f16');
    expect(r.kv_bytes_per_position).toBe(r.kv_bytes / 47);
    expect(r.stream_bytes_per_token).toBeCloseTo(r.weight_bytes + r.embedding_row_bytes + r.kv_bytes_per_position * (41 + 3.5), 6);
    expect(r.peak_rss_bytes ?? Infinity).toBeGreaterThanOrEqual(r.rss_bytes * 0.99);
    expect(r.load_ms).toBeGreaterThan(0);
    expect(r.weight_bytes).toBeGreaterThan(0);
    expect(r.kv_bytes).toBeGreaterThan(0);
    expect(r.rss_bytes).toBeGreaterThan(r.weight_bytes);
    expect(r.bandwidth_gbs).toBeNull();
    await expect(runBench(file, factory, { prefillTokens: 0 })).rejects.toThrow(/prefillTokens must be a positive integer/);

    // a backend that can probe its weight pages is probed right before and right after each
    // round's depth-0 decode; the round's figure is the faster probe
    const seq: Array<string | number> = [];
    const probed = [10, 30, 25, 5];
    const probing: BackendFactory = async (path, o) => {
      const b = await openQinsBackend(path, o);
      const wrapped: InferenceBackend & { info: typeof b.info; weightsReadBandwidth: () => Promise<{ gbs: number }> } = {
        info: b.info,
        kind: b.kind,
        spec: b.spec,
        contextLength: b.contextLength,
        forward: (t, pos, opt) => {
          seq.push(pos);
          return b.forward(t, pos, opt);
        },
        memory: () => b.memory(),
        residentWeightBytes: () => b.residentWeightBytes(),
        resetCache: () => b.resetCache(),
        dispose: () => b.dispose(),
        weightsReadBandwidth: async () => {
          seq.push('probe');
          return { gbs: probed.shift()! };
        },
      };
      return wrapped;
    };
    const twice = await runBench(file, probing, { threads: 2, prefillTokens: 8, decodeTokens: 3, repeats: 2, bandwidth: false });
    expect(twice.samples.map((s) => s.weights_read_gbs)).toEqual([30, 25]);
    const depth0 = ['probe', 1, 2, 3, 4, 'probe']; // after the one-token prompt at 0: warm-up at 1, timed at 2..4
    expect(seq).toEqual([0, 0, 8, 9, 10, 11, 0, ...depth0, 0, 8, 9, 10, 11, 0, ...depth0]);

    // the qins backend itself probes its weight pages in each round: per-round figures, their
    // median, and the median of the rounds' depth-0 shares of them
    const own = await runBench(file, (p, o) => openQinsBackend(p, o), { threads: 2, prefillTokens: 8, decodeTokens: 4, repeats: 3, bandwidth: false });
    const gbs = own.samples.map((s) => s.weights_read_gbs!);
    for (const g of gbs) expect(g).toBeGreaterThan(0);
    expect(own.weights_read_gbs).toBe([...gbs].sort((a, b) => a - b)[1]);
    const shares = own.samples.map((s) => (own.stream_bytes_per_token_depth0 * s.decode_depth0_tok_s) / (s.weights_read_gbs! * 1e9)).sort((a, b) => a - b);
    expect(own.weights_read_fraction).toBeCloseTo(shares[1]!, 12);
    const off = await runBench(file, (p, o) => openQinsBackend(p, o), { prefillTokens: 8, decodeTokens: 2, bandwidth: false, weightsRead: false });
    expect(off.samples[0]!.weights_read_gbs).toBeNull();
  }, 300_000);

  it('qins bench --json prints one JSON object with the documented keys', async () => {
    const cli = join(repoRoot, 'out', 'main', 'cli.js');
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npx electron-vite build\` before the unit tests`);
    const file = await converted('tiny-phi3', 'qins8');
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'qins.js'), 'bench', file, '--json', '--threads', '2', '--prefill', '32', '--decode', '8'], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const k of KEYS) expect(typeof out[k], k).toBe('number');
    expect(out.engine).toBe('qins');
    expect(out.bandwidth_gbs as number).toBeGreaterThan(0);
    expect(out.bandwidth_fraction as number).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/loaded in/);
    const quiet = spawnSync(
      process.execPath,
      [join(repoRoot, 'bin', 'qins.js'), 'bench', file, '--json', '--prefill', '8', '--decode', '2', '--no-bandwidth', '--no-weights-read'],
      { encoding: 'utf8', timeout: 300_000 },
    );
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(JSON.parse(quiet.stdout)).toMatchObject({ bandwidth_gbs: null, weights_read_gbs: null, weights_read_fraction: null });

    const bad = spawnSync(process.execPath, [join(repoRoot, 'bin', 'qins.js'), 'bench', file, '--threads', 'x'], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--threads must be an integer/);
    const missing = spawnSync(process.execPath, [join(repoRoot, 'bin', 'qins.js'), 'bench', join(workDir, 'nope.qins'), '--json'], { encoding: 'utf8' });
    expect(missing.status).not.toBe(0);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/no such file/);
  }, 300_000);
});
