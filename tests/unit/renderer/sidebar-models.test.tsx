// @vitest-environment jsdom
import './setup';
import { act, cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { SNIPPET_MARK_CLOSE, SNIPPET_MARK_OPEN } from '../../../src-shared/records';
import { callsOf, emit, fail, handle, resetFake } from './fake-qins';
import { model } from './data';

vi.mock('../../../src-renderer/src/lib/qins', () => import('./mock-qins'));
const { useConversations } = await import('../../../src-renderer/src/state/conversations');
const { useModels } = await import('../../../src-renderer/src/state/models');
const { useChat } = await import('../../../src-renderer/src/state/chat');
const { connectEvents } = await import('../../../src-renderer/src/state/bootstrap');
const { Sidebar } = await import('../../../src-renderer/src/components/layout/Sidebar');
const { Snippet } = await import('../../../src-renderer/src/components/layout/SearchDialog');
const { ConfirmHost } = await import('../../../src-renderer/src/components/ui/ConfirmHost');
const { ModelCard } = await import('../../../src-renderer/src/components/models/ModelCard');
const { ConvertJobCard } = await import('../../../src-renderer/src/components/models/ConvertJobCard');
const { ImportPanel } = await import('../../../src-renderer/src/components/models/ImportPanel');

const now = Date.now();
const summaries = [
  { id: 'c1', title: 'What does "harbor" mean?', createdAt: now, updatedAt: now, modelName: 'tiny-phi3-chat', messageCount: 4 },
  { id: 'c2', title: 'Hello', createdAt: now - 9 * 86_400_000, updatedAt: now - 9 * 86_400_000, modelName: null, messageCount: 2 },
];

beforeEach(() => {
  resetFake();
  handle('conversations.list', () => summaries);
  useConversations.setState({ list: summaries, loaded: true });
  useChat.setState({ conversationId: 'c1', live: {} });
  useModels.setState({ models: [model()], jobs: [], evals: {}, status: { state: 'none', loaded: null, loadingId: null, error: null } });
});

describe('sidebar', () => {
  it('lists conversations as links in the "Conversations" landmark, grouped by day', () => {
    render(<Sidebar engine={{ state: 'ready', pid: 1, restarts: 0, lastError: null }} overlay={false} onNewChat={() => undefined} />);
    const nav = screen.getByRole('navigation', { name: 'Conversations' });
    const links = within(nav).getAllByRole('link');
    expect(links.map((l) => l.textContent)).toEqual(['What does "harbor" mean?', 'Hello']);
    expect(links[0]!.getAttribute('href')).toBe('#/c/c1');
    expect(within(nav).getByText('Today')).toBeTruthy();
    expect(within(nav).getByText('Older')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'New chat' })).toBeTruthy();
    expect(screen.getByText('Engine ready')).toBeTruthy();
  });

  it('renames a conversation inline and deletes one only after confirming', async () => {
    handle('conversations.update', () => ({}));
    handle('conversations.delete', () => ({ deleted: true }));
    render(
      <>
        <Sidebar engine={null} overlay={false} onNewChat={() => undefined} />
        <ConfirmHost />
      </>,
    );
    const item = screen.getByRole('link', { name: 'Hello' }).closest('li')!;
    await userEvent.click(within(item).getByRole('button', { name: 'Conversation options' }));
    await userEvent.click(screen.getByRole('menuitem', { name: 'Rename' }));
    const input = screen.getByRole('textbox', { name: 'Conversation title' });
    await userEvent.clear(input);
    await userEvent.type(input, 'Greetings{Enter}');
    expect(callsOf('conversations.update')).toEqual([{ id: 'c2', patch: { title: 'Greetings' } }]);

    const first = screen.getByRole('link', { name: 'What does "harbor" mean?' }).closest('li')!;
    await userEvent.click(within(first).getByRole('button', { name: 'Conversation options' }));
    await userEvent.click(screen.getByRole('menuitem', { name: 'Delete' }));
    expect(screen.getByRole('dialog').textContent).toContain('all 4 of its messages');
    expect(callsOf('conversations.delete')).toEqual([]);
    await userEvent.click(screen.getByRole('button', { name: 'Delete conversation' }));
    expect(callsOf('conversations.delete')).toEqual([{ id: 'c1' }]);
  });

  it('keeps every conversation in the list but renders only the rows in view (5 000 conversations)', async () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({
      id: `m${i}`,
      title: `Conversation ${i}`,
      createdAt: now - i * 60_000,
      updatedAt: now - i * 60_000,
      modelName: null,
      messageCount: 2,
    }));
    useConversations.setState({ list: many, loaded: true });
    useChat.setState({ conversationId: null, live: {} });
    render(<Sidebar engine={null} overlay={false} onNewChat={() => undefined} />);
    const nav = screen.getByRole('navigation', { name: 'Conversations' });
    expect(nav.getAttribute('data-count')).toBe('5000');
    const links = within(nav).getAllByRole('link');
    expect(links.length).toBeGreaterThan(10);
    expect(links.length).toBeLessThan(60);
    expect(links[0]!.textContent).toBe('Conversation 0');
    // the list is as tall as all rows; scrolling to the end renders the last conversations
    const total = parseInt((nav.firstElementChild as HTMLElement).style.height, 10);
    expect(total).toBeGreaterThan(5000 * 30);
    nav.scrollTop = total - 600;
    await act(async () => {
      nav.dispatchEvent(new Event('scroll'));
      await new Promise((r) => setTimeout(r, 20));
    });
    const after = within(nav).getAllByRole('link').map((l) => l.textContent);
    expect(after).toContain('Conversation 4999');
    expect(after).not.toContain('Conversation 0');
  });

  it('loads every conversation a page at a time, with no cap', async () => {
    const page = (offset: number, n: number) => Array.from({ length: n }, (_, i) => ({ ...summaries[0]!, id: `p${offset + i}` }));
    handle('conversations.list', (p: { limit: number; offset: number }) => (p.offset < 4000 ? page(p.offset, p.limit) : page(p.offset, 123)));
    await useConversations.getState().refresh();
    expect(useConversations.getState().list).toHaveLength(4123);
    expect(callsOf('conversations.list')).toEqual([
      { limit: 2000, offset: 0 },
      { limit: 2000, offset: 2000 },
      { limit: 2000, offset: 4000 },
    ]);
  });

  it('highlights the matching words of a search snippet', () => {
    const { container } = render(<Snippet text={`…the ${SNIPPET_MARK_OPEN}harbor${SNIPPET_MARK_CLOSE} was calm`} />);
    expect(container.querySelector('mark')?.textContent).toBe('harbor');
    expect(container.textContent).toBe('…the harbor was calm');
  });
});

