import { cn } from '../../lib/cn';

/** A progress bar; `value` null shows an indeterminate bar. */
export function Progress({ value, label, className, tone = 'indigo' }: { value: number | null; label: string; className?: string; tone?: 'indigo' | 'emerald' }) {
  const pct = value === null ? null : Math.max(0, Math.min(100, value * 100));
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct === null ? undefined : Math.round(pct)}
      className={cn('relative h-1.5 w-full overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800', className)}
    >
      <div
        className={cn(
          'absolute inset-y-0 left-0 rounded-full transition-[width] duration-300',
          tone === 'emerald' ? 'bg-emerald-500' : 'bg-indigo-600 dark:bg-indigo-500',
          pct === null && 'progress-indeterminate w-1/3',
        )}
        style={pct === null ? undefined : { width: `${pct}%` }}
      />
    </div>
  );
}
