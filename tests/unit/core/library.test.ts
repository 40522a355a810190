// The model library against the real engine host: import errors, a second architecture, quality
// measurement with the unquantized reference, cancellation, and safe deletion.
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConvertEvent, EvalEvent, EventChannel } from '../../../src-shared/contract.js';
import { EngineSupervisor, forkLauncher } from '../../../src-main/core/engine-supervisor.js';
import { ModelLibrary } from '../../../src-main/core/library.js';
import { packQins } from '../../../src-main/engine/convert/index.js';
import { modelsDir } from '../../../src-main/core/paths.js';
import { ChatStore } from '../../../src-main/core/store/index.js';
import { builtEngineHost } from '../helpers/built.js';
import { fixtureModel, GOLDEN } from '../helpers/fixtures.js';

let home: string;
let store: ChatStore;
let engine: EngineSupervisor;
let library: ModelLibrary;
const events: Array<{ event: EventChannel; payload: unknown }> = [];

const until = async <T>(fn: () => T | undefined, ms = 120_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 20));
  }
};
const convertEnd = (jobId: string) =>
  until(() => events.map((e) => e.payload as ConvertEvent).find((e) => e.jobId === jobId && (e.type === 'done' || e.type === 'error')));

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'qins-lib-'));
  process.env.QINS_HOME = home;
  store = ChatStore.open(join(home, 'qins.db'));
  engine = new EngineSupervisor(forkLauncher(builtEngineHost()));
  await engine.start();
  // A short eval text keeps the measurement quick: the first 3 000 characters of eval_dev.txt.
  const text = join(home, 'eval.txt');
  writeFileSync(text, readFileSync(join(GOLDEN, 'eval_dev.txt'), 'utf8').slice(0, 3000));
  library = new ModelLibrary(store, engine, (event, payload) => events.push({ event, payload }), text);
}, 60_000);

afterAll(async () => {
  await engine?.stop();
  store?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('import', () => {
  it('refuses a missing path, a file and a folder without config.json at once', async () => {
    await expect(library.import(join(home, 'nope'), 'qins8')).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/no such file/) });
    await expect(library.import(join(GOLDEN, 'eval_dev.txt'), 'qins8')).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/not a folder/) });
    await expect(library.import(home, 'qins8')).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/config\.json/) });
  });

  it('an unsupported architecture ends the job with UNSUPPORTED and leaves no file', async () => {
    const dir = join(home, 'gpt2');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] }));
    const job = await library.import(dir, 'qins8');
    const end = await convertEnd(job.jobId);
    expect(end).toMatchObject({ type: 'error', error: { code: 'UNSUPPORTED', message: expect.stringMatching(/gpt2.*(phi3|llama)/) } });
    expect(existsSync(modelsDir()) ? readdirSync(modelsDir()) : []).toEqual([]);
    expect(library.list()).toEqual([]);
  });

  it('imports tiny-llama as q8 with progress; cancel stops a second import and leaves nothing', async () => {
    const job = await library.import(fixtureModel('tiny-llama-chat'), 'q8');
    const end = await convertEnd(job.jobId);
    expect(end.type).toBe('done');
    const model = (end as Extract<ConvertEvent, { type: 'done' }>).model;
    expect(model).toMatchObject({ id: 'tiny-llama-chat-q8', architecture: 'llama', codec: 'q8', sourcePath: fixtureModel('tiny-llama-chat'), builtin: false });
    expect(events.some((e) => (e.payload as ConvertEvent).jobId === job.jobId && (e.payload as ConvertEvent).type === 'progress')).toBe(true);

    const second = await library.import(fixtureModel('tiny-llama-chat'), 'qins4');
    await until(() => events.map((e) => e.payload as ConvertEvent).find((e) => e.jobId === second.jobId && e.type === 'progress'));
    expect(await library.cancelImport(second.jobId)).toBe(true);
    const cancelled = await convertEnd(second.jobId);
    expect(cancelled).toMatchObject({ type: 'error', error: { code: 'CANCELLED' } });
    expect(readdirSync(modelsDir())).toEqual(['tiny-llama-chat-q8.qins']);
  }, 180_000);
});

describe('quality', () => {
  it('measures perplexity and the unquantized reference (temporary bf16 conversion, removed after)', async () => {
    const { jobId } = library.evaluate('tiny-llama-chat-q8');
    const end = await until(() => events.map((e) => e.payload as EvalEvent).find((e) => e.jobId === jobId && (e.type === 'done' || e.type === 'error')), 300_000);
    expect(end.type).toBe('done');
    const q = (end as Extract<EvalEvent, { type: 'done' }>).quality;
    expect(q.ppl).toBeGreaterThan(1);
    expect(q.referencePpl).toBeGreaterThan(1);
    // q8 is nearly lossless: within 1 % of the bf16 weights on the same text
    expect(Math.abs(q.ppl / q.referencePpl! - 1)).toBeLessThan(0.01);
    expect(library.get('tiny-llama-chat-q8').quality).toEqual(q);
    expect(readdirSync(modelsDir()).filter((f) => f.startsWith('.reference'))).toEqual([]);
  }, 300_000);
});

describe('quality: cancel', () => {
  it('a measurement can be cancelled; it ends with CANCELLED and records nothing new', async () => {
    const before = library.get('tiny-llama-chat-q8').quality;
    const { jobId } = library.evaluate('tiny-llama-chat-q8');
    await until(() => events.map((e) => e.payload as EvalEvent).find((e) => e.jobId === jobId && e.type === 'progress'), 60_000);
    expect(await library.cancelEvaluate(jobId)).toBe(true);
    const end = await until(() => events.map((e) => e.payload as EvalEvent).find((e) => e.jobId === jobId && (e.type === 'done' || e.type === 'error')), 60_000);
    expect(end).toMatchObject({ type: 'error', error: { code: 'CANCELLED' } });
    expect(library.get('tiny-llama-chat-q8').quality).toEqual(before);
    expect(await library.cancelEvaluate(jobId)).toBe(false);
  }, 120_000);
});

