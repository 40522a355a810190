// The native encoders on hand-made inputs: exact codes where the format pins them down, every
// SIMD encoder set against the generic one, padding, codebook agreement with TypeScript.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeTensor } from '../../../src-main/engine/convert/decode.js';
import { f16ToF32, Q4_CODEBOOK, Q8_CODEBOOK, qins8Codebook, inverse4Codebook } from '../../../src-main/engine/convert/codecs.js';
import { loadNativeCodecs, type EncodeJob, type NativeCodecName, type NativeIsa } from '../../../src-main/engine/convert/native-codecs.js';
import { loadNative } from '../../../src-main/engine/native.js';
import type { Codebook, TensorEntry } from '../../../src-main/engine/format/qins-format.js';
import { normals } from './helpers.js';

const native = loadNativeCodecs();
const f32bytes = (v: Float32Array): Uint8Array => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

interface Encoded {
  codes: Uint8Array;
  scales: Uint8Array;
  signs: Uint8Array;
  sumsq: number;
  errsq: number;
}

async function encode(codec: NativeCodecName, w: Float32Array, rows: number, cols: number, extra: Partial<EncodeJob> = {}): Promise<Encoded> {
  const cp = Math.ceil(cols / 32) * 32;
  const four = codec === 'q4' || codec === 'qins4';
  const codes = new Uint8Array(rows * (codec === 'qins-seed' ? cols : four ? cp / 2 : cp));
  const scales = new Uint8Array(rows * (cp / 32) * 2);
  const signs = new Uint8Array(rows * Math.ceil(cols / 8));
  const r = await native.encode({
    codec,
    src: f32bytes(w),
    dtype: 'F32',
    rows,
    cols,
    codes,
    scales: codec === 'qins-seed' ? undefined : scales,
    signs: codec === 'qins-seed' ? signs : undefined,
    ...extra,
  });
  return { codes, scales, signs, ...r };
}
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

function decode(codec: TensorEntry['codec'], e: Encoded, rows: number, cols: number, cb?: Codebook, scale?: number): Float32Array {
  const entry: TensorEntry = { name: 't', shape: [rows, cols], codec, offset: 0, bytes: 0, crc32: 0, parts: {}, block: 32, scale };
  return decodeTensor(entry, cb, { codes: e.codes, scales: e.scales, signs: e.signs });
}

const errOf = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0);

describe('codebooks', () => {
  it('qins8 codebooks agree between TypeScript and C++: segments E · (B + j) starting on (1 + c) / (k + c)', () => {
    for (const c of [0, 0.25, 1, 7.5, 8, 29.75, 64, 100]) {
      const ts = qins8Codebook(c);
      expect(Array.from(native.qins8Codebook(c))).toEqual(ts.ints);
      expect(ts.kind).toBe('inverse-segments');
      expect(ts.ints[0]).toBe(0);
      expect(ts.ints[128]).toBe(0);
      expect(ts.denom).toBe(ts.ints[127]);
      expect(ts.ints[128 + 5]).toBe(-ts.ints[5]!);
      let prevTop = -1;
      for (let m = 0; m < 8; m++) {
        const e = ts.ints[16 * m + 1]! - ts.ints[16 * m]!;
        expect(e).toBeGreaterThanOrEqual(1);
        expect(e).toBeLessThanOrEqual(127);
        expect(ts.ints[16 * m]! % e).toBe(0);
        const b = ts.ints[16 * m]! / e;
        expect(b).toBeLessThanOrEqual(240);
        for (let j = 0; j < 16; j++) expect(ts.ints[16 * m + j]).toBe(e * (b + j));
        expect(ts.ints[16 * m]!).toBeGreaterThan(prevTop); // ascending, disjoint
        prevTop = ts.ints[16 * m + 15]!;
        // segment starts follow the offset-inverse curve, to the integer rounding of the steps
        if (m > 0 && c >= 2) {
          const k = 1 + 16 * (8 - m);
          expect(Math.abs(ts.ints[16 * m]! / ts.denom - (1 + c) / (k + c))).toBeLessThan(0.03);
        }
      }
      // above the first segment, the steps grow towards the top (the inverse-magnitude shape)
      if (c >= 2) for (let m = 2; m < 8; m++) expect(ts.ints[16 * m + 1]! - ts.ints[16 * m]!).toBeGreaterThanOrEqual(ts.ints[16 * m - 15]! - ts.ints[16 * m - 16]!);
    }
  });

  it('the inverse-family init codebook is ascending, int8-exact, holds -127 and 0', () => {
    for (const c of [0, 1, 4, 16]) {
      const ints = Array.from(native.inverse4Codebook(c));
      expect(ints).toHaveLength(16);
      expect(ints[0]).toBe(-127);
      expect(ints).toContain(0);
      for (let i = 1; i < 16; i++) expect(ints[i]!).toBeGreaterThan(ints[i - 1]!);
      expect(Math.max(...ints.map(Math.abs))).toBeLessThanOrEqual(127);
    }
  });
});

