import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitBlocks } from '../../../src-renderer/src/lib/blocks';

describe('splitBlocks', () => {
  it('splits at blank lines, never inside fenced code or before indented continuations', () => {
    const text = 'Intro line\n\n```js\nconst a = 1;\n\nconst b = 2;\n```\n\n1. Step one\n\n    more about step one\n\n2. Step two\n';
    expect(splitBlocks(text)).toEqual(['Intro line\n\n', '```js\nconst a = 1;\n\nconst b = 2;\n```\n\n', '1. Step one\n\n    more about step one\n\n', '2. Step two\n']);
  });

  it('bounds the size of blocks in long paragraphs and long lines, but keeps tables whole', () => {
    const para = Array.from({ length: 200 }, (_, i) => `line ${i} of a long paragraph`).join('\n');
    expect(Math.max(...splitBlocks(para, 300).map((b) => b.length))).toBeLessThan(400);
    const longLine = Array.from({ length: 500 }, (_, i) => `word${i}`).join(' ');
    const parts = splitBlocks(longLine, 300);
    expect(parts.length).toBeGreaterThan(3);
    for (const p of parts.slice(1)) expect(p[0]).toMatch(/\p{L}/u);
    const table = `| a | b |\n|---|---|\n${Array.from({ length: 100 }, (_, i) => `| ${i} | x |`).join('\n')}\n`;
    expect(splitBlocks(table, 300)).toEqual([table]);
  });

  it('loses nothing, and the blocks of a prefix are the blocks of the whole text (streaming)', () => {
    const pieces = fc.constantFrom('word ', 'other ', '\n', '\n\n', '```\n', '    indented\n', '- item\n', '| t |\n', '# h\n', 'x'.repeat(50) + ' ');
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 120 }), fc.nat(), (parts, cutAt) => {
        const text = parts.join('');
        const blocks = splitBlocks(text, 60);
        expect(blocks.join('')).toBe(text);
        const prefix = text.slice(0, text.length === 0 ? 0 : cutAt % (text.length + 1));
        const pb = splitBlocks(prefix, 60);
        // Every block of the prefix but the last (still growing) is a block of the whole text.
        const settled = Math.max(0, pb.length - 1);
        expect(blocks.slice(0, settled)).toEqual(pb.slice(0, settled));
      }),
      { numRuns: 400 },
    );
  });
});
