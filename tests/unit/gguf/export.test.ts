// qins export-gguf, checked with a GGUF reader of our own: header, metadata, tensor table and
// alignment for the three fixtures; Q8_0 / Q4_0 / BF16 / F32 data against the .qins values
// (decoded independently); the row splits and the llama q/k head reordering; the RoPE tensors;
// refusals (qins codecs, malformed input, occupied or unwritable destinations) that leave no file.
import { copyFileSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConvertError, convertCheckpoint, type ConvertErrorCode } from '../../../src-main/engine/convert/index.js';
import { readTensor } from '../../../src-main/engine/convert/decode.js';
import { readQinsHeader, type Codec, type QinsHeader } from '../../../src-main/engine/format/qins-format.js';
import { exportGguf, readGguf, readGgufTensorData, type GgufFile } from '../../../src-main/engine/gguf/index.js';
import { toF16Bits } from '../../../src-main/engine/gguf/tensors.js';
import { main } from '../../../src-main/cli/index.js';
import { makeTinyCheckpoint } from '../convert/helpers.js';
import { fixtureModel } from '../helpers/fixtures.js';
import { convertFixture, decodeBf16, decodeF32, decodeQ4_0, decodeQ8_0, entries, newScratch, type Fixture } from './helpers.js';

const root = newScratch();
afterAll(() => root.cleanup());

const exported = new Map<string, { gguf: string; qins: string; file: GgufFile; header: QinsHeader }>();
async function exportOnce(fixture: Fixture, codec: Codec): Promise<{ gguf: string; qins: string; file: GgufFile; header: QinsHeader }> {
  const key = `${fixture}-${codec}`;
  const have = exported.get(key);
  if (have) return have;
  const qins = await convertFixture(root.dir, fixture, codec);
  const gguf = join(root.dir, `${key}.gguf`);
  await exportGguf(qins, gguf);
  const r = { gguf, qins, file: await readGguf(gguf), header: (await readQinsHeader(qins)).header };
  exported.set(key, r);
  return r;
}

const meta = (f: GgufFile, key: string): unknown => f.metadata.get(key);
const tensor = (f: GgufFile, name: string): GgufFile['tensors'][number] => {
  const t = f.tensors.find((x) => x.name === name);
  if (!t) throw new Error(`no tensor ${name}`);
  return t;
};
const rows = (v: Float32Array, cols: number, r0: number, n: number): Float32Array => v.subarray(r0 * cols, (r0 + n) * cols);

