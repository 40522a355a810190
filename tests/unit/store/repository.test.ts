import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChatStore } from '../../../src-main/core/store/repository.js';
import { defaultSampling, type ModelRecord, StoreError } from '../../../src-main/core/store/index.js';
import { tempDir, tickingClock } from './helpers.js';

describe('ChatStore: conversations', () => {
  let store: ChatStore;
  beforeEach(() => {
    store = ChatStore.open(':memory:', { now: tickingClock() });
  });
  afterEach(() => store.close());

  it('creates with defaults, updates, lists most recent first, deletes', () => {
    const a = store.createConversation();
    expect(a).toMatchObject({ title: 'New chat', systemPrompt: '', modelId: null, currentLeafId: null });
    expect(a.sampling).toEqual(defaultSampling());
    const b = store.createConversation({
      title: 'Second',
      modelId: 'm1',
      modelName: 'Tiny',
      systemPrompt: 'Be brief.',
      sampling: { temperature: 0.2, seed: 42, stop: ['###'] },
    });
    expect(b.sampling).toMatchObject({ temperature: 0.2, seed: 42, stop: ['###'], top_k: 40 });
    store.addUserMessage(a.id, null, 'activity in a');
    expect(store.listConversations().map((c) => c.id)).toEqual([a.id, b.id]);
    expect(store.listConversations()[0]).toMatchObject({ messageCount: 1 });
    const renamed = store.updateConversation(b.id, { title: 'Renamed', sampling: { ...b.sampling, top_p: 0.5 } });
    expect(renamed).toMatchObject({ title: 'Renamed', modelName: 'Tiny', systemPrompt: 'Be brief.' });
    expect(renamed.sampling.top_p).toBe(0.5);
    expect(store.deleteConversation(a.id)).toMatchObject({ deleted: true });
    expect(store.deleteConversation(a.id)).toMatchObject({ deleted: false });
    expect(store.getConversation(a.id)).toBeNull();
    expect(store.listConversations().map((c) => c.id)).toEqual([b.id]);
  });

  it('validates input', () => {
    expect(() => store.createConversation({ sampling: { temperature: -1 } })).toThrow();
    const c = store.createConversation();
    expect(() => store.updateConversation(c.id, { sampling: { ...c.sampling, top_p: 0 } })).toThrow();
    expect(() => store.updateConversation('nope', { title: 'x' })).toThrow(StoreError);
    expect(() => store.addUserMessage('nope', null, 'x')).toThrow(/no conversation nope/);
  });
});

