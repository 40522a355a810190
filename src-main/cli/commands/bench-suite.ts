// `qins bench-suite` (npm run bench): every codec, llama.cpp on the same weights and the ONNX Runtime
// reference at both scales, interleaved in rounds; writes BENCHMARKS.md, benchmarks.json and the SVG
// charts, and refreshes the README blocks it has figures for (claims, targets, conversions, IQ4_NL).
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { decodeChart, qualityChart } from '../../bench/chart.js';
import { renderReport, updateReadme } from '../../bench/report.js';
import { CONFIGS, runSuite, SCALES, summarize, type Scale, type SuiteResult } from '../../bench/suite.js';
import { appRoot } from '../../core/paths.js';
import { parsePositiveInt } from '../engine-options.js';
import { CliError, info, printJson } from '../output.js';

interface Flags {
  scales: string;
  configs?: string;
  work?: string;
  out?: string;
  prefill: string;
  decode: string;
  repeatTiny: string;
  repeatPhi35: string;
  threads?: string;
  fresh?: boolean;
  discard?: boolean;
  phi35Checkpoint?: string;
  readme: boolean;
  peer: boolean;
  avx2: boolean;
  json?: boolean;
  reportFrom?: string;
}

/** A run's results read back from its benchmarks.json, each entry's summary recomputed from its rounds. */
async function readResults(path: string): Promise<SuiteResult> {
  let r: SuiteResult;
  try {
    r = JSON.parse(await readFile(path, 'utf8')) as SuiteResult;
  } catch (e) {
    throw new CliError(`--report-from: cannot read ${path} (${(e as Error).message})`);
  }
  if (!Array.isArray(r?.entries) || !r.settings || !r.bandwidth?.bound) throw new CliError(`--report-from: ${path} is not a benchmarks.json written by qins bench-suite`);
  for (const e of r.entries) summarize(e, r.bandwidth.bound.best_gbs);
  return r;
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

export function register(program: Command): void {
  program
    .command('bench-suite')
    .description('benchmark every codec, llama.cpp on the same weights and the ONNX Runtime reference at both scales; write BENCHMARKS.md')
    .option('--scales <list>', `comma-separated: ${SCALES.join(', ')}`, SCALES.join(','))
    .option('--configs <list>', `comma-separated subset of: ${CONFIGS.map((c) => c.id).join(', ')}`)
    .option('--work <dir>', 'folder for the generated checkpoint and the models (ONNX exports reused between runs; default .bench/)')
    .option('--out <dir>', 'where BENCHMARKS.md, benchmarks.json and the charts go (default: the repository root)')
    .option('--prefill <n>', 'prompt tokens of the prefill measurement', '512')
    .option('--decode <n>', 'timed decode steps (after one untimed warm-up step)', '128')
    .option('--repeat-tiny <n>', 'rounds at the tiny scale (every configuration once per round, each in a fresh process)', '5')
    .option('--repeat-phi35 <n>', 'rounds at the Phi-3.5 scale', '3')
    .option('--threads <n>', 'engine threads (default: physical cores)')
    .option('--fresh', 're-create the cached ONNX exports (.qins and GGUF files are always made anew)')
    .option('--discard', 'delete the Phi-3.5-scale models once that scale is measured')
    .option('--phi35-checkpoint <dir>', 'an existing Phi-3.5-shaped checkpoint to use instead of generating one')
    .option('--no-readme', "leave README.md's blocks alone")
    .option('--no-peer', 'leave llama.cpp out (BENCHMARKS.md says so in its first lines)')
    .option('--no-avx2', 'on AVX-512 CPUs, leave out the AVX2 runs of our engine and of llama.cpp')
    .option('--json', 'print the results as one JSON object')
    .option('--report-from <file>', "measure nothing: write BENCHMARKS.md, the charts and the README blocks again from a run's benchmarks.json")
    .action(async (f: Flags) => {
      const scales = f.scales.split(',').map((s) => s.trim()) as Scale[];
      for (const s of scales) if (!SCALES.includes(s)) throw new CliError(`--scales: unknown scale "${s}" (scales: ${SCALES.join(', ')})`);
      const ids = CONFIGS.map((c) => c.id);
      const configs = f.configs?.split(',').map((s) => s.trim());
      for (const c of configs ?? []) if (!ids.includes(c)) throw new CliError(`--configs: unknown configuration "${c}" (known: ${ids.join(', ')})`);
      const out = resolve(f.out ?? appRoot());
      if (!existsSync(out)) throw new CliError(`--out: ${out} does not exist`);
      const r = f.reportFrom ? await readResults(resolve(f.reportFrom)) : await runSuite({
        scales,
        ...(configs ? { configs } : {}),
        ...(f.work ? { workDir: resolve(f.work) } : {}),
        prefillTokens: parsePositiveInt('--prefill', f.prefill),
        decodeTokens: parsePositiveInt('--decode', f.decode),
        repeats: { tiny: parsePositiveInt('--repeat-tiny', f.repeatTiny), phi35: parsePositiveInt('--repeat-phi35', f.repeatPhi35) },
        threads: parsePositiveInt('--threads', f.threads),
        fresh: f.fresh === true,
        discard: f.discard === true,
        ...(f.phi35Checkpoint ? { phi35Checkpoint: resolve(f.phi35Checkpoint) } : {}),
        peer: f.peer,
        avx2: f.avx2,
        onProgress: (line) => info(`bench-suite: ${line}`),
      });
      const files = { decodeSvg: 'benchmarks-decode.svg', qualitySvg: 'benchmarks-quality.svg', json: 'benchmarks.json' };
      if (!f.reportFrom || resolve(f.reportFrom) !== join(out, files.json)) await writeAtomic(join(out, files.json), `${JSON.stringify(r, null, 2)}\n`);
      await writeAtomic(join(out, files.decodeSvg), decodeChart(r.entries, r.settings.scales));
      if (r.settings.scales.includes('tiny')) await writeAtomic(join(out, files.qualitySvg), qualityChart(r.entries));
      await writeAtomic(join(out, 'BENCHMARKS.md'), renderReport(r, files));
      const readmePath = join(out, 'README.md');
      let readmeBlocks: string[] = [];
      if (f.readme && existsSync(readmePath)) {
        const updated = updateReadme(await readFile(readmePath, 'utf8'), r);
        if (updated.blocks.length > 0) {
          await writeAtomic(readmePath, updated.text);
          readmeBlocks = updated.blocks;
        }
      }
      const failed = r.entries.filter((e) => e.error !== null).map((e) => `${e.scale}/${e.id}: ${e.error}`);
      if (f.json) printJson({ ...r, written: { dir: out, ...files, report: 'BENCHMARKS.md', readme: readmeBlocks.length > 0, readme_blocks: readmeBlocks } });
      else
        info(
          `bench-suite: wrote ${join(out, 'BENCHMARKS.md')} (${f.reportFrom ? `from ${resolve(f.reportFrom)}, measured ${r.date}` : `${(r.seconds / 60).toFixed(1)} min`})${failed.length ? `; failed: ${failed.join('; ')}` : ''}`,
        );
      if (failed.length) process.exitCode = 1;
    });
}