describe('GGUF layout of the fixtures (q8)', () => {
  it.each([
    ['tiny-phi3-chat', 'phi3', 65],
    ['tiny-llama-chat', 'llama', 94],
    ['tiny-qwen2-chat', 'qwen2', 122],
  ] as const)('%s: header, metadata, tensor table and 32-byte alignment', async (fixture, arch, count) => {
    const { gguf, file, header } = await exportOnce(fixture, 'q8');
    const spec = header.model;
    expect(file.version).toBe(3);
    expect(file.alignment).toBe(32);
    expect(file.dataOffset % 32).toBe(0);
    expect(file.tensors).toHaveLength(count);
    // Every tensor aligned, inside the file, not overlapping the next; the file ends with the last one.
    const sorted = [...file.tensors].sort((a, b) => a.offset - b.offset);
    for (let i = 0; i < sorted.length; i++) {
      const t = sorted[i]!;
      expect(t.offset % 32, t.name).toBe(0);
      if (i + 1 < sorted.length) expect(t.offset + t.bytes!, t.name).toBeLessThanOrEqual(sorted[i + 1]!.offset);
    }
    const last = sorted[sorted.length - 1]!;
    expect(statSync(gguf).size).toBe(last.fileOffset + last.bytes!);

    expect(meta(file, 'general.architecture')).toBe(arch);
    expect(meta(file, 'general.name')).toBe(fixture);
    expect(meta(file, 'general.file_type')).toBe(7);
    expect(meta(file, `${arch}.context_length`)).toBe(spec.max_position_embeddings);
    expect(meta(file, `${arch}.embedding_length`)).toBe(256);
    expect(meta(file, `${arch}.feed_forward_length`)).toBe(768);
    expect(meta(file, `${arch}.block_count`)).toBe(10);
    expect(meta(file, `${arch}.attention.head_count`)).toBe(8);
    expect(meta(file, `${arch}.attention.head_count_kv`)).toBe(4);
    expect(meta(file, `${arch}.attention.layer_norm_rms_epsilon`)).toBeCloseTo(1e-5, 10);
    expect(meta(file, `${arch}.rope.dimension_count`)).toBe(32);
    expect(meta(file, `${arch}.rope.freq_base`)).toBe(10000);

    // Tokenizer: SentencePiece-style, every id of the embedding has a token.
    expect(meta(file, 'tokenizer.ggml.model')).toBe('llama');
    const tokens = meta(file, 'tokenizer.ggml.tokens') as string[];
    const types = meta(file, 'tokenizer.ggml.token_type') as number[];
    const scores = meta(file, 'tokenizer.ggml.scores') as number[];
    expect(tokens).toHaveLength(32064);
    expect(types).toHaveLength(32064);
    expect(scores).toHaveLength(32064);
    expect([tokens[0], types[0]]).toEqual(['<unk>', 2]);
    expect([tokens[1], types[1]]).toEqual(['<s>', 3]);
    expect([tokens[3], types[3]]).toEqual(['<0x00>', 6]);
    expect([tokens[32007], types[32007]]).toEqual(['<|end|>', 3]);
    expect([tokens[32063], types[32063]]).toEqual(['[PAD32063]', 5]);
    const tj = JSON.parse(header.files['tokenizer.json']!);
    expect(tokens.slice(0, 32000)).toEqual(Object.entries(tj.model.vocab as Record<string, number>).sort((a, b) => a[1] - b[1]).map((e) => e[0]));
    // The first merge's token scores -1, and a token's score is the rank of the first merge making it.
    const merges = tj.model.merges as string[];
    const first = merges[0]!.replace(' ', '');
    expect(scores[tokens.indexOf(first)]).toBe(-1);
    expect(scores[tokens.indexOf(merges[100]!.replace(' ', ''))]).toBeGreaterThanOrEqual(-101);
    expect(meta(file, 'tokenizer.ggml.bos_token_id')).toBe(1);
    expect(meta(file, 'tokenizer.ggml.eos_token_id')).toBe(32000);
    expect(meta(file, 'tokenizer.ggml.unknown_token_id')).toBe(0);
    expect(meta(file, 'tokenizer.ggml.padding_token_id')).toBe(32000);
    expect(meta(file, 'tokenizer.ggml.eot_token_id')).toBe(32007);
    expect(meta(file, 'tokenizer.ggml.add_bos_token')).toBe(false);
    expect(meta(file, 'tokenizer.ggml.add_eos_token')).toBe(false);
    expect(meta(file, 'tokenizer.ggml.add_space_prefix')).toBe(true);
    expect(meta(file, 'tokenizer.chat_template')).toBe(JSON.parse(header.files['tokenizer_config.json']!).chat_template);

    expect(tensor(file, 'token_embd.weight')).toMatchObject({ dims: [256, 32064], typeName: 'Q8_0' });
    expect(tensor(file, 'blk.9.ffn_down.weight')).toMatchObject({ dims: [768, 256], typeName: 'Q8_0' });
    expect(tensor(file, 'output_norm.weight')).toMatchObject({ dims: [256], typeName: 'F32' });
    if (arch === 'phi3') {
      expect(tensor(file, 'blk.0.attn_qkv.weight')).toMatchObject({ dims: [256, 512], typeName: 'Q8_0' });
      expect(tensor(file, 'blk.0.ffn_up.weight')).toMatchObject({ dims: [256, 1536], typeName: 'Q8_0' });
      expect(file.tensors.some((t) => t.name.includes('attn_q.') || t.name.includes('ffn_gate'))).toBe(false);
    } else {
      expect(tensor(file, 'blk.0.attn_q.weight')).toMatchObject({ dims: [256, 256], typeName: 'Q8_0' });
      expect(tensor(file, 'blk.0.attn_k.weight')).toMatchObject({ dims: [256, 128], typeName: 'Q8_0' });
      expect(tensor(file, 'blk.0.attn_v.weight')).toMatchObject({ dims: [256, 128], typeName: 'Q8_0' });
      expect(tensor(file, 'blk.0.ffn_gate.weight')).toMatchObject({ dims: [256, 768], typeName: 'Q8_0' });
      expect(tensor(file, 'blk.0.ffn_up.weight')).toMatchObject({ dims: [256, 768], typeName: 'Q8_0' });
    }
    // Tied embeddings (qwen2 fixture): no output.weight, llama.cpp reuses token_embd.
    expect(file.tensors.some((t) => t.name === 'output.weight')).toBe(!spec.tie_word_embeddings);
    if (arch === 'qwen2') expect(tensor(file, 'blk.3.attn_k.bias')).toMatchObject({ dims: [128], typeName: 'F32' });
  });

  it('phi3: longrope factors as tensors, attention factor and original context', async () => {
    const { gguf, file, header } = await exportOnce('tiny-phi3-chat', 'q8');
    const cfg = JSON.parse(readFileSync(join(fixtureModel('tiny-phi3-chat'), 'config.json'), 'utf8'));
    expect(Array.from(decodeF32(await readGgufTensorData(gguf, tensor(file, 'rope_factors_long.weight'))))).toEqual(cfg.rope_scaling.long_factor.map(Math.fround));
    expect(Array.from(decodeF32(await readGgufTensorData(gguf, tensor(file, 'rope_factors_short.weight'))))).toEqual(cfg.rope_scaling.short_factor.map(Math.fround));
    expect(meta(file, 'phi3.rope.scaling.attn_factor')).toBeCloseTo(Math.sqrt(1 + Math.log(131072 / 4096) / Math.log(4096)), 6);
    expect(meta(file, 'phi3.rope.scaling.original_context_length')).toBe(4096);
    expect(meta(file, 'phi3.attention.sliding_window')).toBe(262144);
    expect(header.model.rope.type).toBe('longrope');
  });

  it('llama: llama3 RoPE scaling becomes rope_freqs.weight (factor 8, low 1, high 4, original 8192)', async () => {
    const { gguf, file } = await exportOnce('tiny-llama-chat', 'q8');
    const got = Array.from(decodeF32(await readGgufTensorData(gguf, tensor(file, 'rope_freqs.weight'))));
    // Independent evaluation of Llama 3's frequency rule for head dim 32, theta 10000.
    const want = Array.from({ length: 16 }, (_, i) => {
      const wavelen = (2 * Math.PI) / (1 / 10000 ** ((2 * i) / 32));
      if (wavelen < 8192 / 4) return 1;
      if (wavelen > 8192 / 1) return 8;
      const smooth = (8192 / wavelen - 1) / (4 - 1);
      return 1 / ((1 - smooth) / 8 + smooth);
    });
    expect(got).toHaveLength(16);
    for (let i = 0; i < 16; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);
    expect(got[0]).toBe(1);
    expect(got[15]).toBe(8);
    expect(file.metadata.has('llama.rope.scaling.type')).toBe(false);
  });
});

