// The right-hand panel: the open chat's settings, and live telemetry.
import { X } from 'lucide-react';
import { useRef } from 'react';
import { cn } from '../../lib/cn';
import { type RightTab, useApp } from '../../state/app';
import { useLayout } from '../../state/layout';
import { ChatSettings } from '../chat/ChatSettings';
import { IconButton } from '../ui/Button';
import { ResizeHandle } from '../ui/ResizeHandle';
import { TelemetryPanel } from './TelemetryPanel';

const TABS: Array<{ id: RightTab; label: string }> = [
  { id: 'parameters', label: 'Parameters' },
  { id: 'telemetry', label: 'Telemetry' },
];

export function RightPanel({ overlay }: { overlay: boolean }) {
  const tab = useApp((s) => s.rightTab);
  const setTab = useApp((s) => s.setRightTab);
  const tabs = useRef<Array<HTMLButtonElement | null>>([]);
  const width = useLayout((s) => s.widths.right);
  return (
    <aside
      aria-label="Chat settings"
      style={overlay ? undefined : { width }}
      className={cn(
        'relative flex shrink-0 flex-col border-l border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-950',
        overlay && 'fixed inset-y-0 right-0 z-30 w-80 shadow-2xl',
      )}
    >
      {overlay ? null : <ResizeHandle panel="right" edge="left" label="Resize the chat settings panel" />}
      <div className="flex h-14 shrink-0 items-center gap-2 border-b border-zinc-200 px-3 dark:border-zinc-800">
        <div role="tablist" aria-label="Panel" className="flex flex-1 gap-1">
          {TABS.map((t, i) => (
            <button
              key={t.id}
              ref={(el) => {
                tabs.current[i] = el;
              }}
              type="button"
              role="tab"
              id={`tab-${t.id}`}
              aria-selected={tab === t.id}
              aria-controls={`panel-${t.id}`}
              tabIndex={tab === t.id ? 0 : -1}
              onClick={() => setTab(t.id)}
              onKeyDown={(e) => {
                if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
                const j = (i + (e.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length;
                setTab(TABS[j]!.id);
                tabs.current[j]?.focus();
              }}
              className={cn(
                'rounded-md px-2.5 py-1.5 text-sm font-medium transition-colors',
                tab === t.id ? 'bg-zinc-100 text-zinc-900 dark:bg-zinc-800 dark:text-zinc-100' : 'text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100',
              )}
            >
              {t.label}
            </button>
          ))}
        </div>
        {overlay ? (
          <IconButton label="Close panel" size="sm" onClick={() => useApp.getState().setRightOpen(false)}>
            <X size={16} aria-hidden />
          </IconButton>
        ) : null}
      </div>
      <div id={`panel-${tab}`} role="tabpanel" aria-labelledby={`tab-${tab}`} className="min-h-0 flex-1 overflow-y-auto p-4">
        {tab === 'parameters' ? <ChatSettings /> : <TelemetryPanel />}
      </div>
    </aside>
  );
}