describe('models', () => {
  it('shows what a model is and how much smaller than FP32 it is', () => {
    render(<ModelCard model={model()} />);
    const card = screen.getByRole('listitem', { name: 'tiny-phi3-chat' });
    for (const text of ['phi3', '24.3 M', '8.50', '26.4 MB']) expect(within(card).getAllByText(text).length).toBeGreaterThan(0);
    // 24 286 464 parameters × 4 bytes / 27 728 192 bytes
    expect(within(card).getByTestId('model-compression').textContent).toBe('3.50× smaller');
    expect(within(card).getByText('not measured')).toBeTruthy();
  });

  it('measures quality: progress from eval.event, then perplexity and the change against the reference', async () => {
    const off = connectEvents();
    handle('models.evaluate', () => ({ jobId: 'e1' }));
    handle('models.list', () => [model({ quality: { ppl: 120.53, tokens: 39_777, referencePpl: 120.24, measuredAt: 1 } })]);
    render(<ModelCard model={useModels.getState().models[0]!} />);
    await userEvent.click(screen.getByRole('button', { name: 'Measure quality' }));
    expect(callsOf('models.evaluate')).toEqual([{ id: 'm1' }]);
    act(() => emit('eval.event', { jobId: 'e1', type: 'progress', modelId: 'm1', done: 30, total: 78, stage: 'model' }));
    expect(screen.getByRole('progressbar', { name: 'Measuring tiny-phi3-chat' }).getAttribute('aria-valuenow')).toBe('38');
    expect(screen.getByText('30/78 windows')).toBeTruthy();
    await act(async () => {
      emit('eval.event', { jobId: 'e1', type: 'done', modelId: 'm1', quality: { ppl: 120.53, tokens: 39_777, referencePpl: 120.24, measuredAt: 1 } });
      await new Promise((r) => setTimeout(r, 10));
    });
    const { unmount } = render(<ModelCard model={useModels.getState().models[0]!} />);
    expect(screen.getByTestId('model-quality').textContent).toBe('120.53+0.24 %');
    unmount();
    off();
  });

  it('ORT FP32 exports the checkpoint for ONNX Runtime; the job says so and the model is labelled ORT FP32', async () => {
    const off = connectEvents();
    handle('models.import', () => ({ jobId: 'j2', source: '/ckpt/phi', kind: 'export', codec: 'f32', progress: null, builtin: false }));
    render(<ImportPanel />);
    await userEvent.type(screen.getByRole('textbox', { name: 'Checkpoint folder' }), '/ckpt/phi');
    await userEvent.click(screen.getByRole('radio', { name: /ORT FP32/ }));
    await userEvent.click(screen.getByRole('button', { name: 'Convert' }));
    expect(callsOf('models.import')).toEqual([{ source: '/ckpt/phi', codec: 'f32', engine: 'ort' }]);
    act(() =>
      emit('convert.event', {
        jobId: 'j2',
        type: 'progress',
        source: '/ckpt/phi',
        kind: 'export',
        codec: 'f32',
        progress: { phase: 'exporting', bytesDone: 0, bytesTotal: 0, tensor: 'layers.1', tensorsDone: 5, tensorsTotal: 20, etaMs: 3000 },
      }),
    );
    expect(screen.getByRole('progressbar', { name: 'Exporting phi' }).getAttribute('aria-valuenow')).toBe('25');
    expect(screen.getByTestId('convert-job').textContent).toContain('for ONNX Runtime (FP32)');
    off();
    cleanup();
    const ort = model({ id: 'o1', engine: 'ort', codec: 'f32', fileBytes: 97_000_000, params: 24_300_000 });
    render(<ModelCard model={ort} />);
    expect(screen.getByRole('heading', { level: 3 }).textContent).toContain('ORT FP32');
  });

  it('shows conversion progress (bytes, tensor, ETA) with Cancel, and a readable error when it fails', async () => {
    const off = connectEvents();
    handle('models.import', () => ({ jobId: 'j1', source: '/ckpt/bad-model', kind: 'convert', codec: 'qins4', progress: null, builtin: false }));
    handle('models.cancelImport', () => ({ cancelled: true }));
    render(<ImportPanel />);
    await userEvent.type(screen.getByRole('textbox', { name: 'Checkpoint folder' }), '/ckpt/bad-model');
    await userEvent.click(screen.getByRole('radio', { name: /qins4/ }));
    await userEvent.click(screen.getByRole('button', { name: 'Convert' }));
    expect(callsOf('models.import')).toEqual([{ source: '/ckpt/bad-model', codec: 'qins4', engine: 'qins' }]);
    act(() =>
      emit('convert.event', {
        jobId: 'j1',
        type: 'progress',
        source: '/ckpt/bad-model',
        kind: 'convert',
        codec: 'qins4',
        progress: { phase: 'encoding', bytesDone: 10 * 1024 * 1024, bytesTotal: 40 * 1024 * 1024, tensor: 'layers.3.mlp.down_proj', tensorsDone: 12, tensorsTotal: 50, etaMs: 4200 },
      }),
    );
    expect(screen.getByRole('progressbar', { name: 'Converting bad-model' }).getAttribute('aria-valuenow')).toBe('25');
    expect(screen.getByTestId('convert-progress').textContent).toContain('10.0 MB of 40.0 MB · 25 %');
    expect(screen.getByTestId('convert-progress').textContent).toContain('about 4.2 s left');
    expect(screen.getByText('12/50 · layers.3.mlp.down_proj')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(callsOf('models.cancelImport')).toEqual([{ jobId: 'j1' }]);
    act(() => emit('convert.event', { jobId: 'j1', type: 'error', error: { code: 'UNSUPPORTED', message: 'config.json: model_type "gpt2" is not supported' } }));
    expect(screen.getByTestId('convert-error').textContent).toContain('Unsupported model — bad-model');
    expect(screen.getByTestId('convert-error').textContent).toContain('model_type "gpt2" is not supported');
    off();
  });

  it('reports a path that is not a checkpoint at once', async () => {
    fail('models.import', 'BAD_INPUT', '/nope: no such file or folder');
    render(<ImportPanel />);
    await userEvent.type(screen.getByRole('textbox', { name: 'Checkpoint folder' }), '/nope{Enter}');
    expect(screen.getByTestId('import-error').textContent).toBe('Corrupt or incomplete checkpoint: /nope: no such file or folder');
  });

  it('a failed job card offers dismissal', async () => {
    useModels.setState({ jobs: [{ jobId: 'x', source: '/a/b', kind: 'convert', codec: 'qins8', progress: null, builtin: false, seenAt: 0, state: 'failed', error: { code: 'NO_SPACE', message: 'disk full', title: 'Not enough disk space' }, modelId: null }] });
    render(<ConvertJobCard job={useModels.getState().jobs[0]!} />);
    expect(screen.getByRole('alert').textContent).toContain('Not enough disk space — b');
    await userEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(useModels.getState().jobs).toEqual([]);
  });
});