describe('tensor data against the .qins values', () => {
  const F16_REL = 2 ** -11; // the relative rounding of an fp16 value

  it('phi3 q8 → Q8_0: every value equals the .qins value up to the fp16 rounding of d', async () => {
    const { gguf, qins, file, header } = await exportOnce('tiny-phi3-chat', 'q8');
    for (const [g, q] of [
      ['token_embd.weight', 'embed'],
      ['blk.0.attn_qkv.weight', 'layers.0.qkv'],
      ['blk.4.ffn_up.weight', 'layers.4.gate_up'],
      ['blk.9.ffn_down.weight', 'layers.9.down'],
      ['output.weight', 'lm_head'],
    ] as const) {
      const ours = await readTensor(qins, header, q);
      const got = decodeQ8_0(await readGgufTensorData(gguf, tensor(file, g)), ours.length);
      let worst = 0;
      for (let i = 0; i < ours.length; i++) {
        const err = Math.abs(got[i]! - ours[i]!);
        if (err > 0) worst = Math.max(worst, err / Math.abs(ours[i]!));
      }
      expect(worst, g).toBeLessThanOrEqual(F16_REL * 1.0001);
    }
    // d is the fp16 rounding of scale / 127, from the exact quotient.
    const entry = header.tensors.find((t) => t.name === 'layers.0.o')!;
    const fh = readFileSync(qins);
    const scale0 = fh.readUInt16LE(entry.parts.scales!.offset);
    const block0 = await readGgufTensorData(gguf, tensor(file, 'blk.0.attn_output.weight'));
    expect(block0.readUInt16LE(0)).toBe(toF16Bits(decodeScale(scale0) / 127));
    expect(Array.from(block0.subarray(2, 34))).toEqual(Array.from(fh.subarray(entry.parts.codes!.offset, entry.parts.codes!.offset + 32)));
  });

  it('phi3 q4 → Q4_0: values equal exactly (d = scale / 8), except blocks whose d is an fp16 subnormal', async () => {
    const { gguf, qins, file, header } = await exportOnce('tiny-phi3-chat', 'q4');
    let subnormal = 0;
    for (const [g, q] of [
      ['token_embd.weight', 'embed'],
      ['blk.2.attn_qkv.weight', 'layers.2.qkv'],
      ['blk.7.ffn_down.weight', 'layers.7.down'],
    ] as const) {
      const ours = await readTensor(qins, header, q);
      const got = decodeQ4_0(await readGgufTensorData(gguf, tensor(file, g)), ours.length);
      for (let b = 0; b < ours.length / 32; b++) {
        const o = ours.subarray(b * 32, b * 32 + 32);
        const n = got.subarray(b * 32, b * 32 + 32);
        const maxAbs = o.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
        const subnormalD = maxAbs < 2 ** -11;
        if (subnormalD) subnormal++;
        for (let j = 0; j < 32; j++)
          if (subnormalD ? Math.abs(n[j]! - o[j]!) > 2 ** -24 * 8 : n[j] !== o[j]) throw new Error(`${g} block ${b} element ${j}: ${n[j]} vs ${o[j]}`);
      }
    }
    expect(subnormal).toBeLessThan(10);
  });

  it('llama q8: q/k rows reordered per head (rotate-half → interleaved pairs), v and gate/up split by rows', async () => {
    const { gguf, qins, file, header } = await exportOnce('tiny-llama-chat', 'q8');
    const hd = 32;
    const qkv = await readTensor(qins, header, 'layers.3.qkv');
    const gateUp = await readTensor(qins, header, 'layers.3.gate_up');
    const cols = 256;
    const q = decodeQ8_0(await readGgufTensorData(gguf, tensor(file, 'blk.3.attn_q.weight')), 256 * cols);
    const k = decodeQ8_0(await readGgufTensorData(gguf, tensor(file, 'blk.3.attn_k.weight')), 128 * cols);
    const v = decodeQ8_0(await readGgufTensorData(gguf, tensor(file, 'blk.3.attn_v.weight')), 128 * cols);
    const close = (a: Float32Array, b: Float32Array, what: string): void => {
      expect(a.length, what).toBe(b.length);
      for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) > Math.abs(b[i]!) * 2 ** -11 * 1.0001) throw new Error(`${what}: element ${i} ${a[i]} vs ${b[i]}`);
    };
    const check = (out: Float32Array, heads: number, srcRow0: number, what: string): void => {
      for (let h = 0; h < heads; h++)
        for (let j = 0; j < hd / 2; j++)
          for (let t = 0; t < 2; t++)
            close(rows(out, cols, h * hd + 2 * j + t, 1), rows(qkv, cols, srcRow0 + h * hd + t * (hd / 2) + j, 1), `${what} head ${h} pair ${j}.${t}`);
    };
    check(q, 8, 0, 'attn_q');
    check(k, 4, 256, 'attn_k');
    close(v, rows(qkv, cols, 384, 128), 'attn_v');
    const gate = decodeQ8_0(await readGgufTensorData(gguf, tensor(file, 'blk.3.ffn_gate.weight')), 768 * cols);
    const up = decodeQ8_0(await readGgufTensorData(gguf, tensor(file, 'blk.3.ffn_up.weight')), 768 * cols);
    close(gate, rows(gateUp, cols, 0, 768), 'ffn_gate');
    close(up, rows(gateUp, cols, 768, 768), 'ffn_up');
  });

  it('qwen2 bf16: BF16 weights bit-exact, q/k/v biases split in order (no reordering), norms F32', async () => {
    const { gguf, qins, file, header } = await exportOnce('tiny-qwen2-chat', 'bf16');
    expect(tensor(file, 'blk.0.attn_q.weight').typeName).toBe('BF16');
    const qkv = await readTensor(qins, header, 'layers.5.qkv');
    expect(Array.from(decodeBf16(await readGgufTensorData(gguf, tensor(file, 'blk.5.attn_q.weight'))))).toEqual(Array.from(rows(qkv, 256, 0, 256)));
    expect(Array.from(decodeBf16(await readGgufTensorData(gguf, tensor(file, 'blk.5.attn_v.weight'))))).toEqual(Array.from(rows(qkv, 256, 384, 128)));
    const bias = await readTensor(qins, header, 'layers.5.qkv_bias');
    expect(Array.from(decodeF32(await readGgufTensorData(gguf, tensor(file, 'blk.5.attn_q.bias'))))).toEqual(Array.from(bias.subarray(0, 256)));
    expect(Array.from(decodeF32(await readGgufTensorData(gguf, tensor(file, 'blk.5.attn_k.bias'))))).toEqual(Array.from(bias.subarray(256, 384)));
    expect(Array.from(decodeF32(await readGgufTensorData(gguf, tensor(file, 'blk.5.attn_v.bias'))))).toEqual(Array.from(bias.subarray(384, 512)));
    const norm = await readTensor(qins, header, 'layers.5.mlp_norm');
    expect(Array.from(decodeF32(await readGgufTensorData(gguf, tensor(file, 'blk.5.ffn_norm.weight'))))).toEqual(Array.from(norm));
    expect(meta(file, 'general.file_type')).toBe(32);
  });
});

