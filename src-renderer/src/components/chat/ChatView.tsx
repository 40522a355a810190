// The conversation area: header, the thread (or the new-chat screen), the composer.
import { AlertCircle } from 'lucide-react';
import { useChat } from '../../state/chat';
import { useApp } from '../../state/app';
import { Button } from '../ui/Button';
import { ChatHeader } from './ChatHeader';
import { Composer } from './Composer';
import { EmptyChat } from './EmptyChat';
import { MessageList } from './MessageList';

export function ChatView({ showSidebarToggle, showPanelToggle }: { showSidebarToggle: boolean; showPanelToggle: boolean }) {
  const status = useChat((s) => s.status);
  const empty = useChat((s) => s.thread.length === 0);
  return (
    <main className="flex min-w-0 flex-1 flex-col" aria-label="Chat">
      <ChatHeader showSidebarToggle={showSidebarToggle} showPanelToggle={showPanelToggle} />
      {status === 'missing' ? (
        <div className="m-auto max-w-sm p-6 text-center">
          <AlertCircle className="mx-auto mb-3 text-zinc-400" size={28} aria-hidden />
          <p className="font-medium">This conversation no longer exists.</p>
          <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">It may have been deleted in another window.</p>
          <Button variant="primary" className="mt-4" onClick={() => useApp.getState().navigate({ view: 'chat', conversationId: null })}>
            Open a fresh conversation
          </Button>
        </div>
      ) : status === 'loading' ? (
        <div className="flex-1" aria-busy="true" />
      ) : empty ? (
        <EmptyChat />
      ) : (
        <MessageList />
      )}
      {status !== 'missing' ? <Composer /> : null}
    </main>
  );
}
