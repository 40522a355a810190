import type { Command } from 'commander';
import { DEFAULT_PACK_QUALITY, packQins, type PackProgress } from '../../engine/convert/index.js';
import { CliError, info, printJson } from '../output.js';
import { asCliError, withInterrupt } from './convert.js';

export function packProgress(label: string): (p: PackProgress) => void {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (p.phase !== 'done' && now - last < (tty ? 100 : 2000)) return;
    last = now;
    const line = `${label}: ${p.phase} ${((100 * p.bytesDone) / Math.max(1, p.bytesTotal)).toFixed(1)}%`;
    if (tty) process.stderr.write(`\r\x1b[K${line}${p.phase === 'done' ? '\n' : ''}`);
    else info(line);
  };
}

export function register(program: Command): void {
  program
    .command('pack')
    .description('compress a .qins file losslessly into a .qinz for distribution')
    .argument('<file>', '.qins file')
    .requiredOption('-o, --output <file>', 'output .qinz file')
    .option('--quality <q>', 'brotli quality 0..11', String(DEFAULT_PACK_QUALITY))
    .option('--json', 'print one JSON object')
    .action(async (file: string, o: { output: string; quality: string; json?: boolean }) => {
      const quality = Number(o.quality);
      if (!(Number.isInteger(quality) && quality >= 0 && quality <= 11)) throw new CliError('--quality must be an integer 0..11');
      const r = await withInterrupt((signal) =>
        packQins({ source: file, destination: o.output, quality, signal, onProgress: packProgress('pack') }),
      ).catch((e: unknown) => {
        throw asCliError(e);
      });
      if (o.json) printJson(r);
      else info(`wrote ${r.path}: ${(r.packedBytes / 1e6).toFixed(1)} MB, ${r.ratio}× smaller than the .qins (${r.seconds.toFixed(1)} s)`);
    });
}
