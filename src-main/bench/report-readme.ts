// The README blocks a suite run replaces (between `<!-- bench:… -->` / `<!-- convert:phi35 -->`
// markers): ours against llama.cpp and the seed's claims, the targets, the conversions, IQ4_NL.
import { claimsTable } from './report-claims.js';
import { find, mainScale, mb, mib, pct, RED, scaleWord, signed, speed } from './report-format.js';
import { peerHeader, peerMissing, peerTable } from './report-peer.js';
import { conversionTable, raceNote } from './report-tables.js';
import { pplDelta, targetsTable } from './report-targets.js';
import { IQ4_NL_TABLE, type SuiteResult } from './suite.js';


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
    `Measured by \`npm run bench\` (each codec converted by \`qins convert\` in its own process, the source read once beforehand so that it is in the page cache; CPU time and peak RSS from the process's getrusage).${raceNote(r)} The largest peak RSS was ${mib(peak)}. ${measuredOn(r)}`,
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
