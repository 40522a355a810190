// @vitest-environment jsdom
import './setup';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Preset } from '../../../src-shared/contract';
import { callsOf, handle, resetFake } from './fake-qins';
import { conversation, model, sampling } from './data';

vi.mock('../../../src-renderer/src/lib/qins', () => import('./mock-qins'));
const { useApp } = await import('../../../src-renderer/src/state/app');
const { useChat } = await import('../../../src-renderer/src/state/chat');
const { useModels } = await import('../../../src-renderer/src/state/models');
const { useConversations } = await import('../../../src-renderer/src/state/conversations');
const { ChatSettings } = await import('../../../src-renderer/src/components/chat/ChatSettings');
const { ModelCard } = await import('../../../src-renderer/src/components/models/ModelCard');
const { SettingsRoute } = await import('../../../src-renderer/src/routes/SettingsRoute');
const { ConfirmHost } = await import('../../../src-renderer/src/components/ui/ConfirmHost');

const precise: Preset = { id: 'p1', name: 'Precise', systemPrompt: 'Answer briefly.', sampling: sampling({ temperature: 0.1 }), createdAt: 1, updatedAt: 1 };

beforeEach(() => {
  resetFake();
  handle('conversations.update', () => ({}));
  handle('presets.list', () => [precise]);
  useApp.setState({ presets: [precise], settings: null, info: null, api: null });
  useChat.setState({ conversationId: 'c1', conversation: conversation({ systemPrompt: 'Be kind.' }), thread: [], status: 'ready', live: {} });
});

describe('presets and the system prompt', () => {
  it('save the current system prompt and sampling under a name', async () => {
    handle('presets.save', (p: object) => ({ ...precise, ...p, id: 'p2' }));
    render(<ChatSettings />);
    await userEvent.click(screen.getByRole('button', { name: 'Save as preset' }));
    await userEvent.type(screen.getByRole('textbox', { name: 'Name' }), 'Kind');
    await userEvent.click(screen.getByRole('button', { name: 'Save preset' }));
    expect(callsOf('presets.save')).toEqual([{ name: 'Kind', systemPrompt: 'Be kind.', sampling: sampling() }]);
  });

  it('apply a preset to the conversation and save it with the conversation', async () => {
    render(<ChatSettings />);
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Preset' }), 'Precise');
    expect(useChat.getState().conversation!.systemPrompt).toBe('Answer briefly.');
    expect(useChat.getState().conversation!.sampling.temperature).toBe(0.1);
    expect((screen.getByRole('textbox', { name: 'System prompt' }) as HTMLTextAreaElement).value).toBe('Answer briefly.');
    await new Promise((r) => setTimeout(r, 50));
    expect(callsOf('conversations.update')).toEqual([{ id: 'c1', patch: { systemPrompt: 'Answer briefly.', sampling: sampling({ temperature: 0.1 }) } }]);
  });
});

describe('models and settings', () => {
  it('delete a model only after confirming', async () => {
    handle('models.delete', () => ({ deleted: true }));
    handle('models.list', () => []);
    useModels.setState({ models: [model({ builtin: false })], status: { state: 'none', loaded: null, loadingId: null, error: null }, evals: {} });
    render(
      <>
        <ModelCard model={useModels.getState().models[0]!} />
        <ConfirmHost />
      </>,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Model options' }));
    await userEvent.click(screen.getByRole('menuitem', { name: 'Delete' }));
    expect(callsOf('models.delete')).toEqual([]);
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete model' }));
    expect(callsOf('models.delete')).toEqual([{ id: 'm1' }]);
    expect(useModels.getState().models).toEqual([]);
  });

  it('import a JSON export and back up everything', async () => {
    handle('conversations.import', () => ({ imported: ['a', 'b'], duplicates: ['c'], messages: 7 }));
    const listed = [{ id: 'c1', title: 't', createdAt: 1, updatedAt: 1, modelName: null, messageCount: 2 }];
    handle('conversations.list', () => listed);
    handle('conversations.export', () => ({ filename: 'qins-chat-2026-11-27.json', mime: 'application/json', content: '{}' }));
    handle('settings.update', (p: object) => ({ ...p }));
    const created: string[] = [];
    URL.createObjectURL = vi.fn(() => 'blob:x');
    URL.revokeObjectURL = vi.fn();
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      created.push(this.download);
    });
    useConversations.setState({ list: listed, loaded: true });
    render(<SettingsRoute showSidebarToggle={false} />);
    const file = new File(['{"format":"qins-chat-export"}'], 'backup.json', { type: 'application/json' });
    await userEvent.upload(screen.getByLabelText('Conversations file'), file);
    expect(callsOf('conversations.import')).toEqual([{ content: '{"format":"qins-chat-export"}' }]);
    await vi.waitFor(() => expect(useApp.getState().notices.map((n) => `${n.title}: ${n.message}`)).toContain('Imported 2 conversations: 7 messages; 1 already here were skipped.'));
    await userEvent.click(screen.getByRole('button', { name: 'Back up all conversations' }));
    expect(callsOf('conversations.export')).toEqual([{ format: 'json' }]);
    expect(created).toEqual(['qins-chat-2026-11-27.json']);
  });
});
