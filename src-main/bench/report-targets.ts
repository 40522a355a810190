// Verdicts, and the engine's targets (issue 7, the kernel targets against llama.cpp) evaluated on a
// suite run; reported, never asserted.
import { cell, find, MB, mb, num, pct, ratio, secs, signed, speed } from './report-format.js';
import { kernelSetName, peerRatio } from './report-peer.js';
import type { Figure, SuiteEntry, SuiteResult } from './suite.js';
import { RACE_PAIRS, raceNames } from './suite-config.js';
import { ownShares } from './suite-stats.js';


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
export const pplDelta = (r: SuiteResult, id: string): number | null => {
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
 * on AVX-512 CPUs, the AVX2 and AVX-VNNI ones): decode after the prompt and at depth 0, prefill, the share of the
 * read bandwidth at depth 0, and the conversion against llama-quantize.
 */
export function checkKernelTargets(r: SuiteResult): TargetCheck[] {
  const out: TargetCheck[] = [];
  const prefill = r.settings.prefill_tokens;
  const sets = [
    { suffix: '', name: kernelSetName(find(r, 'phi35', 'qins8') ?? find(r, 'phi35', 'qins4') ?? ({ kernels: null } as SuiteEntry)) },
    { suffix: '-avx2', name: 'AVX2' },
    { suffix: '-avxvnni', name: 'AVX-VNNI' },
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
      const share = `${codec} decode at depth 0 ≥ ${(100 * limit).toFixed(0)} % of`;
      // the bandwidth of the very pages the decode reads, probed in each round (pageProbeWhen);
      // met only when every round meets it (the memory's speed may change between rounds)
      const rounds = ownShares(e);
      const when = r.settings.weights_probe === 'around' ? "probed before and after each round's depth-0 decode, the faster" : 'probed after each round';
      out.push({
        target: `Phi-3.5 scale, ${k.name}: ${share} the read bandwidth of its weight pages (${when}; every round)`,
        measured: rounds.length === 0 ? '–' : rounds.map((x) => `${pct(x.share)} of ${num(x.gbs)} GB/s`).join(', '),
        status: status(rounds.length === 0 ? null : rounds.every((x) => x.share >= limit)),
      });
      const f = depth0Fraction(r, e);
      out.push({
        target: `Phi-3.5 scale, ${k.name}: ${share} the best read-bandwidth probe of the run`,
        measured: !known ? 'bound unknown (see the bandwidth section)' : pct(f),
        status: status(!known || f === null ? null : f >= limit),
      });
    }
  }
  const conv = r.conversions.filter((c) => c.scale === 'phi35');
  for (const p of RACE_PAIRS) {
    const [oursName, peerName] = raceNames(p);
    const a = conv.find((c) => !c.peer && c.codec === oursName);
    const b = conv.find((c) => c.peer && c.codec === peerName);
    if (p.avx2 && !a && !b) continue; // AVX2 encoders raced only on AVX-512 CPUs with the avx2 build
    const n = Math.min(a?.wall_rounds?.length ?? 1, b?.wall_rounds?.length ?? 1);
    const how = n > 1 ? `, medians of ${n} alternating rounds` : '';
    out.push({
      target: p.avx2
        ? `Phi-3.5 scale, AVX2: convert to ${p.codec} with the AVX2 encoders no slower than llama-quantize ${p.type} (avx2 build)`
        : `Phi-3.5 scale: convert to ${p.codec} no slower than llama-quantize ${p.type}`,
      measured: a && b ? `${a.wall_seconds.toFixed(1)} s vs ${b.wall_seconds.toFixed(1)} s (${(b.wall_seconds / a.wall_seconds).toFixed(2)}×${how})` : '–',
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