describe('ChatStore: branching history', () => {
  let store: ChatStore;
  beforeEach(() => {
    store = ChatStore.open(':memory:', { now: tickingClock() });
  });
  afterEach(() => store.close());

  /** user → assistant → user → assistant, finished. */
  function chat() {
    const c = store.createConversation({ title: 'Branches' });
    const u1 = store.addUserMessage(c.id, null, 'Q1');
    const a1 = store.beginAssistantMessage(c.id, u1.id, { model: 'tiny' });
    store.appendContent(a1, 'A1');
    store.finishMessage(a1, { status: 'complete', stats: { stop_reason: 'eos', tokens: 1 } });
    const u2 = store.addUserMessage(c.id, a1, 'Q2');
    const a2 = store.beginAssistantMessage(c.id, u2.id);
    store.appendContent(a2, 'A2');
    store.finishMessage(a2, { status: 'complete' });
    return { c, u1, a1, u2, a2 };
  }

  const contents = (conversationId: string, leaf?: string) =>
    store.getThread(conversationId, leaf).map((e) => e.message.content);

  it('returns the root → leaf thread with sibling positions', () => {
    const { c, a2 } = chat();
    const thread = store.getThread(c.id);
    expect(thread.map((e) => e.message.content)).toEqual(['Q1', 'A1', 'Q2', 'A2']);
    expect(thread.every((e) => e.siblingCount === 1 && e.siblingIndex === 0)).toBe(true);
    expect(store.getConversation(c.id)?.currentLeafId).toBe(a2);
  });

  it('editing a user message makes a selected sibling; switching back restores the old branch', () => {
    const { c, u2, a2 } = chat();
    const edited = store.editUserMessage(u2.id, 'Q2 edited');
    expect(edited.parentId).toBe(u2.parentId);
    expect(contents(c.id)).toEqual(['Q1', 'A1', 'Q2 edited']);
    const a2b = store.beginAssistantMessage(c.id, edited.id);
    store.finishMessage(a2b, { status: 'complete' });
    const thread = store.getThread(c.id);
    expect(thread[2]).toMatchObject({ siblingIndex: 1, siblingCount: 2, siblingIds: [u2.id, edited.id] });
    // ‹ 1/2 ›: back to the original branch, down to its leaf.
    const back = store.switchBranch(c.id, u2.id);
    expect(back.map((e) => e.message.content)).toEqual(['Q1', 'A1', 'Q2', 'A2']);
    expect(back[2]).toMatchObject({ siblingIndex: 0, siblingCount: 2 });
    expect(store.getConversation(c.id)?.currentLeafId).toBe(a2);
    // A thread can also be read for any message without changing the selection.
    expect(contents(c.id, edited.id)).toEqual(['Q1', 'A1', 'Q2 edited', '']);
    expect(store.getConversation(c.id)?.currentLeafId).toBe(a2);
  });

  it('regenerating makes a new assistant sibling', () => {
    const { c, u2, a2 } = chat();
    const r = store.beginAssistantMessage(c.id, u2.id, { model: 'tiny' });
    store.appendContent(r, 'A2 again');
    store.finishMessage(r, { status: 'complete' });
    const last = store.getThread(c.id).at(-1);
    expect(last).toMatchObject({ siblingIndex: 1, siblingCount: 2, siblingIds: [a2, r] });
    expect(last?.message.content).toBe('A2 again');
  });

  it('editing the first message gives several roots', () => {
    const { c, u1 } = chat();
    const e = store.editUserMessage(u1.id, 'Q1 v2');
    expect(e.parentId).toBeNull();
    expect(store.getThread(c.id)[0]).toMatchObject({ siblingIndex: 1, siblingCount: 2 });
  });

  it('deleting a message removes its subtree and reselects the nearest branch', () => {
    const { c, a1, u2 } = chat();
    const edited = store.editUserMessage(u2.id, 'Q2 edited');
    const a = store.beginAssistantMessage(c.id, edited.id);
    store.finishMessage(a, { status: 'complete' });
    const r = store.deleteMessage(edited.id);
    expect(r.deleted).toBe(2);
    expect(store.getMessage(a)).toBeNull();
    expect(contents(c.id)).toEqual(['Q1', 'A1', 'Q2', 'A2']);
    const all = store.deleteMessage(a1);
    expect(all).toMatchObject({ deleted: 3 });
    expect(contents(c.id)).toEqual(['Q1']);
    expect(store.search('A2')).toEqual([]);
  });

  it('rejects parents from another conversation and unknown messages', () => {
    const { a1 } = chat();
    const other = store.createConversation();
    expect(() => store.addUserMessage(other.id, a1, 'x')).toThrow(/not|no message/);
    expect(() => store.beginAssistantMessage(other.id, a1)).toThrow(StoreError);
    expect(() => store.getThread(other.id, a1)).toThrow(/no message/);
    expect(() => store.switchBranch(other.id, 'missing')).toThrow(/no message/);
    expect(() => store.editUserMessage(a1, 'x')).toThrow(/not a user message/);
    expect(store.getThread(other.id)).toEqual([]);
  });

  it('continues an incomplete reply', () => {
    const { c, u2 } = chat();
    const r = store.beginAssistantMessage(c.id, u2.id);
    store.appendContent(r, 'partial');
    store.finishMessage(r, { status: 'error', error: 'engine crashed', stats: { stop_reason: 'error' } });
    expect(store.getMessage(r)).toMatchObject({ status: 'error', error: 'engine crashed' });
    const reopened = store.continueMessage(r);
    expect(reopened).toMatchObject({ status: 'incomplete', error: null, content: 'partial' });
    expect(reopened.stats?.stop_reason).toBeNull();
    expect(() => store.continueMessage(r)).toThrow(/already being streamed/);
    store.appendContent(r, ' and the rest');
    expect(store.finishMessage(r, { status: 'complete', stats: { stop_reason: 'eos' } }).content).toBe(
      'partial and the rest',
    );
  });

  it('validates finish input without losing the stream', () => {
    const { c, u2 } = chat();
    const r = store.beginAssistantMessage(c.id, u2.id);
    store.appendContent(r, 'x');
    expect(() => store.finishMessage(r, { status: 'complete', stats: { tokens: -1 } })).toThrow(/bad stats/);
    store.appendContent(r, 'y');
    const m = store.finishMessage(r, {
      status: 'complete',
      stats: {
        tokens: 2,
        context: { contextLength: 4096, promptTokens: 100, droppedMessages: 0, maxReplyTokens: 1024, note: null },
      },
    });
    expect(m.content).toBe('xy');
    expect(m.stats?.context).toEqual({
      policy: 'drop-oldest',
      contextLength: 4096,
      promptTokens: 100,
      droppedMessages: 0,
      maxReplyTokens: 1024,
      note: null,
    });
  });

  it('close() flushes text still buffered; the reply stays incomplete', () => {
    const t = tempDir();
    try {
      const file = join(t.dir, 'qins.db');
      const s1 = ChatStore.open(file, { streaming: { flushIntervalMs: 500 } });
      const c = s1.createConversation();
      const id = s1.beginAssistantMessage(c.id, null);
      s1.appendContent(id, 'buffered');
      expect(s1.streamingIds()).toEqual([id]);
      expect(s1.getMessage(id)?.content).toBe('');
      s1.close();
      s1.close(); // harmless
      const s2 = ChatStore.open(file);
      expect(s2.getMessage(id)).toMatchObject({ content: 'buffered', status: 'incomplete' });
      s2.close();
    } finally {
      t.cleanup();
    }
  });
});

