import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '@huggingface/tokenizers';
import { IncrementalDecoder, TextTokenizer, TokenizerError } from '../../../src-main/engine/tokenizer.js';
import { GOLDEN, fixtureFiles, phi3Text } from './helpers.js';

interface Case {
  text: string;
  ids: number[];
  tokens: string[];
  decode: string;
  decode_skip: string;
}
const cases = (JSON.parse(readFileSync(resolve(GOLDEN, 'tokenizer.json'), 'utf8')) as { cases: Case[] }).cases;

describe('tokenizer: golden cases (HF tokenizers, tiny-phi3-chat)', () => {
  const { tokenizer } = phi3Text();
  it('has the 20 golden cases', () => expect(cases.length).toBe(20));
  it.each(cases.map((c, i) => [i, c] as const))('case %i: ids, decode, decode(skip_special_tokens)', (_i, c) => {
    expect(tokenizer.encode(c.text)).toEqual(c.ids);
    // HF's Encoding.tokens shows a special token with the whitespace its rstrip swallowed; the
    // vocabulary pieces of every other id must match.
    c.ids.forEach((id, j) => {
      if (!tokenizer.specialIds.has(id)) expect(tokenizer.idToToken(id)).toBe(c.tokens[j]);
    });
    expect(tokenizer.decode(c.ids)).toBe(c.decode);
    expect(tokenizer.decode(c.ids, { skipSpecialTokens: true })).toBe(c.decode_skip);
  });
  it('knows the special tokens and the vocabulary size', () => {
    expect(tokenizer.specialIds.has(32007)).toBe(true);
    expect(tokenizer.specialIds.has(1)).toBe(true);
    expect(tokenizer.specialIds.has(22557)).toBe(false);
    expect(tokenizer.size).toBe(32011);
    expect(tokenizer.eosToken).toBe('<|endoftext|>');
    expect(tokenizer.bosToken).toBe('<s>');
  });
  it('rejects broken files with a clear error', () => {
    expect(() => new TextTokenizer('{not json')).toThrow(TokenizerError);
    expect(() => new TextTokenizer('{}')).toThrow(/no "model"/);
    const { ['tokenizer.json']: _drop, ...rest } = fixtureFiles();
    expect(() => TextTokenizer.fromFiles(rest)).toThrow(/no tokenizer.json/);
  });
});

describe('IncrementalDecoder', () => {
  const { tokenizer } = phi3Text();
  const stream = (ids: number[], skip = true): { deltas: string[]; text: string } => {
    const d = new IncrementalDecoder(tokenizer, { skipSpecialTokens: skip });
    const deltas = ids.map((id) => d.push(id));
    deltas.push(d.flush());
    return { deltas, text: deltas.join('') };
  };
  const completeChars = (s: string): boolean => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

  it.each(cases.map((c, i) => [i, c] as const))('case %i: deltas join to the full decode and never split a character', (_i, c) => {
    for (const skip of [true, false]) {
      const { deltas, text } = stream(c.ids, skip);
      expect(text).toBe(skip ? c.decode_skip : c.decode);
      for (const d of deltas) {
        expect(d).not.toContain('\uFFFD');
        expect(completeChars(d)).toBe(true);
      }
    }
  });

  it('holds byte-fallback bytes back until the character is complete', () => {
    // "▁", then 🤖 as four byte tokens <0xF0><0x9F><0xA4><0x96>, then "▁Hello".
    const d = new IncrementalDecoder(tokenizer);
    expect(d.push(28705)).toBe('');
    expect(d.push(243)).toBe('');
    expect(d.push(162)).toBe('');
    expect(d.push(167)).toBe('');
    expect(d.push(153)).toBe('🤖');
    expect(d.push(22557)).toBe(' Hello');
    expect(d.flush()).toBe('');
    expect(d.text).toBe('🤖 Hello');
  });

  it('flushes an unfinished byte sequence as U+FFFD at the end, like a full decode', () => {
    const { text } = stream([22557, 243, 162]);
    expect(text).toBe(tokenizer.decode([22557, 243, 162], { skipSpecialTokens: true }));
    expect(text.endsWith('\uFFFD')).toBe(true);
  });

  it('property: for random text, streaming its ids reproduces decode(ids) without broken characters', () => {
    const alphabet = ['a', 'b', ' ', 'é', '你', '好', '🤖', '👍🏽', '\n', 'the', ' harbor', 'Ω', '<|end|>', '\t', 'ß'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 30 }), (parts) => {
        const ids = tokenizer.encode(parts.join(''));
        const { deltas, text } = stream(ids);
        expect(text).toBe(tokenizer.decode(ids, { skipSpecialTokens: true }));
        for (const d of deltas) expect(d.includes('\uFFFD') || !completeChars(d)).toBe(false);
      }),
      { numRuns: 200, seed: 42 },
    );
  });
});

describe('section-wise encoding (cached) equals the library on whole texts', () => {
  const files = fixtureFiles();
  const lib = new Tokenizer(JSON.parse(files['tokenizer.json']!), JSON.parse(files['tokenizer_config.json']!));
  const { tokenizer } = phi3Text();
  const fragments = [
    '<|user|>', '<|assistant|>', '<|end|>', '<|system|>', '<|endoftext|>', '<s>', '</s>', '<unk>', '<|placeholder1|>',
    '\n', ' ', '  ', '\t', ' \n ', 'Hello', ' world', 'harbor', '"quoted"', 'é', '你好', '🤖', '👍🏽', '<|', '|>', '<|end',
    'The jury said that the election was conducted properly. ', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', '12345', '\u00a0',
  ];
  it('property: random mixes of special tokens, whitespace and text', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 60 }), (parts) => {
        const text = parts.join('');
        expect(tokenizer.encode(text)).toEqual(lib.encode(text, { add_special_tokens: false }).ids);
        // Twice: the second time sections come from the cache.
        expect(tokenizer.encode(text)).toEqual(lib.encode(text, { add_special_tokens: false }).ids);
      }),
      { numRuns: 400, seed: 11 },
    );
  });
  it('long rendered chats and the eval text', () => {
    const { template } = phi3Text();
    const text = readFileSync(resolve(GOLDEN, 'eval_dev.txt'), 'utf8').slice(0, 20000);
    const paras = text.split('\n\n');
    const msgs = paras.slice(0, 30).map((p, i) => ({ role: (i % 2 ? 'assistant' : 'user') as 'user' | 'assistant', content: p }));
    const rendered = template.render([{ role: 'system', content: '  Be brief.  ' }, ...msgs]);
    expect(tokenizer.encode(rendered)).toEqual(lib.encode(rendered, { add_special_tokens: false }).ids);
    expect(tokenizer.encode(text)).toEqual(lib.encode(text, { add_special_tokens: false }).ids);
  });
});
