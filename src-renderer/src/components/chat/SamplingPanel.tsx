// Sampling controls: a slider and a number box per setting, saved with the conversation;
// "Reset to model defaults" takes the model's generation_config values.
import * as Slider from '@radix-ui/react-slider';
import { RotateCcw } from 'lucide-react';
import { useEffect, useId, useState } from 'react';
import type { SamplingSettings } from '../../../../src-shared/contract';
import { cn } from '../../lib/cn';
import { SAMPLING_CONTROLS, type SamplingControl, clampValue, decimals, samplingEqual } from '../../lib/sampling';
import { Button } from '../ui/Button';

function show(control: SamplingControl, v: number | null): string {
  return v === null ? '' : v.toFixed(decimals(control));
}

export function SliderRow({ control, value, onChange }: { control: SamplingControl; value: number | null; onChange: (v: number | null) => void }) {
  const id = useId();
  const [text, setText] = useState(show(control, value));
  const [focused, setFocused] = useState(false);
  // Follow changes from the slider or a reset, except while the person is typing.
  useEffect(() => {
    if (!focused) setText(show(control, value));
  }, [value, focused, control]);

  const isNull = value === null;
  const sliderValue = Math.min(control.max, Math.max(control.min, value ?? control.nullable?.fallback ?? control.min));

  return (
    <div className="space-y-1.5" data-testid={`sampling-${control.key}`}>
      <div className="flex items-center justify-between gap-2">
        <label htmlFor={id} className="text-[13px] font-medium text-zinc-800 dark:text-zinc-200" title={control.hint}>
          {control.label}
        </label>
        <input
          id={id}
          type="number"
          inputMode={control.integer ? 'numeric' : 'decimal'}
          aria-label={`${control.label} value`}
          min={control.inputMin}
          max={control.inputMax}
          step={control.step}
          disabled={isNull}
          placeholder={isNull ? '—' : undefined}
          value={text}
          onFocus={() => setFocused(true)}
          onBlur={() => {
            setFocused(false);
            setText(show(control, value));
          }}
          onChange={(e) => {
            setText(e.target.value);
            if (e.target.value.trim() === '') return;
            const v = clampValue(control, Number(e.target.value));
            if (v !== null) onChange(v);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') (e.target as HTMLInputElement).blur();
          }}
          className="h-7 w-20 rounded-md border border-zinc-300 bg-white px-2 text-right font-mono text-xs tabular-nums disabled:opacity-50 dark:border-zinc-700 dark:bg-zinc-900"
        />
      </div>
      <Slider.Root
        className={cn('relative flex h-5 w-full touch-none items-center select-none', isNull && 'opacity-40')}
        min={control.min}
        max={control.max}
        step={control.step}
        value={[sliderValue]}
        disabled={isNull}
        onValueChange={([v]) => {
          if (v === undefined) return;
          const c = clampValue(control, v);
          if (c !== null) onChange(c);
        }}
      >
        <Slider.Track className="relative h-1 grow overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-700">
          <Slider.Range className="absolute h-full rounded-full bg-indigo-600 dark:bg-indigo-500" />
        </Slider.Track>
        <Slider.Thumb
          aria-label={control.label}
          className="block h-4 w-4 rounded-full border border-zinc-300 bg-white shadow transition-transform hover:scale-110 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500 dark:border-zinc-500"
        />
      </Slider.Root>
      {control.nullable ? (
        <label className="flex items-center gap-2 text-xs text-zinc-600 dark:text-zinc-400">
          <input
            type="checkbox"
            className="h-3.5 w-3.5 accent-indigo-600"
            checked={isNull}
            onChange={(e) => onChange(e.target.checked ? null : (control.nullable?.fallback ?? control.min))}
          />
          {control.nullable.label}
          {isNull ? <span className="text-zinc-500 dark:text-zinc-400">— {control.nullable.whenNull}</span> : null}
        </label>
      ) : null}
    </div>
  );
}

export function SamplingPanel({ sampling, defaults, onChange }: { sampling: SamplingSettings; defaults: SamplingSettings | null; onChange: (patch: Partial<SamplingSettings>) => void }) {
  const atDefaults = defaults ? samplingEqual(sampling, defaults) : true;
  return (
    <section aria-labelledby="sampling-heading" className="space-y-4">
      <div className="flex items-center justify-between">
        <h3 id="sampling-heading" className="text-xs font-semibold tracking-wide text-zinc-600 uppercase dark:text-zinc-400">
          Sampling
        </h3>
        <Button
          size="sm"
          variant="ghost"
          disabled={!defaults || atDefaults}
          title={defaults ? 'Use the values from the model’s generation_config' : 'Load a model first'}
          onClick={() => defaults && onChange({ ...defaults })}
        >
          <RotateCcw size={13} aria-hidden />
          Reset to model defaults
        </Button>
      </div>
      {SAMPLING_CONTROLS.map((c) => (
        <SliderRow key={c.key} control={c} value={sampling[c.key]} onChange={(v) => onChange({ [c.key]: v } as Partial<SamplingSettings>)} />
      ))}
    </section>
  );
}
