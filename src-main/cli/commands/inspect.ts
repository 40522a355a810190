import type { Command } from 'commander';
import { inspectQins } from '../../engine/convert/index.js';
import { info, printJson } from '../output.js';
import { resolveModelArg } from '../model-arg.js';
import { asCliError } from './convert.js';

export function register(program: Command): void {
  program
    .command('inspect')
    .description('describe a .qins file: architecture, parameters, codec, bits/weight, sizes, SNR')
    .argument('<file>', ".qins file, or the name of a model in the library")
    .option('--tensors', 'list every tensor')
    .option('--json', 'print one JSON object (includes every tensor)')
    .action(async (arg: string, o: { json?: boolean; tensors?: boolean }) => {
      const file = resolveModelArg(arg);
      const r = await inspectQins(file).catch((e: unknown) => {
        throw asCliError(e);
      });
      if (o.json) {
        printJson(r);
        return;
      }
      const m = r.model;
      const lines = [
        `${r.path}`,
        `  architecture   ${r.architecture} (${m.num_layers} layers, hidden ${m.hidden_size}, heads ${m.num_heads}/${m.num_kv_heads}, vocab ${m.vocab_size}, rope ${m.rope.type})`,
        `  parameters     ${r.params.toLocaleString('en-US')} (${r.coded_params.toLocaleString('en-US')} coded)`,
        `  codec          ${r.codec}, ${r.bits_per_weight} bits/weight`,
        `  size           ${(r.file_bytes / 1e6).toFixed(2)} MB = ${r.size_ratio} × source (${(r.source.bytes / 1e6).toFixed(2)} MB, ${r.source.dtype}); weights ${r.weight_ratio} × source weights`,
        `  SNR            ${r.stats.snr_db === null ? 'lossless' : `${r.stats.snr_db} dB over all coded weights`}`,
        `  source         ${r.source.name} (${r.source.files.length} files), converted ${r.created} in ${r.stats.seconds} s`,
      ];
      for (const l of lines) process.stdout.write(`${l}\n`);
      if (o.tensors)
        for (const t of r.tensors)
          process.stdout.write(
            `  ${t.name.padEnd(22)} [${t.shape.join('×')}] ${t.codec} ${(t.bytes / 1e3).toFixed(1)} kB ${t.snr_db === null ? '' : `${t.snr_db} dB`}${t.c !== undefined ? ` c=${t.c}` : ''}\n`,
          );
      else info('(--tensors lists every tensor)');
    });
}
