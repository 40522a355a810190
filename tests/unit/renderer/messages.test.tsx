// @vitest-environment jsdom
import './setup';
import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { callsOf, handle, resetFake } from './fake-qins';
import { conversation, entry, message } from './data';

vi.mock('../../../src-renderer/src/lib/qins', () => import('./mock-qins'));
const { useChat } = await import('../../../src-renderer/src/state/chat');
const { MessageList } = await import('../../../src-renderer/src/components/chat/MessageList');
const { ConfirmHost } = await import('../../../src-renderer/src/components/ui/ConfirmHost');

const u1 = message({ id: 'u1', role: 'user', content: 'What does "harbor" mean?' });
const a1 = message({ id: 'a1', role: 'assistant', parentId: 'u1', content: 'A **harbor** is a sheltered place.\n\n```python\nprint("hi")\n```' });
const u2 = message({ id: 'u2', role: 'user', parentId: 'a1', content: 'And "anchor"?' });
const a2 = message({ id: 'a2', role: 'assistant', parentId: 'u2', content: 'An anchor holds a ship.' });

function show(thread = [entry(u1), entry(a1), entry(u2, 1, ['u2x', 'u2', 'u2y']), entry(a2)]) {
  useChat.setState({ conversationId: 'c1', conversation: conversation(), thread, status: 'ready', live: {}, starting: false });
  return render(
    <>
      <MessageList />
      <ConfirmHost />
    </>,
  );
}

beforeEach(() => {
  resetFake();
  handle('chat.contextUsage', () => ({ tokens: 10, contextLength: 4096, reserved: 1024, policy: 'drop-oldest' }));
});

