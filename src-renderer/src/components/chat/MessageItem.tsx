// One message of the thread. Finished messages are memoized; only a streaming reply re-renders,
// once per animation frame, through its own subscription to the live text.
import { AlertTriangle, Bot, Check, Copy, CornerDownRight, Pencil, RefreshCw, Trash2 } from 'lucide-react';
import { memo, useEffect, useRef, useState } from 'react';
import type { ThreadEntry } from '../../../../src-shared/contract';
import { cn } from '../../lib/cn';
import { copyText } from '../../lib/download';
import { useChat } from '../../state/chat';
import { confirm } from '../../state/confirm';
import { Button } from '../ui/Button';
import { BranchNav } from './BranchNav';
import { Markdown } from './Markdown';
import { ReplyStats } from './ReplyStats';

function ActionButton({ label, onClick, children, disabled }: { label: string; onClick: () => void; children: React.ReactNode; disabled?: boolean }) {
  return (
    <button
      type="button"
      aria-label={label}
      title={label}
      onClick={onClick}
      disabled={disabled}
      className="inline-flex h-7 items-center gap-1 rounded-md px-1.5 text-xs text-zinc-600 hover:bg-zinc-100 hover:text-zinc-900 disabled:opacity-40 dark:text-zinc-400 dark:hover:bg-zinc-800 dark:hover:text-zinc-100"
    >
      {children}
    </button>
  );
}

function CopyButton({ text }: { text: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <ActionButton
      label="Copy message"
      onClick={async () => {
        if (await copyText(text)) {
          setCopied(true);
          setTimeout(() => setCopied(false), 1500);
        }
      }}
    >
      {copied ? <Check size={14} aria-hidden /> : <Copy size={14} aria-hidden />}
    </ActionButton>
  );
}

