import { ChevronLeft, ChevronRight } from 'lucide-react';
import type { ThreadEntry } from '../../../../src-shared/contract';

/** ‹ 2/3 › between the versions of a message (edits of a user message, regenerated replies). */
export function BranchNav({ entry, onSwitch, disabled }: { entry: ThreadEntry; onSwitch: (messageId: string) => void; disabled?: boolean }) {
  const { siblingIndex: i, siblingCount: n, siblingIds } = entry;
  if (n < 2) return null;
  const go = (j: number) => {
    const id = siblingIds[j];
    if (id) onSwitch(id);
  };
  return (
    <div className="flex items-center text-xs text-zinc-600 tabular-nums dark:text-zinc-400" role="group" aria-label={`Version ${i + 1} of ${n}`}>
      <button
        type="button"
        aria-label="Previous version"
        title="Previous version"
        disabled={disabled || i === 0}
        onClick={() => go(i - 1)}
        className="rounded p-0.5 hover:bg-zinc-100 hover:text-zinc-900 disabled:opacity-40 disabled:hover:bg-transparent dark:hover:bg-zinc-800 dark:hover:text-zinc-100"
      >
        <ChevronLeft size={15} aria-hidden />
      </button>
      <span data-testid="branch-position" className="min-w-8 text-center">
        {i + 1}/{n}
      </span>
      <button
        type="button"
        aria-label="Next version"
        title="Next version"
        disabled={disabled || i === n - 1}
        onClick={() => go(i + 1)}
        className="rounded p-0.5 hover:bg-zinc-100 hover:text-zinc-900 disabled:opacity-40 disabled:hover:bg-transparent dark:hover:bg-zinc-800 dark:hover:text-zinc-100"
      >
        <ChevronRight size={15} aria-hidden />
      </button>
    </div>
  );
}
