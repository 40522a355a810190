// The models a suite run measures: the source checkpoint per scale, every codec converted anew
// (measured), ONNX exports (cached between runs), GGUF exports for llama.cpp.
import { createReadStream, existsSync } from 'node:fs';
import { stat as fileStat, readdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { appRoot, assetsDir } from '../core/paths.js';
import type { Codec } from '../engine/format/qins-format.js';
import { inspectGraph } from '../engine/onnx/inspect.js';
import { type ChildResult, runNodeScript, runQins } from './child.js';
import type { BenchConfig, Scale } from './suite-config.js';
import type { ConversionMeasure } from './suite-result.js';

interface ConvertJson {
  file_bytes: number;
  source_bytes: number;
  stats: { seconds: number; bits_per_weight: number; snr_db: number | null };
}
interface InspectJson {
  file_bytes: number;
  bits_per_weight: number;
}
interface ExportJson {
  seconds: number;
}

/** The checkpoint each scale starts from; the Phi-3.5-shaped one is generated on first use. */
export async function sourceFor(scale: Scale, work: string, given: string | undefined, log: (l: string) => void): Promise<string> {
  if (scale === 'tiny') return join(assetsDir(), 'models', 'tiny-phi3-chat');
  if (given) return given;
  const dir = join(work, 'phi35-synthetic');
  if (!existsSync(join(dir, 'model.safetensors.index.json'))) {
    log(`generating the Phi-3.5-mini-shaped checkpoint in ${dir} (7.6 GB)`);
    await runNodeScript(join(appRoot(), 'tests', 'bench', 'make-synthetic-checkpoint.mjs'), [dir], {
      env: { QINS_FIXTURES: join(assetsDir(), 'models') },
      onLine: log,
    });
  }
  return dir;
}

/** Reads the source's weight files once, so every conversion starts with them in the page cache. */
export async function warmSource(dir: string): Promise<void> {
  for (const f of (await readdir(dir)).filter((x) => x.endsWith('.safetensors')))
    await new Promise<void>((res, rej) => {
      createReadStream(join(dir, f), { highWaterMark: 8 << 20 })
        .on('data', () => undefined)
        .on('end', res)
        .on('error', rej);
    });
}

export const modelKey = (c: BenchConfig): string =>
  c.engine === 'ort' ? `ort-${c.ort}` : c.engine === 'llama.cpp' ? `${c.codec}.gguf` : `${c.codec}${c.codebook ? '-fixed' : ''}`;

export interface Prepared {
  model: string;
  file_bytes: number;
  bits_per_weight: number | null;
  convert_seconds: number | null;
  snr_db: number | null;
}

/** One `qins convert` of the source to `model` (a codec, or qins4 with a fixed table), measured. */
export async function convertMeasured(
  source: string,
  model: string,
  scale: Scale,
  c: Pick<BenchConfig, 'codec' | 'codebook' | 'label'>,
  log: (l: string) => void,
  env?: NodeJS.ProcessEnv,
): Promise<ConversionMeasure> {
  log(`converting to ${c.codec}${c.codebook ? ' with a fixed table' : ''}`);
  const args = ['convert', source, '-o', model, '--codec', c.codec as string];
  if (c.codebook) args.push('--qins4-codebook', c.codebook);
  const load = loadavg()[0] ?? 0;
  const r: ChildResult<ConvertJson> = await runQins<ConvertJson>(args, { onLine: log, ...(env ? { env } : {}) });
  return {
    scale,
    codec: c.codebook ? `${c.codec} (fixed table)` : (c.codec as string),
    label: c.codebook ? c.label : (c.codec as string),
    wall_seconds: r.seconds,
    user_seconds: r.usage?.user_seconds ?? null,
    sys_seconds: r.usage?.sys_seconds ?? null,
    peak_rss_bytes: r.peakRssBytes,
    source_bytes: r.json.source_bytes,
    file_bytes: r.json.file_bytes,
    bits_per_weight: r.json.stats.bits_per_weight,
    snr_db: r.json.stats.snr_db,
    load_avg_1m: load,
    peer: false,
  };
}

/** Converts, exports or reuses the model one configuration runs. */
export async function prepareModel(
  c: BenchConfig,
  scale: Scale,
  source: string,
  dir: string,
  fresh: boolean,
  log: (l: string) => void,
  prepare: (c: BenchConfig) => Promise<Prepared>,
  conversions: ConversionMeasure[],
): Promise<Prepared> {
  if (c.engine === 'qins') {
    const model = join(dir, `${modelKey(c)}.qins`);
    const m = await convertMeasured(source, model, scale, c, log);
    // A codec the conversion race measured (several rounds against llama-quantize) keeps the race's
    // row; this conversion only makes the model file.
    if (!conversions.some((x) => !x.peer && x.scale === scale && x.codec === m.codec)) conversions.push(m);
    return { model, file_bytes: m.file_bytes, bits_per_weight: m.bits_per_weight, convert_seconds: m.wall_seconds, snr_db: m.snr_db };
  }
  if (c.engine === 'llama.cpp') {
    const base = await prepare({ id: c.codec as string, label: c.codec as string, engine: 'qins', codec: c.codec as Codec });
    const model = join(dir, modelKey(c));
    log(`exporting ${c.codec}.qins as GGUF ${c.gguf}`);
    const r = await runQins<ExportJson>(['export-gguf', base.model, '-o', model, '--force'], { onLine: log });
    const inspect = await runQins<InspectJson>(['inspect', base.model]);
    return { model, file_bytes: (await fileStat(model)).size, bits_per_weight: inspect.json.bits_per_weight, convert_seconds: r.json.seconds, snr_db: base.snr_db };
  }
  const model = join(dir, modelKey(c));
  let seconds: number | null = null;
  if (fresh || !existsSync(join(model, 'genai_config.json'))) {
    log(`exporting ONNX ${c.ort}`);
    const args = ['export-onnx', source, '-o', model, '--force', '--context', '4096'];
    if (c.ort === 'int4') args.push('--int4', '--block-size', '32', '--accuracy-level', '4', '--int4-lm-head');
    seconds = (await runQins<ExportJson>(args, { onLine: log })).json.seconds;
  }
  const w = await inspectGraph(join(model, 'model.onnx'));
  const size = async (f: string) => (existsSync(join(model, f)) ? (await fileStat(join(model, f))).size : 0);
  return {
    model,
    file_bytes: (await size('model.onnx')) + (await size('model.onnx.data')),
    bits_per_weight: w.matmulParams > 0 ? (8 * w.matmulBytes) / w.matmulParams : null,
    convert_seconds: seconds,
    snr_db: null,
  };
}
