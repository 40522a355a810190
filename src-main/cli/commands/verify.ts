import type { Command } from 'commander';
import { verifyQins } from '../../engine/convert/index.js';
import { CliError, printJson } from '../output.js';
import { resolveModelArg } from '../model-arg.js';
import { asCliError, withInterrupt } from './convert.js';

export function register(program: Command): void {
  program
    .command('verify')
    .description("check every tensor of a .qins file against its CRC-32")
    .argument('<file>', ".qins file, or the name of a model in the library")
    .option('--json', 'print one JSON object')
    .action(async (arg: string, o: { json?: boolean }) => {
      const file = resolveModelArg(arg);
      const r = await withInterrupt((signal) => verifyQins(file, { signal })).catch((e: unknown) => {
        throw asCliError(e);
      });
      if (o.json) printJson(r);
      else if (r.ok) process.stdout.write(`${file}: OK (${r.tensors} tensors, ${(r.bytes_checked / 1e6).toFixed(1)} MB checked)\n`);
      if (!r.ok) {
        const names = r.mismatches.map((m) => m.name);
        const msg = `${file}: ${names.length} tensor(s) fail their checksum: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`;
        throw new CliError(msg, 1);
      }
    });
}
