// `qins bench-suite` (npm run bench): every codec and the ONNX Runtime reference at both scales;
// writes BENCHMARKS.md, benchmarks.json and the SVG charts, and refreshes the README's claims table.
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { decodeChart, qualityChart } from '../../bench/chart.js';
import { renderReport, updateClaimsBlock } from '../../bench/report.js';
import { CONFIGS, runSuite, SCALES, type Scale } from '../../bench/suite.js';
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
  json?: boolean;
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

export function register(program: Command): void {
  program
    .command('bench-suite')
    .description('benchmark every codec and the ONNX Runtime reference at both scales; write BENCHMARKS.md')
    .option('--scales <list>', `comma-separated: ${SCALES.join(', ')}`, SCALES.join(','))
    .option('--configs <list>', `comma-separated subset of: ${CONFIGS.map((c) => c.id).join(', ')}`)
    .option('--work <dir>', 'folder for the generated checkpoint and converted models (reused between runs; default .bench/)')
    .option('--out <dir>', 'where BENCHMARKS.md, benchmarks.json and the charts go (default: the repository root)')
    .option('--prefill <n>', 'prompt tokens of the prefill measurement', '512')
    .option('--decode <n>', 'decode steps', '128')
    .option('--repeat-tiny <n>', 'rounds at the tiny scale (medians)', '3')
    .option('--repeat-phi35 <n>', 'rounds at the Phi-3.5 scale (medians)', '1')
    .option('--threads <n>', 'engine threads (default: physical cores)')
    .option('--fresh', 're-create the cached models')
    .option('--discard', 'delete each Phi-3.5-scale model after measuring it (needs ~25 GB of disk instead of ~45 GB)')
    .option('--phi35-checkpoint <dir>', 'an existing Phi-3.5-shaped checkpoint to use instead of generating one')
    .option('--no-readme', "leave README.md's claims table alone")
    .option('--json', 'print the results as one JSON object')
    .action(async (f: Flags) => {
      const scales = f.scales.split(',').map((s) => s.trim()) as Scale[];
      for (const s of scales) if (!SCALES.includes(s)) throw new CliError(`--scales: unknown scale "${s}" (scales: ${SCALES.join(', ')})`);
      const ids = CONFIGS.map((c) => c.id);
      const configs = f.configs?.split(',').map((s) => s.trim());
      for (const c of configs ?? []) if (!ids.includes(c)) throw new CliError(`--configs: unknown configuration "${c}" (known: ${ids.join(', ')})`);
      const out = resolve(f.out ?? appRoot());
      if (!existsSync(out)) throw new CliError(`--out: ${out} does not exist`);
      const r = await runSuite({
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
        onProgress: (line) => info(`bench-suite: ${line}`),
      });
      const files = { decodeSvg: 'benchmarks-decode.svg', qualitySvg: 'benchmarks-quality.svg', json: 'benchmarks.json' };
      await writeAtomic(join(out, files.json), `${JSON.stringify(r, null, 2)}\n`);
      await writeAtomic(join(out, files.decodeSvg), decodeChart(r.entries, r.settings.scales));
      if (scales.includes('tiny')) await writeAtomic(join(out, files.qualitySvg), qualityChart(r.entries));
      await writeAtomic(join(out, 'BENCHMARKS.md'), renderReport(r, files));
      const readmePath = join(out, 'README.md');
      let readme = false;
      if (f.readme && existsSync(readmePath)) {
        const updated = updateClaimsBlock(await readFile(readmePath, 'utf8'), r);
        if (updated !== null) {
          await writeAtomic(readmePath, updated);
          readme = true;
        }
      }
      const failed = r.entries.filter((e) => e.error !== null).map((e) => `${e.scale}/${e.id}: ${e.error}`);
      if (f.json) printJson({ ...r, written: { dir: out, ...files, report: 'BENCHMARKS.md', readme } });
      else info(`bench-suite: wrote ${join(out, 'BENCHMARKS.md')} (${(r.seconds / 60).toFixed(1)} min)${failed.length ? `; failed: ${failed.join('; ')}` : ''}`);
      if (failed.length) process.exitCode = 1;
    });
}