function EditBox({ initial, onCancel, onSave }: { initial: string; onCancel: () => void; onSave: (text: string) => void }) {
  const [text, setText] = useState(initial);
  const ref = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 320)}px`;
  }, [text]);
  return (
    <form
      className="w-full rounded-xl border border-indigo-300 bg-white p-2 shadow-sm dark:border-indigo-500/50 dark:bg-zinc-900"
      onSubmit={(e) => {
        e.preventDefault();
        if (text.trim()) onSave(text);
      }}
    >
      <textarea
        ref={ref}
        aria-label="Edit message"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            e.stopPropagation();
            onCancel();
          } else if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            if (text.trim()) onSave(text);
          }
        }}
        rows={2}
        className="block w-full resize-none bg-transparent px-2 py-1 text-sm leading-6 outline-none"
      />
      <div className="mt-1 flex items-center justify-between gap-2">
        <span className="px-2 text-[11px] text-zinc-500 dark:text-zinc-400">Saving keeps the original as version 1 and asks for a new reply.</span>
        <div className="flex gap-2">
          <Button size="sm" onClick={onCancel}>
            Cancel
          </Button>
          <Button size="sm" variant="primary" type="submit" disabled={!text.trim() || text.trim() === initial.trim()}>
            Save
          </Button>
        </div>
      </div>
    </form>
  );
}

export interface MessageItemProps {
  entry: ThreadEntry;
  /** The last assistant message of the thread (it offers Regenerate and Continue). */
  lastReply: boolean;
  /** The last message of the thread is this user message, with no reply (its reply was deleted). */
  unanswered?: boolean;
  /** Another reply of this conversation is being generated (actions that start one are disabled). */
  busy: boolean;
  highlighted: boolean;
}

export const MessageItem = memo(function MessageItem({ entry, lastReply, unanswered, busy, highlighted }: MessageItemProps) {
  const m = entry.message;
  const live = useChat((s) => s.live[m.id]);
  const [editing, setEditing] = useState(false);
  const isUser = m.role === 'user';
  const content = live ? live.base + live.text : m.content;
  const streaming = Boolean(live);
  const chat = useChat.getState;

  const remove = async () => {
    const ok = await confirm({
      title: 'Delete this message?',
      description: isUser ? 'The message and every reply after it (in all versions) will be deleted.' : 'The reply and everything after it will be deleted.',
      confirmLabel: 'Delete',
    });
    if (ok) await chat().deleteMessage(m.id);
  };

  const canContinue = !isUser && !streaming && lastReply && (m.status === 'incomplete' || m.stats?.stop_reason === 'stopped' || m.stats?.stop_reason === 'length');

  return (
    <article
      aria-label={`${m.role} message`}
      data-message-id={m.id}
      data-status={streaming ? 'streaming' : m.status}
      className={cn(
        'group/message scroll-mt-4 rounded-xl transition-colors',
        // Off-screen finished messages skip layout and paint: a long history costs nothing per frame.
        !streaming && 'message-idle',
        highlighted && 'message-flash',
      )}
    >
      {isUser ? (
        <div className="flex flex-col items-end gap-1">
          {editing ? (
            <EditBox
              initial={m.content}
              onCancel={() => setEditing(false)}
              onSave={async (text) => {
                if (await chat().edit(m.id, text)) setEditing(false);
              }}
            />
          ) : (
            <div className="max-w-[85%] rounded-2xl rounded-br-md bg-zinc-100 px-4 py-2.5 text-[15px] leading-relaxed break-words whitespace-pre-wrap text-zinc-900 dark:bg-zinc-800 dark:text-zinc-100">
              {m.content}
            </div>
          )}
          {!editing ? (
            <div className="flex items-center gap-1 opacity-100 transition-opacity focus-within:opacity-100 sm:opacity-0 sm:group-hover/message:opacity-100">
              <BranchNav entry={entry} onSwitch={(id) => void chat().switchBranch(id)} disabled={busy} />
              <CopyButton text={m.content} />
              <ActionButton label="Edit message" onClick={() => setEditing(true)} disabled={busy}>
                <Pencil size={14} aria-hidden />
              </ActionButton>
              {unanswered ? (
                <ActionButton label="Reply" onClick={() => void chat().reply(m.id)} disabled={busy}>
                  <CornerDownRight size={14} aria-hidden />
                  <span>Reply</span>
                </ActionButton>
              ) : null}
              <ActionButton label="Delete message" onClick={() => void remove()} disabled={busy}>
                <Trash2 size={14} aria-hidden />
              </ActionButton>
            </div>
          ) : null}
        </div>
      ) : (
        <div className="flex gap-3">
          <div className="mt-0.5 grid h-7 w-7 shrink-0 place-items-center rounded-full bg-indigo-600 text-white shadow-sm" aria-hidden>
            <Bot size={15} />
          </div>
          <div className="min-w-0 flex-1">
            <div className="mb-1 flex items-center gap-2 text-xs font-medium text-zinc-600 dark:text-zinc-400">
              <span>{m.stats?.model ?? 'Assistant'}</span>
              {live?.queued != null ? <span className="text-amber-700 dark:text-amber-400">queued{live.queued > 0 ? ` · ${live.queued} ahead` : ''}</span> : null}
            </div>
            {content ? (
              <div className={cn('text-[15px] leading-relaxed text-zinc-900 dark:text-zinc-100', streaming && 'streaming')}>
                <Markdown text={content} />
              </div>
            ) : streaming ? (
              <div className="flex h-6 items-center gap-1" aria-label={live?.queued != null ? 'Waiting in the queue' : 'Thinking'} role="status">
                <span className="typing-dot" />
                <span className="typing-dot" />
                <span className="typing-dot" />
              </div>
            ) : (
              <p className="text-sm text-zinc-500 italic dark:text-zinc-400">{m.stats?.stop_reason === 'stopped' ? 'Stopped before the first token.' : 'No text.'}</p>
            )}
            {m.status === 'error' && !streaming ? (
              <p role="alert" className="mt-2 flex items-start gap-2 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-500/10 dark:text-red-300">
                <AlertTriangle size={16} className="mt-0.5 shrink-0" aria-hidden />
                <span>{m.error ?? 'The reply failed.'}</span>
              </p>
            ) : null}
            {m.status === 'incomplete' && !streaming ? (
              <p className="mt-2 text-xs text-amber-700 dark:text-amber-400">This reply was cut off{m.error ? `: ${m.error}` : ''}.</p>
            ) : null}
            {!streaming ? (
              <div className={cn('mt-1.5 flex flex-wrap items-center gap-x-2 gap-y-1 transition-opacity focus-within:opacity-100', lastReply ? 'opacity-100' : 'opacity-100 sm:opacity-0 sm:group-hover/message:opacity-100')}>
                <div className="flex items-center gap-0.5">
                  <BranchNav entry={entry} onSwitch={(id) => void chat().switchBranch(id)} disabled={busy} />
                  <CopyButton text={m.content} />
                  {lastReply ? (
                    <ActionButton label="Regenerate" onClick={() => void chat().regenerate(m.id)} disabled={busy}>
                      <RefreshCw size={14} aria-hidden />
                    </ActionButton>
                  ) : null}
                  {canContinue ? (
                    <ActionButton label="Continue" onClick={() => void chat().continueReply(m.id)} disabled={busy}>
                      <CornerDownRight size={14} aria-hidden />
                      <span>Continue</span>
                    </ActionButton>
                  ) : null}
                  <ActionButton label="Delete message" onClick={() => void remove()} disabled={busy}>
                    <Trash2 size={14} aria-hidden />
                  </ActionButton>
                </div>
                <ReplyStats message={m} />
              </div>
            ) : (
              <div className="mt-1.5 text-[11px] text-zinc-600 tabular-nums dark:text-zinc-400" aria-live="off" data-testid="live-tokens">
                {live && live.tokens > 0 ? `${live.tokens} tokens…` : ''}
              </div>
            )}
          </div>
        </div>
      )}
    </article>
  );
});
