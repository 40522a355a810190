// The conversion race of the benchmark suite: qins8/qins4 and llama-quantize Q8_0/Q4_0 alternate in
// rounds (which of each pair goes first alternating), each output is deleted before the next
// conversion, and one measure per codec comes from its median round. llama-quantize is a stand-in
// script here; the BF16 GGUF it reads is made by the real `qins convert` + `qins export-gguf` from
// the tiny model.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { measureConversionRace, medianRound } from '../../../src-main/bench/quantize-peer.js';
import { RACE_PAIRS, type RacePair } from '../../../src-main/bench/suite-config.js';
import type { ConversionMeasure } from '../../../src-main/bench/suite.js';
import { assetsDir } from '../../../src-main/core/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'qins-race-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function measure(codec: string, wall: number, rss: number | null = 100): ConversionMeasure {
  return {
    scale: 'phi35',
    codec,
    label: codec,
    wall_seconds: wall,
    user_seconds: wall,
    sys_seconds: 0,
    peak_rss_bytes: rss,
    source_bytes: 10,
    file_bytes: 5,
    bits_per_weight: 8.5,
    snr_db: 40,
    load_avg_1m: 0,
    peer: false,
  };
}

describe('medianRound', () => {
  it('takes the median round, keeps every wall time in order and the highest peak RSS', () => {
    const m = medianRound([measure('qins4', 7.1, 150), measure('qins4', 6.2, 120), measure('qins4', 6.0, 180)]);
    expect(m.wall_seconds).toBe(6.2);
    expect(m.user_seconds).toBe(6.2); // the median round's own figures
    expect(m.wall_rounds).toEqual([7.1, 6.2, 6.0]);
    expect(m.peak_rss_bytes).toBe(180);
    expect(medianRound([measure('q', 2), measure('q', 1)]).wall_seconds).toBe(1); // even count: the lower middle
    expect(medianRound([measure('q', 1, null), measure('q', 2)]).peak_rss_bytes).toBeNull();
  });
});

describe('measureConversionRace', () => {
  it('alternates the engines in each pair, deletes every output and reports medians', async () => {
    const work = join(dir, 'work');
    mkdirSync(work);
    // Both engines append their turn to one log: the stand-ins their type (and -avx2) and threads, ours its codec.
    const log = join(dir, 'turns.log');
    const stand = (name: string, tag: string) => {
      const f = join(dir, name);
      // refuses to run while the previous output is still there
      writeFileSync(f, `#!/bin/sh\n[ -e "$2" ] && exit 9\necho "$3${tag} $4" >> '${log}'\nhead -c 1000 /dev/zero > "$2"\n`, { mode: 0o755 });
      return f;
    };
    const walls: Record<string, number[]> = { qins8: [3, 1, 2], qins4: [5, 6, 4], 'qins8-avx2': [7, 8, 9], 'qins4-avx2': [9, 9, 9] };
    const ours = async (p: RacePair, model: string): Promise<ConversionMeasure> => {
      expect(existsSync(model)).toBe(false);
      expect(existsSync(join(work, 'race-output.gguf'))).toBe(false);
      const name = `${p.codec}${p.avx2 ? '-avx2' : ''}`;
      appendFileSync(log, `${name}\n`);
      writeFileSync(model, 'x');
      return measure(p.codec, walls[name]!.shift()!);
    };
    const peer = { binary: stand('llama-quantize', ''), variant: 'test', reason: null, avx2_binary: stand('llama-quantize-avx2', '-avx2'), avx2_reason: null };
    const out = await measureConversionRace(peer, 'phi35', join(assetsDir(), 'models', 'tiny-phi3-chat'), work, 2, 3, RACE_PAIRS, ours, () => undefined);

    const turns = readFileSync(log, 'utf8').trim().split('\n');
    const round = ['qins8', 'Q8_0', 'qins4', 'Q4_0', 'qins8-avx2', 'Q8_0-avx2', 'qins4-avx2', 'Q4_0-avx2'];
    const swapped = round.map((_, i) => round[i ^ 1]!);
    expect(turns.map((t) => t.split(' ')[0])).toEqual([...round, ...swapped, ...round]);
    expect(turns).toContain('Q8_0 2'); // the same threads
    expect(out.map((m) => m.codec)).toEqual([
      'llama-quantize Q8_0',
      'qins8',
      'llama-quantize Q4_0',
      'qins4',
      'llama-quantize Q8_0 (avx2)',
      'qins8 (avx2)',
      'llama-quantize Q4_0 (avx2)',
      'qins4 (avx2)',
    ]);
    const q8 = out.find((m) => m.codec === 'qins8')!;
    expect(q8.wall_seconds).toBe(2);
    expect(q8.wall_rounds).toEqual([3, 1, 2]);
    expect(out.find((m) => m.codec === 'qins4')!.wall_seconds).toBe(5);
    expect(out.find((m) => m.codec === 'qins8 (avx2)')).toMatchObject({ wall_seconds: 8, label: 'qins8 (AVX2 encoders)' });
    expect(out.find((m) => m.codec === 'llama-quantize Q4_0 (avx2)')!.label).toBe('llama-quantize Q4_0 (avx2, from a BF16 GGUF)');
    const peerQ4 = out.find((m) => m.codec === 'llama-quantize Q4_0')!;
    expect(peerQ4.peer).toBe(true);
    expect(peerQ4.wall_rounds).toHaveLength(3);
    expect(peerQ4.file_bytes).toBe(1000);
    // the BF16 source, its GGUF and the outputs are gone
    expect(readdirSync(work)).toEqual([]);
  }, 120_000);

  it('refuses AVX2 pairs without the avx2 build, before converting anything', async () => {
    const peer = { binary: '/bin/true', variant: 'test', reason: null, avx2_binary: null, avx2_reason: 'no avx2 build' };
    const ours = async (): Promise<ConversionMeasure> => {
      throw new Error('not reached');
    };
    await expect(measureConversionRace(peer, 'phi35', '/nonexistent', dir, 2, 1, RACE_PAIRS, ours, () => undefined)).rejects.toThrow('no avx2 llama-quantize: no avx2 build');
  });
});
