// Memory figures of the native engine are measured, not assumed: the resident part of the mapped
// file (against the kernel's own Rss of the mapping on Linux), and the KV cache positions in use
// against the positions reserved.
import { readFileSync, rmSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openQinsBackend } from '../../../src-main/engine/qins-backend.js';
import { converted, loadGolden, workDir } from './helpers.js';

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const linux = process.platform === 'linux';
const prompt = (): Int32Array => Int32Array.from(loadGolden('tiny-phi3').prompts[2]!.ids);

/** Sum of the Rss lines of this process's mappings of `file` (/proc/self/smaps), in bytes. */
function smapsRss(file: string): number {
  let rss = 0;
  let inFile = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s+(.*)$/.exec(line);
    if (head) inFile = head[1] === file;
    else if (inFile && line.startsWith('Rss:')) rss += Number(/(\d+)/.exec(line)![1]) * 1024;
  }
  return rss;
}

describe('resident weight bytes', () => {
  it('a fresh mapping holds little of the file; a forward pass over every layer faults more in, never above the file size', async () => {
    const file = await converted('tiny-phi3', 'f32');
    const size = statSync(file).size;
    const b = await openQinsBackend(file, { threads: 2, contextLength: 64, prefault: false });
    try {
      expect(b.memory().mappedBytes).toBe(size);
      const fresh = await b.residentWeightBytes();
      expect(fresh).not.toBeNull();
      expect(fresh!).toBeGreaterThanOrEqual(0);
      // Linux counts pages this process has mapped; mincore (macOS) also counts the file's pages
      // other processes left in memory, so "little" holds only here.
      if (linux) expect(fresh!).toBeLessThan(size / 4);
      await b.forward(prompt(), 0);
      const after = await b.residentWeightBytes();
      expect(after!).toBeLessThanOrEqual(size);
      if (linux) {
        // Every layer and the output matrix (~half the file; the embedding table is only indexed).
        expect(after!).toBeGreaterThan(fresh! + size / 4);
        // The kernel's own figure for the mapping (it counts the last page whole).
        const rss = smapsRss(file);
        expect(Math.abs(rss - after!)).toBeLessThan(4096);
      }
      await b.forward(prompt(), 0);
      expect((await b.residentWeightBytes())!).toBeGreaterThanOrEqual(after!);
    } finally {
      await b.dispose();
    }
  }, 120_000);

  it('prefault maps the whole file, and a disposed model measures nothing', async () => {
    const file = await converted('tiny-phi3', 'f32');
    const size = statSync(file).size;
    const b = await openQinsBackend(file, { threads: 1, contextLength: 16, prefault: true });
    try {
      const resident = await b.residentWeightBytes();
      expect(resident).not.toBeNull();
      if (linux) {
        expect(resident).toBe(size);
        expect(Math.abs(smapsRss(file) - size)).toBeLessThan(4096);
      } else expect(resident!).toBeLessThanOrEqual(size);
    } finally {
      await b.dispose();
    }
    expect(await b.residentWeightBytes()).toBeNull();
  }, 120_000);
});

describe("read bandwidth of the model's own weight pages", () => {
  it('streams the whole mapped file with the engine threads, takes options, refuses bad ones and stops with the model', async () => {
    const file = await converted('tiny-llama', 'q8');
    const size = statSync(file).size;
    const b = await openQinsBackend(file, { threads: 2, contextLength: 16 });
    const native = (b as unknown as { model: import('../../../src-main/engine/native.js').NativeModel }).model;
    try {
      const r = await b.weightsReadBandwidth();
      // the whole file, split in multiples of 256 bytes per thread
      expect(r.bytes).toBeLessThanOrEqual(size);
      expect(r.bytes).toBeGreaterThan(size - 2 * 256);
      expect(r.threads).toBe(2);
      expect(r.repeats).toBe(3);
      expect(r.passes).toBe(1);
      expect(r.gbs).toBeGreaterThan(0);
      expect(r.worstGbs).toBeLessThanOrEqual(r.gbs);
      expect(r.hugePagesRequested).toBe(false);
      const part = await native.streamWeights({ bytes: 1 << 20, threads: 1, repeats: 2, passes: 2 });
      expect(part).toMatchObject({ bytes: 1 << 20, threads: 1, repeats: 2, passes: 2 });
      await expect(native.streamWeights({ bytes: size + 4096 })).rejects.toThrow(/streamWeights: bytes is larger than the mapped file/);
      await expect(native.streamWeights({ threads: 0 })).rejects.toThrow(/streamWeights: .*threads 1\.\.256/);
      await expect(native.streamWeights({ repeats: 'x' as unknown as number })).rejects.toThrow(/streamWeights: /);
      // decoding still works afterwards
      expect((await b.forward(Int32Array.of(1, 2, 3), 0)).length).toBe(b.spec.vocab_size);
    } finally {
      await b.dispose();
    }
    await expect(b.weightsReadBandwidth()).rejects.toThrow(/disposed/);
    await expect(native.streamWeights()).rejects.toThrow(/disposed/);
  }, 120_000);
});

describe('KV cache in use', () => {
  it('equals positions held × bytes per position of the KV type, follows rewinds and drops on reset', async () => {
    const file = await converted('tiny-llama', 'q8');
    const ids = Int32Array.from({ length: 12 }, (_, i) => 100 + i * 7);
    for (const kvType of ['f32', 'f16', 'q8'] as const) {
      const b = await openQinsBackend(file, { threads: 1, contextLength: 100, kvType });
      try {
        const s = b.spec;
        // q8: per head, blocks of 32 values as int8 plus an fp16 scale each
        const perHead = kvType === 'q8' ? Math.ceil(s.head_dim / 32) * 34 : s.head_dim * (kvType === 'f32' ? 4 : 2);
        const perPosition = s.num_layers * 2 * s.num_kv_heads * perHead;
        expect(b.info.kvType).toBe(kvType);
        expect(b.memory()).toMatchObject({ kvBytes: 100 * perPosition, kvBytesUsed: 0 });
        await b.forward(ids.subarray(0, 7), 0);
        expect(b.memory().kvBytesUsed).toBe(7 * perPosition);
        await b.forward(ids.subarray(7, 10), 7);
        expect(b.memory().kvBytesUsed).toBe(10 * perPosition);
        // Rewinding overwrites from there: what lies beyond is no longer held.
        await b.forward(ids.subarray(0, 2), 4);
        expect(b.memory().kvBytesUsed).toBe(6 * perPosition);
        // A call the engine refuses leaves the positions before it.
        await expect(b.forward(ids, 95)).rejects.toThrow();
        expect(b.memory().kvBytesUsed).toBe(6 * perPosition);
        b.resetCache();
        expect(b.memory()).toMatchObject({ kvBytes: 100 * perPosition, kvBytesUsed: 0 });
        await b.forward(ids.subarray(0, 3), 0);
        expect(b.memory().kvBytesUsed).toBe(3 * perPosition);
      } finally {
        await b.dispose();
      }
    }
  }, 120_000);
});
