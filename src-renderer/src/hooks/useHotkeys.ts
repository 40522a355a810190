// App-wide keyboard shortcuts: Ctrl/Cmd+N new chat, Ctrl/Cmd+K search, Esc stops a reply.
import { useEffect } from 'react';
import { activeReply, useChat } from '../state/chat';
import { useApp } from '../state/app';

export function useHotkeys(newChat: () => void): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.metaKey || e.ctrlKey;
      const key = e.key.toLowerCase();
      if (mod && !e.shiftKey && !e.altKey && key === 'n') {
        e.preventDefault();
        newChat();
      } else if (mod && !e.shiftKey && !e.altKey && key === 'k') {
        e.preventDefault();
        useApp.getState().setSearchOpen(true);
      } else if (e.key === 'Escape' && !e.defaultPrevented) {
        // Esc belongs to an open dialog or menu first.
        if (document.querySelector('dialog[open]') || (e.target as HTMLElement | null)?.closest?.('[role="menu"]')) return;
        const chat = useChat.getState();
        if (activeReply(chat)) {
          e.preventDefault();
          void chat.stop();
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [newChat]);
}
