import { AlertCircle, CheckCircle2, Info, X } from 'lucide-react';
import { useApp } from '../../state/app';
import { IconButton } from './Button';

/** Transient messages in the corner; errors stay until dismissed. */
export function Notices() {
  const notices = useApp((s) => s.notices);
  const dismiss = useApp((s) => s.dismiss);
  return (
    <div className="pointer-events-none fixed right-4 bottom-4 z-50 flex w-[min(24rem,calc(100vw-2rem))] flex-col gap-2" aria-live="polite" aria-relevant="additions">
      {notices.map((n) => (
        <div
          key={n.id}
          role={n.kind === 'error' ? 'alert' : 'status'}
          className="pointer-events-auto flex items-start gap-3 rounded-xl border border-zinc-200 bg-white p-3 text-sm shadow-lg dark:border-zinc-700 dark:bg-zinc-900"
        >
          {n.kind === 'error' ? (
            <AlertCircle className="mt-0.5 shrink-0 text-red-600 dark:text-red-400" size={18} aria-hidden />
          ) : n.kind === 'success' ? (
            <CheckCircle2 className="mt-0.5 shrink-0 text-emerald-600 dark:text-emerald-400" size={18} aria-hidden />
          ) : (
            <Info className="mt-0.5 shrink-0 text-indigo-600 dark:text-indigo-400" size={18} aria-hidden />
          )}
          <div className="min-w-0 flex-1">
            <p className="font-medium">{n.title}</p>
            {n.message ? <p className="mt-0.5 break-words text-zinc-600 dark:text-zinc-400">{n.message}</p> : null}
          </div>
          <IconButton label="Dismiss" size="sm" onClick={() => dismiss(n.id)}>
            <X size={14} aria-hidden />
          </IconButton>
        </div>
      ))}
    </div>
  );
}
