// BENCHMARKS.md from a suite run. It leads with our engine against llama.cpp on the same weights
// (ratios, > 1 = we are better), then the machine and its read-bandwidth bound, one table per scale
// (medians with the min–max of the rounds), the charts, the targets, the seed's claims with
// verdicts computed from the numbers, and the conversions. Also the README blocks between
// `<!-- bench:… -->` / `<!-- convert:phi35 -->` markers.
import type { ConversionMeasure, Figure, Scale, Stat, SuiteEntry, SuiteResult } from './suite.js';
import { IQ4_NL_TABLE, PEER_PAIRS, SCALE_NAMES } from './suite.js';

const MB = 1e6;
const mb = (b: number | null | undefined): string => (b == null ? '–' : b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : `${(b / MB).toFixed(1)} MB`);
const mib = (b: number | null | undefined): string => (b == null ? '–' : `${(b / 2 ** 20).toFixed(0)} MiB`);
const num = (v: number | null | undefined, d = 1): string => (v == null ? '–' : v.toFixed(d));
const speed = (v: number | null | undefined): string => (v == null ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const pct = (v: number | null | undefined): string => (v == null ? '–' : `${(100 * v).toFixed(1)} %`);
const secs = (ms: number | null | undefined): string => (ms == null ? '–' : `${(ms / 1000).toFixed(2)} s`);
const signed = (v: number, d = 2): string => `${v >= 0 ? '+' : ''}${v.toFixed(d)} %`;
const cell = (s: string): string => s.replace(/\|/g, '/');
const RED = '🔴';

export const find = (r: SuiteResult, scale: Scale, id: string): SuiteEntry | undefined =>
  r.entries.find((e) => e.scale === scale && e.id === id && e.error === null);

const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
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
const mainScale = (r: SuiteResult): Scale => (r.entries.some((e) => e.scale === 'phi35' && e.error === null) ? 'phi35' : 'tiny');
const scaleWord = (s: Scale): string => (s === 'phi35' ? 'Phi-3.5 scale' : 'tiny model');

// ---------------------------------------------------------------------------------------------
// Against llama.cpp

/** Higher is better for speeds; lower for load time and memory. */
const BETTER_HIGH: Record<Figure, boolean> = {
  load_ms: false,
  prefill_tok_s: true,
  decode_tok_s: true,
  decode_depth0_tok_s: true,
  rss_after_load_bytes: false,
  peak_rss_bytes: false,
};

export interface PeerRatio {
  /** Ratio of the medians, oriented so that > 1 means we are better. */
  value: number;
  /** The least and most favourable ratios any two rounds give. */
  min: number;
  max: number;
}

/** Our figure against llama.cpp's, > 1 = we are better (faster, or less time / memory). */
export function peerRatio(ours: Stat | undefined, peer: Stat | undefined, higherIsBetter: boolean): PeerRatio | null {
  if (!ours || !peer || ours.median <= 0 || peer.median <= 0 || ours.min <= 0 || peer.min <= 0) return null;
  return higherIsBetter
    ? { value: ours.median / peer.median, min: ours.min / peer.max, max: ours.max / peer.min }
    : { value: peer.median / ours.median, min: peer.min / ours.max, max: peer.max / ours.min };
}

const fmtRatio = (x: PeerRatio | null): string => {
  if (!x) return '–';
  const f = (v: number) => `${v.toFixed(2)}×`;
  return x.min === x.max ? f(x.value) : `${f(x.value)} (${x.min.toFixed(2)}–${x.max.toFixed(2)})`;
};

/** The figures of the llama.cpp table, titled for a prompt of `prefill` tokens. */
export const peerFigures = (prefill: number): ReadonlyArray<{ figure: Figure; title: string }> => [
  { figure: 'decode_tok_s', title: `decode after ${prefill}` },
  { figure: 'decode_depth0_tok_s', title: 'decode at depth 0' },
  { figure: 'prefill_tok_s', title: `prefill ${prefill}` },
  { figure: 'load_ms', title: 'load → 1st token' },
  { figure: 'peak_rss_bytes', title: 'peak RSS' },
];

export interface PeerRow {
  scale: Scale;
  kernels: string;
  ours: SuiteEntry;
  peer: SuiteEntry;
  ratios: Array<PeerRatio | null>;
}

const kernelSetName = (e: Pick<SuiteEntry, 'kernels'>): string => {
  const k = e.kernels ?? '';
  if (/avx512|sapphirerapids|zen4|icelake|skylakex|cascadelake|cooperlake|cannonlake/i.test(k)) return 'AVX-512';
  if (/avx2|haswell|alderlake/i.test(k)) return 'AVX2';
  return k || '?';
};

/** Every measured pair (ours vs llama.cpp on the same weights) at a scale, per kernel set. */
export function peerRows(r: SuiteResult, scale: Scale): PeerRow[] {
  const rows: PeerRow[] = [];
  for (const p of PEER_PAIRS) {
    const ours = find(r, scale, p.ours);
    const peer = find(r, scale, p.peer);
    if (!ours || !peer) continue;
    rows.push({
      scale,
      kernels: kernelSetName(ours),
      ours,
      peer,
      ratios: peerFigures(r.settings.prefill_tokens).map((f) => peerRatio(ours.stats[f.figure], peer.stats[f.figure], BETTER_HIGH[f.figure])),
    });
  }
  return rows;
}

export function peerTable(r: SuiteResult, scales: Scale[]): string {
  const head = ['scale', 'kernels', 'ours', 'llama.cpp', ...peerFigures(r.settings.prefill_tokens).map((f) => f.title)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const s of scales)
    for (const row of peerRows(r, s))
      lines.push(
        `| ${[s === 'phi35' ? 'Phi-3.5' : 'tiny', row.kernels, row.ours.label, `${row.peer.label} (${row.peer.kernels ?? '?'})`, ...row.ratios.map(fmtRatio)].join(' | ')} |`,
      );
  return lines.length > 2 ? lines.join('\n') : '';
}

/** Why llama.cpp figures are missing, or null when it ran. */
export function peerMissing(r: SuiteResult): string | null {
  if (!r.peer.available) return r.peer.reason ?? 'not installed';
  const peers = r.entries.filter((e) => e.engine === 'llama.cpp');
  if (peers.length === 0) return 'no llama.cpp configuration was selected (--configs)';
  if (peers.every((e) => e.error !== null)) return `it could not be loaded or run: ${peers[0]!.error}`;
  return null;
}

const peerLine = (r: SuiteResult): string => {
  const p = r.peer;
  const parts = [`llama.cpp ${p.llama_cpp_release ?? '(release unknown)'} through node-llama-cpp ${p.version ?? '?'}, CPU only, ggml CPU library ${p.cpu_library ?? 'unknown'}`];
  if (p.avx2_cpu_library) parts.push(`AVX2 rows: ${p.avx2_cpu_library} only (a copy of the peer folder without the other CPU libraries)`);
  else if (p.avx2_reason) parts.push(`no AVX2 rows: ${p.avx2_reason}`);
  return `${parts.join('; ')}.`;
};

const peerHeader = (r: SuiteResult): string =>
  `Each cell is our median over llama.cpp's on the same weights (qins8 and q8 against Q8_0, qins4 and q4 against Q4_0, exported by \`qins export-gguf\`), same threads, same ${r.settings.prefill_tokens} prompt token ids; **a ratio > 1 means we are better**: faster (our tok/s ÷ its tok/s), or quicker to load and smaller (its seconds or bytes ÷ ours). In brackets: the least and most favourable ratio any two rounds give.`;

// ---------------------------------------------------------------------------------------------
// Verdicts and targets

/** "holds" when the measured value meets the claim, else "does not hold (x measured)"; "not measured" without a value. */
export function verdict(value: number | null | undefined, holds: (v: number) => boolean, shown: (v: number) => string): string {
  if (value == null || !Number.isFinite(value)) return 'not measured';
  return holds(value) ? 'holds' : `does not hold (${shown(value)} measured)`;
}

/** One verdict from several parts: "holds" when all hold, else each part named with its own verdict. */
export function combineVerdicts(parts: Array<{ what: string; verdict: string }>): string {
  const measured = parts.filter((p) => p.verdict !== 'not measured');
  if (measured.length === 0) return 'not measured';
  if (measured.every((p) => p.verdict === 'holds')) return 'holds';
  return measured.map((p) => `${p.what}: ${p.verdict}`).join('; ');
}

export type Status = 'met' | 'not met' | 'not measured';

export interface TargetCheck {
  target: string;
  measured: string;
  status: Status;
}

const status = (ok: boolean | null): Status => (ok === null ? 'not measured' : ok ? 'met' : 'not met');
const pplDelta = (r: SuiteResult, id: string): number | null => {
  const e = find(r, 'tiny', id);
  const ref = find(r, 'tiny', 'ort-fp32');
  return e?.ppl != null && ref?.ppl != null ? 100 * (e.ppl / ref.ppl - 1) : null;
};

/** The engine's targets (issue 7 and its own), evaluated on the results (reported, never asserted in tests). */
export function checkTargets(r: SuiteResult): TargetCheck[] {
  const p8 = find(r, 'phi35', 'qins8');
  const p4 = find(r, 'phi35', 'qins4');
  const pq8 = find(r, 'phi35', 'q8');
  const pRef = find(r, 'phi35', 'ort-fp32');
  const t8 = find(r, 'tiny', 'qins8');
  const tRef = find(r, 'tiny', 'ort-fp32');
  const sp = ratio(p8?.decode_tok_s, pRef?.decode_tok_s);
  const st = ratio(t8?.decode_tok_s, tRef?.decode_tok_s);
  const bound = p8 && p8.kv_bytes !== null ? 1.1 * p8.file_bytes + p8.kv_bytes + 150 * MB : null;
  const boundKnown = r.bandwidth.bound.known.phi35 === true;
  const d8 = pplDelta(r, 'qins8');
  const d4 = pplDelta(r, 'qins4');
  const slow = ratio(pq8?.decode_tok_s, p8?.decode_tok_s);
  const min = (v: number | null | undefined, limit: number): boolean | null => (v == null ? null : v >= limit);
  const max = (v: number | null | undefined, limit: number): boolean | null => (v == null ? null : v <= limit);
  return [
    {
      target: 'Phi-3.5 scale: qins8 decode ≥ 3× ORT FP32',
      measured: sp === null ? '–' : `${sp.toFixed(2)}× (${speed(p8?.decode_tok_s)} vs ${speed(pRef?.decode_tok_s)} tok/s)`,
      status: status(min(sp, 3)),
    },
    {
      target: 'Phi-3.5 scale: qins8 decode ≥ 80 % of the bandwidth bound',
      measured: !boundKnown ? 'bound unknown (see the bandwidth section)' : pct(p8?.bandwidth_fraction),
      status: status(boundKnown ? min(p8?.bandwidth_fraction, 0.8) : null),
    },
    {
      target: 'Phi-3.5 scale: qins8 engine RSS ≤ 1.1 × file + KV + 150 MB',
      measured: bound === null || !p8 ? '–' : `peak ${mb(p8.peak_rss_bytes)} vs bound ${mb(bound)} (after load ${mb(p8.rss_after_load_bytes)})`,
      status: status(bound === null ? null : max(p8?.peak_rss_bytes, bound)),
    },
    {
      target: 'Phi-3.5 scale: qins8 load-to-first-token ≤ 2 s',
      measured: secs(p8?.load_ms),
      status: status(max(p8?.load_ms, 2000)),
    },
    {
      target: 'Phi-3.5 scale: qins8 decode time within 1.25× of q8\'s',
      measured: slow === null ? '–' : `${speed(p8?.decode_tok_s)} vs ${speed(pq8?.decode_tok_s)} tok/s: ${slow.toFixed(2)}×`,
      status: status(max(slow, 1.25)),
    },
    { target: 'Phi-3.5 scale: qins8 decode ≥ 10.7 tok/s', measured: p8 ? `${speed(p8.decode_tok_s)} tok/s` : '–', status: status(min(p8?.decode_tok_s, 10.7)) },
    { target: 'Phi-3.5 scale: qins4 decode ≥ 20 tok/s', measured: p4 ? `${speed(p4.decode_tok_s)} tok/s` : '–', status: status(min(p4?.decode_tok_s, 20)) },
    {
      target: 'tiny: qins8 decode ≥ 2× ORT FP32',
      measured: st === null ? '–' : `${st.toFixed(2)}× (${speed(t8?.decode_tok_s)} vs ${speed(tRef?.decode_tok_s)} tok/s)`,
      status: status(min(st, 2)),
    },
    { target: 'tiny: qins8 perplexity within +0.3 % of FP32', measured: d8 === null ? '–' : signed(d8), status: status(max(d8, 0.3)) },
    { target: 'tiny: qins4 perplexity within +4 % (NF4\'s level)', measured: d4 === null ? '–' : signed(d4), status: status(max(d4, 4)) },
    { target: 'tiny: qins4 perplexity within IQ4_NL\'s +2.2 %', measured: d4 === null ? '–' : signed(d4), status: status(max(d4, 2.2)) },
  ];
}

/** Fraction of the best probe a decode at depth 0 streams (weights + one embedding row + the KV of one position). */
const depth0Fraction = (r: SuiteResult, e: SuiteEntry | undefined): number | null => {
  const best = r.bandwidth.bound.best_gbs;
  if (!e || best === null || e.stream_bytes_per_token_depth0 === null || e.decode_depth0_tok_s === null) return null;
  return (e.stream_bytes_per_token_depth0 * e.decode_depth0_tok_s) / (best * 1e9);
};

/**
 * The kernel targets against llama.cpp at the Phi-3.5 scale, per kernel set (the default set and,
 * on AVX-512 CPUs, the AVX2 one): decode after the prompt and at depth 0, prefill, the share of the
 * read bandwidth at depth 0, and the conversion against llama-quantize.
 */
export function checkKernelTargets(r: SuiteResult): TargetCheck[] {
  const out: TargetCheck[] = [];
  const prefill = r.settings.prefill_tokens;
  const sets = [
    { suffix: '', name: kernelSetName(find(r, 'phi35', 'qins8') ?? find(r, 'phi35', 'qins4') ?? ({ kernels: null } as SuiteEntry)) },
    { suffix: '-avx2', name: 'AVX2' },
  ];
  for (const k of sets) {
    const q8 = find(r, 'phi35', `qins8${k.suffix}`);
    const q4 = find(r, 'phi35', `qins4${k.suffix}`);
    const l8 = find(r, 'phi35', `llama-q8_0${k.suffix}`);
    const l4 = find(r, 'phi35', `llama-q4_0${k.suffix}`);
    if (!q8 && !q4) continue;
    const pair = (ours: SuiteEntry | undefined, peer: SuiteEntry | undefined, f: Figure, limit: number, what: string, type: string) => {
      const x = ours && peer ? peerRatio(ours.stats[f], peer.stats[f], true) : null;
      out.push({
        target: `Phi-3.5 scale, ${k.name}: ${what} ≥ ${limit.toFixed(1)}× llama.cpp ${type}`,
        measured: x === null ? '–' : `${x.value.toFixed(2)}× (${speed(ours?.[f] as number | null)} vs ${speed(peer?.[f] as number | null)} tok/s)`,
        status: status(x === null ? null : x.value >= limit),
      });
    };
    pair(q8, l8, 'decode_tok_s', 1.0, `qins8 decode after ${prefill}`, 'Q8_0');
    pair(q8, l8, 'decode_depth0_tok_s', 1.0, 'qins8 decode at depth 0', 'Q8_0');
    pair(q4, l4, 'decode_tok_s', 1.1, `qins4 decode after ${prefill}`, 'Q4_0');
    pair(q4, l4, 'decode_depth0_tok_s', 1.1, 'qins4 decode at depth 0', 'Q4_0');
    pair(q8, l8, 'prefill_tok_s', 1.0, `qins8 prefill ${prefill}`, 'Q8_0');
    pair(q4, l4, 'prefill_tok_s', 1.0, `qins4 prefill ${prefill}`, 'Q4_0');
    const known = r.bandwidth.bound.known.phi35 === true;
    for (const [e, codec, limit] of [[q8, 'qins8', 0.85], [q4, 'qins4', 0.8]] as const) {
      const f = depth0Fraction(r, e);
      out.push({
        target: `Phi-3.5 scale, ${k.name}: ${codec} decode at depth 0 ≥ ${(100 * limit).toFixed(0)} % of the read bandwidth`,
        measured: !known ? 'bound unknown (see the bandwidth section)' : pct(f),
        status: status(!known || f === null ? null : f >= limit),
      });
    }
  }
  const conv = r.conversions.filter((c) => c.scale === 'phi35');
  for (const [ours, peer] of [['qins8', 'llama-quantize Q8_0'], ['qins4', 'llama-quantize Q4_0']] as const) {
    const a = conv.find((c) => !c.peer && c.codec === ours);
    const b = conv.find((c) => c.peer && c.codec === peer);
    out.push({
      target: `Phi-3.5 scale: convert to ${ours} no slower than ${peer}`,
      measured: a && b ? `${a.wall_seconds.toFixed(1)} s vs ${b.wall_seconds.toFixed(1)} s (${(b.wall_seconds / a.wall_seconds).toFixed(2)}×)` : '–',
      status: status(a && b ? a.wall_seconds <= b.wall_seconds : null),
    });
  }
  const ours = conv.filter((c) => !c.peer);
  const peak = ours.length && ours.every((c) => c.peak_rss_bytes !== null) ? Math.max(...ours.map((c) => c.peak_rss_bytes as number)) : null;
  out.push({ target: 'Phi-3.5 scale: conversion peak RSS ≤ 600 MB (every codec)', measured: peak === null ? '–' : mb(peak), status: status(peak === null ? null : peak <= 600 * MB) });
  const f16 = find(r, 'tiny', 'qins8');
  const f32 = find(r, 'tiny', 'qins8-kv-f32');
  const dkv = f16?.ppl != null && f32?.ppl != null ? 100 * (f16.ppl / f32.ppl - 1) : null;
  out.push({
    target: 'tiny: qins8 perplexity with the f16 KV cache (default) within 0.05 % of f32',
    measured: dkv === null ? '–' : `${signed(dkv, 3)} (${num(f16?.ppl, 3)} vs ${num(f32?.ppl, 3)})`,
    status: status(dkv === null ? null : Math.abs(dkv) <= 0.05),
  });
  return out;
}

export function targetsTable(r: SuiteResult): string {
  const rows = [...checkKernelTargets(r), ...checkTargets(r)].map((t) => `| ${t.target} | ${cell(t.measured)} | ${t.status === 'not met' ? '**not met**' : t.status} |`);
  return ['| target | measured | status |', '|---|---|---|', ...rows].join('\n');
}

export interface ClaimCheck {
  claim: string;
  measured: string;
  verdict: string;
}

/** The seed's three claims, each beside the measurement that tests it and a verdict computed from it. */
export function checkClaims(r: SuiteResult): ClaimCheck[] {
  const scale = mainScale(r);
  const where = scaleWord(scale);
  const ref = find(r, scale, 'ort-fp32');
  const q8 = find(r, scale, 'qins8');
  const seed = find(r, scale, 'qins-seed');
  const fileRatio = ratio(ref?.file_bytes, q8?.file_bytes);
  const seedRatio = ratio(ref?.file_bytes, seed?.file_bytes);
  const rssRatio = ratio(ref?.peak_rss_bytes, q8?.peak_rss_bytes);
  const x = (v: number) => `${v.toFixed(2)}×`;
  const mem: ClaimCheck = {
    claim: '4× less memory than FP32',
    measured:
      fileRatio === null
        ? '–'
        : `${where}: qins8 file ${fileRatio.toFixed(2)}× smaller than FP32` +
          (seedRatio !== null ? `, qins-seed ${seedRatio.toFixed(2)}×` : '') +
          (rssRatio !== null ? `; peak RSS ${rssRatio.toFixed(2)}× smaller than ORT FP32` : ''),
    verdict: combineVerdicts([
      { what: 'qins8 file', verdict: verdict(fileRatio, (v) => v >= 4, x) },
      { what: 'peak RSS', verdict: verdict(rssRatio, (v) => v >= 4, x) },
    ]),
  };
  const spd = (s: Scale) => ratio(find(r, s, 'qins8')?.decode_tok_s, find(r, s, 'ort-fp32')?.decode_tok_s);
  const pre = (s: Scale) => ratio(find(r, s, 'qins8')?.prefill_tok_s, find(r, s, 'ort-fp32')?.prefill_tok_s);
  const parts: string[] = [];
  for (const s of ['phi35', 'tiny'] as const) {
    const d = spd(s);
    const p = pre(s);
    if (d !== null) parts.push(`${s === 'phi35' ? 'Phi-3.5 scale' : 'tiny'}: decode ${d.toFixed(2)}×, prefill ${p === null ? '–' : `${p.toFixed(2)}×`}`);
  }
  const speedClaim: ClaimCheck = {
    claim: '2–3× faster CPU inference than FP32',
    measured: parts.length ? `qins8 vs ORT FP32, ${parts.join('; ')}` : '–',
    verdict: combineVerdicts([
      { what: `decode (${where})`, verdict: verdict(spd(scale), (v) => v >= 2, x) },
      { what: `prefill (${where})`, verdict: verdict(pre(scale), (v) => v >= 2, x) },
    ]),
  };
  const l8 = pplDelta(r, 'qins8');
  const lSeed = pplDelta(r, 'qins-seed');
  const lossShown = (v: number) => signed(v);
  const acc: ClaimCheck = {
    claim: '< 1 % accuracy loss',
    measured:
      l8 === null
        ? '–'
        : `perplexity on held-out text (tiny model): qins8 ${signed(l8)}` +
          (lSeed !== null ? `, the seed's code as written (qins-seed) ${signed(lSeed)}` : ''),
    verdict: combineVerdicts([
      { what: 'qins8', verdict: verdict(l8, (v) => v < 1, lossShown) },
      { what: 'qins-seed (the seed\'s code as written)', verdict: verdict(lSeed, (v) => v < 1, lossShown) },
    ]),
  };
  return [mem, speedClaim, acc];
}

export function claimsTable(r: SuiteResult): string {
  const rows = checkClaims(r).map((c) => `| ${c.claim} | ${cell(c.measured)} | ${cell(c.verdict)} |`);
  return ['| the seed claims | measured (BENCHMARKS.md) | verdict |', '|---|---|---|', ...rows].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Tables

/** "% of bound" for an entry: never above 100 %; unknown where the probe was exceeded at that scale. */
function boundCell(r: SuiteResult, e: SuiteEntry): string {
  if (e.exceeds_bound) return `${RED} streams ${num(e.implied_gbs)} GB/s, above the probe`;
  if (r.bandwidth.bound.known[e.scale] !== true) return 'bound unknown';
  return pct(e.bandwidth_fraction);
}

function scaleTable(r: SuiteResult, scale: Scale): string {
  const rows = r.entries.filter((e) => e.scale === scale);
  const ref = find(r, scale, 'ort-fp32');
  const tiny = scale === 'tiny';
  const P = r.settings.prefill_tokens;
  const head = [
    'engine / codec',
    'kernels',
    'bits/weight',
    'file',
    'load → 1st token',
    `prefill tok/s (${P})`,
    `decode tok/s after ${P}`,
    'decode tok/s at depth 0',
    'decode × FP32',
    'RSS after load',
    'peak RSS',
    'streamed / token',
    '% of bandwidth bound',
    ...(tiny ? ['perplexity', 'Δ vs FP32'] : []),
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const e of rows) {
    if (e.error !== null) {
      lines.push(`| ${e.label} | – | ${num(e.bits_per_weight, 2)} | ${mb(e.file_bytes || null)} | failed: ${cell(e.error)} |${' |'.repeat(head.length - 5)}`);
      continue;
    }
    const dx = ratio(e.decode_tok_s, ref?.decode_tok_s);
    const dppl = tiny && e.ppl !== null && ref?.ppl ? 100 * (e.ppl / ref.ppl - 1) : null;
    const measured = e.samples.length > 0;
    lines.push(
      `| ${[
        e.label,
        e.kernels ?? '–',
        num(e.bits_per_weight, 2),
        mb(e.file_bytes),
        withRange(e.stats.load_ms, (v) => secs(v)),
        withRange(e.stats.prefill_tok_s, speed),
        withRange(e.stats.decode_tok_s, speed),
        withRange(e.stats.decode_depth0_tok_s, speed),
        dx === null ? '–' : `${dx.toFixed(2)}×`,
        withRange(e.stats.rss_after_load_bytes, mb),
        withRange(e.stats.peak_rss_bytes, mb),
        measured ? mb(e.stream_bytes_per_token) : '–',
        measured ? boundCell(r, e) : '–',
        ...(tiny ? [num(e.ppl, 2), dppl === null ? '–' : signed(dppl)] : []),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

function bandwidthSection(r: SuiteResult): string[] {
  const b = r.bandwidth;
  const out = ['## Read bandwidth and the bound', ''];
  if (b.probes.length === 0) return [...out, 'The read-bandwidth probe did not run (no native addon): no bound.', ''];
  out.push(
    'The probe (`streamBandwidth`, native) reads a 1 GiB buffer, 2 MiB-aligned with `MADV_HUGEPAGE`, with one thread per core pinned to it, several passes per timing, best of 5; it ran at the start and after every round.',
    '',
    '| when | best GB/s | slowest GB/s | buffer | on huge pages | threads (pinned) | load average (1 min) |',
    '|---|---|---|---|---|---|---|',
    ...b.probes.map(
      (p) =>
        `| ${p.when} | ${p.gbs.toFixed(1)} | ${p.worst_gbs.toFixed(1)} | ${mib(p.bytes)} × ${p.passes} passes | ${mib(p.huge_page_bytes)}${p.huge_pages_requested ? '' : ' (not offered)'} | ${p.threads} (${p.pinned_threads}) | ${p.load_avg_1m.toFixed(2)} |`,
    ),
    '',
    `The bound is the best probe, **${b.bound.best_gbs === null ? '–' : b.bound.best_gbs.toFixed(1)} GB/s**. Bytes per decode token = the weights every token reads + one embedding row + the K and V the step attends to (layers × 2 × KV heads × head size × bytes per element × positions, with each engine's own KV element type), averaged over the timed steps.`,
    '',
  );
  for (const s of r.settings.scales) {
    const over = b.bound.exceeded.filter((x) => x.scale === s);
    if (over.length === 0) {
      if (b.bound.known[s]) out.push(`- ${SCALE_NAMES[s]}: every engine stayed below the probe.`);
      continue;
    }
    out.push(
      `- ${RED} **${SCALE_NAMES[s]}: the bound is unknown.** ${over.map((x) => `${x.label} streams ${x.implied_gbs.toFixed(1)} GB/s`).join(', ')}: more than the probe's ${b.bound.best_gbs?.toFixed(1)} GB/s, so the probe is no upper bound at this scale (a working set that fits in the CPU caches, or a probe slowed by other work), and no fraction of it is given.`,
    );
  }
  out.push('');
  return out;
}

function conversionTable(list: ConversionMeasure[]): string {
  const lines = [
    '| codec | wall | source read rate | CPU (user + sys) | peak RSS | SNR | size | load average |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const c of list) {
    const cpu = c.user_seconds === null || c.sys_seconds === null ? '–' : `${c.user_seconds.toFixed(1)} + ${c.sys_seconds.toFixed(1)} s`;
    lines.push(
      `| ${c.label} | ${c.wall_seconds.toFixed(1)} s | ${(c.source_bytes / c.wall_seconds / MB).toFixed(0)} MB/s | ${cpu} | ${mib(c.peak_rss_bytes)} | ${c.peer ? '–' : c.snr_db === null ? 'lossless' : `${c.snr_db.toFixed(2)} dB`} | ${(c.file_bytes / c.source_bytes).toFixed(3)}× | ${c.load_avg_1m.toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}

export interface ReportFiles {
  decodeSvg: string;
  qualitySvg: string;
  json: string;
}

export function renderReport(r: SuiteResult, files: ReportFiles): string {
  const m = r.machine;
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
  const missing = peerMissing(r);
  const out: string[] = ['# Benchmarks', ''];
  if (missing !== null)
    out.push(
      `**llama.cpp was not measured in this run: ${missing}.** Without it this report has no comparison with the engine inside LM Studio, Ollama, Jan and GPT4All; \`npm run peer:install\` installs it, then run \`npm run bench\` again.`,
      '',
    );
  const over = r.bandwidth.bound.exceeded;
  if (over.length > 0)
    out.push(`${RED} **Bandwidth bound unknown at ${[...new Set(over.map((x) => (x.scale === 'phi35' ? 'Phi-3.5 scale' : 'tiny scale')))].join(' and ')}**: an engine streamed more than the probe measured (see [the bound](#read-bandwidth-and-the-bound)).`, '');
  const rounds = r.settings.scales.map((s) => `${r.settings.rounds[s]} at ${s === 'phi35' ? 'Phi-3.5 scale' : 'tiny scale'}`).join(', ');
  out.push(
    `Generated by \`npm run bench\` on ${r.date.slice(0, 10)} (${r.date}), commit ${m.commit ?? 'unknown'}, in ${(r.seconds / 60).toFixed(1)} min.`,
    `All numbers come from this run on the machine below: medians of the rounds (${rounds}) with their min–max in brackets; every sample, with the load average it ran at, is in [${files.json}](${files.json}).`,
    '',
  );
  const peerScales = r.settings.scales.filter((s) => peerRows(r, s).length > 0).reverse();
  if (missing === null) {
    out.push('## Against llama.cpp', '', peerHeader(r), '', peerLine(r), '');
    const t = peerTable(r, peerScales);
    out.push(t || 'No pair of ours and llama.cpp was measured at any scale.', '');
  }
  out.push(
    '## Machine',
    '',
    '| | |',
    '|---|---|',
    `| CPU | ${m.cpu} |`,
    `| cores | ${m.physical_cores ?? '?'} physical, ${m.logical_cores} logical; every engine ran with ${r.settings.threads ?? 'its default'} threads |`,
    `| SIMD | ${m.kernels ?? '?'} kernels by default (CPU offers: ${m.cpu_features.join(', ') || '?'}) |`,
    `| memory | ${gib(m.memory_bytes)} |`,
    `| read bandwidth (best probe) | ${m.bandwidth_gbs === null ? 'not measured' : `${m.bandwidth_gbs.toFixed(1)} GB/s (${m.bandwidth_threads} threads)`} |`,
    `| OS / runtime | ${m.os}; Node ${m.node}; onnxruntime-node ${m.onnxruntime ?? '?'}; ${r.peer.available ? `node-llama-cpp ${r.peer.version ?? '?'}` : 'no llama.cpp'} |`,
    `| load average (1 min) | ${m.load_avg_1m_start.toFixed(2)} at the start, ${m.load_avg_1m_end.toFixed(2)} at the end |`,
    '',
    'Other work on the machine lowers every figure, llama.cpp\'s most (its worker threads spin while they wait, so a busy core stalls them); the load average of each measurement is in the JSON.',
    '',
  );
  for (const scale of r.settings.scales) {
    const n = r.settings.rounds[scale];
    out.push(
      `## ${SCALE_NAMES[scale]}`,
      '',
      `${n} round${n > 1 ? 's' : ''}, interleaved: each round measured every configuration once, in this order, each in a fresh process${scale === 'phi35' && n > 1 ? ' (ORT FP32, ORT int4 and qins-seed, slow references no target ratio depends on, in the first round only)' : ''}. A measurement: load → first token, prefill of ${r.settings.prefill_tokens} tokens, ${r.settings.warmup_steps} untimed + ${r.settings.decode_tokens} timed decode steps after it, then ${r.settings.warmup_steps} untimed + ${r.settings.decode_tokens} timed steps after a one-token prompt (depth 0).` +
        (scale === 'phi35' ? ' Random weights: speed and memory only; quality at this scale means nothing and is not reported.' : ''),
      '',
      scaleTable(r, scale),
      '',
    );
  }
  out.push(...bandwidthSection(r));
  out.push('## Charts', '', `![decode speed](${files.decodeSvg})`, '');
  if (r.settings.scales.includes('tiny')) out.push(`![quality against size](${files.qualitySvg})`, '');
  out.push('## Targets', '', targetsTable(r), '');
  out.push("## The seed's claims against these measurements", '', claimsTable(r), '');
  if (r.conversions.length > 0) {
    const q = r.quantize;
    const peerConv = q.binary
      ? q.error
        ? ` llama-quantize (${q.variant}) failed: ${q.error}.`
        : ` Beside them at the Phi-3.5 scale, llama.cpp's \`llama-quantize\` (${q.variant} build, built from the source bundled with the peer package by \`npm run peer:quantize\`), the same threads, from the same source exported as a BF16 GGUF (\`qins convert --codec bf16\` + \`qins export-gguf\`, in the page cache), timed by /usr/bin/time.`
      : ` No llama-quantize comparison: ${q.reason}.`;
    out.push('## Conversions', '', `Each .qins file was converted anew in this run: wall time, CPU time and peak RSS of the \`qins convert\` process (its own getrusage).${peerConv}`, '');
    for (const s of r.settings.scales) {
      const list = r.conversions.filter((c) => c.scale === s);
      if (list.length) out.push(`${SCALE_NAMES[s]}:`, '', conversionTable(list), '');
    }
  }
  out.push(
    '## What the columns mean',
    '',
    '- **llama.cpp Q8_0 / Q4_0**: the q8 / q4 .qins files exported by `qins export-gguf` (values equal to ours up to the fp16 rounding of the block scales) and run by llama.cpp through node-llama-cpp (`qins bench-peer`, CPU only, f16 KV cache), with the same threads and prompt ids. The kernels column names the ggml CPU library it loaded. **(AVX2)** rows: our engine with `--kernels avx2`; llama.cpp from a copy of its folder that holds only ggml\'s haswell (AVX2) library.',
    '- **ORT FP32**: the same checkpoint exported by `qins export-onnx` (FP32 weights) and run by onnxruntime-node with all graph optimizations; the reference of the seed\'s claims. **ORT int4**: the same export with int4 MatMulNBits weights (block 32, int8 activations), for comparison with the 4-bit codecs.',
    '- **bits/weight**: for .qins files the converter\'s figure over all coded matrices (for GGUF files, the same of the .qins file they come from); for ONNX, bytes of the matrix-product weights (with int4 scales and zero points) × 8 ÷ their parameters.',
    '- **load → 1st token**: from opening the model to the logits of the first token (llama.cpp: loading its native library comes before and is not counted, as our addon\'s is part of the process start).',
    '- **RSS after load**: the process\'s resident set after the first token (mapped weight pages included). **peak RSS**: the process\'s high-water mark over the whole run (getrusage).',
    '- **streamed / token**: bytes a timed decode step after the prompt reads: weights + one embedding row + the KV it attends to. **% of bandwidth bound**: that × decode tok/s ÷ the best probe; never shown above 100 %.',
    '- **perplexity**: `qins eval --text assets/eval/eval_dev.txt` (non-overlapping 512-token windows); Δ is against ORT FP32 on the same text. **qins4, IQ4_NL table**: qins4 with llama.cpp\'s fixed IQ4_NL table instead of tuned ones (`--qins4-codebook`), quality only.',
    '',
    '## Reproduce',
    '',
    '```',
    'npm ci && npm run build && npm run peer:install',
    `npm run bench                                   # both scales, writes BENCHMARKS.md, ${files.json}, the SVG charts, the README blocks`,
    'node bin/qins.js bench-suite --scales tiny       # the tiny model only',
    `node bin/qins.js bench <model.qins> --json       # one .qins model (models are cached in ${r.settings.work_dir})`,
    'node bin/qins.js bench-peer <model.gguf> --json  # llama.cpp on a GGUF file, measured the same way',
    'node bin/qins.js bench <onnx-folder> --engine ort --json',
    '```',
    '',
  );
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// README blocks

function replaceBlock(text: string, name: string, body: string): string | null {
  const start = `<!-- ${name} -->`;
  const end = `<!-- /${name} -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) return null;
  return `${text.slice(0, i)}${start}\n${body}${text.slice(j)}`;
}

const measuredOn = (r: SuiteResult): string => `Measured ${r.date.slice(0, 10)} on ${r.machine.cpu}; details and method in [BENCHMARKS.md](BENCHMARKS.md).`;

/** The README's claims block: ours against llama.cpp first, then the seed's claims. */
export function claimsBlock(r: SuiteResult): string {
  const scale = mainScale(r);
  const missing = peerMissing(r);
  const parts: string[] = [];
  if (missing !== null) parts.push(`**llama.cpp was not measured in this run: ${missing}.**`, '');
  else {
    const t = peerTable(r, [scale]);
    if (t) parts.push(`Against llama.cpp (${scaleWord(scale)}): ${peerHeader(r)}`, '', t, '');
  }
  parts.push(claimsTable(r), '', measuredOn(r), '');
  return parts.join('\n');
}

/** Replaces the block between `<!-- bench:claims -->` and `<!-- /bench:claims -->`; null when absent. */
export function updateClaimsBlock(readme: string, r: SuiteResult): string | null {
  return replaceBlock(readme, 'bench:claims', claimsBlock(r));
}

/** The README's targets block: the targets table and what the bandwidth bound allows. */
export function targetsBlock(r: SuiteResult): string {
  const out = [targetsTable(r), ''];
  const p8 = find(r, 'phi35', 'qins8');
  const best = r.bandwidth.bound.best_gbs;
  if (p8 && best !== null && p8.stream_bytes_per_token !== null) {
    const ceiling = (best * 1e9) / p8.stream_bytes_per_token;
    out.push(
      `The best read-bandwidth probe of the run gave ${best.toFixed(1)} GB/s (1 GiB on huge pages, ${r.bandwidth.probes[0]?.threads ?? '?'} pinned threads). ` +
        `A qins8 decode step after ${r.settings.prefill_tokens} tokens streams ${mb(p8.stream_bytes_per_token)} (weights, one embedding row, the KV cache it reads), so the probe allows at most ${speed(ceiling)} tok/s; qins8 decoded at ${speed(p8.decode_tok_s)} tok/s` +
        (r.bandwidth.bound.known.phi35 ? ` (${pct(p8.bandwidth_fraction)} of it).` : `; ${RED} an engine streamed more than the probe at this scale, so the bound is unknown.`),
      '',
    );
  } else out.push('The Phi-3.5-scale figures come from `npm run bench` (both scales); this run did not measure them.', '');
  out.push(measuredOn(r), '');
  return out.join('\n');
}

/** The README's Phi-3.5 conversion table (only from a run that converted at that scale). */
export function conversionBlock(r: SuiteResult): string | null {
  const list = r.conversions.filter((c) => c.scale === 'phi35');
  if (list.length === 0) return null;
  const peak = Math.max(...list.map((c) => c.peak_rss_bytes ?? 0));
  return [
    conversionTable(list),
    '',
    `Measured by \`npm run bench\` (each codec converted by \`qins convert\` in its own process, the source read once beforehand so that it is in the page cache; CPU time and peak RSS from the process's getrusage). The largest peak RSS was ${mib(peak)}. ${measuredOn(r)}`,
    '',
  ].join('\n');
}

/** The README's IQ4_NL comparison (tiny model): our tuned qins4 tables against llama.cpp's fixed one. */
export function iq4nlBlock(r: SuiteResult): string | null {
  const tuned = find(r, 'tiny', 'qins4');
  const fixed = find(r, 'tiny', 'qins4-iq4nl');
  const d = pplDelta(r, 'qins4');
  const df = pplDelta(r, 'qins4-iq4nl');
  if (!tuned || !fixed || d === null || df === null || tuned.snr_db === null || fixed.snr_db === null) return null;
  const fits = tuned.snr_db > fixed.snr_db ? 'fit the weights better than' : 'fit the weights no better than';
  const lower = d < df ? 'and measure better' : d > df ? 'yet measure worse' : 'and measure the same';
  return [
    `On tiny-phi3, qins4's per-tensor tables ${fits} llama.cpp's fixed IQ4_NL table (SNR ${tuned.snr_db.toFixed(2)} vs ${fixed.snr_db.toFixed(2)} dB) ${lower}: perplexity ${signed(d)} with the tuned tables, ${signed(df)} with the IQ4_NL table (\`qins convert --qins4-codebook ${IQ4_NL_TABLE}\`, same block-scale search). ${measuredOn(r)}`,
    '',
  ].join('\n');
}

/** Every README block this run has figures for, replaced; blocks it has none for are left as they are. */
export function updateReadme(readme: string, r: SuiteResult): { text: string; blocks: string[] } {
  let text = readme;
  const blocks: string[] = [];
  const put = (name: string, body: string | null) => {
    if (body === null) return;
    const next = replaceBlock(text, name, body);
    if (next !== null) {
      text = next;
      blocks.push(name);
    }
  };
  put('bench:claims', claimsBlock(r));
  if (r.settings.scales.includes('phi35')) put('bench:targets', targetsBlock(r));
  put('convert:phi35', conversionBlock(r));
  put('bench:iq4nl', iq4nlBlock(r));
  return { text, blocks };
}
