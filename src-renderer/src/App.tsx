// The window: sidebar (conversations), the current view (chat, models or settings), the chat's
// settings/telemetry panel, and the app-wide dialogs. Side panels dock when there is room and
// slide over the content when there is not.
import { useCallback, useEffect } from 'react';
import { ChatView } from './components/chat/ChatView';
import { RightPanel } from './components/layout/RightPanel';
import { SearchDialog } from './components/layout/SearchDialog';
import { Sidebar } from './components/layout/Sidebar';
import { DropImport } from './components/models/DropImport';
import { ConfirmHost } from './components/ui/ConfirmHost';
import { Notices } from './components/ui/Notices';
import { useEngineStatus } from './hooks/useEngineStatus';
import { useHotkeys } from './hooks/useHotkeys';
import { useMediaQuery } from './hooks/useMediaQuery';
import { useTelemetryFeed } from './hooks/useTelemetry';
import { useTheme } from './hooks/useTheme';
import { ModelsRoute } from './routes/ModelsRoute';
import { SettingsRoute } from './routes/SettingsRoute';
import { useApp } from './state/app';
import { connectEvents, loadInitialData } from './state/bootstrap';
import { useChat } from './state/chat';

function Backdrop({ onClose }: { onClose: () => void }) {
  return <div className="fixed inset-0 z-20 bg-zinc-950/30" onClick={onClose} aria-hidden />;
}

export function App() {
  useTheme();
  useTelemetryFeed();
  const engine = useEngineStatus();
  const route = useApp((s) => s.route);
  const sidebarOpen = useApp((s) => s.sidebarOpen);
  const rightOpen = useApp((s) => s.rightOpen);
  const sidebarDocked = useMediaQuery('(min-width: 900px)');
  const rightDocked = useMediaQuery('(min-width: 1280px)');

  useEffect(() => {
    const off = connectEvents();
    void loadInitialData();
    const onHash = () => useApp.getState().syncFromLocation();
    window.addEventListener('hashchange', onHash);
    window.addEventListener('popstate', onHash);
    return () => {
      off();
      window.removeEventListener('hashchange', onHash);
      window.removeEventListener('popstate', onHash);
    };
  }, []);

  // The right panel starts open where it can dock.
  useEffect(() => {
    useApp.getState().setRightOpen(rightDocked);
  }, [rightDocked]);

  // Open the conversation the location names.
  const routeConversation = route.view === 'chat' ? route.conversationId : undefined;
  useEffect(() => {
    if (routeConversation === undefined) return;
    if (useChat.getState().conversationId !== routeConversation) void useChat.getState().open(routeConversation);
  }, [routeConversation]);

  const newChat = useCallback(() => {
    const settings = useApp.getState().settings;
    if (settings) useChat.getState().resetDraft({ systemPrompt: settings.defaultSystemPrompt, sampling: settings.defaultSampling });
    useApp.getState().navigate({ view: 'chat', conversationId: null });
    void useChat.getState().open(null);
    setTimeout(() => document.querySelector<HTMLTextAreaElement>('textarea[aria-label="Message"]')?.focus(), 0);
  }, []);
  useHotkeys(newChat);

  const showSidebar = sidebarDocked || sidebarOpen;
  const showRight = route.view === 'chat' && rightOpen;

  return (
    <div className="flex h-full overflow-hidden">
      {showSidebar ? <Sidebar engine={engine} overlay={!sidebarDocked} onNewChat={newChat} /> : null}
      {!sidebarDocked && sidebarOpen ? <Backdrop onClose={() => useApp.getState().setSidebarOpen(false)} /> : null}
      {route.view === 'models' ? (
        <ModelsRoute showSidebarToggle={!sidebarDocked} />
      ) : route.view === 'settings' ? (
        <SettingsRoute showSidebarToggle={!sidebarDocked} />
      ) : (
        <ChatView showSidebarToggle={!sidebarDocked} showPanelToggle />
      )}
      {showRight ? <RightPanel overlay={!rightDocked} /> : null}
      {showRight && !rightDocked ? <Backdrop onClose={() => useApp.getState().setRightOpen(false)} /> : null}
      <SearchDialog />
      <DropImport />
      <ConfirmHost />
      <Notices />
    </div>
  );
}
