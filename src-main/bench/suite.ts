// The benchmark suite behind `npm run bench`. For each scale (the tiny fixture model, and a
// synthetic checkpoint shaped like Phi-3.5-mini) it
//   1. converts the checkpoint to every codec (measuring each conversion's wall time, CPU time and
//      peak RSS), exports the ONNX models (cached between runs) and the q8 / q4 files as GGUF for
//      llama.cpp (`qins export-gguf`: Q8_0 / Q4_0 with the same values);
//   2. measures every configuration — our engine per codec and kernel set, ONNX Runtime, and
//      llama.cpp (node-llama-cpp) on the same weights — interleaved: round 1 runs every
//      configuration once, round 2 again, …, each measurement in a fresh child process
//      (`qins bench` / `qins bench-peer`), with the load average recorded per measurement;
//   3. probes the machine's read bandwidth at the start and after every round (the bound is the
//      best probe), and on the tiny model measures perplexity with `qins eval`.
// On a CPU with AVX-512 our engine also runs with its AVX2 kernels and llama.cpp with its AVX2
// (haswell) CPU library, from a copy of the peer folder that holds only that one.
import { mkdir, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { appRoot, assetsDir } from '../core/paths.js';
import { type BandwidthProbe, machineInfo, probeBandwidth } from './machine.js';
import { measureConversionRace } from './quantize-peer.js';
import { type BenchConfig, RACE_PAIRS, type RacePair, type Scale, SCALES, type SuiteOptions } from './suite-config.js';
import { blankEntry } from './suite-measure.js';
import { convertMeasured, modelKey, type Prepared, prepareModel, sourceFor, warmSource } from './suite-models.js';
import { choosePeers } from './suite-peers.js';
import type { ConversionMeasure, SuiteEntry, SuiteResult } from './suite-result.js';
import { measureQuality, measureRounds, type ScaleRun } from './suite-rounds.js';
import { checkBound, summarize } from './suite-stats.js';

export { CONFIGS, IQ4_NL_TABLE, PEER_PAIRS, SCALES, SCALE_NAMES } from './suite-config.js';
export type { BenchConfig, EngineName, Scale, SuiteOptions } from './suite-config.js';
export { FIGURES } from './suite-result.js';
export type { BoundCheck, ConversionMeasure, Figure, PeerRun, RoundSample, Stat, SuiteEntry, SuiteResult, SuiteSettings } from './suite-result.js';
export { checkBound, median, stat, summarize } from './suite-stats.js';

export async function runSuite(o: SuiteOptions = {}): Promise<SuiteResult> {
  const t0 = performance.now();
  const log = o.onProgress ?? (() => undefined);
  const scales = o.scales ?? [...SCALES];
  const work = o.workDir ?? join(appRoot(), '.bench');
  const prefill = o.prefillTokens ?? 512;
  const decode = o.decodeTokens ?? 128;
  const rounds: Record<Scale, number> = { tiny: o.repeats?.tiny ?? 5, phi35: o.repeats?.phi35 ?? 3 };
  const evalText = join(assetsDir(), 'eval', 'eval_dev.txt');
  await mkdir(work, { recursive: true });
  log('machine facts');
  const machine = await machineInfo(o.threads ? { threads: o.threads, rounds: 0 } : { rounds: 0 });
  const threads = o.threads ?? machine.physical_cores;
  const { peer, configs, quantize } = await choosePeers(o, machine.cpu_features, log);

  const probes: BandwidthProbe[] = [];
  const probe = async (when: string): Promise<void> => {
    try {
      log(`read-bandwidth probe (${when})`);
      probes.push(await probeBandwidth(threads ?? undefined, when));
    } catch (e) {
      log(`bandwidth probe failed: ${(e as Error).message}`);
    }
  };
  await probe('start');

  const entries: SuiteEntry[] = [];
  const conversions: ConversionMeasure[] = [];
  for (const scale of scales) {
    const slog = (l: string) => log(`[${scale}] ${l}`);
    const source = await sourceFor(scale, work, o.phi35Checkpoint, slog);
    const dir = join(work, scale);
    await mkdir(dir, { recursive: true });
    const here = configs.filter((c) => !c.qualityOnly || scale === 'tiny');
    const scaleEntries = here.map((c) => blankEntry(scale, c));
    entries.push(...scaleEntries);
    const byId = new Map(scaleEntries.map((e) => [e.id, e]));
    if (!peer.available) for (const e of scaleEntries) if (e.engine === 'llama.cpp') e.error = `not measured: ${peer.reason}`;

    // 0. The conversion race (Phi-3.5 scale): qins8 and qins4 against llama-quantize on the same
    //    source, same threads, alternating, in rounds; first, while the disk holds no models yet
    //    (its BF16 GGUF is as large as the source).
    // the AVX2 pairs beside the AVX2 decode rows (AVX-512 CPUs), when the avx2 llama-quantize is built
    const raced = RACE_PAIRS.filter((p) =>
      here.some((c) => c.engine === 'qins' && c.codec === p.codec && !c.codebook && (p.avx2 ? c.kernels === 'avx2' && quantize.avx2_binary : !c.kernels)),
    );
    if (scale === 'phi35' && o.peer !== false && raced.length > 0) {
      if (!quantize.binary) slog(`llama-quantize: ${quantize.reason}`);
      else
        try {
          slog('reading the source once (page cache)');
          await warmSource(source);
          if (quantize.avx2_reason && o.avx2 !== false) slog(`llama-quantize (AVX2 encoders): ${quantize.avx2_reason}`);
          const ours = (p: RacePair, model: string) =>
            convertMeasured(source, model, scale, { codec: p.codec, label: p.codec }, slog, p.avx2 ? { QINS_KERNELS: 'avx2' } : undefined);
          conversions.push(...(await measureConversionRace(quantize, scale, source, dir, threads, rounds[scale], raced, ours, slog)));
        } catch (err) {
          quantize.error = (err as Error).message.split('\n')[0] ?? 'failed';
          slog(`conversion race: failed: ${quantize.error}`);
        }
    }

    // 1. Models: every .qins file converted anew (measured), ONNX exports cached, GGUF exported.
    if (scale === 'phi35') {
      slog('reading the source once (page cache)');
      await warmSource(source);
    }
    const prepared = new Map<string, Prepared | Error>();
    const prepare = async (c: BenchConfig): Promise<Prepared> => {
      const key = modelKey(c);
      const have = prepared.get(key);
      if (have instanceof Error) throw have;
      if (have) return have;
      const clog = (l: string) => slog(`${c.label}: ${l}`);
      try {
        const p = await prepareModel(c, scale, source, dir, o.fresh === true, clog, prepare, conversions);
        prepared.set(key, p);
        return p;
      } catch (e) {
        prepared.set(key, e as Error);
        throw e;
      }
    };
    for (const c of here) {
      const e = byId.get(c.id)!;
      if (e.error !== null) continue;
      try {
        Object.assign(e, await prepare(c));
      } catch (err) {
        e.error = (err as Error).message.split('\n')[0] ?? 'failed';
        slog(`${c.label}: failed: ${e.error}`);
      }
    }

    const run: ScaleRun = { scale, here, byId, slog, threads };
    // 2. Interleaved rounds, each measurement in its own process.
    await measureRounds(run, rounds[scale], { prefill, decode }, peer, probe);
    // 3. Quality (tiny model): perplexity on the eval text.
    if (scale === 'tiny') await measureQuality(run, evalText);
    if (o.discard && scale === 'phi35')
      for (const p of prepared.values())
        if (!(p instanceof Error)) {
          slog(`deleting ${p.model}`);
          await rm(p.model, { recursive: true, force: true });
        }
  }

  const best = probes.length ? Math.max(...probes.map((p) => p.gbs)) : null;
  for (const e of entries) summarize(e, best);
  machine.bandwidth_gbs = best;
  machine.bandwidth_threads = probes[0]?.threads ?? null;
  return {
    date: new Date().toISOString(),
    machine: { ...machine, load_avg_1m_end: loadavg()[0] ?? 0 },
    settings: {
      scales,
      configs: configs.map((c) => c.id),
      prefill_tokens: prefill,
      decode_tokens: decode,
      warmup_steps: 1,
      rounds,
      repeats: rounds,
      threads,
      work_dir: work,
      phi35_checkpoint: scales.includes('phi35') ? (o.phi35Checkpoint ?? join(work, 'phi35-synthetic')) : null,
      eval_text: evalText,
      weights_probe: 'around',
    },
    entries,
    conversions,
    peer,
    quantize,
    bandwidth: { probes, bound: checkBound(entries, scales, best) },
    seconds: (performance.now() - t0) / 1000,
  };
}
