import { Download, MoreHorizontal, Pencil, Trash2 } from 'lucide-react';
import { type CSSProperties, useEffect, useRef, useState } from 'react';
import type { ConversationSummary } from '../../../../src-shared/contract';
import { cn } from '../../lib/cn';
import { formatRelative } from '../../lib/format';
import { formatRoute } from '../../lib/route';
import { useApp } from '../../state/app';
import { useChat } from '../../state/chat';
import { useConversations } from '../../state/conversations';
import { confirm } from '../../state/confirm';
import { exportConversation } from '../chat/ChatHeader';
import { Menu } from '../ui/Menu';

function RenameBox({ initial, onDone }: { initial: string; onDone: (title: string | null) => void }) {
  const [value, setValue] = useState(initial);
  const ref = useRef<HTMLInputElement>(null);
  const done = useRef(false);
  useEffect(() => {
    ref.current?.focus();
    ref.current?.select();
  }, []);
  const finish = (title: string | null) => {
    if (done.current) return;
    done.current = true;
    onDone(title);
  };
  return (
    <input
      ref={ref}
      aria-label="Conversation title"
      value={value}
      maxLength={500}
      onChange={(e) => setValue(e.target.value)}
      onBlur={() => finish(value.trim() && value.trim() !== initial ? value.trim() : null)}
      onKeyDown={(e) => {
        if (e.key === 'Enter') finish(value.trim() && value.trim() !== initial ? value.trim() : null);
        if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          finish(null);
        }
      }}
      className="h-8 w-full rounded-md border border-indigo-400 bg-white px-2 text-sm outline-none dark:bg-zinc-900"
    />
  );
}

/** Where a virtualized list puts the row (ConversationList): its position, index and measuring ref. */
export interface RowProps {
  style?: CSSProperties;
  'data-index'?: number;
  ref?: (el: HTMLLIElement | null) => void;
}

export function ConversationItem({ c, active, streaming, row }: { c: ConversationSummary; active: boolean; streaming: boolean; row?: RowProps }) {
  const [renaming, setRenaming] = useState(false);

  const remove = async () => {
    const ok = await confirm({
      title: 'Delete this conversation?',
      description: (
        <>
          “{c.title}” and all {c.messageCount} of its messages will be deleted. This cannot be undone.
        </>
      ),
      confirmLabel: 'Delete conversation',
    });
    if (!ok) return;
    try {
      await useConversations.getState().remove(c.id);
      if (useChat.getState().conversationId === c.id) useApp.getState().navigate({ view: 'chat', conversationId: null });
    } catch (e) {
      useApp.getState().notifyError(e, 'Could not delete the conversation');
    }
  };

  if (renaming) {
    return (
      <li {...row} className="px-1 py-0.5">
        <RenameBox
          initial={c.title}
          onDone={async (title) => {
            setRenaming(false);
            if (!title) return;
            try {
              await useConversations.getState().rename(c.id, title);
              if (useChat.getState().conversationId === c.id) void useChat.getState().reloadView();
            } catch (e) {
              useApp.getState().notifyError(e, 'Could not rename the conversation');
            }
          }}
        />
      </li>
    );
  }

  return (
    <li {...row} className="group/item relative" style={{ position: 'relative', ...row?.style }}>
      <a
        href={formatRoute({ view: 'chat', conversationId: c.id })}
        aria-current={active ? 'page' : undefined}
        onDoubleClick={(e) => {
          e.preventDefault();
          setRenaming(true);
        }}
        className={cn(
          'flex h-9 items-center gap-2 rounded-lg py-1 pr-9 pl-2.5 text-sm transition-colors',
          active ? 'bg-zinc-200/70 font-medium text-zinc-900 dark:bg-zinc-800 dark:text-zinc-50' : 'text-zinc-700 hover:bg-zinc-200/50 dark:text-zinc-300 dark:hover:bg-zinc-800/60',
        )}
        title={`${c.title} · ${c.messageCount} messages · ${formatRelative(c.updatedAt)}`}
      >
        {streaming ? <span className="h-1.5 w-1.5 shrink-0 animate-pulse rounded-full bg-indigo-500" aria-label="replying" role="img" /> : null}
        <span className="truncate">{c.title}</span>
      </a>
      <div className={cn('absolute top-1/2 right-1 -translate-y-1/2 transition-opacity focus-within:opacity-100 group-hover/item:opacity-100', active ? 'opacity-100' : 'opacity-0')}>
        <Menu
          label="Conversation"
          items={[
            { label: 'Rename', icon: <Pencil size={14} aria-hidden />, onSelect: () => setRenaming(true) },
            { label: 'Export as Markdown', icon: <Download size={14} aria-hidden />, onSelect: () => void exportConversation(c.id, 'md') },
            { label: 'Export as JSON', icon: <Download size={14} aria-hidden />, onSelect: () => void exportConversation(c.id, 'json') },
            { label: 'Export as HTML', icon: <Download size={14} aria-hidden />, onSelect: () => void exportConversation(c.id, 'html') },
            { label: 'Delete', icon: <Trash2 size={14} aria-hidden />, danger: true, onSelect: () => void remove() },
          ]}
          trigger={(props) => (
            <button
              {...props}
              type="button"
              aria-label="Conversation options"
              title="Options"
              className="grid h-7 w-7 place-items-center rounded-md text-zinc-600 hover:bg-zinc-300/60 hover:text-zinc-900 dark:text-zinc-400 dark:hover:bg-zinc-700 dark:hover:text-zinc-100"
            >
              <MoreHorizontal size={16} aria-hidden />
            </button>
          )}
        />
      </div>
    </li>
  );
}
