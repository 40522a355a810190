// llama.cpp's `llama-quantize` as the conversion peer of the Phi-3.5-scale run: the same bf16
// source, exported once as a BF16 GGUF (`qins convert --codec bf16`, then `qins export-gguf`), then
// quantized to Q8_0 and Q4_0 with the same thread count as our converter, in rounds that alternate
// with `qins convert` to qins8 and qins4 (the conversion race). The binary is built from the
// llama.cpp source the peer package ships (`npm run peer:quantize`, scripts/peer-quantize.mjs);
// without it the report says why the conversion comparison is missing.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { appRoot } from '../core/paths.js';
import { runQins } from './child.js';
import type { ConversionMeasure, Scale } from './suite.js';
import { type RacePair, raceNames } from './suite-config.js';

export interface QuantizePeer {
  /** The llama-quantize binary, or null with the reason. */
  binary: string | null;
  variant: string | null;
  reason: string | null;
  /** On AVX-512 CPUs, the avx2 build for the AVX2 encoders' race (or null with the reason; runs
   *  before it existed have neither). */
  avx2_binary?: string | null;
  avx2_reason?: string | null;
}

/** The llama-quantize build this CPU runs best (x86-64: avx512 when the CPU has it, else avx2), and
 *  on AVX-512 CPUs the avx2 build too. */
export function findQuantizePeer(cpuFeatures: string[]): QuantizePeer {
  const dir = join(appRoot(), '.bench', 'llama-quantize');
  const avx512 = process.arch === 'x64' && cpuFeatures.includes('avx512');
  const bin = (v: string) => join(dir, v, 'llama-quantize');
  const avx2 = avx512
    ? existsSync(bin('avx2'))
      ? { avx2_binary: bin('avx2'), avx2_reason: null }
      : { avx2_binary: null, avx2_reason: `no avx2 build of llama-quantize in ${dir} (npm run peer:quantize -- --variant avx2 builds it)` }
    : { avx2_binary: null, avx2_reason: 'the CPU has no AVX-512: its encoders are the AVX2 ones already measured' };
  const order = process.arch === 'arm64' ? ['neon'] : avx512 ? ['avx512', 'avx2'] : ['avx2'];
  for (const v of order) if (existsSync(bin(v))) return { binary: bin(v), variant: v, reason: null, ...avx2 };
  return { binary: null, variant: null, reason: `no llama-quantize build in ${dir} (npm run peer:quantize builds it from the peer's bundled llama.cpp source)`, ...avx2 };
}

interface TimeResult {
  wall_seconds: number;
  user_seconds: number | null;
  sys_seconds: number | null;
  peak_rss_bytes: number | null;
}

/** Runs a program under /usr/bin/time (when present) for its CPU time and peak RSS. */
function timed(cmd: string, args: string[], log: (l: string) => void): Promise<TimeResult> {
  const useTime = existsSync('/usr/bin/time');
  const out = join(tmpdir(), `qins-quantize-time-${process.pid}.txt`);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = useTime
      ? spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', out, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const onData = (d: Buffer) => {
      tail = (tail + d.toString()).slice(-2000);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = (performance.now() - t0) / 1000;
      if (code !== 0) return reject(new Error(`llama-quantize failed (exit ${code}): ${tail.trim().split('\n').pop() ?? ''}`));
      let r: TimeResult = { wall_seconds: wall, user_seconds: null, sys_seconds: null, peak_rss_bytes: null };
      if (useTime)
        try {
          const [, u, s, m] = readFileSync(out, 'utf8').trim().split(/\s+/).map(Number);
          r = { wall_seconds: wall, user_seconds: u ?? null, sys_seconds: s ?? null, peak_rss_bytes: m ? m * 1024 : null };
        } catch {
          log('llama-quantize: /usr/bin/time wrote no figures');
        }
      resolve(r);
    });
  });
}

/** The round whose wall time is the median (the lower middle one for an even count), with every
 *  round's wall time and the highest peak RSS. */
export function medianRound(rounds: ConversionMeasure[]): ConversionMeasure {
  const sorted = [...rounds].sort((a, b) => a.wall_seconds - b.wall_seconds);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const rss = rounds.map((r) => r.peak_rss_bytes);
  return {
    ...mid,
    wall_rounds: rounds.map((r) => r.wall_seconds),
    peak_rss_bytes: rss.every((x) => x !== null) ? Math.max(...(rss as number[])) : null,
  };
}

