import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChatStore } from '../../../src-main/core/store/repository.js';
import {
  exportToFile,
  importFromFile,
  parseExportDocument,
  renderExport,
} from '../../../src-main/core/store/transfer.js';
import { ExportDocument } from '../../../src-shared/records.js';
import { tempDir, tickingClock } from './helpers.js';

/** A store with two conversations: branches, stats, an incomplete and an error reply, unicode. */
function populate(store: ChatStore) {
  const a = store.createConversation({
    title: 'Harbor <words> & "quotes"',
    modelId: 'tiny-phi3-chat-qins8',
    modelName: 'tiny-phi3-chat (qins8)',
    systemPrompt: 'You are terse.\nAnswer in one line.',
    sampling: { temperature: 0.35, top_k: 0, seed: 1234, stop: ['<|end|>', '\n\n'], max_tokens: null },
  });
  const u1 = store.addUserMessage(a.id, null, 'What does "harbor" mean? 🦊 東京');
  const r1 = store.beginAssistantMessage(a.id, u1.id, { model: 'tiny-phi3-chat', codec: 'qins8' });
  store.appendContent(r1, 'A sheltered place for ships.\n\n```js\nconsole.log("<b>")\n```');
  store.finishMessage(r1, {
    status: 'complete',
    stats: {
      tokens: 17,
      prompt_tokens: 42,
      tok_s: 23.456789,
      ttft_ms: 118.25,
      stop_reason: 'eos',
      context: { contextLength: 4096, promptTokens: 42, droppedMessages: 1, maxReplyTokens: 4054, note: '1 earlier message left out' },
    },
  });
  const r2 = store.beginAssistantMessage(a.id, u1.id, { model: 'tiny-phi3-chat', codec: 'qins4' });
  store.appendContent(r2, 'Regenerated: a port.');
  store.finishMessage(r2, { status: 'complete', stats: { tokens: 5, tok_s: 30, ttft_ms: 90, stop_reason: 'length' } });
  const u2 = store.addUserMessage(a.id, r2, 'And "haven"?');
  const r3 = store.beginAssistantMessage(a.id, u2.id, { model: 'tiny-phi3-chat' });
  store.appendContent(r3, 'Half an ans');
  store.flush(r3);
  store.finishMessage(r3, { status: 'error', error: 'engine host exited', stats: { stop_reason: 'error' } });
  store.editUserMessage(u2.id, 'And "haven", please?');
  // Back to the first reply's branch.
  store.switchBranch(a.id, r1);

  const b = store.createConversation({ title: 'Пустой' });
  const u3 = store.addUserMessage(b.id, null, 'Crash test');
  const r4 = store.beginAssistantMessage(b.id, u3.id);
  store.appendContent(r4, 'partial');
  store.flush(r4);
  store.createConversation({ title: 'Empty' });
  return { a, b, r1, r4 };
}

const withoutTime = (doc: ExportDocument) => ({ ...doc, exportedAt: undefined });

