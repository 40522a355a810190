// The seed's three claims, each beside the measurement that tests it and a verdict computed from it.
import { cell, find, mainScale, ratio, scaleWord, signed } from './report-format.js';
import { combineVerdicts, pplDelta, verdict } from './report-targets.js';
import type { Scale, SuiteResult } from './suite.js';

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
