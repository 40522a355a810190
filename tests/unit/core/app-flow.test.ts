// The core end to end with the real engine host: first-run conversion of the embedded model,
// loading, streamed chat persisted in the store, branches, stop, and recovery from an engine crash.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatEvent, ConvertEvent, EventChannel, EventOf, RequestChannel, RequestOf, ResponseOf } from '../../../src-shared/contract.js';
import { AppCore, type ConnectedClient } from '../../../src-main/core/app-core.js';
import { forkLauncher } from '../../../src-main/core/engine-supervisor.js';
import { builtEngineHost } from '../helpers/built.js';

let core: AppCore;
let client: ConnectedClient;
let home: string;
const events: Array<{ event: EventChannel; payload: unknown }> = [];

async function call<C extends RequestChannel>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>> {
  const reply = await core.router.handle({ id: 1, channel, payload }, client);
  if (!reply.ok) throw Object.assign(new Error(`${reply.error.code}: ${reply.error.message}`), { code: reply.error.code });
  return reply.result as ResponseOf<C>;
}

function waitFor<E extends EventChannel>(event: E, pred: (p: EventOf<E>) => boolean, ms = 60_000): Promise<EventOf<E>> {
  return new Promise((resolve, reject) => {
    const seen = events.find((e) => e.event === event && pred(e.payload as EventOf<E>));
    if (seen) return resolve(seen.payload as EventOf<E>);
    const timer = setTimeout(() => reject(new Error(`timeout waiting for ${event}`)), ms);
    const t = setInterval(() => {
      const hit = events.find((e) => e.event === event && pred(e.payload as EventOf<E>));
      if (hit) {
        clearTimeout(timer);
        clearInterval(t);
        resolve(hit.payload as EventOf<E>);
      }
    }, 10);
  });
}

const chatEnd = (jobId: string) => waitFor('chat.event', (e: ChatEvent) => e.jobId === jobId && (e.type === 'done' || e.type === 'error'));

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'qins-core-'));
  process.env.QINS_HOME = home;
  core = new AppCore({ mode: 'web', launcher: forkLauncher(builtEngineHost()) });
  client = core.connect((event, payload) => events.push({ event, payload }));
  await core.start();
}, 120_000);

afterAll(async () => {
  await core?.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('first run', () => {
  it('converts the embedded model with progress, then lists it', async () => {
    const jobs = await call('models.jobs', {});
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ codec: 'qins8', builtin: true });
    const done = (await waitFor('convert.event', (e: ConvertEvent) => e.type === 'done' || e.type === 'error', 120_000)) as ConvertEvent;
    expect(done.type).toBe('done');
    const progress = events.filter((e) => e.event === 'convert.event' && (e.payload as ConvertEvent).type === 'progress');
    expect(progress.length).toBeGreaterThan(2);
    const models = await call('models.list', {});
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ codec: 'qins8', architecture: 'phi3', builtin: true, engine: 'qins', missing: false });
    expect(models[0]!.fileBytes / models[0]!.sourceBytes!).toBeLessThan(0.56);
  }, 180_000);
});

