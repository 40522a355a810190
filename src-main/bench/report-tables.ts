// The report's per-scale tables, the read-bandwidth section and the conversion table.
import { cell, find, MB, mb, mib, num, pct, ratio, RED, secs, signed, speed, withRange } from './report-format.js';
import { type ConversionMeasure, type Scale, SCALE_NAMES, type SuiteEntry, type SuiteResult } from './suite.js';


/** "% of bound" for an entry: never above 100 %; unknown where the probe was exceeded at that scale. */
function boundCell(r: SuiteResult, e: SuiteEntry): string {
  if (e.exceeds_bound) return `${RED} streams ${num(e.implied_gbs)} GB/s, above the probe`;
  if (r.bandwidth.bound.known[e.scale] !== true) return 'bound unknown';
  return pct(e.bandwidth_fraction);
}

export function scaleTable(r: SuiteResult, scale: Scale): string {
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
    'own weight pages read (depth-0 share)',
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
        e.weights_read_gbs === null ? '–' : `${num(e.weights_read_gbs)} GB/s (${pct(e.weights_read_fraction)})`,
        ...(tiny ? [num(e.ppl, 2), dppl === null ? '–' : signed(dppl)] : []),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

export function bandwidthSection(r: SuiteResult): string[] {
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
    `Our engine's rounds also probe **the model's own weight pages**: ${pageProbeWhen(r)}, in the same process, the same read loop streams the mapped .qins file with the engine's threads (best of 3 passes). The decode reads exactly these pages, so no decode of that model can outrun this figure, whatever the memory under the buffer probe does. The tables give its median over the rounds and the median of each round's depth-0 share of it (stream bytes at depth 0 × that round's depth-0 decode speed ÷ that round's figure).`,
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

/** When a run's rounds probed their weight pages (see SuiteSettings.weights_probe). */
export function pageProbeWhen(r: SuiteResult): string {
  return r.settings.weights_probe === 'around'
    ? "right before and right after each round's depth-0 decode (the faster of the two counts, so that a change of the memory's speed during a round cannot make the decode look faster than its pages)"
    : "right after each round's decode";
}

/** What the race rows of the conversion table are (empty for a run without the race). */
export function raceNote(r: SuiteResult): string {
  const raced = r.conversions.filter((c) => (c.wall_rounds?.length ?? 0) > 1);
  if (raced.length === 0) return '';
  const n = Math.max(...raced.map((c) => c.wall_rounds!.length));
  const names = (peer: boolean) => {
    const l = raced.filter((c) => c.peer === peer).map((c) => c.codec.replace('llama-quantize ', ''));
    return l.length > 1 ? `${l.slice(0, -1).join(', ')} and ${l.at(-1)}` : (l[0] ?? '');
  };
  return ` The rows with several wall times come from the conversion race: ${names(false)} alternated with llama-quantize ${names(true)} in ${n} rounds (which of each pair went first alternating, every output deleted before the next conversion started); such a row gives the median round's figures, every round's wall time in brackets, and the highest peak RSS of its rounds.${
    raced.some((c) => c.codec.endsWith('(avx2)')) ? ' The (avx2) rows: `qins convert` with QINS_KERNELS=avx2 (the AVX2 encoders) against the avx2 build of llama-quantize.' : ''
  }${r.quantize.avx2_reason ? ` No AVX2 encoder race: ${r.quantize.avx2_reason}.` : ''}`;
}

export function conversionTable(list: ConversionMeasure[]): string {
  const lines = [
    '| codec | wall | source read rate | CPU (user + sys) | peak RSS | SNR | size | load average |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const c of list) {
    const cpu = c.user_seconds === null || c.sys_seconds === null ? '–' : `${c.user_seconds.toFixed(1)} + ${c.sys_seconds.toFixed(1)} s`;
    const wall = c.wall_rounds && c.wall_rounds.length > 1 ? `${c.wall_seconds.toFixed(1)} s (${c.wall_rounds.map((w) => w.toFixed(1)).join(', ')})` : `${c.wall_seconds.toFixed(1)} s`;
    lines.push(
      `| ${c.label} | ${wall} | ${(c.source_bytes / c.wall_seconds / MB).toFixed(0)} MB/s | ${cpu} | ${mib(c.peak_rss_bytes)} | ${c.peer ? '–' : c.snr_db === null ? 'lossless' : `${c.snr_db.toFixed(2)} dB`} | ${(c.file_bytes / c.source_bytes).toFixed(3)}× | ${c.load_avg_1m.toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}
