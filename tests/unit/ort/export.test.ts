// `exportOnnx` / `qins export-onnx`: folder contents, genai_config.json, the graph's interface,
// bad input (one-line errors, nothing half-written), --force, and the CLI's --json output.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src-main/cli/index.js';
import { exportOnnx } from '../../../src-main/engine/onnx/export.js';
import { GenaiConfig } from '../../../src-main/engine/onnx/genai-config.js';
import { inspectGraph } from '../../../src-main/engine/onnx/inspect.js';
import { writeSynthetic } from './synthetic.js';

const root = mkdtempSync(join(tmpdir(), 'qins-ort-export-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => join(root, `${name}${++n}`);

async function qins(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((stdout += String(c)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((stderr += String(c)), true));
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}

/** Only the output (if any) and no temporary folders remain next to it. */
const siblings = (out: string) => readdirSync(dirname(out)).filter((f) => f.includes('.tmp-'));

describe('exportOnnx', () => {
  it('writes the GenAI folder layout with a genai_config.json that describes the graph', async () => {
    const syn = writeSynthetic(fresh('src'), { modelType: 'phi3', fused: true, layers: 3 });
    const out = fresh('out');
    const r = await exportOnnx(syn.dir, out, { maxPositions: 128 });
    expect(r.precision).toBe('fp32');
    expect(readdirSync(out).sort()).toEqual(
      ['config.json', 'genai_config.json', 'generation_config.json', 'model.onnx', 'model.onnx.data', 'tokenizer.json', 'tokenizer_config.json'].sort(),
    );
    const cfg = GenaiConfig.parse(JSON.parse(readFileSync(join(out, 'genai_config.json'), 'utf8')));
    expect(cfg.model).toMatchObject({ type: 'phi3', context_length: 128, vocab_size: 300, eos_token_id: [2, 3], bos_token_id: 1 });
    expect(cfg.model.decoder).toMatchObject({
      filename: 'model.onnx',
      head_size: 16,
      hidden_size: 64,
      num_attention_heads: 4,
      num_hidden_layers: 3,
      num_key_value_heads: 2,
    });
    const s = await ort.InferenceSession.create(join(out, 'model.onnx'));
    try {
      const layers = [0, 1, 2];
      expect(s.inputNames).toEqual([
        'input_ids',
        'attention_mask',
        'position_ids',
        ...layers.flatMap((i) => [`past_key_values.${i}.key`, `past_key_values.${i}.value`]),
      ]);
      expect(s.outputNames).toEqual(['logits', ...layers.flatMap((i) => [`present.${i}.key`, `present.${i}.value`])]);
      const past = s.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
      expect(past).toMatchObject({ type: 'float32', shape: ['batch_size', 2, 'past_sequence_length', 16] });
    } finally {
      await s.release();
    }
    // weights are FP32 external data; per-token bytes exclude the embedding table and RoPE tables
    const w = await inspectGraph(join(out, 'model.onnx'));
    const params = (64 * (4 + 2 * 2) * 16 + 64 * 64 + 2 * 96 * 64 + 64 * 96) * 3 + 300 * 64;
    expect(w.matmulParams).toBe(params);
    expect(w.matmulBytes).toBe(params * 4);
    // longrope-free phi3 here: one cos and one sin table of 128 rows × 8; integer shape constants aside
    const norms = (2 * 3 + 1) * 64;
    expect(w.perTokenBytes).toBe(4 * (params + norms));
    expect(w.totalBytes).toBeGreaterThan(w.perTokenBytes + 300 * 64 * 4 + 2 * 128 * 8 * 4);
    expect(w.opTypes).toEqual(expect.arrayContaining(['GroupQueryAttention', 'MatMul', 'RotaryEmbedding', 'SkipSimplifiedLayerNormalization']));
  });

  it('int4 export uses MatMulNBits and shrinks the weights about 6×', async () => {
    const syn = writeSynthetic(fresh('src'), { modelType: 'llama', hidden: 128, inter: 256, vocab: 512 });
    const fp = await exportOnnx(syn.dir, fresh('fp32'), { maxPositions: 64 });
    const q = await exportOnnx(syn.dir, fresh('int4'), { maxPositions: 64, int4: { blockSize: 32, accuracyLevel: 4, lmHead: true } });
    expect(q.precision).toBe('int4');
    const wf = await inspectGraph(fp.modelFile);
    const wq = await inspectGraph(q.modelFile);
    expect(wq.opTypes).toContain('MatMulNBits');
    expect(wq.opTypes).not.toContain('MatMul');
    expect(wq.matmulParams).toBe(wf.matmulParams);
    const bitsPerWeight = (8 * wq.matmulBytes) / wq.matmulParams;
    expect(bitsPerWeight).toBeGreaterThan(4.5); // 4-bit codes + fp32 scale and 4-bit zero point per 32
    expect(bitsPerWeight).toBeLessThan(5.5);
  });

  it('refuses an existing output without force, replaces it with force', async () => {
    const syn = writeSynthetic(fresh('src'), { modelType: 'llama' });
    const out = fresh('out');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'x');
    await expect(exportOnnx(syn.dir, out)).rejects.toThrow(/already exists.*--force/);
    expect(readdirSync(out)).toEqual(['keep.txt']);
    await exportOnnx(syn.dir, out, { force: true, maxPositions: 32 });
    expect(existsSync(join(out, 'keep.txt'))).toBe(false);
    expect(existsSync(join(out, 'model.onnx'))).toBe(true);
    expect(siblings(out)).toEqual([]);
  });

  it('leaves nothing behind when the export fails half way', async () => {
    const syn = writeSynthetic(fresh('src'), { modelType: 'llama', layers: 3 });
    const out = fresh('out');
    let calls = 0;
    await expect(
      exportOnnx(syn.dir, out, {
        onProgress: () => {
          if (++calls === 5) throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    expect(existsSync(out)).toBe(false);
    expect(siblings(out)).toEqual([]);
  });

  it('rejects bad checkpoints with one-line reasons before writing', async () => {
    const out = fresh('out');
    await expect(exportOnnx(join(root, 'nope'), out)).rejects.toThrow(/no such file|not found|ENOENT/i);
    const notHf = fresh('plain');
    mkdirSync(notHf);
    writeFileSync(join(notHf, 'readme.txt'), 'hi');
    await expect(exportOnnx(notHf, out)).rejects.toThrow(/config\.json/);
    const gemma = writeSynthetic(fresh('src'), { modelType: 'llama' });
    writeFileSync(join(gemma.dir, 'config.json'), JSON.stringify({ ...gemma.config, model_type: 'gemma' }));
    await expect(exportOnnx(gemma.dir, out)).rejects.toThrow(/model_type "gemma" is not supported/);
    const truncated = writeSynthetic(fresh('src'), { modelType: 'llama' });
    truncateSync(join(truncated.dir, 'model.safetensors'), 4000);
    await expect(exportOnnx(truncated.dir, out)).rejects.toThrow(/model\.safetensors/);
    const missing = writeSynthetic(fresh('src'), { modelType: 'phi3', fused: true });
    writeFileSync(join(missing.dir, 'config.json'), JSON.stringify({ ...missing.config, num_hidden_layers: 3 }));
    await expect(exportOnnx(missing.dir, out)).rejects.toThrow(/model\.layers\.2\..* not in the checkpoint/);
    expect(existsSync(out)).toBe(false);
    expect(siblings(out)).toEqual([]);
  });
});

describe('qins export-onnx', () => {
  it('--json prints exactly one JSON object describing the export; progress goes to stderr', async () => {
    const syn = writeSynthetic(fresh('src'), { modelType: 'qwen2', qkvBias: true, tied: true });
    const out = fresh('cli');
    const r = await qins('export-onnx', syn.dir, '-o', out, '--context', '64', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(j).toMatchObject({ dir: out, architecture: 'qwen2', precision: 'fp32', context_length: 64 });
    expect(j.data_bytes).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/export-onnx: \d+\/\d+/);
  });

  it('int4 flags and a bad flag', async () => {
    const syn = writeSynthetic(fresh('src'), { modelType: 'mistral' });
    const ok = await qins('export-onnx', syn.dir, '-o', fresh('cli'), '--int4', '--block-size', '16', '--context', '32', '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ precision: 'int4' });
    const bad = await qins('export-onnx', syn.dir, '-o', fresh('cli'), '--int4', '--block-size', '24');
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--block-size must be a power of two/);
  });

  it('bad input: non-zero exit with a one-line reason', async () => {
    const r = await qins('export-onnx', join(root, 'missing-dir'), '-o', fresh('cli'), '--json');
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
