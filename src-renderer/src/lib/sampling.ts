// The sampling controls: one description per setting drives the slider, the number box and the
// clamping, so the panel and its tests agree on ranges. The valid ranges (the number box's limits)
// come from src-shared/sampling.ts, as the contract's; the slider ranges are the panel's own.
import type { SamplingSettings } from '../../../src-shared/contract';
import { DEFAULT_MAX_TOKENS, SAMPLING_BOUNDS as B } from '../../../src-shared/sampling';

export type NumericKey = 'temperature' | 'top_p' | 'top_k' | 'min_p' | 'repetition_penalty' | 'max_tokens' | 'seed';

export interface SamplingControl {
  key: NumericKey;
  /** The accessible name of the slider (the issue fixes these). */
  label: string;
  hint: string;
  min: number;
  max: number;
  step: number;
  /** Largest value the number box accepts (may exceed the slider's range). */
  inputMax: number;
  inputMin: number;
  integer: boolean;
  /** The setting may be null (max tokens: no limit; seed: random). */
  nullable?: { label: string; whenNull: string; fallback: number };
}

export const SAMPLING_CONTROLS: readonly SamplingControl[] = [
  { key: 'temperature', label: 'Temperature', hint: 'Higher is more varied, 0 always picks the likeliest token.', min: 0, max: 2, step: 0.01, inputMin: B.temperature.min, inputMax: B.temperature.max, integer: false },
  { key: 'top_p', label: 'Top-p', hint: 'Sample from the smallest set of tokens whose probabilities add up to p.', min: 0.01, max: 1, step: 0.01, inputMin: 0.01, inputMax: B.top_p.max, integer: false },
  { key: 'top_k', label: 'Top-k', hint: 'Sample from the k likeliest tokens (0 turns it off).', min: 0, max: 200, step: 1, inputMin: B.top_k.min, inputMax: B.top_k.max, integer: true },
  { key: 'min_p', label: 'Min-p', hint: 'Drop tokens less likely than this fraction of the likeliest one (0 turns it off).', min: 0, max: 1, step: 0.01, inputMin: B.min_p.min, inputMax: B.min_p.max, integer: false },
  { key: 'repetition_penalty', label: 'Repetition penalty', hint: 'Above 1 discourages repeating tokens already in the text.', min: 0.5, max: 2, step: 0.01, inputMin: 0.01, inputMax: B.repetition_penalty.max, integer: false },
  {
    key: 'max_tokens',
    label: 'Max tokens',
    hint: 'The longest reply, in tokens.',
    min: 16,
    max: 8192,
    step: 16,
    inputMin: B.max_tokens.min,
    inputMax: B.max_tokens.max,
    integer: true,
    nullable: { label: 'No limit', whenNull: 'until the model stops or the context is full', fallback: DEFAULT_MAX_TOKENS },
  },
  {
    key: 'seed',
    label: 'Seed',
    hint: 'The same seed and settings give the same reply.',
    min: 0,
    max: 9999,
    step: 1,
    inputMin: B.seed.min,
    inputMax: B.seed.max,
    integer: true,
    nullable: { label: 'Random', whenNull: 'a new random seed each time', fallback: 42 },
  },
];

/** Brings a typed or dragged value into the setting's valid range (NaN → null = not accepted). */
export function clampValue(control: SamplingControl, raw: number): number | null {
  if (!Number.isFinite(raw)) return null;
  let v = control.integer ? Math.round(raw) : Math.round(raw * 1000) / 1000;
  v = Math.min(control.inputMax, Math.max(control.inputMin, v));
  return v;
}

/** Decimal places shown in the number box. */
export function decimals(control: SamplingControl): number {
  if (control.integer) return 0;
  return control.step >= 0.1 ? 1 : 2;
}

/** Whether two sampling settings differ (stop strings included). */
export function samplingEqual(a: SamplingSettings, b: SamplingSettings): boolean {
  return (
    a.temperature === b.temperature &&
    a.top_p === b.top_p &&
    a.top_k === b.top_k &&
    a.min_p === b.min_p &&
    a.repetition_penalty === b.repetition_penalty &&
    a.max_tokens === b.max_tokens &&
    a.seed === b.seed &&
    a.stop.length === b.stop.length &&
    a.stop.every((s, i) => s === b.stop[i])
  );
}
