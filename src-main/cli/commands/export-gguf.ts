import type { Command } from 'commander';
import { exportGguf } from '../../engine/gguf/index.js';
import { info, printJson } from '../output.js';
import { asCliError, withInterrupt } from './convert.js';

const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

interface Options {
  output: string;
  force?: boolean;
  name?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('export-gguf')
    .description('export a .qins file (codec q8, q4, bf16 or f32) as a GGUF file for llama.cpp, LM Studio or Ollama')
    .argument('<file>', '.qins file')
    .requiredOption('-o, --output <file>', 'output .gguf file')
    .option('--name <name>', 'general.name in the GGUF file (default: the source checkpoint name)')
    .option('--force', 'replace the output file if it exists')
    .option('--json', 'print the result as one JSON object')
    .action(async (file: string, o: Options) => {
      const tty = process.stderr.isTTY === true;
      let last = 0;
      const r = await withInterrupt((signal) =>
        exportGguf(file, o.output, {
          force: o.force === true,
          ...(o.name !== undefined ? { name: o.name } : {}),
          signal,
          onProgress: (p) => {
            const now = Date.now();
            if (!tty && now - last < 2000 && p.done < p.total) return;
            last = now;
            const pct = p.bytesTotal ? ((100 * p.bytesDone) / p.bytesTotal).toFixed(1) : '100.0';
            const line = `export-gguf: ${pct}% (${p.done}/${p.total} tensors, ${p.tensor})`;
            if (tty) process.stderr.write(`\r\x1b[K${line}${p.done === p.total ? '\n' : ''}`);
            else info(line);
          },
        }),
      ).catch((e: unknown) => {
        throw asCliError(e);
      });
      for (const w of r.warnings) info(`export-gguf: warning: ${w}`);
      const seconds = Number(r.seconds.toFixed(2));
      if (o.json)
        printJson({
          file: r.file,
          bytes: r.bytes,
          architecture: r.architecture,
          source_architecture: r.source_architecture,
          codec: r.codec,
          tensors: r.tensors,
          types: r.types,
          tokenizer: r.tokenizer,
          warnings: r.warnings,
          seconds,
        });
      else {
        const types = Object.entries(r.types)
          .map(([t, n]) => `${n} ${t}`)
          .join(', ');
        info(`wrote ${r.file}: ${r.architecture}, ${r.tensors} tensors (${types}), tokenizer ${r.tokenizer.model}/${r.tokenizer.pre}, ${mb(r.bytes)}, ${seconds} s`);
      }
    });
}
