// Number, size and time formatting for the UI.

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1536 → "1.5 KB" (binary multiples, as memory is counted). */
export function formatBytes(bytes: number, digits = 1): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${u === 0 ? v.toFixed(0) : v.toFixed(digits)} ${UNITS[u]}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

/** Remaining time of a job: "about 12 s left", "less than a second left". */
export function formatEta(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return 'estimating…';
  if (ms < 1000) return 'less than a second left';
  return `about ${formatDuration(ms)} left`;
}

const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? COUNT.format(Math.round(n)) : '—';
}

/** Parameter counts: 24_300_000 → "24.3 M", 3_800_000_000 → "3.8 B". */
export function formatParams(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e8 ? 0 : 1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return String(n);
}

/** How many times smaller `small` is than `big`: "3.76×". */
export function formatRatio(big: number, small: number): string {
  if (!(big > 0) || !(small > 0)) return '—';
  const r = big / small;
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

/** A signed percentage change: +0.24 %, −3.1 %. */
export function formatChange(value: number, reference: number): string {
  if (!(reference > 0) || !Number.isFinite(value)) return '—';
  const pct = ((value - reference) / reference) * 100;
  const abs = Math.abs(pct);
  const digits = abs < 10 ? 2 : 1;
  const sign = pct > 0 ? '+' : pct < 0 ? '−' : '±';
  return `${sign}${abs.toFixed(digits)} %`;
}

/** "just now", "5 min ago", "yesterday", or a date. */
export function formatRelative(epochMs: number, now = Date.now()): string {
  const d = now - epochMs;
  if (d < 45_000) return 'just now';
  if (d < 3_600_000) return `${Math.max(1, Math.round(d / 60_000))} min ago`;
  if (d < 86_400_000) return `${Math.round(d / 3_600_000)} h ago`;
  if (d < 2 * 86_400_000) return 'yesterday';
  if (d < 7 * 86_400_000) return `${Math.round(d / 86_400_000)} days ago`;
  return new Date(epochMs).toLocaleDateString(undefined, { month: 'short', day: 'numeric', year: 'numeric' });
}

/** Which group of the conversation list a time falls in. */
export function dayGroup(epochMs: number, now = Date.now()): 'Today' | 'Yesterday' | 'Previous 7 days' | 'Older' {
  const startOfToday = new Date(now);
  startOfToday.setHours(0, 0, 0, 0);
  const t = startOfToday.getTime();
  if (epochMs >= t) return 'Today';
  if (epochMs >= t - 86_400_000) return 'Yesterday';
  if (epochMs >= t - 7 * 86_400_000) return 'Previous 7 days';
  return 'Older';
}

/** Tokens per second with one decimal. */
export function formatRate(tokS: number | null | undefined): string {
  return tokS === null || tokS === undefined || !Number.isFinite(tokS) ? '—' : `${tokS.toFixed(1)} tok/s`;
}