describe('export and import', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('JSON round-trips exactly: export → import into an empty store → export', () => {
    const s1 = ChatStore.open(join(dir, 'one', 'qins.db'), { now: tickingClock() });
    populate(s1);
    const out1 = join(dir, 'export1.json');
    const sum1 = exportToFile(s1, { file: out1, format: 'json' });
    expect(sum1).toMatchObject({ conversations: 3, messages: 8 });
    s1.close();

    const s2 = ChatStore.open(join(dir, 'two', 'qins.db'), { now: tickingClock(Date.UTC(2030, 0, 1)) });
    const r = importFromFile(s2, out1);
    expect(r.imported).toHaveLength(3);
    expect(r.duplicates).toEqual([]);
    expect(r.messages).toBe(8);
    const out2 = join(dir, 'export2.json');
    exportToFile(s2, { file: out2, format: 'json' });
    const d1 = JSON.parse(readFileSync(out1, 'utf8')) as ExportDocument;
    const d2 = JSON.parse(readFileSync(out2, 'utf8')) as ExportDocument;
    expect(d2.exportedAt).not.toBe(d1.exportedAt);
    expect(withoutTime(d2)).toEqual(withoutTime(d1));
    // Byte for byte, apart from the exportedAt line.
    const strip = (t: string) => t.replace(/"exportedAt": "[^"]*"/, '');
    expect(strip(readFileSync(out2, 'utf8'))).toBe(strip(readFileSync(out1, 'utf8')));
    // The imported store behaves like the original: threads, search, integrity.
    const a = d1.conversations[0];
    expect(s2.getThread(a?.id as string).map((e) => e.message.content)).toEqual([
      'What does "harbor" mean? 🦊 東京',
      'A sheltered place for ships.\n\n```js\nconsole.log("<b>")\n```',
    ]);
    expect(s2.search('東京').map((h) => h.conversationId)).toEqual([a?.id]);
    expect(s2.integrityCheck()).toEqual([]);
    s2.close();
  });

  it('keeps everything in the JSON: branches, settings, stats, statuses', () => {
    const s = ChatStore.open(':memory:', { now: tickingClock() });
    const { a, r1, r4 } = populate(s);
    const doc = s.exportDocument([a.id]);
    expect(ExportDocument.parse(doc)).toEqual(doc);
    const c = doc.conversations[0];
    expect(c?.sampling).toMatchObject({ temperature: 0.35, top_k: 0, seed: 1234, stop: ['<|end|>', '\n\n'], max_tokens: null });
    expect(c?.systemPrompt).toBe('You are terse.\nAnswer in one line.');
    expect(c?.currentLeafId).toBe(r1);
    expect(c?.messages.map((m) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
      ['assistant', 'complete'],
      ['user', 'complete'],
      ['assistant', 'error'],
      ['user', 'complete'],
    ]);
    expect(c?.messages[1]?.stats).toEqual({
      tokens: 17,
      prompt_tokens: 42,
      tok_s: 23.456789,
      ttft_ms: 118.25,
      codec: 'qins8',
      model: 'tiny-phi3-chat',
      stop_reason: 'eos',
      context: {
        policy: 'drop-oldest',
        contextLength: 4096,
        promptTokens: 42,
        droppedMessages: 1,
        maxReplyTokens: 4054,
        note: '1 earlier message left out',
      },
    });
    expect(c?.messages[4]).toMatchObject({ error: 'engine host exited', content: 'Half an ans' });
    expect(s.exportDocument().conversations.flatMap((x) => x.messages).find((m) => m.id === r4)?.status).toBe(
      'incomplete',
    );
    expect(() => s.exportDocument(['missing'])).toThrow(/no conversation missing/);
    s.close();
  });

  it('skips conversations that already exist (by id) and imports the rest', () => {
    const s1 = ChatStore.open(join(dir, 'qins.db'), { now: tickingClock() });
    populate(s1);
    const file = join(dir, 'all.json');
    exportToFile(s1, { file, format: 'json' });
    const again = importFromFile(s1, file);
    expect(again.imported).toEqual([]);
    expect(again.duplicates).toHaveLength(3);
    expect(again.messages).toBe(0);
    // Delete one and import again: only that one comes back.
    const victim = s1.listConversations().at(-1)?.id as string;
    s1.deleteConversation(victim);
    const back = importFromFile(s1, file);
    expect(back.imported).toEqual([victim]);
    expect(back.duplicates).toHaveLength(2);
    s1.close();
  });

  it('refuses a message id that exists in another conversation, writing nothing', () => {
    const s = ChatStore.open(join(dir, 'qins.db'), { now: tickingClock() });
    const { a } = populate(s);
    const doc = s.exportDocument([a.id]);
    const clash = structuredClone(doc);
    const conv = clash.conversations[0];
    if (!conv) throw new Error('fixture');
    conv.id = 'another-conversation';
    // Also bring a genuinely new conversation, which must not be written either.
    const fresh = { ...structuredClone(conv), id: 'fresh', messages: [], currentLeafId: null };
    clash.conversations.unshift(fresh);
    const file = join(dir, 'clash.json');
    writeFileSync(file, JSON.stringify(clash));
    const before = s.exportDocument();
    expect(() => importFromFile(s, file)).toThrow(/already exists in conversation/);
    expect(withoutTime(s.exportDocument())).toEqual(withoutTime(before));
    s.close();
  });

  describe('invalid files: a clear one-line error and nothing written', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['not JSON', '{"format": "qins-chat-export", "version": 1, ', /is not valid JSON/],
      ['empty', '', /is not valid JSON/],
      ['another format', '{"messages": []}', /is not a QINS Chat export/],
      ['an array', '[]', /is not a QINS Chat export/],
      ['a newer version', '{"format": "qins-chat-export", "version": 2}', /version 2 export; this app reads version 1/],
      [
        'a bad field',
        JSON.stringify({
          format: 'qins-chat-export',
          version: 1,
          exportedAt: '2026-01-01T00:00:00.000Z',
          conversations: [{ id: 'c' }],
        }),
        /invalid export in .*: conversations\[0\]\.title: /,
      ],
    ];
    it.each(cases)('%s', (_name, text, error) => {
      const file = join(dir, 'bad.json');
      writeFileSync(file, text);
      const dbFile = join(dir, 'qins.db');
      const s = ChatStore.open(dbFile);
      s.createConversation({ title: 'existing' });
      const before = s.exportDocument();
      let message = '';
      try {
        importFromFile(s, file);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(error);
      expect(message).not.toContain('\n');
      expect(withoutTime(s.exportDocument())).toEqual(withoutTime(before));
      s.close();
    });

    it('rejects broken trees: unknown parent, cycle, duplicate ids, unknown selected leaf', () => {
      const s = ChatStore.open(':memory:', { now: tickingClock() });
      const { a } = populate(s);
      const good = s.exportDocument([a.id]);
      const mutate = (f: (d: ExportDocument) => void) => {
        const d = structuredClone(good);
        f(d);
        return JSON.stringify(d);
      };
      const conv = (d: ExportDocument) => d.conversations[0] as ExportDocument['conversations'][number];
      expect(() => parseExportDocument(mutate((d) => void ((conv(d).messages[1] as { parentId: string }).parentId = 'ghost')))).toThrow(
        /has parent ghost, which is not in the conversation/,
      );
      expect(() =>
        parseExportDocument(
          mutate((d) => {
            const [m0, m1] = conv(d).messages;
            if (m0 && m1) m0.parentId = m1.id;
          }),
        ),
      ).toThrow(/is its own ancestor/);
      expect(() => parseExportDocument(mutate((d) => conv(d).messages.push(structuredClone(conv(d).messages[0]!))))).toThrow(
        /appears twice/,
      );
      expect(() => parseExportDocument(mutate((d) => d.conversations.push(structuredClone(conv(d)))))).toThrow(
        /conversation id .* appears twice/,
      );
      expect(() => parseExportDocument(mutate((d) => void (conv(d).currentLeafId = 'ghost')))).toThrow(
        /selected message ghost/,
      );
      expect(() => parseExportDocument(mutate((d) => void ((conv(d).messages[0] as { role: string }).role = 'system')))).toThrow(
        /messages\[0\]\.role/,
      );
      // Children listed before their parents are fine: they are reordered.
      const reordered = parseExportDocument(mutate((d) => conv(d).messages.reverse()));
      const ids = new Set<string>();
      for (const m of reordered.conversations[0]?.messages ?? []) {
        if (m.parentId) expect(ids.has(m.parentId)).toBe(true);
        ids.add(m.id);
      }
      s.close();
    });

    it('a missing file', () => {
      const s = ChatStore.open(':memory:');
      expect(() => importFromFile(s, join(dir, 'nope.json'))).toThrow(/no file/);
      s.close();
    });
  });

  it('renders readable Markdown and one self-contained, escaped HTML file', () => {
    const s = ChatStore.open(':memory:', { now: tickingClock() });
    const { a } = populate(s);
    const doc = s.exportDocument();
    const md = renderExport(doc, 'md');
    expect(md).toContain('# Harbor <words> & "quotes"');
    expect(md).toContain('- Model: tiny-phi3-chat (qins8)');
    expect(md).toContain('temperature 0.35 · top_p 0.95 · top_k 0');
    expect(md).toContain('seed 1234');
    expect(md).toContain('max tokens unlimited');
    expect(md).toContain('> You are terse.\n> Answer in one line.');
    expect(md).toContain('## Assistant (version 1 of 2)');
    expect(md).toContain('tiny-phi3-chat · qins8 · 17 tokens · 23.5 tok/s · first token 118 ms · stop: eos · 1 earlier message left out');
    expect(md).toContain('incomplete: generation was interrupted');
    expect(md).not.toContain('Regenerated: a port.'); // not on the selected branch
    const html = renderExport(s.exportDocument([a.id]), 'html');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<title>Harbor &#60;words&#62; &#38; &#34;quotes&#34;</title>');
    // The reply's Markdown is rendered: its code block is a <pre><code>, its text still escaped.
    expect(html).toContain('<pre><code class="language-js">console.log("&#x3C;b>")\n</code></pre>');
    expect(html).not.toContain('<b>');
    expect(html).not.toMatch(/<(script|link|img)\b/);
    expect(html).not.toMatch(/src="https?:/);
    expect(html).toContain('<style>');
    expect(html).toContain('version 1 of 2');
    s.close();
  });

  it('renders reply Markdown in the HTML export, sanitized, and leaves the user\'s text as typed', () => {
    const s = ChatStore.open(':memory:', { now: tickingClock() });
    const c = s.createConversation({ title: 'md' });
    const u = s.addUserMessage(c.id, null, 'Show **bold** <i>as typed</i>');
    const r = s.beginAssistantMessage(c.id, u.id, { model: 'm', codec: 'qins8' });
    s.appendContent(
      r,
      [
        '# Title',
        'Some **bold**, _italic_ and `code`; a [link](https://example.com/a) and [bad](javascript:alert(1)).',
        '',
        '| a | b |',
        '|---|---|',
        '| 1 | 2 |',
        '',
        '- [x] done',
        '',
        '<script>alert(1)</script><img src=x onerror=alert(2)> ![pic](https://example.com/p.png)',
        '<iframe src="https://example.com"></iframe>',
      ].join('\n'),
    );
    s.finishMessage(r, { status: 'complete', stats: { tokens: 3 } });
    const html = renderExport(s.exportDocument([c.id]), 'html');
    const reply = html.slice(html.indexOf('<div class="content md">'));
    expect(reply).toContain('<h1>Title</h1>');
    expect(reply).toContain('<strong>bold</strong>');
    expect(reply).toContain('<em>italic</em>');
    expect(reply).toContain('<code>code</code>');
    expect(reply).toContain('<a href="https://example.com/a">link</a>');
    expect(reply).toMatch(/<table>[\s\S]*<td>1<\/td>/);
    expect(reply).toContain('type="checkbox"');
    expect(html).not.toMatch(/<(script|iframe|img)\b/);
    expect(html).not.toMatch(/javascript:|onerror|alert\(2\)/);
    expect(html).not.toContain('src=');
    // The user's message is escaped text, not Markdown.
    expect(html).toContain('Show **bold** &#60;i&#62;as typed&#60;/i&#62;');
    s.close();
  });

  it('writes files atomically and reports a missing folder', () => {
    const s = ChatStore.open(':memory:');
    s.createConversation({ title: 'x' });
    const file = join(dir, 'out.md');
    writeFileSync(file, 'old');
    exportToFile(s, { file, format: 'md' });
    expect(readFileSync(file, 'utf8')).toContain('# x');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(() => exportToFile(s, { file: join(dir, 'no', 'such', 'out.md'), format: 'md' })).toThrow(
      /folder .* does not exist/,
    );
    expect(existsSync(join(dir, 'no'))).toBe(false);
    expect(statSync(file).size).toBeGreaterThan(0);
    s.close();
  });
});
