// BENCHMARKS.md from a suite run: machine, one table per scale, the charts, the issue's targets
// (met or not) and the seed's claims next to what was measured. Also the claims table that the
// README carries between its `<!-- bench:claims -->` markers.
import type { Scale, SuiteEntry, SuiteResult } from './suite.js';
import { SCALE_NAMES } from './suite.js';

const MB = 1e6;
const mb = (b: number | null): string => (b === null ? '–' : b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : `${(b / MB).toFixed(1)} MB`);
const num = (v: number | null, d = 1): string => (v === null ? '–' : v.toFixed(d));
const speed = (v: number | null): string => (v === null ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const pct = (v: number | null): string => (v === null ? '–' : `${(100 * v).toFixed(1)} %`);

export const find = (r: SuiteResult, scale: Scale, id: string): SuiteEntry | undefined =>
  r.entries.find((e) => e.scale === scale && e.id === id && e.error === null);

const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b;

export type Status = 'met' | 'not met' | 'not measured';

export interface TargetCheck {
  target: string;
  measured: string;
  status: Status;
}

const status = (ok: boolean | null): Status => (ok === null ? 'not measured' : ok ? 'met' : 'not met');

/** The issue's targets, evaluated on the results (reported, never asserted in tests). */
export function checkTargets(r: SuiteResult): TargetCheck[] {
  const p8 = find(r, 'phi35', 'qins8');
  const pRef = find(r, 'phi35', 'ort-fp32');
  const t8 = find(r, 'tiny', 'qins8');
  const tRef = find(r, 'tiny', 'ort-fp32');
  const sp = ratio(p8?.decode_tok_s, pRef?.decode_tok_s);
  const st = ratio(t8?.decode_tok_s, tRef?.decode_tok_s);
  const bound = p8 && p8.peak_rss_bytes !== null && p8.kv_bytes !== null ? 1.1 * p8.file_bytes + p8.kv_bytes + 150 * MB : null;
  return [
    {
      target: 'Phi-3.5 scale: qins8 decode ≥ 3× ORT FP32',
      measured: sp === null ? '–' : `${sp.toFixed(2)}× (${speed(p8?.decode_tok_s ?? null)} vs ${speed(pRef?.decode_tok_s ?? null)} tok/s)`,
      status: status(sp === null ? null : sp >= 3),
    },
    {
      target: 'Phi-3.5 scale: qins8 decode ≥ 80 % of the bandwidth bound',
      measured: pct(p8?.bandwidth_fraction ?? null),
      status: status(p8?.bandwidth_fraction == null ? null : p8.bandwidth_fraction >= 0.8),
    },
    {
      target: 'Phi-3.5 scale: qins8 engine RSS ≤ 1.1 × file + KV + 150 MB',
      measured: bound === null || !p8 ? '–' : `peak ${mb(p8.peak_rss_bytes)} vs bound ${mb(bound)} (after load ${mb(p8.rss_after_load_bytes)})`,
      status: status(bound === null || !p8 ? null : (p8.peak_rss_bytes as number) <= bound),
    },
    {
      target: 'Phi-3.5 scale: qins8 load-to-first-token ≤ 2 s',
      measured: p8?.load_ms == null ? '–' : `${(p8.load_ms / 1000).toFixed(2)} s`,
      status: status(p8?.load_ms == null ? null : p8.load_ms <= 2000),
    },
    {
      target: 'tiny: qins8 decode ≥ 2× ORT FP32',
      measured: st === null ? '–' : `${st.toFixed(2)}× (${speed(t8?.decode_tok_s ?? null)} vs ${speed(tRef?.decode_tok_s ?? null)} tok/s)`,
      status: status(st === null ? null : st >= 2),
    },
  ];
}

export interface ClaimCheck {
  claim: string;
  measured: string;
  verdict: string;
}

/** The seed's three claims, each beside the measurement that tests it. */
export function checkClaims(r: SuiteResult): ClaimCheck[] {
  const scale: Scale = find(r, 'phi35', 'qins8') ? 'phi35' : 'tiny';
  const ref = find(r, scale, 'ort-fp32');
  const q8 = find(r, scale, 'qins8');
  const seed = find(r, scale, 'qins-seed');
  const fileRatio = ratio(ref?.file_bytes, q8?.file_bytes);
  const seedRatio = ratio(ref?.file_bytes, seed?.file_bytes);
  const rssRatio = ratio(ref?.peak_rss_bytes, q8?.peak_rss_bytes);
  const where = scale === 'phi35' ? 'Phi-3.5 scale' : 'tiny model';
  const mem: ClaimCheck = {
    claim: '4× less memory than FP32',
    measured:
      fileRatio === null
        ? '–'
        : `${where}: qins8 file ${fileRatio.toFixed(2)}× smaller than FP32` +
          (seedRatio !== null ? `, qins-seed ${seedRatio.toFixed(2)}×` : '') +
          (rssRatio !== null ? `; peak RSS ${rssRatio.toFixed(2)}× smaller than ORT FP32` : ''),
    verdict:
      fileRatio === null ? 'not measured' : fileRatio >= 3.95 ? 'holds' : fileRatio >= 3.5 ? 'nearly (8.5 bits/weight is 3.76× of 32)' : 'does not hold',
  };
  const spd = (s: Scale) => ratio(find(r, s, 'qins8')?.decode_tok_s, find(r, s, 'ort-fp32')?.decode_tok_s);
  const pre = (s: Scale) => ratio(find(r, s, 'qins8')?.prefill_tok_s, find(r, s, 'ort-fp32')?.prefill_tok_s);
  const parts: string[] = [];
  for (const s of ['phi35', 'tiny'] as const) {
    const d = spd(s);
    const p = pre(s);
    if (d !== null) parts.push(`${s === 'phi35' ? 'Phi-3.5 scale' : 'tiny'}: decode ${d.toFixed(2)}×, prefill ${p === null ? '–' : `${p.toFixed(2)}×`}`);
  }
  const dMain = spd(scale);
  const speedClaim: ClaimCheck = {
    claim: '2–3× faster CPU inference than FP32',
    measured: parts.length ? `qins8 vs ORT FP32, ${parts.join('; ')}` : '–',
    verdict: dMain === null ? 'not measured' : dMain >= 2 ? `holds for decode at ${where === 'tiny model' ? 'tiny scale' : 'Phi-3.5 scale'}` : 'does not hold',
  };
  const t8 = find(r, 'tiny', 'qins8');
  const tSeed = find(r, 'tiny', 'qins-seed');
  const tRef = find(r, 'tiny', 'ort-fp32');
  const loss = (e: SuiteEntry | undefined) => (e?.ppl != null && tRef?.ppl != null ? 100 * (e.ppl / tRef.ppl - 1) : null);
  const l8 = loss(t8);
  const lSeed = loss(tSeed);
  const acc: ClaimCheck = {
    claim: '< 1 % accuracy loss',
    measured:
      l8 === null
        ? '–'
        : `perplexity on held-out text (tiny model): qins8 ${l8 >= 0 ? '+' : ''}${l8.toFixed(2)} %` +
          (lSeed !== null ? `, the seed's code as written (qins-seed) ${lSeed >= 0 ? '+' : ''}${lSeed.toFixed(2)} %` : ''),
    verdict:
      l8 === null
        ? 'not measured'
        : l8 < 1 && (lSeed === null || lSeed < 1)
          ? 'holds'
          : l8 < 1
            ? 'holds for qins8, not for the seed code as written'
            : 'does not hold',
  };
  return [mem, speedClaim, acc];
}

export function claimsTable(r: SuiteResult): string {
  const rows = checkClaims(r).map((c) => `| ${c.claim} | ${c.measured} | ${c.verdict} |`);
  return ['| the seed claims | measured (BENCHMARKS.md) | verdict |', '|---|---|---|', ...rows].join('\n');
}

function scaleTable(r: SuiteResult, scale: Scale): string {
  const rows = r.entries.filter((e) => e.scale === scale);
  const ref = find(r, scale, 'ort-fp32');
  const tiny = scale === 'tiny';
  const head = [
    'engine / codec',
    'bits/weight',
    'file',
    'load → 1st token',
    `prefill tok/s (${r.settings.prefill_tokens})`,
    `decode tok/s (${r.settings.decode_tokens})`,
    'decode × FP32',
    'RSS after load',
    'peak RSS',
    'weights read / token',
    'KV cache',
    '% of bandwidth bound',
    ...(tiny ? ['perplexity', 'Δ vs FP32'] : []),
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const e of rows) {
    if (e.error !== null) {
      lines.push(`| ${e.label} | ${num(e.bits_per_weight, 2)} | ${mb(e.file_bytes || null)} | failed: ${e.error.replace(/\|/g, '/')} |${' |'.repeat(head.length - 4)}`);
      continue;
    }
    const dx = ratio(e.decode_tok_s, ref?.decode_tok_s);
    const dppl = tiny && e.ppl !== null && ref?.ppl ? 100 * (e.ppl / ref.ppl - 1) : null;
    lines.push(
      `| ${[
        e.label,
        num(e.bits_per_weight, 2),
        mb(e.file_bytes),
        e.load_ms === null ? '–' : `${(e.load_ms / 1000).toFixed(2)} s`,
        speed(e.prefill_tok_s),
        speed(e.decode_tok_s),
        dx === null ? '–' : `${dx.toFixed(2)}×`,
        mb(e.rss_after_load_bytes),
        mb(e.peak_rss_bytes),
        mb(e.weight_bytes),
        mb(e.kv_bytes),
        pct(e.bandwidth_fraction),
        ...(tiny ? [num(e.ppl, 2), dppl === null ? '–' : `${dppl >= 0 ? '+' : ''}${dppl.toFixed(2)} %`] : []),
      ].join(' | ')} |`,
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
  const out: string[] = [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench\` on ${r.date.slice(0, 10)} (${r.date}), commit ${m.commit ?? 'unknown'}, in ${(r.seconds / 60).toFixed(1)} min.`,
    `All numbers come from this run on the machine below; per-round samples are in [${files.json}](${files.json}).`,
    '',
    '## Machine',
    '',
    '| | |',
    '|---|---|',
    `| CPU | ${m.cpu} |`,
    `| cores | ${m.physical_cores ?? '?'} physical, ${m.logical_cores} logical; engines ran with ${r.settings.threads ?? 'their default'} threads |`,
    `| SIMD | ${m.kernels ?? '?'} kernels (CPU offers: ${m.cpu_features.join(', ') || '?'}) |`,
    `| memory | ${gib(m.memory_bytes)} |`,
    `| measured read bandwidth | ${m.bandwidth_gbs === null ? 'not measured' : `${m.bandwidth_gbs.toFixed(1)} GB/s (best of 3, ${m.bandwidth_threads} threads)`} |`,
    `| OS / runtime | ${m.os}; Node ${m.node}; onnxruntime-node ${m.onnxruntime ?? '?'} |`,
    `| load average (1 min) | ${m.load_avg_1m_start.toFixed(2)} at the start, ${m.load_avg_1m_end.toFixed(2)} at the end |`,
    '',
    'Other work on the machine lowers every figure; the load average of each measurement is in the JSON.',
    '',
  ];
  for (const scale of r.settings.scales) {
    const rounds = r.settings.repeats[scale];
    out.push(
      `## ${SCALE_NAMES[scale]}`,
      '',
      `Medians of ${rounds} round${rounds > 1 ? 's' : ''} of prefill (${r.settings.prefill_tokens} tokens) + decode (${r.settings.decode_tokens} tokens), each engine and codec in its own process.` +
        (scale === 'phi35' ? ' Random weights: speed and memory only; quality at this scale means nothing and is not reported.' : ''),
      '',
      scaleTable(r, scale),
      '',
    );
  }
  out.push('## Charts', '', `![decode speed](${files.decodeSvg})`, '');
  if (r.settings.scales.includes('tiny')) out.push(`![quality against size](${files.qualitySvg})`, '');
  out.push('## Targets (issue 7)', '', '| target | measured | status |', '|---|---|---|');
  for (const t of checkTargets(r)) out.push(`| ${t.target} | ${t.measured} | ${t.status} |`);
  out.push('', '## The seed\'s claims against these measurements', '', claimsTable(r), '');
  out.push(
    '## What the columns mean',
    '',
    '- **ORT FP32**: the same checkpoint exported by `qins export-onnx` (FP32 weights) and run by onnxruntime-node with all graph optimizations; the reference. **ORT int4**: the same export with int4 MatMulNBits weights (block 32, int8 activations), for comparison with the 4-bit codecs.',
    '- **bits/weight**: for .qins files the converter\'s figure over all coded matrices; for ONNX, bytes of the matrix-product weights (with int4 scales and zero points) × 8 ÷ their parameters.',
    '- **load → 1st token**: from opening the model to the logits of the first token.',
    '- **RSS after load**: the process\'s resident set after the first token (mapped weight pages included). **peak RSS**: the process\'s high-water mark over the whole run.',
    '- **weights read / token**: bytes of weights every token streams (the embedding table and RoPE tables, read a row at a time, excluded). **% of bandwidth bound**: weights read per token × decode tok/s ÷ measured read bandwidth.',
    '- **perplexity**: `qins eval --text assets/eval/eval_dev.txt` (non-overlapping 512-token windows); Δ is against ORT FP32 on the same text.',
    '',
    '## Reproduce',
    '',
    '```',
    'npm ci && npm run build',
    `npm run bench                                   # both scales, writes BENCHMARKS.md, ${files.json}, the SVG charts`,
    'node bin/qins.js bench-suite --scales tiny       # the tiny model only (minutes)',
    `node bin/qins.js bench <model.qins> --json       # one .qins model (models are cached in ${r.settings.work_dir})`,
    'node bin/qins.js bench <onnx-folder> --engine ort --json',
    'node bin/qins.js export-onnx <hf-dir> -o <onnx-folder> [--int4]',
    '```',
    '',
  );
  return out.join('\n');
}

/** Replaces the block between `<!-- bench:claims -->` and `<!-- /bench:claims -->`; null when absent. */
export function updateClaimsBlock(readme: string, r: SuiteResult): string | null {
  const start = '<!-- bench:claims -->';
  const end = '<!-- /bench:claims -->';
  const i = readme.indexOf(start);
  const j = readme.indexOf(end);
  if (i < 0 || j < i) return null;
  const block = `${start}\n${claimsTable(r)}\n\nMeasured ${r.date.slice(0, 10)} on ${r.machine.cpu}; details and method in [BENCHMARKS.md](BENCHMARKS.md).\n`;
  return readme.slice(0, i) + block + readme.slice(j);
}