describe('exact codes', () => {
  it('q8: q = round(127 w / max|w|) per block, fp16 scale = max|w|', async () => {
    const w = new Float32Array(32).map((_, i) => (i - 16) / 16); // -1 .. 0.9375
    const e = await encode('q8', w, 1, 32);
    expect(f16ToF32(e.scales[0]! | (e.scales[1]! << 8))).toBe(1);
    expect((e.codes[0]! << 24) >> 24).toBe(-127);
    expect((e.codes[16]! << 24) >> 24).toBe(0);
    expect((e.codes[24]! << 24) >> 24).toBe(Math.round((127 * 8) / 16));
  });

  it('q4: the block extreme maps to code 0 (−8), others to round(8 w / −extreme) + 8', async () => {
    const w = new Float32Array(32).fill(0.25);
    w[5] = -2;
    w[6] = 1;
    const e = await encode('q4', w, 1, 32);
    const s = f16ToF32(e.scales[0]! | (e.scales[1]! << 8));
    expect(s).toBe(2);
    const code = (j: number): number => (j < 16 ? e.codes[j]! & 15 : e.codes[j - 16]! >> 4);
    expect(code(5)).toBe(0);
    expect(code(6)).toBe(12); // 1 / 2 * 8 + 8
    expect(code(0)).toBe(9); // 0.25 / 2 * 8 = 1 → 9
    expect(decode('q4', e, 1, 32, Q4_CODEBOOK)[5]).toBe(-2);
  });

  it('qins8: weights on the codebook levels · scale come back exactly', async () => {
    const c = 8;
    const cb = qins8Codebook(c);
    const w = new Float32Array(32);
    for (let j = 0; j < 32; j++) w[j] = ((j % 2 ? -1 : 1) * cb.ints[(j * 4) % 128 || 1]!) / cb.denom;
    w[0] = 1; // the block maximum: the top level
    const e = await encode('qins8', w, 1, 32, { ints: Int32Array.from(cb.ints), denom: cb.denom, c });
    for (let j = 0; j < 32; j++) {
      const k = (j * 4) % 128 || 1;
      expect(e.codes[j], `column ${j}`).toBe(j === 0 ? 127 : j % 2 ? 128 + k : k);
    }
    expect(e.errsq).toBeLessThan(1e-12);
  });

  it('qins8 rejects ints that do not match c', async () => {
    const cb = qins8Codebook(8);
    await expect(encode('qins8', new Float32Array(32), 1, 32, { ints: Int32Array.from(cb.ints), denom: cb.denom, c: 7 })).rejects.toThrow(/do not match/);
  });

  it('qins-seed: stored = round(max|w| / |w|) in 1..255, sign apart, w = ±scale / stored', async () => {
    const w = Float32Array.from([0.5, -0.25, 0.1, 0, -0.5, 0.0019, 0.0021, 0.3]);
    const e = await encode('qins-seed', w, 1, 8, { seedScale: 0.5 });
    expect(Array.from(e.codes)).toEqual([1, 2, 5, 255, 1, 255, 238, 2]);
    expect(e.signs[0]).toBe(0b00010010);
    const d = decode('qins-seed', e, 1, 8, undefined, 0.5);
    expect(d[1]).toBeCloseTo(-0.25, 7);
    expect(d[3]).toBeCloseTo(0.5 / 255, 7); // the seed has no zero: 0 decodes to scale / 255
  });
});

