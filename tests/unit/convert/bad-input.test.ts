// Every malformed input is rejected before anything is written, with a ConvertError whose code
// the UI can act on and a one-line message naming the file (and tensor); no output and no temp
// file is left behind.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { convertCheckpoint, ConvertError, type ConvertErrorCode } from '../../../src-main/engine/convert/index.js';
import { bf16Bytes, entries, makeTinyCheckpoint, normals, scratch, writeSafetensors } from './helpers.js';

let root: ReturnType<typeof scratch>;
let src: string;
let outDir: string;
let dest: string;

beforeEach(() => {
  root = scratch();
  src = join(root.dir, 'ckpt');
  outDir = join(root.dir, 'out');
  mkdirSync(outDir);
  dest = join(outDir, 'model.qins');
});
afterEach(() => root.cleanup());

async function expectRejected(code: ConvertErrorCode, ...mentions: Array<string | RegExp>): Promise<ConvertError> {
  let err: unknown;
  try {
    await convertCheckpoint({ source: src, destination: dest, codec: 'q8' });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConvertError);
  const ce = err as ConvertError;
  expect({ code: ce.code, message: ce.message }).toMatchObject({ code });
  expect(ce.message).not.toContain('\n');
  if (process.env.SHOW_ERRORS) console.log(code, "::", ce.message);
  for (const m of mentions) expect(ce.message).toMatch(m);
  expect(entries(outDir)).toEqual([]);
  return ce;
}

/** A one-tensor safetensors file with a hand-written header. */
function rawShard(header: unknown, dataBytes: number): void {
  makeTinyCheckpoint(src);
  writeSafetensors(join(src, 'model.safetensors'), [], { header: typeof header === 'string' ? header : JSON.stringify(header) });
  const buf = readFileSync(join(src, 'model.safetensors'));
  writeFileSync(join(src, 'model.safetensors'), Buffer.concat([buf, Buffer.alloc(dataBytes)]));
}

describe('bad checkpoints', () => {
  it('converts the unbroken tiny checkpoint (control)', async () => {
    makeTinyCheckpoint(src);
    const r = await convertCheckpoint({ source: src, destination: dest, codec: 'q8' });
    expect(entries(outDir)).toEqual(['model.qins']);
    expect(r.header.tensors.length).toBeGreaterThan(0);
  });

  it('truncated shard', async () => {
    makeTinyCheckpoint(src);
    const f = join(src, 'model.safetensors');
    truncateSync(f, readFileSync(f).length - 100);
    await expectRejected('BAD_CHECKPOINT', 'model.safetensors', 'lm_head.weight', /truncated/);
  });

  it('header length larger than the file', async () => {
    makeTinyCheckpoint(src);
    writeSafetensors(join(src, 'model.safetensors'), [], { header: '{}', headerLength: 1n << 40n });
    await expectRejected('BAD_CHECKPOINT', 'model.safetensors', /header length \d+ exceeds the file size/);
  });

  it('invalid header JSON', async () => {
    rawShard('{"model.embed_tokens.weight": {"dtype": "BF16", ', 0);
    await expectRejected('BAD_CHECKPOINT', 'model.safetensors', /not valid JSON/);
  });

  it('offsets out of range', async () => {
    rawShard({ 'model.embed_tokens.weight': { dtype: 'BF16', shape: [96, 64], data_offsets: [0, 96 * 64 * 2] } }, 1000);
    await expectRejected('BAD_CHECKPOINT', 'model.safetensors', 'model.embed_tokens.weight', /beyond the data region/);
  });

  it('overlapping offsets', async () => {
    rawShard(
      {
        a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
        b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] },
      },
      24,
    );
    await expectRejected('BAD_CHECKPOINT', 'model.safetensors', /tensor b: data overlaps tensor a/);
  });

  it('unknown dtype', async () => {
    rawShard({ 'model.norm.weight': { dtype: 'Q7', shape: [64], data_offsets: [0, 64] } }, 64);
    await expectRejected('BAD_CHECKPOINT', 'model.safetensors', 'model.norm.weight', /unknown dtype "Q7"/);
  });

  it('a known dtype the converter cannot read', async () => {
    makeTinyCheckpoint(src);
    const emb = normals(96 * 64, 0.05);
    writeSafetensors(join(src, 'model.safetensors'), [
      { name: 'model.embed_tokens.weight', dtype: 'I16', shape: [96, 64], data: bf16Bytes(emb) },
    ]);
    await expectRejected('BAD_CHECKPOINT', 'model.safetensors', 'model.embed_tokens.weight', /dtype I16/);
  });

  it('shape / byte length mismatch', async () => {
    rawShard({ 'model.norm.weight': { dtype: 'BF16', shape: [3, 3], data_offsets: [0, 16] } }, 16);
    await expectRejected('BAD_CHECKPOINT', 'model.safetensors', 'model.norm.weight', /needs 18 bytes but data_offsets span 16/);
  });

  it('a tensor whose shape disagrees with config.json', async () => {
    makeTinyCheckpoint(src, { config: { intermediate_size: 96 } });
    await expectRejected('BAD_CHECKPOINT', 'model.safetensors', /mlp\.gate_proj\.weight has shape \[128, 64\], config\.json implies \[96, 64\]/);
  });

  it('a shard listed in the index is missing', async () => {
    makeTinyCheckpoint(src, { shards: 2 });
    rmSync(join(src, 'model-00002-of-00002.safetensors'));
    await expectRejected('MISSING_TENSOR', 'model-00002-of-00002.safetensors', /missing/);
  });

  it('a tensor the index names is not in its shard', async () => {
    makeTinyCheckpoint(src, { shards: 2 });
    const idx = JSON.parse(readFileSync(join(src, 'model.safetensors.index.json'), 'utf8'));
    idx.weight_map['model.extra.weight'] = 'model-00001-of-00002.safetensors';
    writeFileSync(join(src, 'model.safetensors.index.json'), JSON.stringify(idx));
    await expectRejected('MISSING_TENSOR', 'model-00001-of-00002.safetensors', 'model.extra.weight');
  });

  it('a tensor missing for the architecture', async () => {
    makeTinyCheckpoint(src, { drop: ['model.layers.1.mlp.down_proj.weight'] });
    await expectRejected('MISSING_TENSOR', 'model.layers.1.mlp.down_proj.weight', /needed for llama/);
  });

  it('lm_head missing while embeddings are untied', async () => {
    makeTinyCheckpoint(src, { drop: ['lm_head.weight'] });
    await expectRejected('MISSING_TENSOR', 'lm_head.weight');
  });

  it('unsupported model_type', async () => {
    makeTinyCheckpoint(src, { config: { model_type: 'gpt2' } });
    await expectRejected('UNSUPPORTED_ARCH', 'config.json', /"gpt2"/, /phi3, llama, mistral, qwen2/);
  });

  it('unsupported rope scaling', async () => {
    makeTinyCheckpoint(src, { config: { rope_scaling: { rope_type: 'yarn', factor: 4 } } });
    await expectRejected('UNSUPPORTED_ARCH', 'config.json', /yarn/);
  });

  it('config.json that is not JSON', async () => {
    makeTinyCheckpoint(src);
    writeFileSync(join(src, 'config.json'), '{ "model_type": "llama", ');
    await expectRejected('BAD_CHECKPOINT', 'config.json', /not valid JSON/);
  });

  it('missing tokenizer.json', async () => {
    makeTinyCheckpoint(src);
    rmSync(join(src, 'tokenizer.json'));
    await expectRejected('BAD_CHECKPOINT', 'tokenizer.json');
  });

  it('weights containing NaN', async () => {
    makeTinyCheckpoint(src, { dtype: 'F32' });
    const f = join(src, 'model.safetensors');
    const buf = readFileSync(f);
    const hdr = Number(buf.readBigUInt64LE(0));
    buf.writeFloatLE(Number.NaN, 8 + hdr + 40); // inside model.embed_tokens.weight
    writeFileSync(f, buf);
    await expectRejected('BAD_CHECKPOINT', 'model.safetensors', 'model.embed_tokens.weight', /NaN/);
  });

  it('empty folder', async () => {
    mkdirSync(src);
    await expectRejected('BAD_CHECKPOINT', /is empty/);
  });

  it('a folder without config.json', async () => {
    makeTinyCheckpoint(src);
    rmSync(join(src, 'config.json'));
    await expectRejected('BAD_CHECKPOINT', /no config\.json/);
  });

  it('a file instead of a folder', async () => {
    makeTinyCheckpoint(src);
    src = join(src, 'model.safetensors');
    await expectRejected('NOT_FOUND', /is a file, not a checkpoint folder/);
  });

  it('a path that does not exist', async () => {
    src = join(root.dir, 'nowhere');
    await expectRejected('NOT_FOUND', 'nowhere');
  });

  it('an unknown codec', async () => {
    makeTinyCheckpoint(src);
    const err = await convertCheckpoint({ source: src, destination: dest, codec: 'q3' as never }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BAD_ARGUMENT' });
    expect(entries(outDir)).toEqual([]);
  });
});

