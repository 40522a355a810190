// `exportOnnx(hfDir, outDir)`: an HF checkpoint folder → an ONNX Runtime GenAI-style folder
// (model.onnx + model.onnx.data + genai_config.json + the tokenizer/config files). Written into a
// temporary sibling folder and renamed into place, so a failure leaves nothing half-written.
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { ModelSpec } from '../format/qins-format.js';
import { buildDecoder, IR_VERSION, OPSETS } from './decoder-graph.js';
import { ExternalDataWriter } from './external-data.js';
import { genaiConfigFor } from './genai-config.js';
import { GraphBuilder, serializeModel } from './graph-builder.js';
import { buildModelSpec } from '../convert/arch.js';
import { openCheckpoint } from '../convert/checkpoint.js';
import { CanonicalWeights } from './hf-weights.js';
import type { Int4Options } from './int4.js';

export const MODEL_FILE = 'model.onnx';
/** Files copied verbatim from the checkpoint when present (the tokenizer and template travel with the model). */
export const COPIED_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'tokenizer.model',
];

export interface ExportOptions {
  /** int4 MatMulNBits weights instead of FP32. */
  int4?: Int4Options | null;
  /** Longest context the graph supports (RoPE table rows); default max_position_embeddings. */
  maxPositions?: number;
  /** Where RoPE is applied (see DecoderOptions.rotary); default 'op'. */
  rotary?: 'op' | 'attention';
  /** Decoder file name (default model.onnx; the data file is <name>.data). */
  modelFile?: string;
  /** Replace an existing output folder. */
  force?: boolean;
  onProgress?: (p: { done: number; total: number; tensor: string }) => void;
}

export interface ExportResult {
  dir: string;
  spec: ModelSpec;
  precision: 'fp32' | 'int4';
  modelFile: string;
  dataFile: string;
  /** Bytes of model.onnx and model.onnx.data. */
  modelBytes: number;
  dataBytes: number;
  contextLength: number;
  files: string[];
  seconds: number;
}

export class ExportError extends Error {
  override name = 'ExportError';
}

export async function exportOnnx(hfDir: string, outDir: string, opts: ExportOptions = {}): Promise<ExportResult> {
  const t0 = performance.now();
  const src = resolve(hfDir);
  const out = resolve(outDir);
  // Validates the folder, config, tokenizer files and every safetensors header.
  const ckpt = await openCheckpoint(src);
  const config = ckpt.config;
  const spec = buildModelSpec(config, ckpt.generationConfig);
  const maxPositions = opts.maxPositions ?? spec.max_position_embeddings;
  if (!Number.isInteger(maxPositions) || maxPositions < 1)
    throw new ExportError(`invalid context length ${String(opts.maxPositions)}`);
  if (existsSync(out)) {
    const st = await stat(out);
    if (!st.isDirectory()) throw new ExportError(`${out} exists and is not a folder`);
    if (!opts.force) throw new ExportError(`${out} already exists (pass --force to replace it)`);
  }
  const rotary = opts.rotary ?? 'op';
  const modelFile = opts.modelFile ?? MODEL_FILE;
  const dataFile = `${modelFile}.data`;
  if (basename(modelFile) !== modelFile || !modelFile.endsWith('.onnx')) throw new ExportError(`invalid model file name ${modelFile}`);
  if (rotary === 'attention' && (spec.head_dim % 16 !== 0 || (spec.rope.dim / 2) % 8 !== 0))
    throw new ExportError(
      `rotary in attention needs a head size that is a multiple of 16 and a rotary half-dimension that is a multiple of 8 (head size ${spec.head_dim}, rotary ${spec.rope.dim}); use the default rotary placement`,
    );
  const weights = new CanonicalWeights(spec, ckpt);
  const parent = dirname(out);
  await mkdir(parent, { recursive: true });
  const tmp = join(parent, `.${basename(out)}.tmp-${process.pid}-${Date.now()}`);
  await mkdir(tmp);
  try {
    const data = new ExternalDataWriter(join(tmp, dataFile), dataFile);
    const g = new GraphBuilder(data);
    const total = 3 + 4 * spec.num_layers;
    let done = 0;
    await buildDecoder(g, weights, {
      int4: opts.int4 ?? null,
      maxPositions,
      rotary,
      onTensor: (tensor) => opts.onProgress?.({ done: ++done, total, tensor }),
    });
    const dataBytes = await data.close();
    const model = serializeModel(g.graph(`${spec.architecture}-decoder`), {
      irVersion: IR_VERSION,
      opsets: OPSETS,
      producer: 'qins-chat export-onnx',
      metadata: { source: basename(src), precision: opts.int4 ? 'int4' : 'fp32' },
    });
    const fh = await open(join(tmp, modelFile), 'w');
    await fh.writeFile(model);
    await fh.sync();
    await fh.close();
    const pad = typeof config.pad_token_id === 'number' ? config.pad_token_id : undefined;
    const genai = genaiConfigFor(spec, modelFile, maxPositions, { padTokenId: pad, positionIds: rotary === 'op' });
    await writeFile(join(tmp, 'genai_config.json'), `${JSON.stringify(genai, null, 4)}\n`);
    const files = [modelFile, dataFile, 'genai_config.json'];
    for (const f of COPIED_FILES)
      if (existsSync(join(src, f))) {
        await copyFile(join(src, f), join(tmp, f));
        await chmod(join(tmp, f), 0o644);
        files.push(f);
      }
    if (existsSync(out)) {
      const old = `${tmp}.old`;
      await rename(out, old);
      await rename(tmp, out);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, out);
    }
    return {
      dir: out,
      spec,
      precision: opts.int4 ? 'int4' : 'fp32',
      modelFile: join(out, modelFile),
      dataFile: join(out, dataFile),
      modelBytes: model.byteLength,
      dataBytes,
      contextLength: maxPositions,
      files,
      seconds: (performance.now() - t0) / 1000,
    };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    await weights.close();
  }
}