const cpu = loadNative().cpuInfo();
const simdSets = cpu.available.filter((i) => i !== 'generic') as NativeIsa[];

describe('instruction sets', () => {
  it("'auto' is the engine's choice (QINS_KERNELS when set), and sets this CPU lacks are refused", () => {
    const saved = process.env.QINS_KERNELS;
    try {
      delete process.env.QINS_KERNELS;
      expect(native.isa).toBe(cpu.best);
      process.env.QINS_KERNELS = 'generic';
      expect(native.isa).toBe('generic');
      const missing = (['generic', 'avx2', 'avxvnni', 'avx512', 'neon'] as const).find((i) => !cpu.available.includes(i));
      if (missing) {
        process.env.QINS_KERNELS = missing;
        expect(native.isa).toBeNull();
        const job = { codec: 'q8', src: new Uint8Array(128), dtype: 'F32', rows: 1, cols: 32, codes: new Uint8Array(32), scales: new Uint8Array(2) } as const;
        expect(() => native.encode(job)).toThrow(new RegExp(`isa: kernel set '${missing}' is not available on this CPU`));
        expect(() => native.encode({ ...job, isa: missing })).toThrow(/not available on this CPU or build \(available: generic/);
      }
    } finally {
      if (saved === undefined) delete process.env.QINS_KERNELS;
      else process.env.QINS_KERNELS = saved;
    }
    expect(() =>
      native.encode({ codec: 'q8', src: new Uint8Array(128), dtype: 'F32', rows: 1, cols: 32, codes: new Uint8Array(32), scales: new Uint8Array(2), isa: 'scalar' as never }),
    ).toThrow(/unknown kernel set 'scalar' \(expected auto, generic, avx2, avxvnni, avx512 or neon\)/);
  });
});

describe.each(simdSets.map((isa) => [isa]))('the %s encoders against the generic ones', (isa) => {
  const rows = 40;
  for (const cols of [3072, 100]) {
    const w = normals(rows * cols, 0.02, cols);
    w[7] = 0.5; // an outlier
    for (let j = 0; j < 32; j++) w[cols + j] = 0; // an all-zero block
    it.each([['q8'], ['qins8'], ['q4']])(`%s, ${cols} columns: identical codes, scales and error sums`, async (codec) => {
      const cb = qins8Codebook(7.25);
      const extra = codec === 'qins8' ? { ints: Int32Array.from(cb.ints), denom: cb.denom, c: 7.25 } : {};
      const a = await encode(codec as NativeCodecName, w, rows, cols, { ...extra, isa: 'generic' });
      const b = await encode(codec as NativeCodecName, w, rows, cols, { ...extra, isa });
      expect(same(b.codes, a.codes)).toBe(true);
      expect(same(b.scales, a.scales)).toBe(true);
      expect(b.errsq).toBe(a.errsq);
      expect(b.sumsq).toBe(a.sumsq);
    });
    it.each([
      ['tuned-like', [-127, -89, -65, -49, -36, -25, -13, 0, 11, 21, 29, 38, 49, 64, 83, 109]],
      ['crowded (bucket table unusable)', [-127, -60, -50, -40, -30, -20, -10, -5, 0, 3, 6, 10, 20, 40, 80, 127]],
    ])(`qins4 with a %s codebook, ${cols} columns: identical codes, scales and error sums`, async (_n, ints) => {
      for (const weighting of [0, 1, 2] as const) {
        const extra = { ints: Int32Array.from(ints), denom: 127, search: 4, weighting };
        const a = await encode('qins4', w, rows, cols, { ...extra, isa: 'generic' });
        const b = await encode('qins4', w, rows, cols, { ...extra, isa });
        // every set sums each block in the same order, so even the scale search's near ties agree
        expect(same(b.codes, a.codes)).toBe(true);
        expect(same(b.scales, a.scales)).toBe(true);
        expect(b.errsq).toBe(a.errsq);
      }
    });
  }
  it('tuning: the same qins8 c and qins4 codebook', async () => {
    const w = normals(32 * 256, 0.02, 21);
    const job = { src: f32bytes(w), dtype: 'F32', rows: 32, cols: 256 } as const;
    const [a8, b8] = await Promise.all([native.tuneQins8({ ...job, isa: 'generic' }), native.tuneQins8({ ...job, isa })]);
    expect(b8.c).toBe(a8.c);
    expect(b8.curve).toEqual(a8.curve);
    const t4 = { ...job, search: 1, iterations: 4, cdRounds: 1 };
    const [a4, b4] = await Promise.all([native.tuneQins4({ ...t4, isa: 'generic' }), native.tuneQins4({ ...t4, isa })]);
    expect(Array.from(b4.ints)).toEqual(Array.from(a4.ints));
    expect(b4.errsq).toBe(a4.errsq);
  });
});

describe('rows read from the file, CRC of the codes', () => {
  it('fd + offset codes what src codes, crc continues zlib\'s CRC-32, a file that ends early rejects with code EOF', async () => {
    const rows = 12;
    const cols = 200;
    const w = normals(rows * cols, 0.02, 31);
    const dir = mkdtempSync(join(tmpdir(), 'qins-codecs-'));
    const file = join(dir, 'rows.bin');
    writeFileSync(file, Buffer.concat([Buffer.alloc(100, 7), Buffer.from(f32bytes(w))]));
    const fd = openSync(file, 'r');
    try {
      for (const codec of ['q8', 'q4'] as const) {
        const a = await encode(codec, w, rows, cols);
        const b = await encode(codec, w, rows, cols, { src: undefined, fd, offset: 100, crc: 0x1234abcd, threads: 3 });
        expect(same(b.codes, a.codes)).toBe(true);
        expect(same(b.scales, a.scales)).toBe(true);
        expect(b.errsq).toBe(a.errsq);
        expect((b as unknown as { crc: number }).crc).toBe(crc32(b.codes, 0x1234abcd));
      }
      await expect(encode('q8', w, rows, cols, { src: undefined, fd, offset: 200 })).rejects.toMatchObject({
        code: 'EOF',
        message: expect.stringMatching(/reading the source: the file ended early/),
      });
      expect(() => native.encode({ codec: 'q8', src: f32bytes(w), fd, offset: 0, dtype: 'F32', rows, cols, codes: new Uint8Array(rows * 224), scales: new Uint8Array(rows * 14) })).toThrow(
        /either src or fd/,
      );
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('decoding what the encoders wrote', () => {
  const rows = 8;
  const cols = 100; // 4 blocks, the last one padded
  const w = normals(rows * cols, 0.05, 3);
  it.each([['q8'], ['qins8'], ['q4'], ['qins4']])('%s: the TypeScript decoder reproduces the error the encoder reports', async (codec) => {
    let cb: Codebook;
    let extra: Partial<EncodeJob> = {};
    if (codec === 'qins8') {
      cb = qins8Codebook(6);
      extra = { ints: Int32Array.from(cb.ints), denom: cb.denom, c: 6 };
    } else if (codec === 'qins4') {
      const t = await native.tuneQins4({ src: f32bytes(w), dtype: 'F32', rows, cols, search: 2, anchorZero: true });
      expect(Array.from(t.ints)).toContain(0);
      cb = inverse4Codebook(t.ints, t.initC);
      extra = { ints: t.ints, denom: 127, search: 2 };
    } else cb = codec === 'q8' ? Q8_CODEBOOK : Q4_CODEBOOK;
    const e = await encode(codec as NativeCodecName, w, rows, cols, extra);
    const d = decode(codec as TensorEntry['codec'], e, rows, cols, cb);
    expect(errOf(w, d)).toBeCloseTo(e.errsq, 8);
    // padded columns hold the zero code
    const cp = 128;
    if (codec === 'q8' || codec === 'qins8') for (let r = 0; r < rows; r++) for (let c = cols; c < cp; c++) expect(e.codes[r * cp + c]).toBe(0);
  });
});

describe('tuning', () => {
  it('qins8: the chosen c minimises the error over the grid it reports', async () => {
    const w = normals(64 * 256, 0.02, 9);
    const r = await native.tuneQins8({ src: f32bytes(w), dtype: 'F32', rows: 64, cols: 256 });
    const min = Math.min(...r.curve.map(([, e]) => e));
    expect(r.errsq).toBe(min);
    expect(r.curve.find(([c]) => c === r.c)![1]).toBe(min);
    expect(r.c).toBeGreaterThan(0); // c = 0 (the plain inverse code) is far from optimal
    expect(r.curve.find(([c]) => c === 0)![1]).toBeGreaterThan(3 * min);
  });

  it('qins4: the tuned codebook beats its inverse-family start and the linear q4 code', async () => {
    const rows = 64;
    const cols = 256;
    const w = normals(rows * cols, 0.02, 11);
    const t = await native.tuneQins4({ src: f32bytes(w), dtype: 'F32', rows, cols, search: 2, iterations: 8 });
    const start = await encode('qins4', w, rows, cols, { ints: native.inverse4Codebook(t.initC), denom: 127, search: 2 });
    const tuned = await encode('qins4', w, rows, cols, { ints: t.ints, denom: 127, search: 2 });
    const q4 = await encode('q4', w, rows, cols);
    expect(tuned.errsq).toBeLessThan(start.errsq);
    expect(tuned.errsq).toBeLessThan(q4.errsq);
    expect(Math.abs(tuned.errsq - t.errsq) / t.errsq).toBeLessThan(1e-6);
  });

  it('qins4: coordinate descent and a warm start never end worse than where they started', async () => {
    const rows = 64;
    const cols = 256;
    const w = normals(rows * cols, 0.02, 12);
    const src = f32bytes(w);
    const cold = await native.tuneQins4({ src, dtype: 'F32', rows, cols, search: 1, iterations: 8, cdRounds: 4 });
    const plain = await native.tuneQins4({ src, dtype: 'F32', rows, cols, search: 1, iterations: 8 });
    expect(cold.errsq).toBeLessThanOrEqual(plain.errsq);
    const start = Int32Array.from([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]);
    const startErr = (await encode('qins4', w, rows, cols, { ints: start, denom: 127, search: 1 })).errsq;
    const warm = await native.tuneQins4({ src, dtype: 'F32', rows, cols, search: 1, iterations: 4, cdRounds: 2, init: start, initC: 0, anchorZero: false });
    expect(warm.errsq).toBeLessThanOrEqual(startErr * (1 + 1e-9));
    expect(Array.from(warm.ints)[0]).toBe(-127);
    // with 0 required (padded widths), a start without 0 gets one and the result keeps it
    const anchored = await native.tuneQins4({ src, dtype: 'F32', rows, cols, search: 1, iterations: 4, cdRounds: 2, init: start, initC: 0, anchorZero: true });
    expect(Array.from(anchored.ints)).toContain(0);
  });

  it('rejects malformed jobs with a clear error', () => {
    // argument errors throw synchronously, before any work is queued
    expect(() => native.encode({ codec: 'q8', src: new Uint8Array(10), dtype: 'F32', rows: 1, cols: 32, codes: new Uint8Array(32), scales: new Uint8Array(2) })).toThrow(
      /src size/,
    );
    expect(() => native.encode({ codec: 'q8', src: new Uint8Array(128), dtype: 'F32', rows: 1, cols: 32, codes: new Uint8Array(31), scales: new Uint8Array(2) })).toThrow(
      /codes size/,
    );
    expect(() => native.encode({ codec: 'nope' as never, src: new Uint8Array(4), dtype: 'F32', rows: 1, cols: 1, codes: new Uint8Array(32) })).toThrow(/unknown codec/);
  });
});
