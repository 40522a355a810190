import type { Command } from 'commander';
import { ConvertError } from '../../engine/convert/errors.js';
import { exportOnnx, ExportError } from '../../engine/onnx/export.js';
import { CliError, info, printJson } from '../output.js';

const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag} must be a positive integer (got "${v}")`);
  return n;
}

interface Options {
  output: string;
  int4?: boolean;
  blockSize: string;
  accuracyLevel: string;
  int4LmHead?: boolean;
  context?: string;
  rotary: string;
  force?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('export-onnx')
    .description('export a HuggingFace checkpoint folder as an ONNX Runtime GenAI-style model folder (FP32, or int4)')
    .argument('<hf-dir>', 'checkpoint folder (config.json, *.safetensors, tokenizer.json)')
    .requiredOption('-o, --output <dir>', 'output folder (model.onnx, model.onnx.data, genai_config.json, tokenizer files)')
    .option('--int4', 'int4 weights (com.microsoft MatMulNBits, asymmetric round-to-nearest) instead of FP32')
    .option('--block-size <n>', 'int4 block size (power of two, at least 16)', '32')
    .option('--accuracy-level <n>', 'int4 MatMulNBits accuracy_level (0 default, 1 fp32, 4 int8 activations)', '4')
    .option('--int4-lm-head', 'quantize lm_head too')
    .option('--context <n>', 'longest context the graph supports (RoPE table rows; default max_position_embeddings)')
    .option('--rotary <where>', "apply RoPE in a RotaryEmbedding op ('op') or inside GroupQueryAttention ('attention')", 'op')
    .option('--force', 'replace the output folder if it exists')
    .option('--json', 'print the result as one JSON object')
    .action(async (dir: string, o: Options) => {
      if (o.rotary !== 'op' && o.rotary !== 'attention') throw new CliError(`--rotary must be "op" or "attention" (got "${o.rotary}")`);
      const accuracy = Number(o.accuracyLevel);
      if (![0, 1, 2, 3, 4].includes(accuracy)) throw new CliError(`--accuracy-level must be 0..4 (got "${o.accuracyLevel}")`);
      const blockSize = positiveInt(o.blockSize, '--block-size') as number;
      if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) throw new CliError(`--block-size must be a power of two ≥ 16 (got ${blockSize})`);
      const tty = process.stderr.isTTY === true;
      let last = 0;
      try {
        const r = await exportOnnx(dir, o.output, {
          int4: o.int4 ? { blockSize, accuracyLevel: accuracy, lmHead: o.int4LmHead === true } : null,
          maxPositions: positiveInt(o.context, '--context'),
          rotary: o.rotary,
          force: o.force === true,
          onProgress: (p) => {
            const now = Date.now();
            if (!tty && now - last < 2000 && p.done < p.total) return;
            last = now;
            const line = `export-onnx: ${p.done}/${p.total} (${p.tensor})`;
            if (tty) process.stderr.write(`\r\x1b[K${line}${p.done === p.total ? '\n' : ''}`);
            else info(line);
          },
        });
        const summary = {
          dir: r.dir,
          architecture: r.spec.architecture,
          precision: r.precision,
          model_file: r.modelFile,
          data_file: r.dataFile,
          model_bytes: r.modelBytes,
          data_bytes: r.dataBytes,
          context_length: r.contextLength,
          files: r.files,
          seconds: Number(r.seconds.toFixed(2)),
        };
        if (o.json) printJson(summary);
        else
          info(
            `wrote ${r.dir}: ${r.spec.architecture}, ${r.precision}, ${mb(r.modelBytes + r.dataBytes)}, context ${r.contextLength}, ${summary.seconds} s`,
          );
      } catch (e) {
        if (e instanceof ConvertError || e instanceof ExportError) throw new CliError(e.message);
        throw e;
      }
    });
}