describe('messages', () => {
  it('are articles whose accessible names begin with their role', () => {
    show();
    const articles = screen.getAllByRole('article');
    expect(articles.map((a) => a.getAttribute('aria-label'))).toEqual(['user message', 'assistant message', 'user message', 'assistant message']);
    expect(screen.getAllByRole('article', { name: /^assistant/ })).toHaveLength(2);
  });

  it('render Markdown with highlighted code and a copy button per code block', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    show();
    const reply = screen.getAllByRole('article', { name: /^assistant/ })[0]!;
    expect(within(reply).getByText('harbor').tagName).toBe('STRONG');
    expect(reply.querySelector('code.hljs.language-python .hljs-built_in')?.textContent).toBe('print');
    await userEvent.click(within(reply).getByRole('button', { name: 'Copy code' }));
    expect(writeText).toHaveBeenCalledWith('print("hi")\n');
  });

  it('show per-reply stats: tokens, speed, time to first token, model and codec, stop reason', () => {
    show();
    const stats = within(screen.getAllByRole('article', { name: /^assistant/ })[1]!).getByTestId('reply-stats');
    expect(stats.textContent).toContain('12 tokens');
    expect(stats.textContent).toContain('85.3 tok/s');
    expect(stats.textContent).toContain('TTFT 42 ms');
    expect(stats.textContent).toContain('tiny-phi3-chat · qins8');
    expect(stats.textContent).toContain('finished');
  });

  it('offer Regenerate on the last reply only', () => {
    show();
    expect(screen.getAllByRole('button', { name: 'Regenerate' })).toHaveLength(1);
    expect(within(screen.getAllByRole('article', { name: /^assistant/ })[1]!).getByRole('button', { name: 'Regenerate' })).toBeTruthy();
  });

  it('navigate between versions with ‹ 2/3 ›', async () => {
    handle('chat.switchBranch', ({ messageId }: { messageId: string }) => ({ conversation: conversation(), thread: [entry(u1), entry(a1), entry({ ...u2, id: messageId }, 2, ['u2x', 'u2', 'u2y'])] }));
    show();
    const second = screen.getAllByRole('article', { name: /^user/ })[1]!;
    expect(within(second).getByTestId('branch-position').textContent).toBe('2/3');
    await userEvent.click(within(second).getByRole('button', { name: 'Next version' }));
    expect(callsOf('chat.switchBranch')).toEqual([{ conversationId: 'c1', messageId: 'u2y' }]);
    expect(within(screen.getAllByRole('article', { name: /^user/ })[1]!).getByTestId('branch-position').textContent).toBe('3/3');
    expect(within(screen.getAllByRole('article', { name: /^user/ })[1]!).getByRole('button', { name: 'Next version' })).toHaveProperty('disabled', true);
  });

  it('edit a user message into a new version', async () => {
    handle('chat.edit', () => ({ jobId: 'j2', conversationId: 'c1', userMessageId: 'u3', assistantMessageId: 'a3', thread: [entry(u1), entry(a1)] }));
    show();
    const second = screen.getAllByRole('article', { name: /^user/ })[1]!;
    await userEvent.click(within(second).getByRole('button', { name: 'Edit message' }));
    const box = screen.getByRole('textbox', { name: 'Edit message' });
    await userEvent.clear(box);
    await userEvent.type(box, 'And "keel"?{Enter}');
    expect(callsOf('chat.edit')).toEqual([{ conversationId: 'c1', messageId: 'u2', content: 'And "keel"?' }]);
  });

  it('delete a message only after confirmation', async () => {
    handle('chat.deleteMessage', () => ({ conversation: conversation(), thread: [entry(u1), entry(a1)] }));
    show();
    const last = screen.getAllByRole('article', { name: /^assistant/ })[1]!;
    await userEvent.click(within(last).getByRole('button', { name: 'Delete message' }));
    expect(callsOf('chat.deleteMessage')).toEqual([]);
    await userEvent.click(screen.getByRole('button', { name: 'Delete' }));
    expect(callsOf('chat.deleteMessage')).toEqual([{ conversationId: 'c1', messageId: 'a2' }]);
    expect(screen.getAllByRole('article')).toHaveLength(2);
  });

  it('offer Continue for a stopped reply, and show streamed text while it grows', async () => {
    const stopped = { ...a2, stats: { ...a2.stats!, stop_reason: 'stopped' as const } };
    handle('chat.continue', () => ({ jobId: 'j3', conversationId: 'c1', userMessageId: null, assistantMessageId: 'a2', thread: [entry(u1), entry(a1), entry(u2), entry({ ...stopped, status: 'incomplete' })] }));
    show([entry(u1), entry(a1), entry(u2), entry(stopped)]);
    await userEvent.click(screen.getByRole('button', { name: 'Continue' }));
    expect(callsOf('chat.continue')).toEqual([{ conversationId: 'c1', messageId: 'a2' }]);
    act(() => useChat.getState().onEvent({ jobId: 'j3', conversationId: 'c1', messageId: 'a2', type: 'delta', text: ' It is heavy.', tokens: 4 }));
    await act(() => new Promise((r) => setTimeout(r, 150)));
    const last = screen.getAllByRole('article', { name: /^assistant/ })[1]!;
    expect(last.getAttribute('data-status')).toBe('streaming');
    expect(last.textContent).toContain('An anchor holds a ship. It is heavy.');
    expect(screen.queryByRole('button', { name: 'Regenerate' })).toBeNull();
  });

  it('show a queued reply with its place in the queue, then its text', async () => {
    const waiting = message({ id: 'a3', role: 'assistant', parentId: 'u2', status: 'incomplete', stats: null });
    show([entry(u1), entry(a1), entry(u2), entry(waiting)]);
    act(() => useChat.getState().onEvent({ jobId: 'j9', conversationId: 'c1', messageId: 'a3', type: 'queued', position: 1 }));
    const last = screen.getAllByRole('article', { name: /^assistant/ })[1]!;
    expect(last.textContent).toContain('queued · 1 ahead');
    expect(within(last).getByRole('status', { name: 'Waiting in the queue' })).toBeTruthy();
    act(() => useChat.getState().onEvent({ jobId: 'j9', conversationId: 'c1', messageId: 'a3', type: 'delta', text: 'Now.', tokens: 1 }));
    await act(() => new Promise((r) => setTimeout(r, 150)));
    expect(last.textContent).not.toContain('queued');
    expect(last.textContent).toContain('Now.');
  });
});