describe('bad destinations', () => {
  beforeEach(() => makeTinyCheckpoint(src));

  it('a destination folder that does not exist', async () => {
    dest = join(outDir, 'missing', 'model.qins');
    await expectRejected('NOT_WRITABLE', /does not exist/);
  });

  it('a destination that is a folder', async () => {
    mkdirSync(join(outDir, 'model.qins'));
    const err = await convertCheckpoint({ source: src, destination: dest, codec: 'q8' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NOT_WRITABLE' });
    expect(entries(outDir)).toEqual(['model.qins']);
  });

  it.skipIf(process.getuid?.() === 0)('a destination folder without write permission (non-root only: root ignores modes)', async () => {
    chmodSync(outDir, 0o555);
    try {
      await expectRejected('NOT_WRITABLE', 'model.qins');
    } finally {
      chmodSync(outDir, 0o755);
    }
  });
});

/** Mounts a small tmpfs at `dir` when running as root; returns an unmount function or null. */
function tryMount(dir: string, opts: string): (() => void) | null {
  if (process.getuid?.() !== 0) return null;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir], { stdio: 'ignore' });
    return () => execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    return null;
  }
}

describe('real file systems (tmpfs; needs root and mount)', () => {
  const canMount = (() => {
    const s = scratch();
    const un = tryMount(s.dir, 'size=64k');
    un?.();
    s.cleanup();
    return un !== null;
  })();

  it.skipIf(!canMount)('a read-only file system → NOT_WRITABLE, nothing left', async () => {
    makeTinyCheckpoint(src);
    const un = tryMount(outDir, 'ro,size=1m')!;
    try {
      await expectRejected('NOT_WRITABLE', 'model.qins');
    } finally {
      un();
    }
  });

  it.skipIf(!canMount)('a file system too small for the output → NO_SPACE, nothing left', async () => {
    makeTinyCheckpoint(src);
    const un = tryMount(outDir, 'size=32k')!;
    try {
      await expectRejected('NO_SPACE', /only [\d.]+ MB are free/);
    } finally {
      un();
    }
  });
});
