// Turns what the user typed into an FTS5 MATCH expression plus LIKE patterns, and makes snippets
// for matches the FTS index cannot highlight. The search tables use the trigram tokenizer, which
// needs at least three characters per term; shorter terms are matched with LIKE instead.
import { SNIPPET_ELLIPSIS, SNIPPET_MARK_CLOSE, SNIPPET_MARK_OPEN } from '../../../src-shared/records.js';

export interface SearchQuery {
  /** FTS5 expression (every long term as a quoted phrase, all required), or null if none. */
  match: string | null;
  /** LIKE patterns (escaped with '\') for the short terms, all required. */
  like: string[];
  /** Every term, for highlighting. */
  terms: string[];
}

const MAX_TERMS = 16;
const MARKS = new RegExp(`[${SNIPPET_MARK_OPEN}${SNIPPET_MARK_CLOSE}]`, 'g');

/** Splits on whitespace; "double quoted" text is one term. */
export function splitTerms(query: string): string[] {
  const terms: string[] = [];
  const re = /"([^"]*)"|(\S+)/gu;
  for (const m of query.replace(MARKS, '').normalize('NFC').matchAll(re)) {
    const term = (m[1] ?? m[2] ?? '').trim();
    if (term.length > 0 && !terms.includes(term)) terms.push(term);
  }
  return terms.slice(0, MAX_TERMS);
}

const codePoints = (s: string): number => [...s].length;

export function buildSearchQuery(query: string): SearchQuery | null {
  const terms = splitTerms(query);
  if (terms.length === 0) return null;
  const long = terms.filter((t) => codePoints(t) >= 3);
  const short = terms.filter((t) => codePoints(t) < 3);
  return {
    match: long.length > 0 ? long.map((t) => `"${t.replaceAll('"', '""')}"`).join(' AND ') : null,
    like: short.map((t) => `%${t.replace(/[\\%_]/g, (c) => `\\${c}`)}%`),
    terms,
  };
}

/** A snippet of `text` around the first occurrence of any term, occurrences highlighted. */
export function likeSnippet(text: string, terms: readonly string[], radius = 40): string {
  const clean = text.replace(MARKS, '');
  const lower = clean.toLowerCase();
  // Lower-casing can change the length of a few characters; then search case-sensitively.
  const hay = lower.length === clean.length ? lower : clean;
  const needles = terms.map((t) => (hay === lower ? t.toLowerCase() : t)).filter((t) => t.length > 0);
  let first = -1;
  for (const n of needles) {
    const i = hay.indexOf(n);
    if (i >= 0 && (first < 0 || i < first)) first = i;
  }
  if (first < 0) {
    const cut = sliceSafe(clean, 0, radius * 2);
    return cut.length < clean.length ? cut + SNIPPET_ELLIPSIS : cut;
  }
  let start = Math.max(0, first - radius);
  let end = Math.min(clean.length, first + radius * 2);
  if (start > 0 && isLowSurrogate(clean.charCodeAt(start))) start -= 1;
  if (end < clean.length && isLowSurrogate(clean.charCodeAt(end))) end += 1;
  const ranges: Array<[number, number]> = [];
  for (const n of needles) {
    for (let i = hay.indexOf(n, start); i >= 0 && i < end; i = hay.indexOf(n, i + n.length)) {
      ranges.push([i, Math.min(end, i + n.length)]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let out = start > 0 ? SNIPPET_ELLIPSIS : '';
  let pos = start;
  for (const [a, b] of ranges) {
    if (b <= pos) continue;
    const from = Math.max(a, pos);
    out += clean.slice(pos, from) + SNIPPET_MARK_OPEN + clean.slice(from, b) + SNIPPET_MARK_CLOSE;
    pos = b;
  }
  out += clean.slice(pos, end);
  return end < clean.length ? out + SNIPPET_ELLIPSIS : out;
}

const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

function sliceSafe(s: string, start: number, end: number): string {
  let e = Math.min(end, s.length);
  if (e < s.length && isLowSurrogate(s.charCodeAt(e))) e += 1;
  return s.slice(start, e);
}
