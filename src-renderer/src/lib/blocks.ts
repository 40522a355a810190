// Splits Markdown into blocks that can be parsed on their own, so a growing reply only re-parses
// its last block: earlier blocks are finished strings and their rendering is memoized.
//
// A block ends before a line that starts flush left (not indented, so it cannot be a continuation
// of a list item or an indented code block) and follows a blank line, outside fenced code. To bound
// the cost of one very long paragraph, a block also ends before a flush line once it passes
// `softLimit` characters (not before table rows), and inside a line longer than twice that, at a
// space followed by a letter (a letter cannot start a list, heading, quote or code block).
// Every boundary depends only on the text before it plus at most one character after it, so the
// blocks of a streamed prefix stay the same strings as the text grows and when the reply ends.

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const LETTER = /\p{L}/u;

function flush(line: string): boolean {
  const c = line[0];
  return c !== undefined && c !== ' ' && c !== '\t';
}

export function splitBlocks(text: string, softLimit = 600): string[] {
  const blocks: string[] = [];
  let start = 0;
  let fence: string | null = null;
  let prevBlank = false;
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl === -1 ? text.length : nl;
    const line = text.slice(pos, lineEnd);
    if (fence === null && pos > start && flush(line) && (prevBlank || (pos - start > softLimit && line[0] !== '|'))) {
      blocks.push(text.slice(start, pos));
      start = pos;
    }
    const m = FENCE.exec(line);
    if (m) {
      const marker = m[1]!;
      if (fence === null) fence = marker;
      else if (marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = null;
    } else if (fence === null && lineEnd - pos > 2 * softLimit) {
      // One very long line: cut it at spaces followed by a letter, every `softLimit` characters.
      for (let i = pos + 1; i < lineEnd; i++) {
        if (i - start > 2 * softLimit && text[i - 1] === ' ' && LETTER.test(text[i]!)) {
          blocks.push(text.slice(start, i));
          start = i;
        }
      }
    }
    prevBlank = line.trim() === '';
    pos = nl === -1 ? text.length : nl + 1;
  }
  if (start < text.length) blocks.push(text.slice(start));
  return blocks;
}
