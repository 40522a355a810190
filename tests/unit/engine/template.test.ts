import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChatTemplate, TemplateError, type ChatMessage } from '../../../src-main/engine/template.js';
import { GOLDEN, fixtureFiles, phi3Text } from './helpers.js';

const golden = JSON.parse(readFileSync(resolve(GOLDEN, 'chat_template.json'), 'utf8')) as {
  cases: Array<{ messages: ChatMessage[]; rendered: string }>;
};

describe('chat template: golden renders (transformers apply_chat_template)', () => {
  const { template, tokenizer } = phi3Text();
  it('has the golden cases', () => expect(golden.cases.length).toBe(4));
  it.each(golden.cases.map((c, i) => [i, c] as const))('case %i renders exactly', (_i, c) => {
    expect(template.render(c.messages)).toBe(c.rendered);
  });
  it('without the generation prompt ends with the eos token, as the template says', () => {
    expect(template.render([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: false })).toBe('<|user|>\nHi<|end|>\n<|endoftext|>');
  });
  it('rendered chat prompts tokenize to the golden prompt ids of every fixture', () => {
    for (const model of ['tiny-phi3', 'tiny-llama', 'tiny-qwen2']) {
      const g = JSON.parse(readFileSync(resolve(GOLDEN, `${model}.json`), 'utf8')) as {
        prompts: Array<{ kind: string; text: string; ids: number[] }>;
      };
      const chats = g.prompts.filter((p) => p.kind === 'chat');
      expect(chats.length).toBe(4);
      for (const [i, p] of chats.entries()) {
        expect(p.text).toBe(golden.cases[i]!.rendered);
        expect(tokenizer.encode(template.render(golden.cases[i]!.messages))).toEqual(p.ids);
      }
      for (const p of g.prompts.filter((q) => q.kind === 'plain')) expect(tokenizer.encode(p.text)).toEqual(p.ids);
    }
  });
  it('reports missing or broken templates clearly', () => {
    const files = fixtureFiles();
    expect(() => ChatTemplate.fromFiles({ 'tokenizer.json': files['tokenizer.json']! })).toThrow(/no tokenizer_config.json/);
    expect(() => ChatTemplate.fromFiles({ 'tokenizer_config.json': '{}' })).toThrow(/no chat_template/);
    expect(() => new ChatTemplate('{% for %}')).toThrow(TemplateError);
    expect(() => new ChatTemplate("{{ raise_exception('roles must alternate') }}").render([])).toThrow(/roles must alternate/);
  });
  it('accepts a list of named templates and uses "default"', () => {
    const t = ChatTemplate.fromFiles({
      'tokenizer_config.json': JSON.stringify({
        chat_template: [
          { name: 'tool_use', template: 'TOOLS' },
          { name: 'default', template: '{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}' },
        ],
      }),
    });
    expect(t.render([{ role: 'user', content: 'x' }])).toBe('[user]x');
  });
});
