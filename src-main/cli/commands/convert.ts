import type { Command } from 'commander';
import { CODECS, type Codec } from '../../engine/format/qins-format.js';
import { convertCheckpoint, ConvertError, inspectQins, type ConvertProgress } from '../../engine/convert/index.js';
import { CliError, info, printJson } from '../output.js';

const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

/** Progress on stderr: one rewritten line on a terminal, a line every few seconds otherwise. */
export function progressPrinter(label: string): { onProgress: (p: ConvertProgress) => void; end: () => void } {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  return {
    onProgress: (p) => {
      const now = Date.now();
      if (!tty && now - last < 2000 && p.phase === 'encoding') return;
      last = now;
      const pct = p.bytesTotal ? ((100 * p.bytesDone) / p.bytesTotal).toFixed(1) : '0.0';
      const eta = p.etaMs !== null && p.phase === 'encoding' ? `, ${Math.ceil(p.etaMs / 1000)} s left` : '';
      const line = `${label}: ${p.phase} ${pct}% (${p.tensorsDone}/${p.tensorsTotal} tensors${p.tensor ? `, ${p.tensor}` : ''}${eta})`;
      if (tty) process.stderr.write(`\r\x1b[K${line}`);
      else info(line);
    },
    end: () => {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}

/** Turns SIGINT into an AbortSignal for the duration of `fn`. */
export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onSig = (): void => ac.abort();
  process.once('SIGINT', onSig);
  try {
    return await fn(ac.signal);
  } finally {
    process.off('SIGINT', onSig);
  }
}

export const asCliError = (e: unknown): unknown =>
  e instanceof ConvertError ? new CliError(e.code === 'CANCELLED' ? 'cancelled; no output written' : e.message, e.code === 'CANCELLED' ? 130 : 2) : e;

export function register(program: Command): void {
  program
    .command('convert')
    .description('convert a HuggingFace checkpoint folder into a .qins file')
    .argument('<hf-dir>', 'checkpoint folder (config.json, *.safetensors, tokenizer.json)')
    .requiredOption('-o, --output <file>', 'output .qins file')
    .option('--codec <codec>', `weight codec: ${CODECS.join(', ')}`, 'qins8')
    .option('--threads <n>', 'encoder threads (default: all cores)')
    .option('--qins4-codebook <ints>', 'qins4: use this fixed table (16 ascending integers in -127..127, comma-separated) instead of tuning one per tensor')
    .option('--json', 'print the result as one JSON object')
    .action(async (dir: string, o: { output: string; codec: string; threads?: string; json?: boolean; qins4Codebook?: string }) => {
      if (!(CODECS as readonly string[]).includes(o.codec)) throw new CliError(`unknown codec "${o.codec}" (codecs: ${CODECS.join(', ')})`);
      const threads = o.threads === undefined ? undefined : Number(o.threads);
      if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) throw new CliError(`--threads must be a positive integer`);
      const table = o.qins4Codebook?.split(',').map((x) => Number(x.trim()));
      if (table && !(table.length === 16 && table.every(Number.isInteger)))
        throw new CliError('--qins4-codebook needs 16 comma-separated integers');
      const printer = progressPrinter('convert');
      try {
        const r = await withInterrupt((signal) =>
          convertCheckpoint({
            source: dir,
            destination: o.output,
            codec: o.codec as Codec,
            signal,
            onProgress: printer.onProgress,
            threads,
            qins4Codebook: table,
          }),
        );
        printer.end();
        const ins = await inspectQins(r.path);
        const summary = {
          path: r.path,
          architecture: ins.architecture,
          codec: ins.codec,
          file_bytes: ins.file_bytes,
          source_bytes: ins.source.bytes,
          size_ratio: ins.size_ratio,
          weight_ratio: ins.weight_ratio,
          stats: ins.stats,
        };
        if (o.json) printJson(summary);
        else
          info(
            `wrote ${r.path}: ${ins.architecture}, ${o.codec}, ${mb(ins.file_bytes)} (${ins.size_ratio}× the source), ` +
              `${ins.bits_per_weight} bits/weight, SNR ${ins.stats.snr_db === null ? 'lossless' : `${ins.stats.snr_db} dB`}, ${ins.stats.seconds} s`,
          );
      } catch (e) {
        printer.end();
        throw asCliError(e);
      }
    });
}
