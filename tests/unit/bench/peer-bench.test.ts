// The llama.cpp runner of the suite on the tiny model: the q8 file exported as GGUF Q8_0, measured
// by runPeerBench the way `qins bench` measures our engine. Skipped with the reason where the peer
// is not installed, except under CI=true (npm run setup installs it there).
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runPeerBench, ggufStreamShape } from '../../../src-main/bench/peer-bench.js';
import { kvBytesPerPosition } from '../../../src-main/engine/bound.js';
import { exportGguf, readGguf } from '../../../src-main/engine/gguf/index.js';
import { runBench } from '../../../src-main/engine/bench.js';
import { openQinsBackend } from '../../../src-main/engine/qins-backend.js';
import { convertFixture, newScratch, requirePeer } from '../gguf/helpers.js';

const root = newScratch();
afterAll(() => root.cleanup());

describe('llama.cpp peer runner (tiny-phi3, Q8_0)', () => {
  it('measures llama.cpp like qins bench measures our engine, in the same JSON shape', async (ctx) => {
    requirePeer(ctx);
    const qins = await convertFixture(root.dir, 'tiny-phi3-chat', 'q8');
    const gguf = join(root.dir, 'tiny-q8.gguf');
    await exportGguf(qins, gguf, { force: true });
    const opts = { threads: 1, prefillTokens: 32, decodeTokens: 8 };
    // llama.cpp's worker threads spin while they wait: one thread, so other work cannot stall it
    const peer = await runPeerBench(gguf, { ...opts, repeats: 2 });
    const ours = await runBench(qins, (p, o) => openQinsBackend(p, { threads: o.threads, contextLength: o.contextLength }), { ...opts, bandwidth: false });

    // every key of our result is in the peer's, with the same type
    for (const [k, v] of Object.entries(ours)) {
      expect(peer, k).toHaveProperty(k);
      const pv = (peer as unknown as Record<string, unknown>)[k];
      if (v !== null && pv !== null) expect(typeof pv, k).toBe(typeof v);
    }
    expect(peer.engine).toBe('llama.cpp');
    expect(peer.samples).toHaveLength(2);
    for (const s of peer.samples) {
      expect(s.prefill_tok_s).toBeGreaterThan(0);
      expect(s.decode_tok_s).toBeGreaterThan(0);
      expect(s.decode_depth0_tok_s).toBeGreaterThan(0);
    }
    expect(peer.warmup_steps).toBe(1);
    expect(peer.threads).toBe(1);
    expect(peer.load_ms).toBeGreaterThan(0);
    expect(peer.peak_rss_bytes ?? Infinity).toBeGreaterThanOrEqual(peer.rss_bytes * 0.99);
    // what ran is on record
    expect(peer.peer.llamaCpp.release).toMatch(/\S/);
    if (process.platform === 'linux') expect(peer.kernels).toMatch(/^libggml-cpu-/);
    expect(peer.context.kvCacheKeyType).toBe('f16');
    expect(peer.kv_type).toBe('f16');

    // the same weights: the bytes streamed per token agree with ours but for the KV element size
    expect(Math.abs(peer.weight_bytes - ours.weight_bytes) / ours.weight_bytes).toBeLessThan(0.001);
    expect(peer.embedding_row_bytes).toBe(ours.embedding_row_bytes);
    expect(peer.kv_bytes_per_position).toBe(ours.kv_bytes_per_position / (ours.kv_type === 'f32' ? 2 : 1));
  }, 180_000);

  it('reads what a GGUF decoder streams from its tensor table', async () => {
    const qins = await convertFixture(root.dir, 'tiny-phi3-chat', 'q8');
    const gguf = join(root.dir, 'tiny-q8-shape.gguf');
    await exportGguf(qins, gguf, { force: true });
    const g = await readGguf(gguf);
    const s = ggufStreamShape(g);
    const embd = g.tensors.find((t) => t.name === 'token_embd.weight')!;
    const all = g.tensors.reduce((a, t) => a + (t.bytes ?? 0), 0);
    // untied: everything but the embedding table
    expect(s.weight_bytes).toBe(all - embd.bytes!);
    expect(s.embedding_row_bytes).toBe(embd.bytes! / s.vocab);
    expect(kvBytesPerPosition({ num_layers: s.layers, num_kv_heads: s.kv_heads, head_dim: s.head_dim }, 2)).toBeGreaterThan(0);
  });
});
