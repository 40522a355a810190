// The .qins format version: version 2 files (qins8 as inverse segments) and version 1 files (qins8 as
// the plain offset-inverse table) both load and run on every kernel set of this CPU; other versions
// and a preamble that disagrees with the header are refused with one line that names the command
// that converts the checkpoint again. The forward passes of the kernel sets agree.
import { copyFileSync, openSync, readFileSync, writeFileSync, closeSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNative } from '../../../src-main/engine/native.js';
import { openQinsBackend } from '../../../src-main/engine/qins-backend.js';
import { QINS_FORMAT_VERSION, readQinsHeader } from '../../../src-main/engine/format/qins-format.js';
import { converted, workDir } from './helpers.js';

const PROMPT = Int32Array.from([1, 32010, 1724, 947, 376, 8222, 272, 29908, 2099, 29973, 32007, 32001]);

/** Rewrites a .qins file's header in place (same length: the writer pads the header with spaces). */
function rewriteHeader(src: string, dst: string, edit: (h: Record<string, unknown>) => void, preambleVersion?: number): void {
  copyFileSync(src, dst);
  const buf = readFileSync(dst);
  const len = Number(buf.readBigUInt64LE(8));
  const h = JSON.parse(buf.toString('utf8', 16, 16 + len)) as Record<string, unknown>;
  edit(h);
  const json = Buffer.from(JSON.stringify(h), 'utf8');
  if (json.length > len) throw new Error('edited header is longer than the original');
  const region = Buffer.alloc(len, 0x20);
  json.copy(region);
  const fd = openSync(dst, 'r+');
  try {
    writeSync(fd, region, 0, len, 16);
    const v = Buffer.alloc(4);
    v.writeUInt32LE(preambleVersion ?? (h.version as number));
    writeSync(fd, v, 0, 4, 4);
  } finally {
    closeSync(fd);
  }
}

/** The format 1 qins8 table: round(32767 (1 + c) / (k + c)), k = 1..127, zero at 0 and 128. */
function v1Table(c: number): number[] {
  const ints = new Array<number>(256).fill(0);
  for (let k = 1; k <= 127; k++) {
    const v = Math.floor(((1 + c) / (k + c)) * 32767 + 0.5);
    ints[k] = v;
    ints[128 + k] = -v;
  }
  return ints;
}

async function lastLogits(file: string, kernels: string, prompt: Int32Array): Promise<Float32Array> {
  const b = await openQinsBackend(file, { threads: 2, contextLength: 64, kernels: kernels as 'generic' });
  try {
    return await b.forward(prompt, 0);
  } finally {
    await b.dispose();
  }
}

const argmax = (a: Float32Array): number => a.reduce((best, v, i) => (v > a[best]! ? i : best), 0);

/**
 * Every kernel set against the generic kernels, one token (decode kernels) and twelve (prefill
 * kernels). The kernels differ only in float summation order (exactly checked by
 * native/test/kernel_test.cpp), but through the model the activations are quantized to int8 before
 * every coded matrix product, and a value that sits on a rounding boundary can round the other
 * way after a different summation order; so the check here is the top token and a 0.5 bound on the
 * logits (measured differences: up to 0.14) — a wrong decode moves logits by whole units.
 */
async function agree(file: string, label: string): Promise<void> {
  for (const [prompt, tol] of [
    [PROMPT.slice(0, 1), 0.5],
    [PROMPT, 0.5],
  ] as const) {
    const ref = await lastLogits(file, 'generic', prompt);
    expect(ref.every(Number.isFinite)).toBe(true);
    for (const k of sets().filter((s) => s !== 'generic')) {
      const got = await lastLogits(file, k, prompt);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i]! - ref[i]!));
      expect(worst, `${label} ${k}, ${prompt.length} tokens`).toBeLessThan(tol);
      expect(argmax(got), `${label} ${k}, ${prompt.length} tokens`).toBe(argmax(ref));
    }
  }
}

const sets = (): string[] => loadNative().cpuInfo().available;

describe('format versions', () => {
  it('the converter writes version 2 with the segment codebook for qins8', async () => {
    const f = await converted('tiny-phi3', 'qins8');
    const { header } = await readQinsHeader(f);
    expect(QINS_FORMAT_VERSION).toBe(2);
    expect(header.version).toBe(2);
    const cb = Object.values(header.codebooks)[0]!;
    expect(cb.kind).toBe('inverse-segments');
    expect(readFileSync(f).readUInt32LE(4)).toBe(2);
  });

  it('a version 1 qins8 file (offset-inverse table) still loads, and every kernel set computes the same logits', async () => {
    const v1 = join(workDir, 'tiny-phi3-qins8-v1.qins');
    rewriteHeader(await converted('tiny-phi3', 'qins8'), v1, (h) => {
      h.version = 1;
      for (const cb of Object.values(h.codebooks as Record<string, { kind: string; ints: number[]; denom: number; c?: number }>)) {
        cb.kind = 'offset-inverse';
        cb.ints = v1Table(8);
        cb.denom = 32767;
        cb.c = 8;
      }
    });
    expect((await readQinsHeader(v1)).header.version).toBe(1);
    await agree(v1, 'qins8 format 1');
  });

  it('version 2 files: every kernel set agrees with the generic kernels for each codec, one token and a prefill', async () => {
    for (const codec of ['qins8', 'q8', 'qins4', 'q4', 'qins-seed'] as const) await agree(await converted('tiny-phi3', codec), codec);
  });

  it('another version, or a preamble that disagrees with the header, is refused naming the command to convert again', async () => {
    const f = await converted('tiny-phi3', 'q8');
    const v3 = join(workDir, 'tiny-phi3-q8-v3.qins');
    copyFileSync(f, v3);
    const b = readFileSync(v3);
    b.writeUInt32LE(3, 4);
    writeFileSync(v3, b);
    await expect(readQinsHeader(v3)).rejects.toThrow(/unsupported format version 3 .*qins convert <checkpoint>/);
    const mixed = join(workDir, 'tiny-phi3-q8-mixed.qins');
    rewriteHeader(f, mixed, (h) => void (h.version = 1), 2);
    await expect(readQinsHeader(mixed)).rejects.toThrow(/header says version 1, the preamble 2/);
  });
});
