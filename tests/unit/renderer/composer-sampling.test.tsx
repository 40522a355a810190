// @vitest-environment jsdom
import './setup';
import { act, fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { SamplingSettings } from '../../../src-shared/contract';
import { callsOf, handle, resetFake } from './fake-qins';
import { conversation, entry, message, model, sampling } from './data';

vi.mock('../../../src-renderer/src/lib/qins', () => import('./mock-qins'));
const { useChat } = await import('../../../src-renderer/src/state/chat');
const { useModels } = await import('../../../src-renderer/src/state/models');
const { Composer } = await import('../../../src-renderer/src/components/chat/Composer');
const { SamplingPanel } = await import('../../../src-renderer/src/components/chat/SamplingPanel');
const { useHotkeys } = await import('../../../src-renderer/src/hooks/useHotkeys');

function ComposerWithKeys() {
  useHotkeys(() => undefined);
  return <Composer />;
}

const u1 = message({ id: 'u1', role: 'user', content: 'Hi' });
const pending = message({ id: 'a1', role: 'assistant', parentId: 'u1', status: 'incomplete', stats: null });

beforeEach(() => {
  resetFake();
  handle('chat.contextUsage', () => ({ tokens: 4000, contextLength: 4096, reserved: 96, policy: 'drop-oldest' }));
  handle('chat.send', () => ({ jobId: 'j1', conversationId: 'c1', userMessageId: 'u1', assistantMessageId: 'a1', thread: [entry(u1), entry(pending)] }));
  handle('chat.stop', () => ({ stopped: true }));
  useModels.setState({ models: [model()], listed: true });
  useChat.setState({ conversationId: 'c1', conversation: conversation(), thread: [], status: 'ready', live: {}, starting: false, usage: null });
});

describe('composer', () => {
  it('sends on Enter, adds a line on Shift+Enter', async () => {
    render(<Composer />);
    const box = screen.getByRole('textbox', { name: 'Message' });
    await userEvent.type(box, 'Hello{Shift>}{Enter}{/Shift}there');
    expect((box as HTMLTextAreaElement).value).toBe('Hello\nthere');
    expect(callsOf('chat.send')).toEqual([]);
    await userEvent.type(box, '{Enter}');
    expect(callsOf('chat.send')).toEqual([{ conversationId: 'c1', content: 'Hello\nthere' }]);
    expect((box as HTMLTextAreaElement).value).toBe('');
  });

  it('turns Send into Stop while the reply streams; Stop and Esc both stop it', async () => {
    render(<ComposerWithKeys />);
    await userEvent.type(screen.getByRole('textbox', { name: 'Message' }), 'Hello{Enter}');
    const stop = await screen.findByRole('button', { name: 'Stop' });
    expect(screen.queryByRole('button', { name: 'Send' })).toBeNull();
    await userEvent.click(stop);
    expect(callsOf('chat.stop')).toEqual([{ jobId: 'j1' }]);
    fireEvent.keyDown(window, { key: 'Escape' });
    await act(() => Promise.resolve());
    expect(callsOf('chat.stop')).toHaveLength(2);
  });

  it('shows the context meter and the policy when the next reply would not fit', async () => {
    render(<Composer />);
    await act(() => useChat.getState().refreshUsage());
    expect(screen.getByRole('meter', { name: 'Context used' }).getAttribute('aria-valuenow')).toBe('4000');
    expect(screen.getByTestId('context-policy').textContent).toContain('the oldest messages are left out');
  });

  it('cannot send before any model exists', () => {
    useModels.setState({ models: [], listed: true });
    render(<Composer />);
    expect(screen.getByRole('button', { name: 'Send' })).toHaveProperty('disabled', true);
  });
});

function Panel({ defaults, onSpy }: { defaults: SamplingSettings | null; onSpy: (p: Partial<SamplingSettings>) => void }) {
  const [s, setS] = useState(sampling());
  return (
    <SamplingPanel
      sampling={s}
      defaults={defaults}
      onChange={(p) => {
        onSpy(p);
        setS((x) => ({ ...x, ...p }));
      }}
    />
  );
}

describe('sampling panel', () => {
  it('has a named slider and number box for every setting', () => {
    render(<Panel defaults={null} onSpy={() => undefined} />);
    for (const name of ['Temperature', 'Top-p', 'Top-k', 'Min-p', 'Repetition penalty', 'Max tokens', 'Seed']) {
      expect(screen.getByRole('slider', { name })).toBeTruthy();
      expect(screen.getByRole('spinbutton', { name: `${name} value` })).toBeTruthy();
    }
    expect(screen.getByRole('slider', { name: 'Temperature' }).getAttribute('aria-valuenow')).toBe('0.7');
  });

  it('changes a value from the number box and from the slider keys, within range', async () => {
    const spy = vi.fn();
    render(<Panel defaults={null} onSpy={spy} />);
    const box = screen.getByRole('spinbutton', { name: 'Temperature value' });
    await userEvent.clear(box);
    await userEvent.type(box, '9');
    expect(spy).toHaveBeenLastCalledWith({ temperature: 5 });
    const topK = screen.getByRole('slider', { name: 'Top-k' });
    topK.focus();
    fireEvent.keyDown(topK, { key: 'ArrowRight' });
    expect(spy).toHaveBeenLastCalledWith({ top_k: 41 });
  });

  it('seed and max tokens can be left open (random / no limit)', async () => {
    const spy = vi.fn();
    render(<Panel defaults={null} onSpy={spy} />);
    await userEvent.click(screen.getByRole('checkbox', { name: /Random/ }));
    expect(spy).toHaveBeenLastCalledWith({ seed: 42 });
    await userEvent.click(screen.getByRole('checkbox', { name: /No limit/ }));
    expect(spy).toHaveBeenLastCalledWith({ max_tokens: null });
  });

  it('resets to the model defaults (disabled when already there)', async () => {
    const spy = vi.fn();
    const defaults = sampling({ temperature: 0.6, top_p: 0.9 });
    const { unmount } = render(<Panel defaults={defaults} onSpy={spy} />);
    await userEvent.click(screen.getByRole('button', { name: 'Reset to model defaults' }));
    expect(spy).toHaveBeenLastCalledWith(defaults);
    expect(screen.getByRole('button', { name: 'Reset to model defaults' })).toHaveProperty('disabled', true);
    unmount();
    render(<Panel defaults={null} onSpy={spy} />);
    expect(screen.getByRole('button', { name: 'Reset to model defaults' })).toHaveProperty('disabled', true);
  });
});
