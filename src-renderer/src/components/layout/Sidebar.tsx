import type { EngineStatus } from '../../../../src-preload/contract';
import { Button } from '../ui/Button';

function EngineBadge({ status }: { status: EngineStatus | null }) {
  const state = status?.state ?? 'starting';
  const color = state === 'ready' ? 'bg-emerald-500' : state === 'crashed' ? 'bg-red-500' : 'bg-amber-500';
  const text = state === 'ready' ? 'Engine ready' : state === 'crashed' ? 'Engine restarting…' : state === 'stopped' ? 'Engine stopped' : 'Engine starting…';
  return (
    <div className="flex items-center gap-2 text-xs text-zinc-700 dark:text-zinc-300" role="status" title={status?.lastError ?? undefined}>
      <span className={`h-2 w-2 rounded-full ${color}`} aria-hidden />
      <span>{text}</span>
      {status && status.restarts > 0 ? <span className="text-zinc-500">({status.restarts} restarts)</span> : null}
    </div>
  );
}

export function Sidebar({ engine }: { engine: EngineStatus | null }) {
  return (
    <aside className="flex w-64 shrink-0 flex-col border-r border-zinc-200 bg-zinc-50 dark:border-zinc-800 dark:bg-zinc-900/60">
      <div className="flex items-center gap-2 px-4 pb-3 pt-4">
        <div className="grid h-7 w-7 place-items-center rounded-md bg-indigo-600 text-xs font-bold text-white" aria-hidden>
          Q
        </div>
        <span className="font-semibold">QINS Chat</span>
      </div>
      <div className="space-y-2 px-3">
        <Button variant="primary" className="w-full">
          New chat
        </Button>
        <input
          type="search"
          placeholder="Search conversations"
          aria-label="Search conversations"
          className="w-full rounded-lg border border-zinc-300 bg-white px-3 py-1.5 text-sm placeholder:text-zinc-500 dark:border-zinc-700 dark:bg-zinc-900"
        />
      </div>
      <nav aria-label="Conversations" className="mt-3 flex-1 overflow-y-auto px-2">
        <p className="px-2 py-6 text-center text-sm text-zinc-600 dark:text-zinc-400">No conversations yet.</p>
      </nav>
      <div className="border-t border-zinc-200 px-4 py-3 dark:border-zinc-800">
        <EngineBadge status={engine} />
      </div>
    </aside>
  );
}
