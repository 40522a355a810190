// How much of the model's context the conversation takes, and what happens when it is full.
import type { ContextUsage } from '../../../../src-shared/contract';
import { cn } from '../../lib/cn';
import { formatCount } from '../../lib/format';

export const POLICY_TEXT: Record<ContextUsage['policy'], string> = {
  'drop-oldest': 'the oldest messages are left out',
  stop: 'generation stops',
};

/**
 * `reserved` is the room left for the reply (max tokens, bounded by the context): the next reply
 * would overflow when that room is smaller than the max tokens setting, or there is none at all.
 */
export function contextState(u: ContextUsage, maxTokens: number | null): { used: number; overflow: boolean } {
  const used = u.contextLength > 0 ? u.tokens / u.contextLength : 0;
  const overflow = u.tokens >= u.contextLength || u.reserved === 0 || (maxTokens !== null && u.reserved < maxTokens);
  return { used, overflow };
}

export function ContextMeter({ usage, maxTokens, compact }: { usage: ContextUsage | null; maxTokens: number | null; compact?: boolean }) {
  if (!usage) return null;
  const { used, overflow } = contextState(usage, maxTokens);
  const pct = Math.min(100, used * 100);
  const label = `Context: ${formatCount(usage.tokens)} of ${formatCount(usage.contextLength)} tokens used`;
  return (
    <div
      className="flex items-center gap-2 text-[11px] text-zinc-600 tabular-nums dark:text-zinc-400"
      title={`${label}. When it is full, ${POLICY_TEXT[usage.policy]}.`}
      data-testid="context-meter"
    >
      <div
        role="meter"
        aria-label="Context used"
        aria-valuemin={0}
        aria-valuemax={usage.contextLength}
        aria-valuenow={usage.tokens}
        aria-valuetext={label}
        className={cn('relative h-1.5 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800', compact ? 'w-16' : 'w-24')}
      >
        <div className={cn('absolute inset-y-0 left-0 rounded-full', overflow || pct > 90 ? 'bg-amber-500' : 'bg-indigo-500')} style={{ width: `${Math.max(pct, usage.tokens > 0 ? 2 : 0)}%` }} />
      </div>
      <span>
        {formatCount(usage.tokens)} / {formatCount(usage.contextLength)}
        {compact ? '' : ' tokens'}
      </span>
    </div>
  );
}
