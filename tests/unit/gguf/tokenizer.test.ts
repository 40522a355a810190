// The tokenizer in GGUF: byte-level BPE tokenizers (built here) get tokenizer.ggml.model "gpt2",
// their merges and the llama.cpp pre-tokenizer matching their split regex (unknown regexes are
// refused); SentencePiece-style ones get "llama" with merge-rank scores. With the llama.cpp peer
// installed, the byte-level files load and tokenize exactly like HF tokenizers.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../../src-main/engine/convert/index.js';
import { readQinsHeader } from '../../../src-main/engine/format/qins-format.js';
import { exportGguf, readGguf } from '../../../src-main/engine/gguf/index.js';
import { tokenizerMetadata, TokenizerExportError } from '../../../src-main/engine/gguf/tokenizer.js';
import { TextTokenizer } from '../../../src-main/engine/tokenizer.js';
import { openPeerModel } from '../../../src-main/bench/llama-peer.js';
import { byteLevelTokenizer, convertFixture, LLAMA3_SPLIT, makeByteLevelCheckpoint, newScratch, QWEN2_SPLIT, requirePeer } from './helpers.js';

const root = newScratch();
afterAll(() => root.cleanup());
const VOCAB = 288; // the tokenizer's 273 ids, padded

async function byteLevelModel(name: string, split: string | null, extra: { ignoreMerges?: boolean; arrayMerges?: boolean } = {}): Promise<{ gguf: string; files: Record<string, string> }> {
  const tok = byteLevelTokenizer({ split, ...extra });
  expect(tok.vocabSize).toBeLessThanOrEqual(VOCAB);
  const dir = join(root.dir, name);
  makeByteLevelCheckpoint(dir, tok, VOCAB);
  const qins = join(root.dir, `${name}.qins`);
  await convertCheckpoint({ source: dir, destination: qins, codec: 'bf16', threads: 2 });
  const gguf = join(root.dir, `${name}.gguf`);
  await exportGguf(qins, gguf);
  return { gguf, files: (await readQinsHeader(qins)).header.files };
}

describe('byte-level BPE → gpt2', () => {
  it.each([
    { name: 'llama3', split: LLAMA3_SPLIT, pre: 'llama-bpe' },
    { name: 'qwen2', split: QWEN2_SPLIT, pre: 'qwen2' },
    { name: 'gpt2', split: null, pre: 'gpt-2' },
  ])('$name split regex → tokenizer.ggml.pre $pre, merges, token types, BOS from the post-processor', async ({ name, split, pre }) => {
    const { gguf, files } = await byteLevelModel(name, split, { ignoreMerges: name === 'llama3' });
    const f = await readGguf(gguf);
    const tj = JSON.parse(files['tokenizer.json']!);
    expect(f.metadata.get('tokenizer.ggml.model')).toBe('gpt2');
    expect(f.metadata.get('tokenizer.ggml.pre')).toBe(pre);
    expect(f.metadata.get('tokenizer.ggml.merges')).toEqual(tj.model.merges);
    expect(f.metadata.has('tokenizer.ggml.scores')).toBe(false);
    const tokens = f.metadata.get('tokenizer.ggml.tokens') as string[];
    const types = f.metadata.get('tokenizer.ggml.token_type') as number[];
    expect(tokens).toHaveLength(VOCAB);
    expect([tokens[0], tokens[33], tokens[32]]).toEqual(['Ā', '!', 'Ġ']);
    expect(tokens[269]).toBe('ĊĊ');
    expect(tokens.slice(270, 273)).toEqual(['<|begin_of_text|>', '<|end_of_text|>', '<|eot_id|>']);
    expect(types.slice(268, 275)).toEqual([1, 1, 3, 3, 3, 5, 5]);
    expect(tokens[287]).toBe('[PAD287]');
    expect(f.metadata.get('tokenizer.ggml.bos_token_id')).toBe(270);
    expect(f.metadata.get('tokenizer.ggml.eos_token_id')).toBe(272);
    expect(f.metadata.get('tokenizer.ggml.eot_token_id')).toBe(271);
    expect(f.metadata.get('tokenizer.ggml.add_bos_token')).toBe(true); // the TemplateProcessing post-processor adds it
    expect(f.metadata.get('tokenizer.ggml.add_eos_token')).toBe(false);
    expect(f.metadata.has('tokenizer.ggml.add_space_prefix')).toBe(false);
  });

  it('merges given as [a, b] pairs are written as "a b"', async () => {
    const { gguf } = await byteLevelModel('arrays', LLAMA3_SPLIT, { arrayMerges: true });
    const merges = (await readGguf(gguf)).metadata.get('tokenizer.ggml.merges') as string[];
    expect(merges.slice(0, 3)).toEqual(['Ġ t', 'h e', 'Ġt he']);
  });

  it('an unknown split regex, a non-BPE model and BPE without byte fallback are refused in one line', async () => {
    const spec = (await readQinsHeader(await convertFixture(root.dir, 'tiny-qwen2-chat', 'q8'))).header.model;
    const tok = (json: string): Record<string, string> => ({ 'tokenizer.json': json, 'tokenizer_config.json': '{}' });
    const bad = JSON.parse(byteLevelTokenizer({ split: '\\w+|\\s+' }).json);
    const fail = (files: Record<string, string>, re: RegExp): void => {
      let err: unknown;
      try {
        tokenizerMetadata({ files, spec, modelName: 'x' });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TokenizerExportError);
      expect((err as Error).message).not.toContain('\n');
      expect((err as Error).message).toMatch(re);
    };
    fail(tok(JSON.stringify(bad)), /pre-tokenizer llama\.cpp does not know.*known: llama-bpe, qwen2, gpt-2/);
    fail(tok(JSON.stringify({ model: { type: 'Unigram', vocab: [] } })), /Unigram tokenizer cannot be exported/);
    fail(tok(JSON.stringify({ model: { type: 'BPE', vocab: {}, merges: [] } })), /no matching tokenizer/);
    fail({}, /no tokenizer\.json/);
  });
});

