// `qins eval` and `qins chat` through the CLI entry, with a fake engine behind openModel.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src-main/cli/index.js';
import { matchModels, resolveModelArg } from '../../../src-main/cli/model-arg.js';
import { ChatStore } from '../../../src-main/core/store/repository.js';
import { encodeHeader, type QinsHeader } from '../../../src-main/engine/format/qins-format.js';
import { backendOpeners } from '../../../src-main/engine/model.js';
import { FakeBackend, fakeSpec, fixtureFiles, phi3Text, scriptedReply } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'qins-cli-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model = join(dir, 'm.qins');
const header: QinsHeader = {
  format: 'qins',
  version: 1,
  model: fakeSpec(32064),
  files: fixtureFiles(),
  codec: 'qins8',
  codebooks: {},
  tensors: [],
  source: { name: 'tiny', bytes: 0, dtype: 'bf16', files: [] },
  stats: { seconds: 0, params: 0, coded_params: 0, weight_bytes: 0, bits_per_weight: 8.5, snr_db: null },
  created: new Date(0).toISOString(),
};
writeFileSync(model, encodeHeader(header));
const text = join(dir, 'text.txt');
writeFileSync(text, 'The jury said that the election was conducted. '.repeat(20));

let out = '';
let err = '';
const realOpeners = { ...backendOpeners };
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = undefined;
});
afterEach(() => {
  vi.restoreAllMocks();
  Object.assign(backendOpeners, realOpeners);
  process.exitCode = undefined;
});

const useFake = (be: FakeBackend): void => {
  backendOpeners.qins = async () => async () => be;
};

describe('qins eval', () => {
  it('--text --json prints one object with ppl, tokens, nll_sum (uniform logits: ppl = vocab)', async () => {
    const be = new FakeBackend(() => 0, 64);
    be.forward = async (tokens, _pos, o) => new Float32Array(32064 * (o?.allLogits ? tokens.length : 1));
    useFake(be);
    const code = await main(['eval', model, '--text', text, '--window', '64', '--json']);
    expect(code).toBe(0);
    const j = JSON.parse(out) as Record<string, number | string>;
    const n = phi3Text().tokenizer.encode('The jury said that the election was conducted. '.repeat(20)).length;
    expect(j.tokens).toBe(n - 1);
    expect(j.ppl).toBeCloseTo(32064, 6);
    expect(j.nll_sum).toBeCloseTo((n - 1) * Math.log(32064), 6);
    expect(j.codec).toBe('qins8');
    expect(j.bits_per_weight).toBe(8.5);
    expect(j.window).toBe(64);
  });

  it('bad input: one-line reasons, non-zero exit, nothing on stdout', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['eval', model], /exactly one of --text/],
      [['eval', model, '--text', text, '--golden', text], /exactly one of --text/],
      [['eval', model, '--text', join(dir, 'missing.txt')], /cannot read the text/],
      [['eval', model, '--text', text, '--window', 'x'], /--window must be an integer/],
      [['eval', model, '--golden', text], /not valid JSON/],
      [['eval', join(dir, 'none.qins'), '--text', text], /no such file/],
      [['eval', model, '--text', text, '--engine', 'gpu'], /--engine must be qins or ort/],
    ];
    useFake(new FakeBackend(() => 0, 64));
    for (const [args, re] of cases) {
      out = '';
      err = '';
      expect(await main(args)).not.toBe(0);
      expect(err).toMatch(re);
      expect(err.trim().split('\n')).toHaveLength(1);
      expect(out).toBe('');
    }
  });
});

