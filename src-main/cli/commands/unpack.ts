import type { Command } from 'commander';
import { unpackQinz } from '../../engine/convert/index.js';
import { info, printJson } from '../output.js';
import { asCliError, withInterrupt } from './convert.js';
import { packProgress } from './pack.js';

export function register(program: Command): void {
  program
    .command('unpack')
    .description('restore the .qins file from a .qinz (byte-identical, checksummed)')
    .argument('<file>', '.qinz file')
    .requiredOption('-o, --output <file>', 'output .qins file')
    .option('--json', 'print one JSON object')
    .action(async (file: string, o: { output: string; json?: boolean }) => {
      const r = await withInterrupt((signal) => unpackQinz({ source: file, destination: o.output, signal, onProgress: packProgress('unpack') })).catch(
        (e: unknown) => {
          throw asCliError(e);
        },
      );
      if (o.json) printJson(r);
      else info(`wrote ${r.path}: ${(r.rawBytes / 1e6).toFixed(1)} MB (${r.seconds.toFixed(1)} s)`);
    });
}
