// The left column: new chat, search, the conversation list (landmark "Conversations"), the other
// views and the engine's state.
import { Boxes, Plus, Search, Settings, X } from 'lucide-react';
import type { EngineStatus } from '../../../../src-shared/contract';
import { cn } from '../../lib/cn';
import { formatBytes } from '../../lib/format';
import { formatRoute } from '../../lib/route';
import { useApp } from '../../state/app';
import { useChat } from '../../state/chat';
import { useConversations } from '../../state/conversations';
import { useLayout } from '../../state/layout';
import { useTelemetryStore } from '../../state/telemetry';
import { IconButton } from '../ui/Button';
import { Kbd, MOD_KEY } from '../ui/Kbd';
import { ResizeHandle } from '../ui/ResizeHandle';
import { ConversationList } from './ConversationList';

function EngineBadge({ status }: { status: EngineStatus | null }) {
  const state = status?.state ?? 'starting';
  const rss = useTelemetryStore((s) => s.samples.at(-1)?.engine?.rss ?? null);
  const color = state === 'ready' ? 'bg-emerald-500' : state === 'crashed' ? 'bg-red-500' : 'bg-amber-500';
  const text = state === 'ready' ? 'Engine ready' : state === 'crashed' ? 'Engine restarting…' : state === 'stopped' ? 'Engine stopped' : 'Engine starting…';
  return (
    <div className="flex items-center gap-2 text-xs text-zinc-700 dark:text-zinc-300" role="status" title={status?.lastError ?? undefined}>
      <span className={`h-2 w-2 rounded-full ${color}`} aria-hidden />
      <span>{text}</span>
      {status && status.restarts > 0 ? <span className="text-zinc-500 dark:text-zinc-400">({status.restarts} restarts)</span> : null}
      {rss !== null && state === 'ready' ? <span className="ml-auto font-mono text-[11px] text-zinc-500 tabular-nums dark:text-zinc-400">{formatBytes(rss)}</span> : null}
    </div>
  );
}

function NavLink({ href, active, icon, children }: { href: string; active: boolean; icon: React.ReactNode; children: React.ReactNode }) {
  return (
    <a
      href={href}
      aria-current={active ? 'page' : undefined}
      className={cn(
        'flex h-8 items-center gap-2.5 rounded-lg px-2.5 text-sm transition-colors',
        active ? 'bg-zinc-200/70 font-medium text-zinc-900 dark:bg-zinc-800 dark:text-zinc-50' : 'text-zinc-700 hover:bg-zinc-200/50 dark:text-zinc-300 dark:hover:bg-zinc-800/60',
      )}
    >
      {icon}
      {children}
    </a>
  );
}

export function Sidebar({ engine, overlay, onNewChat }: { engine: EngineStatus | null; overlay: boolean; onNewChat: () => void }) {
  const list = useConversations((s) => s.list);
  const width = useLayout((s) => s.widths.sidebar);
  const loaded = useConversations((s) => s.loaded);
  const route = useApp((s) => s.route);
  const currentId = useChat((s) => s.conversationId);
  const streamingKey = useChat((s) => [...new Set(Object.values(s.live).map((l) => l.conversationId))].sort().join(','));
  const streaming = new Set(streamingKey ? streamingKey.split(',') : []);


  return (
    <aside
      aria-label="Sidebar"
      style={overlay ? undefined : { width }}
      className={cn(
        'relative flex shrink-0 flex-col border-r border-zinc-200 bg-zinc-50 dark:border-zinc-800 dark:bg-zinc-900',
        overlay && 'fixed inset-y-0 left-0 z-30 w-64 shadow-2xl',
      )}
    >
      {overlay ? null : <ResizeHandle panel="sidebar" edge="right" label="Resize the sidebar" />}
      <div className="flex h-14 shrink-0 items-center gap-2 px-4">
        <div className="grid h-7 w-7 place-items-center rounded-lg bg-gradient-to-br from-indigo-500 to-violet-600 text-xs font-bold text-white shadow-sm" aria-hidden>
          Q
        </div>
        <span className="font-semibold tracking-tight">QINS Chat</span>
        {overlay ? (
          <IconButton label="Close sidebar" size="sm" className="ml-auto" onClick={() => useApp.getState().setSidebarOpen(false)}>
            <X size={16} aria-hidden />
          </IconButton>
        ) : null}
      </div>
      <div className="space-y-1.5 px-3">
        <button
          type="button"
          title={`New chat (${MOD_KEY}+N)`}
          onClick={onNewChat}
          className="flex h-9 w-full items-center gap-2 rounded-lg border border-zinc-200 bg-white px-2.5 text-sm font-medium text-zinc-800 shadow-xs transition-colors hover:bg-zinc-100 dark:border-zinc-700 dark:bg-zinc-800 dark:text-zinc-100 dark:hover:bg-zinc-700"
        >
          <Plus size={16} aria-hidden />
          <span className="flex-1 text-left">New chat</span>
          <Kbd>{MOD_KEY} N</Kbd>
        </button>
        <button
          type="button"
          title={`Search conversations (${MOD_KEY}+K)`}
          onClick={() => useApp.getState().setSearchOpen(true)}
          className="flex h-9 w-full items-center gap-2 rounded-lg px-2.5 text-sm text-zinc-600 transition-colors hover:bg-zinc-200/50 dark:text-zinc-400 dark:hover:bg-zinc-800/60"
        >
          <Search size={16} aria-hidden />
          <span className="flex-1 text-left">
            Search<span className="sr-only"> conversations</span>
          </span>
          <Kbd>{MOD_KEY} K</Kbd>
        </button>
      </div>
      <ConversationList list={list} loaded={loaded} activeId={route.view === 'chat' ? currentId : null} streaming={streaming} />
      <div className="space-y-2 border-t border-zinc-200 px-3 py-3 dark:border-zinc-800">
        <nav aria-label="Views" className="space-y-px">
          <NavLink href={formatRoute({ view: 'models' })} active={route.view === 'models'} icon={<Boxes size={16} aria-hidden />}>
            Models
          </NavLink>
          <NavLink href={formatRoute({ view: 'settings' })} active={route.view === 'settings'} icon={<Settings size={16} aria-hidden />}>
            Settings
          </NavLink>
        </nav>
        <div className="px-2.5 pt-1">
          <EngineBadge status={engine} />
        </div>
      </div>
    </aside>
  );
}
