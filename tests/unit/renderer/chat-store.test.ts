// @vitest-environment jsdom
import './setup';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatStarted } from '../../../src-shared/contract';
import { callsOf, handle, resetFake } from './fake-qins';
import { conversation, entry, message, sampling } from './data';

vi.mock('../../../src-renderer/src/lib/qins', () => import('./mock-qins'));
const { useChat, activeReply } = await import('../../../src-renderer/src/state/chat');

const user = message({ id: 'u1', role: 'user', content: 'Hello' });
const pending = message({ id: 'a1', role: 'assistant', parentId: 'u1', status: 'incomplete', stats: null });
const startedReply: ChatStarted = { jobId: 'j1', conversationId: 'c1', userMessageId: 'u1', assistantMessageId: 'a1', thread: [entry(user), entry(pending)] };
const delta = (text: string, tokens: number) => ({ jobId: 'j1', conversationId: 'c1', messageId: 'a1', type: 'delta' as const, text, tokens });
const frame = () => new Promise((r) => setTimeout(r, 150));

beforeEach(async () => {
  resetFake();
  handle('conversations.get', () => ({ conversation: conversation(), thread: [] }));
  handle('chat.contextUsage', () => ({ tokens: 10, contextLength: 4096, reserved: 1024, policy: 'drop-oldest' }));
  handle('chat.send', () => startedReply);
  handle('conversations.update', ({ patch }: { patch: object }) => ({ ...conversation(), ...patch }));
  useChat.setState({ live: {}, thread: [], conversationId: null, conversation: null, status: 'idle' });
  await useChat.getState().open('c1');
});

describe('chat store', () => {
  it('applies a burst of token deltas in a single state update per frame', async () => {
    expect(await useChat.getState().send('Hello')).toBe(true);
    expect(activeReply(useChat.getState())?.jobId).toBe('j1');
    let updates = 0;
    const off = useChat.subscribe(() => updates++);
    const words = Array.from({ length: 50 }, (_, i) => `w${i} `);
    words.forEach((w, i) => useChat.getState().onEvent(delta(w, i + 1)));
    expect(updates).toBe(0);
    await frame();
    off();
    expect(updates).toBe(1);
    const live = useChat.getState().live.a1!;
    expect(live.text).toBe(words.join(''));
    expect(live.tokens).toBe(50);
  });

  it('replaces the streamed text with the stored message when the reply is done', async () => {
    await useChat.getState().send('Hello');
    useChat.getState().onEvent(delta('Hi', 1));
    const done = message({ id: 'a1', role: 'assistant', parentId: 'u1', content: 'Hi there' });
    useChat.getState().onEvent({ jobId: 'j1', conversationId: 'c1', messageId: 'a1', type: 'done', message: done });
    const s = useChat.getState();
    expect(s.live.a1).toBeUndefined();
    expect(s.thread.at(-1)!.message.content).toBe('Hi there');
    // A late frame must not bring the finished reply back to life.
    await frame();
    expect(useChat.getState().live.a1).toBeUndefined();
  });

  it('continuing a reply streams after the text it already had', async () => {
    const stopped = message({ id: 'a1', role: 'assistant', parentId: 'u1', content: 'Once upon', stats: { ...pending.stats!, tokens: 2, prompt_tokens: 1, tok_s: 1, ttft_ms: 1, codec: 'qins8', model: 'm', stop_reason: 'stopped', context: null } as never });
    useChat.setState({ thread: [entry(user), entry(stopped)] });
    handle('chat.continue', () => ({ ...startedReply, userMessageId: null, thread: [entry(user), entry({ ...stopped, status: 'incomplete' })] }));
    await useChat.getState().continueReply('a1');
    useChat.getState().onEvent(delta(' a time', 2));
    await frame();
    const live = useChat.getState().live.a1!;
    expect(live.base + live.text).toBe('Once upon a time');
  });

  it('keeps a sampling change that is not saved yet when the view is fetched again', async () => {
    useChat.getState().updateSampling({ temperature: 1.7 });
    await useChat.getState().reloadView(); // the main process still has 0.7
    expect(useChat.getState().conversation!.sampling.temperature).toBe(1.7);
    useChat.getState().updateSampling({ top_k: 5 });
    await new Promise((r) => setTimeout(r, 450));
    const saved = callsOf('conversations.update').at(-1) as { id: string; patch: { sampling: ReturnType<typeof sampling> } };
    expect(saved.id).toBe('c1');
    expect(saved.patch.sampling).toEqual(sampling({ temperature: 1.7, top_k: 5 }));
  });

  it('stops the reply of the open conversation by its job id', async () => {
    handle('chat.stop', () => ({ stopped: true }));
    await useChat.getState().send('Hello');
    await useChat.getState().stop();
    expect(callsOf('chat.stop')).toEqual([{ jobId: 'j1' }]);
  });

  it('creates the conversation with the draft settings on the first message', async () => {
    await useChat.getState().open(null);
    useChat.getState().resetDraft({ systemPrompt: 'Be brief.', sampling: sampling({ temperature: 0.2 }) });
    handle('conversations.create', () => ({ conversation: conversation({ systemPrompt: 'Be brief.' }), thread: [] }));
    expect(await useChat.getState().send('  Hello  ')).toBe(true);
    expect(callsOf('conversations.create')).toEqual([{ systemPrompt: 'Be brief.', sampling: sampling({ temperature: 0.2 }) }]);
    expect(callsOf('chat.send')).toEqual([{ conversationId: 'c1', content: 'Hello' }]);
    expect(location.hash).toBe('#/c/c1');
  });
});
