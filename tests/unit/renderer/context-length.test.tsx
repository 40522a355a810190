// @vitest-environment jsdom
// A model card's context length: the estimate before loading, every choice with its memory, a
// choice that cannot fit marked, and a refusal from the main process shown and undone.
import './setup';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ContextPlan } from '../../../src-shared/contract';
import { callsOf, fail, handle, resetFake } from './fake-qins';
import { model } from './data';

vi.mock('../../../src-renderer/src/lib/qins', () => import('./mock-qins'));
const { ContextLength, contextChoices } = await import('../../../src-renderer/src/components/models/ContextLength');
const { useApp } = await import('../../../src-renderer/src/state/app');

const MiB = 1024 * 1024;
const plan = (contextLength: number): ContextPlan => {
  const kvBytes = contextLength * 0.5 * MiB;
  return { contextLength, maxContextLength: 131072, kvBytesPerToken: 0.5 * MiB, weightBytes: 1024 * MiB, kvBytes, totalBytes: 1024 * MiB + kvBytes, availableBytes: 8192 * MiB, fits: 1024 * MiB + kvBytes <= 8192 * MiB, message: null };
};

beforeEach(() => {
  resetFake();
  handle('models.contextPlan', (p: { contextLength?: number | null }) => plan(p.contextLength ?? 4096));
  handle('settings.get', () => useApp.getState().settings);
  useApp.setState({ settings: { ...(useApp.getState().settings ?? ({} as never)), modelContextLengths: {}, defaultContextLength: null } as never, notices: [] });
});

describe('context length on a model card', () => {
  it('offers powers of two up to the maximum', () => {
    expect(contextChoices(131072)).toEqual([1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072]);
    expect(contextChoices(3000)).toEqual([1024, 2048, 3000]);
  });

  it('shows the estimate for the current length and the memory of every choice, marking those that do not fit', async () => {
    render(<ContextLength model={model()} />);
    const box = screen.getByTestId('context-length');
    await waitFor(() => expect(within(box).getByTestId('context-estimate').textContent).toBe('needs 3.0 GB (weights 1.0 GB + context 2.0 GB) · 8.0 GB free'));
    const options = within(box).getAllByRole('option').map((o) => o.textContent);
    expect(options[0]).toBe('Default (4,096)');
    expect(options).toContain('8,192 tokens · 5.0 GB');
    expect(options).toContain('16,384 tokens · 9.0 GB, too large');
    expect(options.at(-1)).toBe('131,072 tokens (maximum) · 65.0 GB, too large');
  });

  it('a refused length is reported and the choice goes back', async () => {
    fail('models.setContextLength', 'NO_MEMORY', '16384 tokens of context need 9.0 GB');
    render(<ContextLength model={model()} />);
    const select = screen.getByRole('combobox', { name: 'Context' }) as HTMLSelectElement;
    await waitFor(() => expect(screen.getByTestId('context-estimate')).toBeTruthy());
    await userEvent.selectOptions(select, '16384');
    expect(callsOf('models.setContextLength')).toEqual([{ id: 'm1', contextLength: 16384 }]);
    await waitFor(() => expect(useApp.getState().notices.at(-1)?.title).toBe('Could not set the context length'));
    expect(select.value).toBe('');
  });
});
