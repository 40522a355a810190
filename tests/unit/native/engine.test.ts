// Behaviour of the native engine beyond the golden gates: KV-cache semantics, every codec and kernel
// set, clear errors for bad input (never a crash), async calls that leave the JS thread free, and
// disposal while a call is in flight.
import { closeSync, copyFileSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QINS_PREAMBLE_BYTES, readQinsHeader, type QinsHeader } from '../../../src-main/engine/format/qins-format.js';
import { loadNative } from '../../../src-main/engine/native.js';
import { nativeDescription, openQinsBackend } from '../../../src-main/engine/qins-backend.js';
import { argmax, converted, loadGolden, maxAbsDiff, workDir } from './helpers.js';

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Copies a .qins file with its header JSON rewritten in place (same length, so offsets stay valid). */
function withHeader(src: string, dst: string, mutate: (h: QinsHeader) => void): string {
  copyFileSync(src, dst);
  const buf = readFileSync(src);
  const len = Number(buf.readBigUInt64LE(8));
  const h = JSON.parse(buf.subarray(QINS_PREAMBLE_BYTES, QINS_PREAMBLE_BYTES + len).toString('utf8')) as QinsHeader;
  mutate(h);
  const json = Buffer.from(JSON.stringify(h), 'utf8');
  if (json.length > len) throw new Error('mutated header is longer than the original');
  const padded = Buffer.concat([json, Buffer.alloc(len - json.length, 0x20)]);
  const fd = openSync(dst, 'r+');
  writeSync(fd, padded, 0, padded.length, QINS_PREAMBLE_BYTES);
  closeSync(fd);
  return dst;
}

const prompt = (): Int32Array => Int32Array.from(loadGolden('tiny-phi3').prompts[2]!.ids);

