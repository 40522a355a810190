// A model's context length (Models page): a choice of lengths up to the model's maximum, with the
// memory estimate — weights plus KV cache against free memory — for the chosen one and beside every
// choice, before anything is loaded; a length that cannot fit is marked and refused.
import { useEffect, useId, useState } from 'react';
import type { ContextPlan, ModelInfo } from '../../../../src-shared/contract';
import { cn } from '../../lib/cn';
import { readable } from '../../lib/errors';
import { formatBytes } from '../../lib/format';
import { qins } from '../../lib/qins';
import { useApp } from '../../state/app';

/** Powers of two from 1024 up to the model's maximum, plus the maximum itself. */
export function contextChoices(max: number): number[] {
  const out: number[] = [];
  for (let n = 1024; n < max; n *= 2) out.push(n);
  out.push(max);
  return out;
}

export function ContextLength({ model }: { model: ModelInfo }) {
  const own = useApp((s) => s.settings?.modelContextLengths[model.id] ?? null);
  const fallback = useApp((s) => s.settings?.defaultContextLength ?? null);
  const [choice, setChoice] = useState<number | null>(own);
  const [plan, setPlan] = useState<ContextPlan | null>(null);
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  useEffect(() => setChoice(own), [own]);

  // The estimate for what is selected (the model's own length, or the default's).
  useEffect(() => {
    if (model.missing) return;
    let live = true;
    qins
      .invoke('models.contextPlan', { id: model.id, contextLength: choice })
      .then((p) => live && (setPlan(p), setError(null)))
      .catch((e: unknown) => live && setError(readable(e).message));
    return () => {
      live = false;
    };
  }, [model.id, model.missing, choice, fallback]);

  const max = plan?.maxContextLength ?? model.contextLength ?? 4096;
  const save = async (value: number | null) => {
    setChoice(value);
    try {
      await qins.invoke('models.setContextLength', { id: model.id, contextLength: value });
      await useApp.getState().loadSettings();
    } catch (e) {
      setChoice(own);
      useApp.getState().notifyError(e, 'Could not set the context length');
    }
  };

  return (
    <div className="mt-3 flex flex-wrap items-center gap-x-3 gap-y-1 text-sm" data-testid="context-length">
      <label htmlFor={id} className="font-medium">
        Context
      </label>
      <select
        id={id}
        value={choice ?? ''}
        disabled={model.missing}
        onChange={(e) => void save(e.target.value ? Number(e.target.value) : null)}
        className="h-8 rounded-md border border-zinc-300 bg-white px-2 text-sm dark:border-zinc-700 dark:bg-zinc-900"
      >
        <option value="">Default{plan && choice === null ? ` (${plan.contextLength.toLocaleString('en-US')})` : ''}</option>
        {contextChoices(max).map((n) => {
          const need = plan ? plan.weightBytes + n * plan.kvBytesPerToken : null;
          return (
            <option key={n} value={n}>
              {n.toLocaleString('en-US')} tokens{n === max ? ' (maximum)' : ''}
              {need !== null ? ` · ${formatBytes(need)}${need > plan!.availableBytes ? ', too large' : ''}` : ''}
            </option>
          );
        })}
      </select>
      {plan ? (
        <span
          data-testid="context-estimate"
          className={cn('text-xs tabular-nums', plan.fits ? 'text-zinc-600 dark:text-zinc-400' : 'text-red-700 dark:text-red-400')}
          role={plan.fits ? undefined : 'alert'}
        >
          {plan.fits
            ? `needs ${formatBytes(plan.totalBytes)} (weights ${formatBytes(plan.weightBytes)} + context ${formatBytes(plan.kvBytes)}) · ${formatBytes(plan.availableBytes)} free`
            : plan.message}
        </span>
      ) : null}
      {error ? <span className="text-xs text-red-700 dark:text-red-400">{error}</span> : null}
    </div>
  );
}
