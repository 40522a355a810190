// The message box: Enter sends (Shift+Enter is a new line), Stop while a reply streams, the context
// meter and the overflow policy underneath.
import { ArrowUp, Square } from 'lucide-react';
import { useEffect, useRef, useState } from 'react';
import { cn } from '../../lib/cn';
import { useApp } from '../../state/app';
import { activeReply, useChat } from '../../state/chat';
import { useModels } from '../../state/models';
import { ContextMeter, POLICY_TEXT, contextState } from './ContextMeter';

export function Composer() {
  const [text, setText] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);
  // Only whether a reply streams: the live text changes every frame and must not re-render this.
  const reply = useChat((s) => activeReply(s) !== null);
  const starting = useChat((s) => s.starting);
  const usage = useChat((s) => s.usage);
  const conversationId = useChat((s) => s.conversationId);
  const maxTokens = useChat((s) => (s.conversation ?? s.draft).sampling.max_tokens);
  const hasModel = useModels((s) => s.models.some((m) => !m.missing) || s.status.state === 'ready');
  const modelName = useModels((s) => s.status.loaded?.name ?? null);
  const sendOnEnter = useApp((s) => s.settings?.sendOnEnter ?? true);

  // Grow with the text up to a limit.
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 240)}px`;
  }, [text]);

  // Focus the box when a conversation opens.
  useEffect(() => {
    ref.current?.focus();
  }, [conversationId]);

  // The meter counts the draft too (debounced: counting tokens is a round trip).
  useEffect(() => {
    if (!conversationId) return;
    const t = setTimeout(() => void useChat.getState().refreshUsage(text || undefined), 500);
    return () => clearTimeout(t);
  }, [text, conversationId]);

  const canSend = hasModel && !starting && !reply && text.trim().length > 0;
  const submit = async () => {
    if (!canSend) return;
    const sent = text;
    setText('');
    if (!(await useChat.getState().send(sent))) setText(sent);
  };

  const overflow = usage && conversationId ? contextState(usage, maxTokens).overflow : false;

  return (
    <div className="shrink-0 px-4 pb-4 sm:px-6">
      <form
        className="mx-auto max-w-3xl"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        {overflow && usage ? (
          <p className="mb-2 rounded-lg bg-amber-50 px-3 py-1.5 text-xs text-amber-900 dark:bg-amber-500/10 dark:text-amber-300" data-testid="context-policy">
            The next reply may not fit in the context window: {POLICY_TEXT[usage.policy]} (policy: {usage.policy === 'stop' ? 'stop when full' : 'drop oldest messages'}).
          </p>
        ) : null}
        <div className="rounded-2xl border border-zinc-300 bg-white shadow-sm transition-colors focus-within:border-indigo-400 focus-within:ring-4 focus-within:ring-indigo-500/10 dark:border-zinc-700 dark:bg-zinc-900 dark:focus-within:border-indigo-500">
          <textarea
            ref={ref}
            aria-label="Message"
            rows={1}
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key !== 'Enter' || e.nativeEvent.isComposing) return;
              const wantsSend = sendOnEnter ? !e.shiftKey : e.ctrlKey || e.metaKey;
              if (wantsSend) {
                e.preventDefault();
                void submit();
              }
            }}
            placeholder={hasModel ? `Message ${modelName ?? 'the model'}…` : 'Preparing the model…'}
            className="block max-h-60 w-full resize-none bg-transparent px-4 pt-3 pb-1 text-[15px] leading-6 outline-none placeholder:text-zinc-500 focus-visible:outline-none dark:placeholder:text-zinc-500"
          />
          <div className="flex items-center justify-between gap-3 px-3 pt-1 pb-2">
            <div className="flex min-w-0 items-center gap-3">
              <ContextMeter usage={conversationId ? usage : null} maxTokens={maxTokens} />
              <span className="hidden truncate text-[11px] text-zinc-500 md:inline dark:text-zinc-400">
                {sendOnEnter ? 'Enter to send · Shift+Enter for a new line' : 'Ctrl+Enter to send'}
              </span>
            </div>
            {reply ? (
              <button
                key="stop"
                type="button"
                onClick={() => void useChat.getState().stop()}
                className="inline-flex h-8 items-center gap-1.5 rounded-full bg-zinc-900 px-3 text-xs font-medium text-white hover:bg-zinc-700 dark:bg-zinc-100 dark:text-zinc-900 dark:hover:bg-zinc-300"
                title="Stop (Esc)"
              >
                <Square size={12} fill="currentColor" aria-hidden />
                Stop
              </button>
            ) : (
              <button
                key="send"
                type="submit"
                disabled={!canSend}
                title="Send (Enter)"
                className={cn(
                  'inline-flex h-8 items-center gap-1.5 rounded-full px-3 text-xs font-medium transition-colors',
                  canSend ? 'bg-indigo-600 text-white hover:bg-indigo-500' : 'cursor-not-allowed bg-zinc-200 text-zinc-500 dark:bg-zinc-800 dark:text-zinc-500',
                )}
              >
                <ArrowUp size={14} aria-hidden />
                Send
              </button>
            )}
          </div>
        </div>
      </form>
    </div>
  );
}
