// `.qins` → GGUF (version 3) for llama.cpp, LM Studio and Ollama. Only the linear and passthrough
// codecs (q8, q4, bf16, f32) have GGUF equivalents; their tensors are re-packed without
// re-quantizing. Everything is checked and planned before the output file is created; the file is
// then written tensor by tensor (bounded memory) to a temp file that is renamed into place.
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConvertError, fsError } from '../convert/errors.js';
import { readHeaderOrThrow } from '../convert/inspect.js';
import type { WriterIo } from '../convert/writer.js';
import type { Codec, QinsHeader, TensorEntry } from '../format/qins-format.js';
import { architecturePlan, MetadataExportError, type GgufArchitecture } from './metadata.js';
import { f32Tensor, sliceTensor, type SourceFile } from './tensors.js';
import { tokenizerMetadata, TokenizerExportError, type TokenizerKind } from './tokenizer.js';
import { checkDestination, writeGguf, type GgmlTypeName, type GgufTensorSpec } from './writer.js';

export { readGguf, readGgufTensorData, GgufFormatError, type GgufFile, type GgufTensorInfo } from './reader.js';

/** What to convert to instead, for the codecs GGUF cannot hold. */
const INSTEAD: Partial<Record<Codec, string>> = { qins8: 'q8', qins4: 'q4', 'qins-seed': 'q8' };

