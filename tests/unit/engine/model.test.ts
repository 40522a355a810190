import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { encodeHeader, type QinsHeader } from '../../../src-main/engine/format/qins-format.js';
import { backendOpeners, ModelOpenError, openModel } from '../../../src-main/engine/model.js';
import { FakeBackend, fakeSpec, fixtureFiles, scriptedReply } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'qins-model-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeQins(name: string, files: Record<string, string>): string {
  const header: QinsHeader = {
    format: 'qins',
    version: 1,
    model: fakeSpec(32064),
    files,
    codec: 'bf16',
    codebooks: {},
    tensors: [],
    source: { name: 'tiny', bytes: 0, dtype: 'bf16', files: [] },
    stats: { seconds: 0, params: 0, coded_params: 0, weight_bytes: 0, bits_per_weight: 16, snr_db: null },
    created: new Date(0).toISOString(),
  };
  const p = join(dir, name);
  writeFileSync(p, encodeHeader(header));
  return p;
}

const realOpeners = { ...backendOpeners };
afterEach(() => Object.assign(backendOpeners, realOpeners));

describe('openModel', () => {
  it('builds tokenizer, template and eos ids from the .qins header and opens the qins backend', async () => {
    const file = writeQins('m.qins', fixtureFiles());
    const seen: Array<{ path: string; threads?: number }> = [];
    const be = new FakeBackend(scriptedReply([22557, 28808]));
    let disposed = 0;
    be.dispose = async () => void disposed++;
    backendOpeners.qins = async () => async (path, o) => {
      seen.push({ path, threads: o.threads });
      return be;
    };
    const m = await openModel(file, { threads: 2 });
    expect(seen).toEqual([{ path: file, threads: 2 }]);
    expect(m.engine).toBe('qins');
    expect(m.codec).toBe('bf16');
    expect(m.eosTokenIds.sort()).toEqual([32000, 32001, 32007]);
    expect(m.tokenizer.encode('Hello world')).toEqual([22557, 1526]);
    const r = await m.chat().generate({ messages: [{ role: 'user', content: 'Hi' }], sampling: { temperature: 0 } });
    expect(r.text).toBe('Hello!');
    await m.dispose();
    await m.dispose();
    expect(disposed).toBe(1);
  });

  it('a model without a chat template still opens (for eval) but refuses chat', async () => {
    const { ['tokenizer_config.json']: _t, ...files } = fixtureFiles();
    const file = writeQins('plain.qins', files);
    backendOpeners.qins = async () => async () => new FakeBackend(() => 0);
    const m = await openModel(file);
    expect(m.template).toBeNull();
    expect(() => m.chat()).toThrow(/no chat template/);
  });

  it('clear errors for missing paths, checkpoint folders, engine mismatches and absent engines', async () => {
    await expect(openModel(join(dir, 'nope.qins'))).rejects.toThrow(/no such file/);
    const ckpt = join(dir, 'ckpt');
    mkdirSync(ckpt);
    writeFileSync(join(ckpt, 'config.json'), '{}');
    await expect(openModel(ckpt)).rejects.toThrow(/convert it with `qins convert` first/);
    const file = writeQins('e.qins', fixtureFiles());
    await expect(openModel(file, { engine: 'ort' })).rejects.toThrow(ModelOpenError);
    const junk = join(dir, 'junk.qins');
    writeFileSync(junk, 'not a model at all');
    await expect(openModel(junk)).rejects.toThrow(/bad magic/);
    backendOpeners.qins = async () => {
      throw new ModelOpenError('this build has no qins-backend engine');
    };
    await expect(openModel(file)).rejects.toThrow(/no qins-backend engine/);
  });

  it('an ONNX folder goes to the ort backend with files read from the folder', async () => {
    const onnx = join(dir, 'onnx');
    mkdirSync(onnx);
    for (const [k, v] of Object.entries(fixtureFiles())) writeFileSync(join(onnx, k), v);
    writeFileSync(join(onnx, 'genai_config.json'), '{}');
    let opened = '';
    backendOpeners.ort = async () => async (p) => {
      opened = p;
      return new FakeBackend(() => 0);
    };
    const m = await openModel(onnx);
    expect(opened).toBe(onnx);
    expect(m.engine).toBe('ort');
    expect(m.codec).toBeNull();
    expect(m.eosTokenIds).toContain(32007);
  });
});