describe('import: .qinz and .qins files', () => {
  it('unpacks a .qinz into the library byte for byte; adds a .qins in place; refuses it twice and a corrupt one', async () => {
    const original = join(modelsDir(), 'tiny-llama-chat-q8.qins');
    const packed = join(home, 'shared-llama.qinz');
    await packQins({ source: original, destination: packed });

    const job = await library.import(packed, 'qins8');
    expect(job.kind).toBe('unpack');
    const end = await convertEnd(job.jobId);
    expect(end.type).toBe('done');
    const unpacked = (end as Extract<ConvertEvent, { type: 'done' }>).model;
    expect(unpacked).toMatchObject({ id: 'shared-llama', codec: 'q8', architecture: 'llama', sourcePath: null });
    expect(readFileSync(unpacked.path).equals(readFileSync(original))).toBe(true);

    const inPlace = join(home, 'my-llama.qins');
    copyFileSync(original, inPlace);
    const reg = await library.import(inPlace, 'qins8');
    expect(reg).toMatchObject({ kind: 'register', codec: 'q8' });
    const regEnd = await convertEnd(reg.jobId);
    expect(regEnd).toMatchObject({ type: 'done', model: { id: 'my-llama', path: inPlace, codec: 'q8', sourcePath: null } });
    await expect(library.import(inPlace, 'qins8')).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/already in the library/) });

    const corrupt = join(home, 'corrupt.qins');
    writeFileSync(corrupt, readFileSync(original).subarray(0, 100));
    await expect(library.import(corrupt, 'qins8')).rejects.toMatchObject({ code: 'BAD_INPUT' });

    // Removing them: the unpacked copy lives in the models folder and goes; the in-place file stays.
    expect(await library.delete('shared-llama')).toBe(true);
    expect(existsSync(unpacked.path)).toBe(false);
    expect(await library.delete('my-llama')).toBe(true);
    expect(existsSync(inPlace)).toBe(true);
  }, 180_000);
});

describe('the ONNX Runtime reference in the library', () => {
  it('exports a checkpoint as an FP32 ONNX folder (engine ort), loads it; an ONNX folder elsewhere is added in place', async () => {
    const job = await library.import(fixtureModel('tiny-llama-chat'), 'qins8', { engine: 'ort' });
    expect(job).toMatchObject({ kind: 'export', codec: 'f32' });
    const progress = await until(() => events.map((e) => e.payload as ConvertEvent).find((e) => e.jobId === job.jobId && e.type === 'progress'));
    expect(progress).toMatchObject({ kind: 'export', progress: { phase: 'exporting' } });
    const end = await convertEnd(job.jobId);
    expect(end.type).toBe('done');
    const model = (end as Extract<ConvertEvent, { type: 'done' }>).model;
    expect(model).toMatchObject({ id: 'tiny-llama-chat-ort-fp32', engine: 'ort', codec: 'f32', architecture: 'llama', sourcePath: fixtureModel('tiny-llama-chat') });
    expect(readdirSync(model.path)).toEqual(expect.arrayContaining(['model.onnx', 'model.onnx.data', 'genai_config.json', 'tokenizer.json']));
    // FP32 weights: four bytes per parameter, and the graph's RoPE tables on top
    expect(model.bitsPerWeight).toBe(32);
    expect(model.fileBytes).toBeGreaterThan(model.params * 4);
    expect(model.params).toBe(library.get('tiny-llama-chat-q8').params);

    const loaded = await library.load(model.id);
    expect(loaded).toMatchObject({ engine: 'ort', architecture: 'llama', chat: true, params: model.params });

    const elsewhere = join(home, 'onnx-llama');
    cpSync(model.path, elsewhere, { recursive: true });
    const reg = await library.import(elsewhere, 'qins8');
    expect(reg).toMatchObject({ kind: 'register', codec: 'f32' });
    expect(await convertEnd(reg.jobId)).toMatchObject({ type: 'done', model: { id: 'onnx-llama', engine: 'ort', codec: 'f32', bitsPerWeight: 32, path: elsewhere, params: model.params } });

    expect(await library.delete(model.id)).toBe(true);
    expect(existsSync(model.path)).toBe(false);
    expect(await library.delete('onnx-llama')).toBe(true);
    expect(existsSync(join(elsewhere, 'model.onnx'))).toBe(true);
  }, 180_000);
});

describe('load and delete', () => {
  it('loads a model; deleting a model the app converted removes its file, one registered in place keeps it', async () => {
    const loaded = await library.load('tiny-llama-chat-q8');
    expect(loaded).toMatchObject({ modelId: 'tiny-llama-chat-q8', architecture: 'llama', codec: 'q8', chat: true });
    expect(loaded.fp32Bytes).toBe(loaded.params * 4);
    expect(library.modelStatus().state).toBe('ready');

    const outside = join(home, 'elsewhere.qins');
    copyFileSync(join(modelsDir(), 'tiny-llama-chat-q8.qins'), outside);
    store.upsertModel({ ...store.getModel('tiny-llama-chat-q8')!, id: 'outside', path: outside });
    expect(await library.delete('outside')).toBe(true);
    expect(existsSync(outside)).toBe(true);

    expect(await library.delete('tiny-llama-chat-q8')).toBe(true);
    expect(existsSync(join(modelsDir(), 'tiny-llama-chat-q8.qins'))).toBe(false);
    expect(library.modelStatus().state).toBe('none');
    expect(library.list()).toEqual([]);
  }, 120_000);
});
