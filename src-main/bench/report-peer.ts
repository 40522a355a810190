// The report's lead table: our engine against llama.cpp on the same weights, as ratios (> 1 = we
// are better), per scale and kernel set.
import { find } from './report-format.js';
import { type Figure, PEER_PAIRS, type Scale, type Stat, type SuiteEntry, type SuiteResult } from './suite.js';


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

export const kernelSetName = (e: Pick<SuiteEntry, 'kernels'>): string => {
  const k = e.kernels ?? '';
  if (/avx512|sapphirerapids|zen4|icelake|skylakex|cascadelake|cooperlake|cannonlake/i.test(k)) return 'AVX-512';
  if (/avxvnni|alderlake/i.test(k)) return 'AVX-VNNI';
  if (/avx2|haswell/i.test(k)) return 'AVX2';
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

export const peerLine = (r: SuiteResult): string => {
  const p = r.peer;
  const parts = [`llama.cpp ${p.llama_cpp_release ?? '(release unknown)'} through node-llama-cpp ${p.version ?? '?'}, CPU only, ggml CPU library ${p.cpu_library ?? 'unknown'}`];
  if (p.avx2_cpu_library) parts.push(`AVX2 rows: ${p.avx2_cpu_library} only (a copy of the peer folder without the other CPU libraries)`);
  else if (p.avx2_reason) parts.push(`no AVX2 rows: ${p.avx2_reason}`);
  if (p.avxvnni_cpu_library) parts.push(`AVX-VNNI rows: ${p.avxvnni_cpu_library} only (likewise)`);
  else if (p.avxvnni_reason) parts.push(`no AVX-VNNI rows: ${p.avxvnni_reason}`);
  return `${parts.join('; ')}.`;
};

export const peerHeader = (r: SuiteResult): string =>
  `Each cell is our median over llama.cpp's on the same weights (qins8 and q8 against Q8_0, qins4 and q4 against Q4_0, exported by \`qins export-gguf\`), same threads, same ${r.settings.prefill_tokens} prompt token ids; **a ratio > 1 means we are better**: faster (our tok/s ÷ its tok/s), or quicker to load and smaller (its seconds or bytes ÷ ours). In brackets: the least and most favourable ratio any two rounds give.`;
