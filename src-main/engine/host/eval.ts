// Quality measurement in the engine host: perplexity of a model on a text file, exactly as
// `qins eval --text` computes it (non-overlapping windows, no special tokens). The model is opened
// as a separate instance with a window-sized KV cache, so a chat on the loaded model is not
// disturbed (the weights are mmapped, so the two instances share them in memory).
import { readFile } from 'node:fs/promises';
import { QinsError } from '../../../src-shared/contract.js';
import { EvalError, perplexity } from '../eval.js';
import { openModel } from '../model.js';

export async function perplexityJob(
  params: { path: string; textPath: string; window?: number },
  signal: AbortSignal,
  onProgress: (done: number, total: number) => void,
): Promise<{ ppl: number; tokens: number; nllSum: number }> {
  const text = await readFile(params.textPath, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new QinsError('IO', `cannot read ${params.textPath} (${e.code ?? e.message})`);
  });
  const window = params.window ?? 512;
  const model = await openModel(params.path, { contextLength: window });
  try {
    const ids = model.tokenizer.encode(text, { addSpecialTokens: false });
    const r = await perplexity(model.backend, ids, { window: Math.min(window, model.backend.contextLength), signal, onProgress });
    return { ppl: r.ppl, tokens: r.tokens, nllSum: r.nll_sum };
  } catch (e) {
    if (e instanceof EvalError && signal.aborted) throw new QinsError('CANCELLED', 'quality measurement cancelled');
    throw e;
  } finally {
    await model.dispose();
  }
}