describe('chat', () => {
  let conversationId: string;

  it('streams a reply, persists it with stats, and titles the conversation', async () => {
    const { conversation } = await call('conversations.create', { sampling: { temperature: 0, top_p: 1, top_k: 0, min_p: 0, repetition_penalty: 1, max_tokens: 40, seed: 1, stop: [] } });
    conversationId = conversation.id;
    const started = await call('chat.send', { conversationId, content: 'What does "harbor" mean?' });
    expect(started.thread.at(-1)?.message).toMatchObject({ role: 'assistant', status: 'incomplete', content: '' });
    const end = await chatEnd(started.jobId);
    expect(end.type).toBe('done');
    const deltas = events.filter((e) => e.event === 'chat.event' && (e.payload as ChatEvent).jobId === started.jobId && (e.payload as ChatEvent).type === 'delta');
    expect(deltas.length).toBeGreaterThan(1);
    const text = deltas.map((d) => (d.payload as { text: string }).text).join('');
    const view = await call('conversations.get', { id: conversationId });
    expect(view.conversation.title).toBe('What does "harbor" mean?');
    const reply = view.thread.at(-1)!.message;
    expect(reply.status).toBe('complete');
    expect(reply.content).toBe(text);
    expect(reply.content).toMatch(/harbor/);
    expect(reply.stats).toMatchObject({ codec: 'qins8', stop_reason: 'eos' });
    expect(reply.stats!.tokens).toBeGreaterThan(3);
    expect(reply.stats!.tok_s).toBeGreaterThan(0);
    expect((await call('models.status', {})).state).toBe('ready');
  }, 120_000);

  it('a second turn continues the thread and regenerate makes a sibling', async () => {
    const started = await call('chat.send', { conversationId, content: 'Use it in a sentence.' });
    await chatEnd(started.jobId);
    const view = await call('conversations.get', { id: conversationId });
    expect(view.thread).toHaveLength(4);
    const last = view.thread.at(-1)!;
    const regen = await call('chat.regenerate', { conversationId, messageId: last.message.id });
    await chatEnd(regen.jobId);
    const after = await call('conversations.get', { id: conversationId });
    expect(after.thread.at(-1)!.siblingCount).toBe(2);
    expect(after.thread.at(-1)!.siblingIndex).toBe(1);
    // back to the first reply
    const back = await call('chat.switchBranch', { conversationId, messageId: last.message.id });
    expect(back.thread.at(-1)!.message.id).toBe(last.message.id);
  }, 120_000);

  it('edit creates a branch of the user message; search finds the conversation', async () => {
    const view = await call('conversations.get', { id: conversationId });
    const firstUser = view.thread[0]!.message;
    const edited = await call('chat.edit', { conversationId, messageId: firstUser.id, content: 'What does "river" mean?' });
    await chatEnd(edited.jobId);
    const after = await call('conversations.get', { id: conversationId });
    expect(after.thread[0]!.siblingCount).toBe(2);
    expect(after.thread[0]!.message.content).toBe('What does "river" mean?');
    const hits = await call('conversations.search', { query: 'harbor' });
    expect(hits.map((h) => h.conversationId)).toContain(conversationId);
  }, 120_000);

  it('stop ends a long reply early, keeping its text', async () => {
    await call('conversations.update', { id: conversationId, patch: { sampling: { temperature: 1, top_p: 1, top_k: 0, min_p: 0, repetition_penalty: 1, max_tokens: 2000, seed: 7, stop: [] } } });
    const started = await call('chat.send', { conversationId, content: 'Tell me a very long story about ships.' });
    await waitFor('chat.event', (e: ChatEvent) => e.jobId === started.jobId && e.type === 'delta');
    expect((await call('chat.stop', { jobId: started.jobId })).stopped).toBe(true);
    const end = await chatEnd(started.jobId);
    expect(end.type).toBe('done');
    const msg = (end as Extract<ChatEvent, { type: 'done' }>).message;
    expect(msg.stats?.stop_reason).toBe('stopped');
    expect(msg.stats!.tokens).toBeLessThan(2000);
  }, 120_000);

  it('an engine crash mid-reply keeps the partial reply (incomplete), restarts the engine, and the next reply works', async () => {
    const started = await call('chat.send', { conversationId, content: 'Tell me another long story about the sea.' });
    await waitFor('chat.event', (e: ChatEvent) => e.jobId === started.jobId && e.type === 'delta' && e.tokens >= 3);
    process.kill(core.engine.status().pid!, 'SIGKILL');
    const end = await chatEnd(started.jobId);
    expect(end.type).toBe('error');
    const err = end as Extract<ChatEvent, { type: 'error' }>;
    expect(err.error.code).toBe('ENGINE_CRASHED');
    expect(err.message?.status).toBe('incomplete');
    expect(err.message?.content.length).toBeGreaterThan(0);
    await waitFor('engine.status', (s) => s.state === 'ready' && s.restarts >= 1, 30_000);
    await call('conversations.update', { id: conversationId, patch: { sampling: { temperature: 0, top_p: 1, top_k: 0, min_p: 0, repetition_penalty: 1, max_tokens: 20, seed: 1, stop: [] } } });
    const next = await call('chat.send', { conversationId, content: 'Hello' });
    expect((await chatEnd(next.jobId)).type).toBe('done');
  }, 180_000);
});

describe('continue', () => {
  it('continues a cut-off reply: the new text is appended to what was there', async () => {
    // Cut by max_tokens, not by chat.stop: where a stopped reply ends depends on when the stop
    // lands, and a short reply may already have ended by itself (then there is nothing to
    // continue). Stopping is tested above; continuing works the same on either.
    const { conversation } = await call('conversations.create', { sampling: { temperature: 1, top_p: 1, top_k: 0, min_p: 0, repetition_penalty: 1, max_tokens: 8, seed: 11, stop: [] } });
    const started = await call('chat.send', { conversationId: conversation.id, content: 'Tell me a long story about a harbor.' });
    const cut = (await chatEnd(started.jobId)) as Extract<ChatEvent, { type: 'done' }>;
    expect(cut.message.stats?.stop_reason).toBe('length');
    const partial = cut.message.content;
    expect(partial.length).toBeGreaterThan(0);
    await call('conversations.update', { id: conversation.id, patch: { sampling: { temperature: 0, top_p: 1, top_k: 0, min_p: 0, repetition_penalty: 1, max_tokens: 12, seed: 1, stop: [] } } });
    const cont = await call('chat.continue', { conversationId: conversation.id, messageId: cut.message.id });
    expect(cont.assistantMessageId).toBe(cut.message.id);
    const end = (await chatEnd(cont.jobId)) as Extract<ChatEvent, { type: 'done' }>;
    expect(end.type).toBe('done');
    expect(end.message.id).toBe(cut.message.id);
    expect(end.message.content.startsWith(partial)).toBe(true);
    expect(end.message.content.length).toBeGreaterThan(partial.length);
    const view = await call('conversations.get', { id: conversation.id });
    expect(view.thread.at(-1)!.message.content).toBe(end.message.content);
    expect(view.thread.at(-1)!.siblingCount).toBe(1);
  }, 120_000);
});

describe('reply to an unanswered message', () => {
  it('after its reply is deleted, a user message can be answered again', async () => {
    const { conversation } = await call('conversations.create', { sampling: { temperature: 0, top_p: 1, top_k: 0, min_p: 0, repetition_penalty: 1, max_tokens: 10, seed: 1, stop: [] } });
    const started = await call('chat.send', { conversationId: conversation.id, content: 'Hello' });
    await chatEnd(started.jobId);
    const afterDelete = await call('chat.deleteMessage', { conversationId: conversation.id, messageId: started.assistantMessageId });
    expect(afterDelete.thread.at(-1)!.message.role).toBe('user');
    const again = await call('chat.reply', { conversationId: conversation.id, messageId: started.userMessageId! });
    expect((await chatEnd(again.jobId)).type).toBe('done');
    const view = await call('conversations.get', { id: conversation.id });
    expect(view.thread.map((t) => t.message.role)).toEqual(['user', 'assistant']);
    await expect(call('chat.reply', { conversationId: conversation.id, messageId: again.assistantMessageId })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(call('models.pickFolder', {})).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  }, 120_000);
});
