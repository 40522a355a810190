// Number formatting and lookups shared by the benchmark report's tables and README blocks.
import type { Scale, Stat, SuiteEntry, SuiteResult } from './suite.js';

export const MB = 1e6;
export const mb = (b: number | null | undefined): string => (b == null ? '–' : b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : `${(b / MB).toFixed(1)} MB`);
export const mib = (b: number | null | undefined): string => (b == null ? '–' : `${(b / 2 ** 20).toFixed(0)} MiB`);
export const num = (v: number | null | undefined, d = 1): string => (v == null ? '–' : v.toFixed(d));
export const speed = (v: number | null | undefined): string => (v == null ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
export const pct = (v: number | null | undefined): string => (v == null ? '–' : `${(100 * v).toFixed(1)} %`);
export const secs = (ms: number | null | undefined): string => (ms == null ? '–' : `${(ms / 1000).toFixed(2)} s`);
export const signed = (v: number, d = 2): string => `${v >= 0 ? '+' : ''}${v.toFixed(d)} %`;
export const cell = (s: string): string => s.replace(/\|/g, '/');
export const RED = '🔴';

export const find = (r: SuiteResult, scale: Scale, id: string): SuiteEntry | undefined =>
  r.entries.find((e) => e.scale === scale && e.id === id && e.error === null);

export const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a == null || b == null || b === 0 ? null : a / b;

/** A median with the min–max of the rounds, e.g. "637 (601–650)"; the median alone after one round. */
export function withRange(s: Stat | undefined, f: (v: number) => string): string {
  if (!s) return '–';
  if (s.n < 2 || s.min === s.max) return f(s.median);
  // "0.50 s (0.45–0.55)": the unit once, when the three share it
  const unit = / [^\d\s]+$/.exec(f(s.median))?.[0] ?? '';
  const bare = (v: number) => (unit && f(v).endsWith(unit) ? f(v).slice(0, -unit.length) : f(v));
  return `${f(s.median)} (${bare(s.min)}–${bare(s.max)})`;
}

/** The main scale of the headline figures: Phi-3.5 when it was measured, else the tiny model. */
export const mainScale = (r: SuiteResult): Scale => (r.entries.some((e) => e.scale === 'phi35' && e.error === null) ? 'phi35' : 'tiny');
export const scaleWord = (s: Scale): string => (s === 'phi35' ? 'Phi-3.5 scale' : 'tiny model');
