// The bar above the conversation: title, model, export and the panel toggles.
import { Download, FileCode2, FileJson, FileText, Menu as MenuIcon, PanelRight } from 'lucide-react';
import type { ExportFormat } from '../../../../src-shared/contract';
import { useApp } from '../../state/app';
import { useChat } from '../../state/chat';
import { useConversations } from '../../state/conversations';
import { ModelPicker } from '../models/ModelPicker';
import { IconButton } from '../ui/Button';
import { Menu } from '../ui/Menu';

export async function exportConversation(id: string, format: ExportFormat): Promise<void> {
  try {
    const filename = await useConversations.getState().exportAs(format, [id]);
    useApp.getState().notify({ kind: 'success', title: 'Exported', message: filename });
  } catch (e) {
    useApp.getState().notifyError(e, 'Could not export the conversation');
  }
}

export function ChatHeader({ showSidebarToggle, showPanelToggle }: { showSidebarToggle: boolean; showPanelToggle: boolean }) {
  const conversation = useChat((s) => s.conversation);
  // The list is refreshed on every change (e.g. the title taken from the first message).
  const listedTitle = useConversations((s) => s.list.find((c) => c.id === conversation?.id)?.title);
  const title = listedTitle ?? conversation?.title ?? 'New chat';
  const rightOpen = useApp((s) => s.rightOpen);
  return (
    <header className="flex h-14 shrink-0 items-center gap-2 border-b border-zinc-200 px-3 sm:px-4 dark:border-zinc-800">
      {showSidebarToggle ? (
        <IconButton label="Show conversations" onClick={() => useApp.getState().setSidebarOpen(true)}>
          <MenuIcon size={18} aria-hidden />
        </IconButton>
      ) : null}
      <h1 className="min-w-0 truncate text-sm font-semibold" title={title}>
        {title}
      </h1>
      <div className="ml-1 min-w-0">
        <ModelPicker />
      </div>
      <div className="ml-auto flex items-center gap-1">
        {conversation ? (
          <Menu
            label="Export as"
            items={[
              { label: 'Markdown (.md)', icon: <FileText size={14} aria-hidden />, onSelect: () => void exportConversation(conversation.id, 'md') },
              { label: 'JSON (.json)', icon: <FileJson size={14} aria-hidden />, onSelect: () => void exportConversation(conversation.id, 'json') },
              { label: 'HTML (.html)', icon: <FileCode2 size={14} aria-hidden />, onSelect: () => void exportConversation(conversation.id, 'html') },
            ]}
            trigger={(props) => (
              <button
                {...props}
                type="button"
                className="inline-flex h-8 items-center gap-1.5 rounded-lg px-2.5 text-sm text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
              >
                <Download size={15} aria-hidden />
                <span>Export</span>
              </button>
            )}
          />
        ) : null}
        {showPanelToggle ? (
          <IconButton label={rightOpen ? 'Hide chat settings' : 'Show chat settings'} active={rightOpen} onClick={() => useApp.getState().setRightOpen(!rightOpen)}>
            <PanelRight size={18} aria-hidden />
          </IconButton>
        ) : null}
      </div>
    </header>
  );
}