describe('KV cache semantics', () => {
  it('one call, token-by-token and chunked prefill give the same logits; later positions are overwritten', async () => {
    const b = await openQinsBackend(await converted('tiny-phi3', 'f32'), { threads: 2, contextLength: 256 });
    try {
      const ids = prompt();
      const n = ids.length;
      const whole = await b.forward(ids, 0);
      let step: Float32Array = new Float32Array();
      for (let i = 0; i < n; i++) step = await b.forward(ids.subarray(i, i + 1), i);
      expect(maxAbsDiff(step, whole)).toBeLessThan(2e-4);
      await b.forward(ids.subarray(0, 7), 0);
      await b.forward(ids.subarray(7, 20), 7);
      const chunked = await b.forward(ids.subarray(20), 20);
      expect(maxAbsDiff(chunked, whole)).toBeLessThan(2e-4);
      // Overwrite the tail with other tokens, then restore it: the logits follow the cache.
      const other = ids.slice(10).map((t) => (t + 17) % 32000);
      const changed = await b.forward(other, 10);
      expect(maxAbsDiff(changed, whole)).toBeGreaterThan(1e-2);
      const restored = await b.forward(ids.subarray(10), 10);
      expect(maxAbsDiff(restored, whole)).toBeLessThan(2e-4);
      // allLogits: the last row equals the last-token logits.
      const all = await b.forward(ids, 0, { allLogits: true });
      expect(all.length).toBe(n * b.spec.vocab_size);
      expect(maxAbsDiff(all, whole, (n - 1) * b.spec.vocab_size)).toBe(0);
    } finally {
      await b.dispose();
    }
  }, 300_000);

  it('an f16 KV cache halves the KV bytes and stays close to the f32 cache', async () => {
    const file = await converted('tiny-phi3', 'bf16');
    const g = loadGolden('tiny-phi3');
    const f32 = await openQinsBackend(file, { threads: 2, contextLength: 2048, kvType: 'f32' });
    const f16 = await openQinsBackend(file, { threads: 2, contextLength: 2048, kvType: 'f16' });
    try {
      expect(f16.memory().kvBytes * 2).toBe(f32.memory().kvBytes);
      expect(f16.info.kvType).toBe('f16');
      let worst = 0;
      for (const p of g.prompts) {
        const a = await f32.forward(Int32Array.from(p.ids), 0);
        const c = await f16.forward(Int32Array.from(p.ids), 0);
        worst = Math.max(worst, maxAbsDiff(c, a));
        expect(argmax(c)).toBe(argmax(a));
      }
      console.log(`f16 KV cache: max |logit diff| vs f32 KV over the 8 golden prompts ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(2e-2);
    } finally {
      await f32.dispose();
      await f16.dispose();
    }
  }, 300_000);

  it('longrope switches to the long factors when a call reaches past original_max_position_embeddings', async () => {
    const b = await openQinsBackend(await converted('tiny-phi3', 'f32'), { threads: 2, contextLength: 4200 });
    try {
      const V = b.spec.vocab_size;
      const orig = b.spec.rope.original_max_position_embeddings!;
      expect(orig).toBe(4096);
      const ids = prompt().subarray(0, 4);
      await b.forward(ids, 0);
      // The same token at position orig - 1: alone (sequence = orig, short factors) and followed by
      // one more token (sequence = orig + 1: the whole call uses the long factors, as transformers does).
      const alone = await b.forward(Int32Array.of(ids[0]!), orig - 1);
      const pair = await b.forward(Int32Array.of(ids[0]!, ids[1]!), orig - 1, { allLogits: true });
      expect(maxAbsDiff(pair.subarray(0, V), alone)).toBeGreaterThan(1e-3);
      // Without crossing, splitting a call does not change anything.
      const a1 = await b.forward(Int32Array.of(ids[0]!), 100);
      const a2 = await b.forward(Int32Array.of(ids[0]!, ids[1]!), 100, { allLogits: true });
      expect(maxAbsDiff(a2.subarray(0, V), a1)).toBeLessThan(1e-5);
    } finally {
      await b.dispose();
    }
  }, 300_000);
});

describe('codecs and kernel sets', () => {
  const codecs = ['qins8', 'q8', 'qins4', 'q4', 'qins-seed'] as const;
  for (const codec of codecs) {
    it(`${codec}: the best kernel set agrees with the generic one; int8 activations stay close to float activations`, async () => {
      const file = await converted('tiny-phi3', codec);
      const ids = prompt();
      const cpu = loadNative().cpuInfo();
      const best = await openQinsBackend(file, { threads: 2, contextLength: 128 });
      const gen = await openQinsBackend(file, { threads: 2, contextLength: 128, kernels: 'generic' });
      const exact = await openQinsBackend(file, { threads: 2, contextLength: 128, activations: 'f32' });
      try {
        expect(best.codec).toBe(codec);
        expect(best.info.kernels.startsWith(cpu.best)).toBe(true);
        expect(gen.info.kernels).toBe('generic');
        const V = best.spec.vocab_size;
        const n = ids.length;
        const a = await best.forward(ids, 0, { allLogits: true });
        const g = await gen.forward(ids, 0, { allLogits: true });
        const e = await exact.forward(ids, 0, { allLogits: true });
        // Each matmul's integer block sums are identical (kernel_test.cpp checks every kernel to
        // 1e-5); across the model, float summation order decides a few activation roundings to
        // int8 differently, so whole-model logits differ by about the activation quantization noise
        // (the int8-vs-float difference), and never change a clear top-1.
        const dk = maxAbsDiff(a, g);
        const da = maxAbsDiff(a, e);
        console.log(`${codec}: max |logit diff| ${best.info.kernels} vs generic ${dk.toExponential(2)}; int8 vs float activations ${da.toExponential(2)}`);
        expect(dk).toBeLessThan(Math.max(2 * da, 0.05));
        expect(da).toBeLessThan(1);
        for (let i = 0; i < n; i++) {
          const top = argmax(e, i * V, V);
          let second = -Infinity;
          for (let v = 0; v < V; v++) if (v !== top) second = Math.max(second, e[i * V + v]!);
          if (e[i * V + top]! - second > 0.5) {
            expect(argmax(a, i * V, V), `${codec} position ${i}`).toBe(top);
            expect(argmax(g, i * V, V), `${codec} position ${i}`).toBe(top);
          }
        }
      } finally {
        await Promise.all([best.dispose(), gen.dispose(), exact.dispose()]);
      }
    }, 300_000);
  }
});

describe('bad input gives clear errors', () => {
  it('rejects files that are not .qins, truncated, or inconsistent with their header', async () => {
    const good = await converted('tiny-llama', 'bf16');
    const notQins = join(workDir, 'not.qins');
    writeFileSync(notQins, 'this is a text file, not a model\n'.repeat(4));
    await expect(openQinsBackend(notQins)).rejects.toThrow(/not a \.qins file|too small/);
    await expect(openQinsBackend(join(workDir, 'missing.qins'))).rejects.toThrow(/cannot open/);

    const truncated = join(workDir, 'truncated.qins');
    copyFileSync(good, truncated);
    truncateSync(truncated, statSync(good).size - 4096);
    await expect(openQinsBackend(truncated)).rejects.toThrow(/outside the payload|truncated/);

    const badBlock = withHeader(good, join(workDir, 'block.qins'), (h) => {
      const t = h.tensors.find((x) => x.name === 'layers.0.qkv')!;
      t.codec = 'q8';
      t.block = 64;
    });
    await expect(openQinsBackend(badBlock)).rejects.toThrow(/tensor layers\.0\.qkv uses block size 64/);

    const missing = withHeader(good, join(workDir, 'missing-tensor.qins'), (h) => {
      h.tensors = h.tensors.filter((x) => x.name !== 'layers.3.down');
    });
    await expect(openQinsBackend(missing)).rejects.toThrow(/missing tensor layers\.3\.down/);

    const wrongShape = withHeader(good, join(workDir, 'shape.qins'), (h) => {
      h.model.intermediate_size = 700;
    });
    await expect(openQinsBackend(wrongShape)).rejects.toThrow(/gate_up has shape \[1536, 256\], expected \[1400, 256\]/);

    const wrongSize = withHeader(good, join(workDir, 'part.qins'), (h) => {
      const t = h.tensors.find((x) => x.name === 'norm')!;
      t.parts.data!.bytes -= 4;
    });
    await expect(openQinsBackend(wrongSize)).rejects.toThrow(/tensor norm part 'data' has 1020 bytes, expected 1024/);

    const arch = withHeader(good, join(workDir, 'arch.qins'), (h) => {
      h.model.rope = { ...h.model.rope, type: 'longrope', short_factor: [1], long_factor: [1], original_max_position_embeddings: 10 };
    });
    await expect(openQinsBackend(arch)).rejects.toThrow(/longrope needs/);

    // The native side re-checks the file against the size the header reader saw.
    const { header, fileBytes } = await readQinsHeader(good);
    await expect(loadNative().openModel(nativeDescription(good, header, fileBytes + 64, {}))).rejects.toThrow(/file size changed/);
    await expect(openQinsBackend(good, { kernels: 'sse9' as never })).rejects.toThrow(/unknown kernel set 'sse9'/);
    await expect(openQinsBackend(good, { threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
    await expect(openQinsBackend(good, { contextLength: 10 ** 9 })).rejects.toThrow(/exceeds the model's max_position_embeddings/);
  }, 300_000);

  it('rejects bad forward calls and keeps working afterwards', async () => {
    const b = await openQinsBackend(await converted('tiny-llama', 'bf16'), { threads: 2, contextLength: 64 });
    try {
      await expect(b.forward(Int32Array.of(5, 40000), 0)).rejects.toThrow(/token id 40000 is outside the vocabulary/);
      await expect(b.forward(Int32Array.of(-1), 0)).rejects.toThrow(/outside the vocabulary/);
      await expect(b.forward(Int32Array.of(1, 2, 3), 62)).rejects.toThrow(/positions 62\.\.64 exceed the context length of 64/);
      await expect(b.forward(new Int32Array(0), 0)).rejects.toThrow(/at least one token/);
      await expect(b.forward(Int32Array.of(1), -3)).rejects.toThrow(/non-negative integer/);
      await expect(b.forward([1, 2] as unknown as Int32Array, 0)).rejects.toThrow(/Int32Array/);
      const ok = await b.forward(Int32Array.of(1, 450, 4996), 0);
      expect(ok.length).toBe(b.spec.vocab_size);
      expect(ok.every(Number.isFinite)).toBe(true);
    } finally {
      await b.dispose();
    }
    await expect(b.forward(Int32Array.of(1), 0)).rejects.toThrow(/disposed/);
    await b.dispose(); // idempotent
  }, 120_000);
});

describe('async behaviour', () => {
  it('forward calls run off the JS thread, queue in order, and dispose waits for them', async () => {
    const b = await openQinsBackend(await converted('tiny-phi3', 'bf16'), { threads: 2, contextLength: 2048 });
    const long = Int32Array.from(loadGolden('tiny-phi3').prompts[7]!.ids);
    let ticks = 0;
    let spinning = true;
    const spin = (): void => {
      ticks++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    const order: number[] = [];
    const calls = [
      b.forward(long, 0).then(() => order.push(0)),
      b.forward(long.subarray(0, 5), 0).then(() => order.push(1)),
      b.forward(long.subarray(5, 6), 5).then(() => order.push(2)),
    ];
    const disposed = b.dispose();
    await Promise.all(calls);
    await disposed;
    spinning = false;
    expect(order).toEqual([0, 1, 2]);
    expect(ticks).toBeGreaterThan(20);
    await expect(b.forward(long.subarray(0, 1), 0)).rejects.toThrow(/disposed/);
  }, 300_000);

  it('the raw native model rejects a second concurrent call and a dispose while busy, then disposes cleanly', async () => {
    const file = await converted('tiny-phi3', 'bf16');
    const { header, fileBytes } = await readQinsHeader(file);
    const m = await loadNative().openModel(nativeDescription(file, header, fileBytes, { threads: 2, contextLength: 2048 }));
    const long = Int32Array.from(loadGolden('tiny-phi3').prompts[7]!.ids);
    const first = m.forward(long, 0, false);
    await expect(m.forward(long.subarray(0, 1), 0, false)).rejects.toThrow(/already running/);
    await expect(m.dispose()).rejects.toThrow(/in flight/);
    expect((await first).length).toBe(header.model.vocab_size);
    await m.dispose();
    await expect(m.forward(long.subarray(0, 1), 0, false)).rejects.toThrow(/disposed/);
    expect(() => m.info()).toThrow(/disposed/);
  }, 120_000);

  it('reports memory and engine facts', async () => {
    const file = await converted('tiny-llama', 'q8');
    const b = await openQinsBackend(file, { threads: 1, contextLength: 100 });
    try {
      const s = b.spec;
      const m = b.memory();
      expect(b.info.threads).toBe(1);
      expect(b.contextLength).toBe(100);
      expect(m.mappedBytes).toBe(statSync(file).size);
      expect(b.info.kvType).toBe('f16'); // the default
      expect(m.kvBytes).toBe(s.num_layers * 2 * 100 * s.num_kv_heads * s.head_dim * 2);
      // q8: 34 bytes per 32 weights for every matrix read per token (all but the embedding).
      const perToken = s.num_layers * ((s.num_heads + 2 * s.num_kv_heads) * s.head_dim * s.hidden_size + s.hidden_size * s.num_heads * s.head_dim + 3 * s.intermediate_size * s.hidden_size) + s.vocab_size * s.hidden_size;
      const norms = (s.num_layers * 2 + 1) * s.hidden_size * 4;
      expect(m.weightBytes).toBe((perToken / 32) * 34 + norms);
    } finally {
      await b.dispose();
    }
  }, 120_000);
});