describe('qins chat', () => {
  const { tokenizer } = phi3Text();
  it('--prompt streams the reply on stdout and the stats on stderr', async () => {
    useFake(new FakeBackend(scriptedReply(tokenizer.encode('A harbor is a sheltered port.'))));
    expect(await main(['chat', model, '--prompt', 'What does "harbor" mean?', '--temperature', '0'])).toBe(0);
    expect(out).toBe('A harbor is a sheltered port.\n');
    expect(err).toMatch(/tokens · TTFT \d+ ms · [\d.]+ tok\/s · prompt 11 \(0 cached.*stop: eos/);
  });

  it('--prompt --json prints one object with the reply and its stats', async () => {
    useFake(new FakeBackend(scriptedReply(tokenizer.encode('Yes.'))));
    expect(await main(['chat', model, '--prompt', 'Hi', '--json', '--seed', '4', '--stop', 'never'])).toBe(0);
    const j = JSON.parse(out) as { text: string; seed: number; stop: { reason: string }; context: { droppedMessages: number } };
    expect(j.text).toBe('Yes.');
    expect(j.seed).toBe(4);
    expect(j.stop.reason).toBe('eos');
    expect(j.context.droppedMessages).toBe(0);
  });

  it('rejects bad sampling flags in one line', async () => {
    useFake(new FakeBackend(() => 0));
    for (const [args, re] of [
      [['--temperature', '-1'], /temperature/],
      [['--top-p', '2'], /top-p/],
      [['--seed', '1.5'], /--seed must be an integer/],
      [['--json'], /--json needs --prompt/],
    ] as Array<[string[], RegExp]>) {
      err = '';
      expect(await main(['chat', model, ...args])).toBe(2);
      expect(err).toMatch(re);
    }
  });
});

describe('a library model named instead of a path', () => {
  const home = join(dir, 'home');
  const env = { QINS_HOME: home };
  const record = (id: string, name: string, path: string) => ({
    id, name, path, codec: 'qins8', architecture: 'phi3', params: 1, fileBytes: 1, contextLength: 4096,
    bitsPerWeight: 8.5, snrDb: null, sourceName: null, sourcePath: null, sourceBytes: null, builtin: false, addedAt: 1, lastUsedAt: null,
  });
  const store = ChatStore.open(join(home, 'qins.db'));
  store.upsertModel(record('m1', 'tiny-phi3-chat', model));
  store.upsertModel(record('m2', 'Twin', join(dir, 'a.qins')));
  store.upsertModel(record('m3', 'twin', join(dir, 'b.qins')));
  store.upsertModel(record('m4', 'Gone', join(dir, 'gone.qins')));
  const models = store.listModels();
  store.close();

  it('matches by id, then name (any case), then file name', () => {
    expect(matchModels(models, 'm2').map((m) => m.id)).toEqual(['m2']);
    expect(matchModels(models, 'TINY-PHI3-CHAT').map((m) => m.id)).toEqual(['m1']);
    expect(matchModels(models, 'm').map((m) => m.id)).toEqual(['m1']); // m.qins
    expect(matchModels(models, 'twin').map((m) => m.id).sort()).toEqual(['m2', 'm3']);
    expect(matchModels(models, 'nothing')).toEqual([]);
  });

  it('resolves to the file; paths pass through; unknown, ambiguous or missing names fail in one line', () => {
    expect(resolveModelArg('tiny-phi3-chat', env)).toBe(model);
    expect(resolveModelArg(model, env)).toBe(model);
    expect(resolveModelArg('./nope.qins', env)).toBe('./nope.qins');
    expect(() => resolveModelArg('nothing', env)).toThrow(/no file or library model "nothing" \(library: tiny-phi3-chat, Twin, twin, Gone\)/);
    expect(() => resolveModelArg('twin', env)).toThrow(/names 2 library models/);
    expect(() => resolveModelArg('Gone', env)).toThrow(/missing on disk/);
    expect(() => resolveModelArg('tiny-phi3-chat', { QINS_HOME: join(dir, 'empty-home') })).toThrow(/no model library at/);
  });

  it('qins chat <name> runs the library model', async () => {
    const { tokenizer } = phi3Text();
    useFake(new FakeBackend(scriptedReply(tokenizer.encode('By name.'))));
    const saved = process.env.QINS_HOME;
    process.env.QINS_HOME = home;
    try {
      expect(await main(['chat', 'tiny-phi3-chat', '--prompt', 'Hi', '--temperature', '0'])).toBe(0);
      expect(out).toBe('By name.\n');
      out = '';
      err = '';
      expect(await main(['chat', 'unknown-model', '--prompt', 'Hi'])).toBe(2);
      expect(err).toMatch(/^qins: no file or library model "unknown-model"/);
      expect(out).toBe('');
      out = '';
      expect(await main(['inspect', 'TINY-PHI3-CHAT', '--json'])).toBe(0);
      expect((JSON.parse(out) as { path: string }).path).toBe(model);
    } finally {
      process.env.QINS_HOME = saved;
    }
  });
});
