// The thread of the open conversation, pinned to the newest text while it streams.
import { ArrowDown } from 'lucide-react';
import { useEffect, useLayoutEffect, useRef } from 'react';
import { useAutoScroll } from '../../hooks/useAutoScroll';
import { activeReply, useChat } from '../../state/chat';
import { MessageItem } from './MessageItem';

export function MessageList() {
  const thread = useChat((s) => s.thread);
  const conversationId = useChat((s) => s.conversationId);
  const busy = useChat((s) => activeReply(s) !== null || s.starting);
  const focusId = useChat((s) => s.focusMessageId);
  const scroller = useRef<HTMLDivElement>(null);
  const content = useRef<HTMLDivElement>(null);
  const { atBottom, jump } = useAutoScroll(scroller, content);

  // A newly opened conversation starts at its newest message; so does a message just sent.
  const lastId = thread.at(-1)?.message.id;
  const lastUserId = [...thread].reverse().find((t) => t.message.role === 'user')?.message.id;
  useLayoutEffect(() => {
    jump();
  }, [conversationId, lastUserId, jump]);

  useEffect(() => {
    if (!focusId) return;
    const el = scroller.current?.querySelector(`[data-message-id="${CSS.escape(focusId)}"]`);
    if (!el) return;
    el.scrollIntoView({ block: 'center' });
    const t = setTimeout(() => useChat.getState().clearFocus(), 2500);
    return () => clearTimeout(t);
  }, [focusId, thread]);

  let lastReplyId: string | undefined;
  for (let i = thread.length - 1; i >= 0; i--) {
    if (thread[i]!.message.role === 'assistant') {
      lastReplyId = thread[i]!.message.id;
      break;
    }
  }

  return (
    <div className="relative min-h-0 flex-1">
      <div ref={scroller} className="h-full overflow-y-auto [will-change:scroll-position]" data-testid="message-scroller" tabIndex={-1}>
        <div ref={content} className="mx-auto flex max-w-3xl flex-col gap-3 px-4 pt-6 pb-8 sm:px-6" aria-label="Messages" role="region">
          {thread.map((t) => (
            <MessageItem
              key={t.message.id}
              entry={t}
              lastReply={t.message.id === lastReplyId && t.message.id === lastId}
              unanswered={t.message.role === 'user' && t.message.id === lastId}
              busy={busy}
              highlighted={t.message.id === focusId}
            />
          ))}
        </div>
      </div>
      {!atBottom ? (
        <button
          type="button"
          onClick={jump}
          className="absolute bottom-3 left-1/2 inline-flex -translate-x-1/2 items-center gap-1.5 rounded-full border border-zinc-200 bg-white/95 px-3 py-1.5 text-xs font-medium text-zinc-800 shadow-md backdrop-blur hover:bg-zinc-50 dark:border-zinc-700 dark:bg-zinc-900/95 dark:text-zinc-100 dark:hover:bg-zinc-800"
        >
          <ArrowDown size={14} aria-hidden />
          Jump to latest
        </button>
      ) : null}
    </div>
  );
}
