// `qins eval <model> --text <file> [--window 512]`: perplexity of a text (tokenized without special
// tokens, non-overlapping windows).
// `qins eval <model> --golden <file.json>`: compares the engine with HF transformers' reference
// outputs (last-position logits, top-1 per position, greedy continuations).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { checkGolden, EvalError, parseGolden, perplexity, type GoldenReport } from '../../engine/eval.js';
import type { LoadedModel } from '../../engine/model.js';
import { addEngineOptions, asCliError, openModelFromFlags, parseNumber, parsePositiveInt, type EngineFlags } from '../engine-options.js';
import { CliError, info, printJson } from '../output.js';

interface EvalFlags extends EngineFlags {
  text?: string;
  golden?: string;
  window?: string;
  tolerance?: string;
  check?: boolean;
  json?: boolean;
}

async function readInput(path: string, what: string): Promise<string> {
  try {
    return await readFile(resolve(path), 'utf8');
  } catch (e) {
    throw new CliError(`cannot read the ${what} ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function progress(label: string): (done: number, total: number) => void {
  let lastPct = -1;
  const tty = process.stderr.isTTY;
  return (done, total) => {
    const pct = Math.floor((done * 100) / total);
    if (tty) process.stderr.write(`\r${label} ${done}/${total} (${pct}%)${done === total ? '\n' : ''}`);
    else if (pct >= lastPct + 10 || done === total) {
      lastPct = pct;
      info(`${label} ${done}/${total}`);
    }
  };
}

function modelFacts(m: LoadedModel): Record<string, unknown> {
  return {
    model: m.path,
    engine: m.engine,
    codec: m.codec,
    bits_per_weight: m.header?.stats.bits_per_weight ?? null,
    file_bytes: m.fileBytes,
  };
}

function printGoldenHuman(r: GoldenReport): void {
  for (const p of r.prompts) {
    info(
      `prompt ${p.index} (${p.kind}, ${p.tokens} tokens): max |logit diff| ${p.max_abs_logit_diff.toExponential(2)}, ` +
        `top-1 ${p.top1_agree}/${p.top1_checked}, greedy ${p.greedy_match ? 'equal' : `differs at ${p.greedy_first_diff}`}` +
        `${p.pass ? '' : '  FAIL'}`,
    );
  }
  process.stdout.write(
    `${r.pass ? 'PASS' : 'FAIL'}: max |logit diff| ${r.max_abs_logit_diff.toExponential(2)} (tolerance ${r.tolerance}), ` +
      `top-1 ${r.top1_agree}/${r.top1_checked}, greedy ${r.greedy_matches}/${r.prompts.length}\n`,
  );
}

export function register(program: Command): void {
  const cmd = program
    .command('eval')
    .description('measure a model: perplexity of a text (--text) or agreement with golden reference outputs (--golden)')
    .argument('<model>', '.qins file, ONNX folder, or the name of a model in the library')
    .option('--text <file>', 'UTF-8 text to compute perplexity over')
    .option('--golden <file>', 'golden reference JSON (fixtures/golden/<model>.json)')
    .option('--window <n>', 'perplexity window in tokens', '512')
    .option('--tolerance <x>', 'golden: largest allowed last-position |logit diff|', '1e-3')
    .option('--check', 'exit with status 1 when a golden gate fails')
    .option('--json', 'print one JSON object on stdout');
  addEngineOptions(cmd).action(async (modelPath: string, flags: EvalFlags) => {
    if ((flags.text === undefined) === (flags.golden === undefined)) throw new CliError('give exactly one of --text <file> or --golden <file>');
    const window = parsePositiveInt('--window', flags.window) ?? 512;
    const tolerance = parseNumber('--tolerance', flags.tolerance) ?? 1e-3;
    if (tolerance < 0) throw new CliError(`--tolerance must be ≥ 0 (got ${tolerance})`);

    if (flags.text !== undefined) {
      const text = await readInput(flags.text, 'text');
      const model = await openModelFromFlags(modelPath, flags, window);
      try {
        const ids = model.tokenizer.encode(text, { addSpecialTokens: false });
        if (!flags.json) info(`${ids.length} tokens, ${Math.ceil((ids.length - 1) / window)} windows of ${window}`);
        const r = await perplexity(model.backend, ids, { window, onProgress: progress('window') });
        if (flags.json) printJson({ ...modelFacts(model), text: resolve(flags.text), ...r });
        else
          process.stdout.write(
            `perplexity ${r.ppl.toFixed(4)} over ${r.tokens} tokens (nll_sum ${r.nll_sum.toFixed(3)}, ${r.windows} windows of ${window}, ` +
              `${r.seconds.toFixed(1)} s, ${r.tokens_per_second.toFixed(0)} tok/s)\n`,
          );
      } catch (e) {
        throw e instanceof EvalError ? new CliError(e.message) : asCliError(e);
      } finally {
        await model.dispose();
      }
      return;
    }

    let golden;
    try {
      golden = parseGolden(JSON.parse(await readInput(flags.golden!, 'golden file')));
    } catch (e) {
      throw new CliError(e instanceof SyntaxError ? `${flags.golden}: not valid JSON` : (e as Error).message);
    }
    const need = Math.max(...golden.prompts.map((p) => p.ids.length + p.greedy_ids.length));
    // The golden outputs are float32 computations: compare with a float32 KV cache unless --kv says otherwise.
    const model = await openModelFromFlags(modelPath, flags, need, { kvType: 'f32' });
    try {
      const r = await checkGolden(model.backend, golden, { tolerance, onProgress: flags.json ? undefined : progress('prompt') });
      if (flags.json) {
        const { model: goldenModel, ...report } = r;
        printJson({ ...modelFacts(model), golden: resolve(flags.golden!), golden_model: goldenModel, ...report });
      }
      else printGoldenHuman(r);
      if (flags.check && !r.pass) process.exitCode = 1;
    } catch (e) {
      throw e instanceof EvalError ? new CliError(e.message) : asCliError(e);
    } finally {
      await model.dispose();
    }
  });
}