export interface GgufExportProgress {
  tensor: string;
  done: number;
  total: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface GgufExportOptions {
  /** Replace an existing destination file (default: refuse). */
  force?: boolean;
  /** general.name (default: the name of the checkpoint the .qins file was made from). */
  name?: string;
  signal?: AbortSignal;
  onProgress?: (p: GgufExportProgress) => void;
  io?: WriterIo;
}

export interface GgufExportResult {
  file: string;
  bytes: number;
  /** general.architecture */
  architecture: GgufArchitecture;
  /** The source model's architecture (mistral exports as llama). */
  source_architecture: QinsHeader['model']['architecture'];
  codec: Codec;
  tensors: number;
  /** Tensors per GGUF type. */
  types: Partial<Record<GgmlTypeName, number>>;
  tokenizer: { model: TokenizerKind; pre: string; tokens: number };
  /** Things llama.cpp will do differently from the HF tokenizer or model (one line each). */
  warnings: string[];
  seconds: number;
}

/** The reason a .qins file cannot become GGUF because of its codec, or null. */
export function codecRefusal(codec: Codec): string | null {
  const to = INSTEAD[codec];
  if (!to) return null;
  return `the ${codec} codec has no GGUF equivalent; convert the checkpoint with \`qins convert <checkpoint> --codec ${to}\` (or q4, bf16) and export that`;
}

interface Plan {
  arch: GgufArchitecture;
  metadata: ReturnType<typeof architecturePlan>['metadata'];
  tensors: GgufTensorSpec[];
  tokenizer: { model: TokenizerKind; pre: string; tokens: number };
  warnings: string[];
}

function plan(header: QinsHeader, src: SourceFile, name: string): Plan {
  const file = src.path;
  for (const t of header.tensors) {
    const why = codecRefusal(t.codec);
    if (why) throw new ConvertError('BAD_ARGUMENT', `${file}: ${why}`, file);
  }
  const spec = header.model;
  let archPlan: ReturnType<typeof architecturePlan>;
  let tok: ReturnType<typeof tokenizerMetadata>;
  try {
    archPlan = architecturePlan(header, name);
    tok = tokenizerMetadata({ files: header.files, spec, modelName: name });
  } catch (e) {
    if (e instanceof MetadataExportError || e instanceof TokenizerExportError) throw new ConvertError('BAD_ARGUMENT', `${file}: ${e.message}`, file);
    throw e;
  }
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  const need = (n: string): TensorEntry => {
    const t = byName.get(n);
    if (!t) throw new ConvertError('BAD_FILE', `${file}: tensor ${n} is missing`, file, n);
    return t;
  };
  const rowsOf = (t: TensorEntry, rows: number, cols: number | null): void => {
    if (t.shape[0] !== rows || (cols !== null && t.shape[1] !== cols))
      throw new ConvertError('BAD_FILE', `${file}: tensor ${t.name} has shape [${t.shape.join(', ')}], the model needs [${rows}${cols === null ? '' : `, ${cols}`}]`, file, t.name);
  };
  const cb = (t: TensorEntry): QinsHeader['codebooks'][string] | undefined => (t.codebook ? header.codebooks[t.codebook] : undefined);
  const whole = (gname: string, t: TensorEntry): GgufTensorSpec => sliceTensor(src, gname, { entry: t, rowStart: 0, rows: t.shape[0]! }, cb(t));
  const H = spec.num_heads;
  const KV = spec.num_kv_heads;
  const hd = spec.head_dim;
  const h = spec.hidden_size;
  const inter = spec.intermediate_size;

  const tensors: GgufTensorSpec[] = archPlan.ropeTensors.map((r) => f32Tensor(r.name, r.values));
  const embed = need('embed');
  rowsOf(embed, spec.vocab_size, h);
  tensors.push(whole('token_embd.weight', embed));
  for (let i = 0; i < spec.num_layers; i++) {
    const p = `layers.${i}.`;
    const b = `blk.${i}.`;
    const attnNorm = need(`${p}attn_norm`);
    rowsOf(attnNorm, h, null);
    tensors.push(whole(`${b}attn_norm.weight`, attnNorm));
    const qkv = need(`${p}qkv`);
    rowsOf(qkv, (H + 2 * KV) * hd, h);
    const bias = spec.qkv_bias ? need(`${p}qkv_bias`) : null;
    if (bias) rowsOf(bias, (H + 2 * KV) * hd, null);
    if (archPlan.fused) {
      tensors.push(whole(`${b}attn_qkv.weight`, qkv));
      if (bias) tensors.push(whole(`${b}attn_qkv.bias`, bias));
    } else {
      const parts: Array<[string, number, number, boolean]> = [
        ['attn_q', 0, H * hd, archPlan.permuteQK],
        ['attn_k', H * hd, KV * hd, archPlan.permuteQK],
        ['attn_v', (H + KV) * hd, KV * hd, false],
      ];
      for (const [gname, rowStart, rows, permute] of parts) {
        const perm = permute ? { permuteHeadDim: hd } : {};
        tensors.push(sliceTensor(src, `${b}${gname}.weight`, { entry: qkv, rowStart, rows, ...perm }, cb(qkv)));
        if (bias) tensors.push(sliceTensor(src, `${b}${gname}.bias`, { entry: bias, rowStart, rows, ...perm }, undefined));
      }
    }
    const o = need(`${p}o`);
    rowsOf(o, h, H * hd);
    tensors.push(whole(`${b}attn_output.weight`, o));
    const mlpNorm = need(`${p}mlp_norm`);
    rowsOf(mlpNorm, h, null);
    tensors.push(whole(`${b}ffn_norm.weight`, mlpNorm));
    const gateUp = need(`${p}gate_up`);
    rowsOf(gateUp, 2 * inter, h);
    if (archPlan.fused) tensors.push(whole(`${b}ffn_up.weight`, gateUp));
    else {
      tensors.push(sliceTensor(src, `${b}ffn_gate.weight`, { entry: gateUp, rowStart: 0, rows: inter }, cb(gateUp)));
      tensors.push(sliceTensor(src, `${b}ffn_up.weight`, { entry: gateUp, rowStart: inter, rows: inter }, cb(gateUp)));
    }
    const down = need(`${p}down`);
    rowsOf(down, h, inter);
    tensors.push(whole(`${b}ffn_down.weight`, down));
  }
  const norm = need('norm');
  rowsOf(norm, h, null);
  tensors.push(whole('output_norm.weight', norm));
  if (!spec.tie_word_embeddings) {
    const head = need('lm_head');
    rowsOf(head, spec.vocab_size, h);
    tensors.push(whole('output.weight', head));
  }
  return {
    arch: archPlan.arch,
    metadata: [...archPlan.metadata, ...tok.metadata],
    tensors,
    tokenizer: { model: tok.kind, pre: tok.pre, tokens: tok.tokens },
    warnings: tok.warnings,
  };
}

/** Exports a .qins file (codec q8, q4, bf16 or f32) as a GGUF file for llama.cpp. */
export async function exportGguf(qinsPath: string, outPath: string, opts: GgufExportOptions = {}): Promise<GgufExportResult> {
  const started = Date.now();
  const path = resolve(qinsPath);
  const { header } = await readHeaderOrThrow(path);
  const why = codecRefusal(header.codec);
  if (why) throw new ConvertError('BAD_ARGUMENT', `${path}: ${why}`, path);
  const dest = await checkDestination(outPath, opts.force === true);
  if (dest === path) throw new ConvertError('BAD_ARGUMENT', `${dest}: the output would replace the input`, dest);
  const fh = await open(path, 'r').catch((e: unknown) => {
    throw fsError(e, path, 'opening');
  });
  try {
    const name = opts.name ?? header.source.name;
    const p = plan(header, { fh, path }, name);
    const bytes = await writeGguf(dest, p.metadata, p.tensors, {
      force: opts.force === true,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.io ? { io: opts.io } : {}),
      onTensor: (done, total, tensor, bytesDone, bytesTotal) => opts.onProgress?.({ tensor, done, total, bytesDone, bytesTotal }),
    });
    const types: Partial<Record<GgmlTypeName, number>> = {};
    for (const t of p.tensors) types[t.type] = (types[t.type] ?? 0) + 1;
    return {
      file: dest,
      bytes,
      architecture: p.arch,
      source_architecture: header.model.architecture,
      codec: header.codec,
      tensors: p.tensors.length,
      types,
      tokenizer: p.tokenizer,
      warnings: p.warnings,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await fh.close();
  }
}
