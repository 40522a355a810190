import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChatStore } from '../../../src-main/core/store/repository.js';
import { buildSearchQuery, likeSnippet, splitTerms } from '../../../src-main/core/store/search-query.js';
import { SNIPPET_MARK_CLOSE as C, SNIPPET_MARK_OPEN as O, splitSnippet } from '../../../src-shared/records.js';
import { tickingClock } from './helpers.js';

describe('search query building', () => {
  it('splits terms, keeps quoted phrases, drops marker characters and duplicates', () => {
    expect(splitTerms('  foo "bar baz"  foo \u0002qux\u0003 ')).toEqual(['foo', 'bar baz', 'qux']);
    expect(splitTerms('   ')).toEqual([]);
  });

  it('quotes long terms for MATCH and escapes short ones for LIKE', () => {
    expect(buildSearchQuery('say "hi"')).toEqual({ match: '"say"', like: ['%hi%'], terms: ['say', 'hi'] });
    expect(buildSearchQuery('a"b_c')?.match).toBe('"a""b_c"');
    expect(buildSearchQuery('%_')).toEqual({ match: null, like: ['%\\%\\_%'], terms: ['%_'] });
    // Length is counted in characters, not UTF-16 units: one emoji is a short term.
    expect(buildSearchQuery('🦊')?.like).toEqual(['%🦊%']);
    expect(buildSearchQuery('')).toBeNull();
  });

  it('makes highlighted snippets without splitting surrogate pairs', () => {
    const s = likeSnippet(`${'🦊'.repeat(30)} ok ${'x'.repeat(100)}`, ['ok'], 10);
    expect(s.startsWith('…')).toBe(true);
    expect(s).toContain(`${O}ok${C}`);
    expect(s.endsWith('…')).toBe(true);
    expect(s).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/); // no lone high surrogate
    expect(s).not.toMatch(/(?<![\ud800-\udbff])[\udc00-\udfff]/); // no lone low surrogate
    expect(splitSnippet(`a ${O}b${C} c`)).toEqual([
      { text: 'a ', highlight: false },
      { text: 'b', highlight: true },
      { text: ' c', highlight: false },
    ]);
  });
});

describe('ChatStore.search', () => {
  let store: ChatStore;
  const ids: Record<string, string> = {};
  beforeEach(() => {
    store = ChatStore.open(':memory:', { now: tickingClock() });
    const add = (key: string, title: string, texts: string[]) => {
      const c = store.createConversation({ title });
      ids[key] = c.id;
      let parent: string | null = null;
      for (const t of texts) parent = store.addUserMessage(c.id, parent, t).id;
    };
    add('jp', 'Trip planning', ['東京都の天気はどうですか？', 'Ich möchte nach Zürich fahren.']);
    add('ru', 'Русский разговор', ['Привет, как дела? Пожалуйста, объясни квантовую механику.']);
    add('emoji', 'Pets 🦊', ['My fox 🦊 likes naïve café crème', 'Straße und Maße']);
    add('en', 'Harbor words', ['What does "harbor" mean?', 'A harbor is a sheltered place for ships.']);
  });
  afterEach(() => store.close());

  const found = (q: string) => store.search(q).map((h) => Object.keys(ids).find((k) => ids[k] === h.conversationId));

  it('finds CJK substrings without word boundaries', () => {
    expect(found('東京都')).toEqual(['jp']);
    expect(found('天気')).toEqual(['jp']); // two characters: LIKE fallback
    const [hit] = store.search('東京都');
    expect(hit?.snippet).toContain(`${O}東京都${C}`);
    expect(hit?.title).toBe('Trip planning');
  });

  it('folds case and diacritics for Latin and Cyrillic text', () => {
    expect(found('zurich')).toEqual(['jp']);
    expect(found('ZÜRICH')).toEqual(['jp']);
    expect(found('cafe creme')).toEqual(['emoji']);
    expect(found('NAIVE')).toEqual(['emoji']);
    expect(found('пожалуйста')).toEqual(['ru']);
    expect(found('КВАНТОВУЮ')).toEqual(['ru']);
  });

  it('matches emoji and requires every term', () => {
    expect(found('🦊')).toEqual(['emoji']);
    expect(found('fox 🦊')).toEqual(['emoji']);
    expect(found('fox zürich')).toEqual([]);
    expect(found('"sheltered place"')).toEqual(['en']);
    expect(found('place sheltered')).toEqual(['en']);
    expect(found('"place sheltered"')).toEqual([]);
  });

  it('searches titles and reports where the match is', () => {
    const [hit] = store.search('разговор');
    expect(hit).toMatchObject({ conversationId: ids.ru, messageId: null, matches: 0 });
    expect(hit?.snippet).toBe(`Русский ${O}разговор${C}`);
    const [h2] = store.search('harbor');
    expect(h2).toMatchObject({ conversationId: ids.en, matches: 2 });
    expect(h2?.messageId).not.toBeNull();
  });

  it('treats query syntax as text and survives hostile input', () => {
    for (const q of ['"', 'AND', 'OR NOT', '*', 'content:foo', 'NEAR(a b)', '\\', "'; DROP TABLE messages; --", '%', '_']) {
      expect(() => store.search(q)).not.toThrow();
    }
    // A lone quote is a literal character: only the message quoting "harbor" has one.
    expect(found('"""')).toEqual(['en']);
    expect(found('%')).toEqual([]);
    expect(found('_')).toEqual([]);
    // Short terms match literally (the Japanese text has a full-width ？), most recent first.
    expect(found('?')).toEqual(['en', 'ru']);
  });

  it('follows edits and deletions', () => {
    const c = store.createConversation({ title: 'Later' });
    const id = store.beginAssistantMessage(c.id, null);
    store.appendContent(id, 'xylophone');
    store.flush(id);
    expect(found('xylophone')).toEqual([undefined]);
    store.finishMessage(id, { status: 'complete' });
    store.deleteConversation(c.id);
    expect(store.search('xylophone')).toEqual([]);
    store.deleteConversation(ids.jp as string);
    expect(found('東京都')).toEqual([]);
    expect(store.integrityCheck()).toEqual([]);
  });
});