describe('ChatStore: models, settings, presets', () => {
  let store: ChatStore;
  beforeEach(() => {
    store = ChatStore.open(':memory:', { now: tickingClock() });
  });
  afterEach(() => store.close());

  const model = (id: string, builtin = false): ModelRecord => ({
    id,
    name: `Model ${id}`,
    path: `/models/${id}.qins`,
    codec: 'qins8',
    architecture: 'phi3',
    params: 24_300_000,
    fileBytes: 26_000_000,
    contextLength: 4096,
    bitsPerWeight: 8.5,
    snrDb: 41.2,
    sourceName: 'tiny-phi3-chat',
    sourceBytes: 48_600_000,
    sourcePath: '/checkpoints/tiny-phi3-chat',
    builtin,
    addedAt: 1000,
    lastUsedAt: null,
  });

  it('registers, lists (built-in first), updates, touches and removes models', () => {
    store.upsertModel(model('b'));
    store.upsertModel(model('a', true));
    expect(store.listModels().map((m) => m.id)).toEqual(['a', 'b']);
    expect(store.upsertModel({ ...model('b'), name: 'Renamed' }).name).toBe('Renamed');
    store.touchModel('b');
    expect(store.getModel('b')?.lastUsedAt).toBeGreaterThan(0);
    expect(store.removeModel('b')).toBe(true);
    expect(store.removeModel('b')).toBe(false);
    expect(() => store.touchModel('b')).toThrow(/no model/);
    expect(() => store.upsertModel({ ...model('c'), codec: '' })).toThrow();
  });

  it('keeps the source path and the measured quality of a model; quality goes with the model', () => {
    store.upsertModel(model('q'));
    expect(store.getModel('q')?.sourcePath).toBe('/checkpoints/tiny-phi3-chat');
    expect(store.getModelQuality('q')).toBeNull();
    const q = { ppl: 120.5, tokens: 39_776, referencePpl: 120.24, measuredAt: 5 };
    store.setModelQuality('q', q);
    expect(store.getModelQuality('q')).toEqual(q);
    store.setModelQuality('q', { ...q, ppl: 121 });
    expect(store.getModelQuality('q')?.ppl).toBe(121);
    expect(() => store.setModelQuality('nope', q)).toThrow(/no model/);
    expect(() => store.setModelQuality('q', { ...q, ppl: -1 })).toThrow();
    store.removeModel('q');
    expect(store.getModelQuality('q')).toBeNull();
  });

  it('returns defaults, persists patches, and ignores unreadable stored values', () => {
    expect(store.getSettings()).toMatchObject({ theme: 'system', contextPolicy: 'drop-oldest', sendOnEnter: true });
    const s = store.updateSettings({ theme: 'dark', defaultSampling: { temperature: 0.3 } });
    expect(s.theme).toBe('dark');
    expect(s.defaultSampling).toEqual({ ...defaultSampling(), temperature: 0.3 });
    expect(() => store.updateSettings({ theme: 'purple' as 'dark' })).toThrow();
    // A patch changes only the keys it names; the others keep their stored values.
    const t = store.updateSettings({ threads: 3 });
    expect(t).toMatchObject({ theme: 'dark', threads: 3 });
    expect(t.defaultSampling.temperature).toBe(0.3);
    expect(store.updateSettings({ apiEnabled: true })).toMatchObject({ theme: 'dark', threads: 3, apiEnabled: true });
    store.db.prepare("UPDATE settings SET value = '\"purple\"' WHERE key = 'theme'").run();
    expect(store.getSettings().theme).toBe('system');
  });

  it('saves, renames and deletes presets with unique names', () => {
    const p = store.savePreset({ name: 'Precise', systemPrompt: 'Exact.', sampling: { temperature: 0.1 } });
    expect(p.sampling.temperature).toBe(0.1);
    expect(() => store.savePreset({ name: 'Precise' })).toThrow(/already exists/);
    store.savePreset({ id: p.id, name: 'Careful', sampling: { temperature: 0.2 } });
    expect(store.listPresets().map((x) => [x.name, x.sampling.temperature])).toEqual([['Careful', 0.2]]);
    expect(store.deletePreset(p.id)).toBe(true);
    expect(store.listPresets()).toEqual([]);
    expect(() => store.savePreset({ name: '  ' })).toThrow(/needs a name/);
  });
});