/**
 * The conversion race: `rounds` rounds of `qins convert` to qins8 and qins4 (measured by `ours`)
 * against llama-quantize Q8_0 and Q4_0, for the given pairs of RACE_PAIRS, threads as given. Which
 * of a pair goes first alternates, and every output is deleted before the next conversion starts
 * (so each one writes into the same free memory): back-to-back conversions here differ by up to
 * ±20 %. One measure per codec and type, from its median round. The BF16 GGUF and every output are
 * deleted afterwards.
 */
export async function measureConversionRace(
  peer: QuantizePeer,
  scale: Scale,
  source: string,
  dir: string,
  threads: number | null,
  rounds: number,
  pairs: readonly RacePair[],
  ours: (pair: RacePair, model: string) => Promise<ConversionMeasure>,
  log: (l: string) => void,
): Promise<ConversionMeasure[]> {
  const binary = peer.binary;
  if (!binary || pairs.length === 0) return [];
  if (pairs.some((p) => p.avx2 && !peer.avx2_binary)) throw new Error(`no avx2 llama-quantize: ${peer.avx2_reason ?? 'not found'}`);
  const bf16 = join(dir, 'quantize-source-bf16.qins');
  const gguf = join(dir, 'quantize-source-bf16.gguf');
  const ourOut = join(dir, 'race-output.qins');
  const target = join(dir, 'race-output.gguf');
  const got = new Map<string, ConversionMeasure[]>();
  const keep = (m: ConversionMeasure) => got.set(m.codec, [...(got.get(m.codec) ?? []), m]);
  try {
    log('llama-quantize: the source as a BF16 GGUF (qins convert --codec bf16, qins export-gguf)');
    await runQins(['convert', source, '-o', bf16, '--codec', 'bf16'], { onLine: log });
    await runQins(['export-gguf', bf16, '-o', gguf, '--force'], { onLine: log });
    await rm(bf16, { force: true });
    const sourceBytes = (await stat(gguf)).size;
    const quantize = async (p: RacePair): Promise<ConversionMeasure> => {
      const variant = p.avx2 ? 'avx2' : peer.variant;
      log(`llama-quantize ${p.type} (${variant})`);
      const load = loadavg()[0] ?? 0;
      const args = [gguf, target, p.type];
      if (threads) args.push(String(threads));
      const t = await timed(p.avx2 ? peer.avx2_binary! : binary, args, log);
      const fileBytes = (await stat(target)).size;
      log(`llama-quantize ${p.type} (${variant}): ${t.wall_seconds.toFixed(1)} s`);
      return {
        scale,
        codec: raceNames(p)[1],
        label: `llama-quantize ${p.type} (${variant}, from a BF16 GGUF)`,
        wall_seconds: t.wall_seconds,
        user_seconds: t.user_seconds,
        sys_seconds: t.sys_seconds,
        peak_rss_bytes: t.peak_rss_bytes,
        source_bytes: sourceBytes,
        file_bytes: fileBytes,
        bits_per_weight: null,
        snr_db: null,
        load_avg_1m: load,
        peer: true,
      };
    };
    for (let round = 0; round < rounds; round++) {
      log(`conversion race: round ${round + 1} of ${rounds}`);
      for (const p of pairs) {
        const mine = async () => {
          const m = await ours(p, ourOut);
          return p.avx2 ? { ...m, codec: raceNames(p)[0], label: `${p.codec} (AVX2 encoders)` } : m;
        };
        const steps = [mine, () => quantize(p)];
        if (round % 2 === 1) steps.reverse();
        for (const step of steps) {
          keep(await step());
          await rm(ourOut, { force: true });
          await rm(target, { force: true });
        }
      }
    }
  } finally {
    await rm(bf16, { force: true });
    await rm(gguf, { force: true });
    await rm(ourOut, { force: true });
    await rm(target, { force: true });
  }
  const out: ConversionMeasure[] = [];
  for (const p of pairs)
    for (const key of [...raceNames(p)].reverse()) {
      const list = got.get(key);
      if (list?.length) out.push(medianRound(list));
    }
  return out;
}