function decodeScale(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  return e === 0 ? s * m * 2 ** -24 : s * (1 + m / 1024) * 2 ** (e - 15);
}

describe('refusals leave nothing behind', () => {
  let tiny: string;
  let outDir: string;
  beforeAll(() => {
    tiny = join(root.dir, 'tiny-ckpt');
    makeTinyCheckpoint(tiny);
    outDir = join(root.dir, 'refusals');
    mkdirSync(outDir);
  });

  async function rejected(src: string, dest: string, code: ConvertErrorCode, ...mentions: Array<string | RegExp>): Promise<void> {
    let err: unknown;
    try {
      await exportGguf(src, dest);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConvertError);
    const ce = err as ConvertError;
    expect(ce.code, ce.message).toBe(code);
    expect(ce.message).not.toContain('\n');
    for (const m of mentions) expect(ce.message).toMatch(m);
  }

  it.each([
    ['qins8', 'q8'],
    ['qins4', 'q4'],
    ['qins-seed', 'q8'],
  ] as const)('%s is refused, naming `qins convert … --codec %s`, before any file is created', async (codec, instead) => {
    const src = join(root.dir, `tiny-${codec}.qins`);
    await convertCheckpoint({ source: tiny, destination: src, codec, threads: 2 });
    const before = entries(outDir);
    await rejected(src, join(outDir, `${codec}.gguf`), 'BAD_ARGUMENT', new RegExp(`${codec} codec`), new RegExp(`qins convert <checkpoint> --codec ${instead}\\b`));
    expect(entries(outDir)).toEqual(before);
  });

  it('a truncated .qins file and a bad header are refused as BAD_FILE', async () => {
    const good = await convertFixture(root.dir, 'tiny-qwen2-chat', 'q8');
    const cut = join(root.dir, 'cut.qins');
    copyFileSync(good, cut);
    truncateSync(cut, statSync(good).size - 4096);
    await rejected(cut, join(outDir, 'cut.gguf'), 'BAD_FILE', /truncated/);
    const garbage = join(root.dir, 'garbage.qins');
    writeFileSync(garbage, Buffer.from('GGUF this is not a qins file at all'));
    await rejected(garbage, join(outDir, 'garbage.gguf'), 'BAD_FILE', /bad magic/);
    const badJson = join(root.dir, 'badjson.qins');
    const b = Buffer.alloc(64);
    b.write('QINS', 0, 'ascii');
    b.writeUInt32LE(1, 4);
    b.writeBigUInt64LE(10n, 8);
    b.write('{"format":', 16, 'utf8');
    writeFileSync(badJson, b);
    await rejected(badJson, join(outDir, 'badjson.gguf'), 'BAD_FILE', /not valid JSON/);
    await rejected(join(root.dir, 'missing.qins'), join(outDir, 'missing.gguf'), 'BAD_FILE', /cannot open/);
    expect(entries(outDir).filter((e) => /cut|garbage|badjson|missing/.test(e))).toEqual([]);
  });

  it('an occupied or unwritable destination is refused; --force replaces a file atomically', async () => {
    const src = await convertFixture(root.dir, 'tiny-qwen2-chat', 'q8');
    const dir = join(root.dir, 'dest');
    mkdirSync(dir);
    const existing = join(dir, 'model.gguf');
    writeFileSync(existing, 'keep me');
    await rejected(src, existing, 'NOT_WRITABLE', /already exists/, /--force/);
    expect(readFileSync(existing, 'utf8')).toBe('keep me');
    await rejected(src, dir, 'NOT_WRITABLE', /is a folder/);
    await rejected(src, join(dir, 'no-such-folder', 'x.gguf'), 'NOT_WRITABLE', /does not exist/);
    await rejected(src, src, 'NOT_WRITABLE', /already exists/);
    expect(entries(dir)).toEqual(['model.gguf']);
    const r = await exportGguf(src, existing, { force: true });
    expect(r.bytes).toBe(statSync(existing).size);
    expect((await readGguf(existing)).metadata.get('general.architecture')).toBe('qwen2');
    expect(entries(dir)).toEqual(['model.gguf']);
  });

  it('a write that fails half-way leaves neither the output nor a temp file', async () => {
    const src = await convertFixture(root.dir, 'tiny-qwen2-chat', 'q8');
    const dir = join(root.dir, 'failing');
    mkdirSync(dir);
    let writes = 0;
    const io = {
      write: async (fh: import('node:fs/promises').FileHandle, buf: Uint8Array, position: number): Promise<number> => {
        if (++writes === 20) throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
        return (await fh.write(buf, 0, buf.byteLength, position)).bytesWritten;
      },
      datasync: (fh: import('node:fs/promises').FileHandle) => fh.datasync(),
    };
    let err: unknown;
    try {
      await exportGguf(src, join(dir, 'out.gguf'), { io });
    } catch (e) {
      err = e;
    }
    expect((err as ConvertError).code).toBe('NO_SPACE');
    expect(entries(dir)).toEqual([]);
    const ac = new AbortController();
    let seen = 0;
    await expect(
      exportGguf(src, join(dir, 'out.gguf'), {
        signal: ac.signal,
        onProgress: () => {
          if (++seen === 5) ac.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(entries(dir)).toEqual([]);
  });
});

describe('qins export-gguf (command line)', () => {
  async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
    try {
      const code = await main(args);
      return { code, stdout, stderr };
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  }

  it('--json prints exactly one JSON object with file, bytes, architecture, tensors, types and seconds', async () => {
    const src = await convertFixture(root.dir, 'tiny-phi3-chat', 'q8');
    const dest = join(root.dir, 'cli.gguf');
    const r = await run('export-gguf', src, '-o', dest, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ file: dest, bytes: statSync(dest).size, architecture: 'phi3', tensors: 65, types: { Q8_0: 42, F32: 23 } });
    expect(typeof j.seconds).toBe('number');
    expect(r.stdout.trim().split('\n').filter((l) => l.startsWith('{'))).toHaveLength(1);
    // Again without --force: refused in one line, exit code non-zero, the file kept.
    const again = await run('export-gguf', src, '-o', dest, '--json');
    expect(again.code).not.toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('a qins8 file exits non-zero with one line naming the codec to convert to', async () => {
    const src = await convertFixture(root.dir, 'tiny-qwen2-chat', 'qins8');
    const r = await run('export-gguf', src, '-o', join(root.dir, 'never.gguf'));
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--codec q8/);
    expect(entries(root.dir)).not.toContain('never.gguf');
  });
});
