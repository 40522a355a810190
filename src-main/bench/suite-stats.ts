// Statistics over the rounds: medians with the min–max, an entry's summary and bandwidth figures,
// the bandwidth-bound check.
import { boundFraction } from '../engine/bound.js';
import type { Scale } from './suite-config.js';
import { type BoundCheck, FIGURES, type Stat, type SuiteEntry } from './suite-result.js';

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** min / median / max of the values present (null when there are none). */
export function stat(xs: Array<number | null | undefined>): Stat | null {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  if (v.length === 0) return null;
  return { min: Math.min(...v), median: median(v), max: Math.max(...v), n: v.length };
}

/** Each round's depth-0 decode as a share of the read bandwidth of its weight pages (RoundSample.weights_read_gbs). */
export function ownShares(e: SuiteEntry | undefined): Array<{ share: number; gbs: number }> {
  const bytes = e?.stream_bytes_per_token_depth0 ?? null;
  if (!e || bytes === null) return [];
  return e.samples.flatMap((x) => (x.weights_read_gbs ? [{ share: boundFraction(bytes, x.decode_depth0_tok_s, x.weights_read_gbs), gbs: x.weights_read_gbs }] : []));
}

/** Fills an entry's medians, statistics and bandwidth figures from its samples. */
export function summarize(e: SuiteEntry, boundGbs: number | null): void {
  e.stats = {};
  for (const f of FIGURES) {
    const s = stat(e.samples.map((x) => x[f]));
    if (s) e.stats[f] = s;
    (e as unknown as Record<string, number | null>)[f] = s ? s.median : null;
  }
  const load = stat(e.samples.map((x) => x.load_avg_1m));
  e.load_avg_1m = load ? load.median : null;
  const bytes = e.stream_bytes_per_token;
  const bytes0 = e.stream_bytes_per_token_depth0;
  if (bytes !== null && e.samples.length > 0) {
    const rates = e.samples.flatMap((x) => [bytes * x.decode_tok_s, ...(bytes0 !== null ? [bytes0 * x.decode_depth0_tok_s] : [])]);
    e.implied_gbs = Math.max(...rates) / 1e9;
  }
  const shares = ownShares(e);
  e.weights_read_gbs = shares.length ? median(shares.map((x) => x.gbs)) : null;
  e.weights_read_fraction = shares.length ? median(shares.map((x) => x.share)) : null;
  if (boundGbs !== null && bytes !== null && e.decode_tok_s !== null) {
    e.bandwidth_fraction = boundFraction(bytes, e.decode_tok_s, boundGbs);
    e.exceeds_bound = e.implied_gbs !== null && e.implied_gbs > boundGbs;
  }
}

/** The bound check of a run: per scale, known unless some engine streamed more than the best probe. */
export function checkBound(entries: SuiteEntry[], scales: Scale[], bestGbs: number | null): BoundCheck {
  const exceeded = entries
    .filter((e) => e.error === null && e.exceeds_bound && e.implied_gbs !== null)
    .map((e) => ({ scale: e.scale, id: e.id, label: e.label, implied_gbs: e.implied_gbs as number }));
  const known: Partial<Record<Scale, boolean>> = {};
  for (const s of scales) known[s] = bestGbs !== null && !exceeded.some((x) => x.scale === s);
  return { best_gbs: bestGbs, known, exceeded };
}