describe('SentencePiece-style BPE → llama', () => {
  it('scores follow the merge ranks, so llama.cpp merges in HF order', async () => {
    const header = (await readQinsHeader(await convertFixture(root.dir, 'tiny-phi3-chat', 'q8'))).header;
    const r = tokenizerMetadata({ files: header.files, spec: header.model, modelName: 'tiny-phi3-chat' });
    const meta = new Map(r.metadata);
    const tokens = meta.get('tokenizer.ggml.tokens')!.value as string[];
    const scores = meta.get('tokenizer.ggml.scores')!.value as Float32Array;
    const merges = JSON.parse(header.files['tokenizer.json']!).model.merges as string[];
    const idOf = new Map(tokens.map((t, i) => [t, i]));
    const firstRank = new Map<number, number>();
    merges.forEach((m, rank) => {
      const id = idOf.get(m.replace(' ', ''))!;
      if (!firstRank.has(id)) firstRank.set(id, rank);
    });
    for (const [id, rank] of firstRank) expect(scores[id]).toBe(-(rank + 1));
    // Tokens no merge makes never outrank a merge.
    expect(scores[idOf.get('<0x0A>')!]).toBe(-1e9);
    expect(scores[idOf.get('<|end|>')!]).toBe(-1e9);
    expect(r.kind).toBe('llama');
    expect(r.warnings.join(' ')).toMatch(/<\/s>/);
  });

  it('warns when added tokens strip whitespace and llama.cpp will not (a non-phi3 name)', async () => {
    const header = (await readQinsHeader(await convertFixture(root.dir, 'tiny-llama-chat', 'q8'))).header;
    const r = tokenizerMetadata({ files: header.files, spec: header.model, modelName: 'tiny-llama-chat' });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/<\|assistant\|>.*swallow the whitespace.*phi3/);
  });
});

describe('byte-level GGUF in llama.cpp', () => {
  const texts = [
    'the theater in the hall',
    'Hello world\n\nand the world 1234567 times',
    "it's   spaced\ttabs and ünïcödé 你好 🤖",
    '<|begin_of_text|>the end<|eot_id|>',
  ];
  const variants = [
    ['llama3', LLAMA3_SPLIT],
    ['qwen2', QWEN2_SPLIT],
  ] as const;
  for (const [name, split] of variants) {
    it(`${name}: llama.cpp tokenizes like HF tokenizers`, async (ctx) => {
      requirePeer(ctx);
      const { gguf, files } = await byteLevelModel(`peer-${name}`, split, { ignoreMerges: name === 'llama3' });
      const hf = TextTokenizer.fromFiles(files);
      const model = await openPeerModel(gguf, { threads: 1, contextSize: 256 });
      try {
        for (const t of texts) expect(model.tokenize(t, { specials: true }), t).toEqual(hf.encode(t));
        // llama3 splits digits in threes, qwen2 one by one: the pre-tokenizer really differs.
        const digits = model.tokenize('1234567', { specials: false });
        expect(digits).toHaveLength(name === 'llama3' ? 5 : 7);
        expect(await model.greedy(hf.encode('the world'), 3)).toHaveLength(3);
      } finally {
        await model.dispose();
      }
    }, 120_000);
  }
});
