// @vitest-environment jsdom
// The benchmark report from suite results: tables, targets met or not, the seed's claims, the
// README block, and well-formed SVG charts.
import { describe, expect, it } from 'vitest';
import { decodeChart, qualityChart } from '../../../src-main/bench/chart.js';
import { checkClaims, checkTargets, renderReport, updateClaimsBlock } from '../../../src-main/bench/report.js';
import type { Scale, SuiteEntry, SuiteResult } from '../../../src-main/bench/suite.js';

function entry(scale: Scale, id: string, label: string, o: Partial<SuiteEntry>): SuiteEntry {
  return {
    scale,
    id,
    label,
    engine: id.startsWith('ort') ? 'ort' : 'qins',
    model: `/m/${scale}/${id}`,
    file_bytes: 1e6,
    bits_per_weight: 8.5,
    convert_seconds: 1,
    load_ms: 500,
    prefill_tokens: 512,
    prefill_tok_s: 100,
    decode_tokens: 128,
    decode_tok_s: 10,
    rss_after_load_bytes: 2e6,
    peak_rss_bytes: 3e6,
    weight_bytes: 1e6,
    kv_bytes: 1e5,
    bandwidth_fraction: 0.5,
    samples: [{ prefill_tok_s: 100, decode_tok_s: 10 }],
    load_avg_1m: 0.5,
    ppl: null,
    ppl_tokens: null,
    error: null,
    ...o,
  };
}

function result(entries: SuiteEntry[]): SuiteResult {
  return {
    date: '2026-01-02T03:04:05.000Z',
    machine: {
      cpu: 'Test CPU',
      kernels: 'avx512',
      cpu_features: ['generic', 'avx2', 'avx512'],
      physical_cores: 2,
      logical_cores: 2,
      memory_bytes: 24 * 2 ** 30,
      os: 'linux',
      node: 'v20',
      onnxruntime: '1.30.0',
      bandwidth_gbs: 20,
      bandwidth_threads: 2,
      commit: 'abc1234',
      load_avg_1m_start: 0.1,
      load_avg_1m_end: 0.2,
    },
    settings: {
      scales: ['tiny', 'phi35'],
      configs: [...new Set(entries.map((e) => e.id))],
      prefill_tokens: 512,
      decode_tokens: 128,
      repeats: { tiny: 3, phi35: 1 },
      threads: 2,
      work_dir: '/w',
      phi35_checkpoint: '/w/phi35-synthetic',
      eval_text: '/e.txt',
    },
    entries,
    seconds: 600,
  };
}

const GB = 1e9;
const sample = (): SuiteResult =>
  result([
    entry('tiny', 'ort-fp32', 'ORT FP32', { decode_tok_s: 100, prefill_tok_s: 400, ppl: 120, file_bytes: 98e6, bits_per_weight: 32 }),
    entry('tiny', 'qins8', 'qins8', { decode_tok_s: 250, prefill_tok_s: 900, ppl: 120.3, file_bytes: 27.7e6 }),
    entry('tiny', 'qins-seed', 'qins-seed', { decode_tok_s: 150, ppl: 131.4, file_bytes: 30e6, bits_per_weight: 9 }),
    entry('tiny', 'q4', 'q4', { error: 'qins convert failed (exit 2): disk full', decode_tok_s: null, ppl: null }),
    entry('phi35', 'ort-fp32', 'ORT FP32', { decode_tok_s: 0.5, prefill_tok_s: 20, file_bytes: 15.3 * GB, peak_rss_bytes: 14.5 * GB, bits_per_weight: 32 }),
    entry('phi35', 'qins8', 'qins8', {
      decode_tok_s: 1.4,
      prefill_tok_s: 30,
      file_bytes: 4.1 * GB,
      peak_rss_bytes: 4.3 * GB,
      kv_bytes: 0.3 * GB,
      load_ms: 1500,
      bandwidth_fraction: 0.82,
    }),
  ]);

describe('targets and claims', () => {
  it('evaluates each target from the measurements', () => {
    const t = checkTargets(sample());
    expect(t.map((x) => x.status)).toEqual(['not met', 'met', 'met', 'met', 'met']);
    expect(t[0]!.measured).toBe('2.80× (1.40 vs 0.50 tok/s)');
    expect(t[4]!.measured).toBe('2.50× (250 vs 100 tok/s)');
  });

  it('a missing measurement is "not measured", never "met"', () => {
    const r = sample();
    r.entries = r.entries.filter((e) => e.scale === 'tiny');
    const t = checkTargets(r);
    expect(t.slice(0, 4).every((x) => x.status === 'not measured')).toBe(true);
  });

  it('states the claims plainly, including where the seed code as written fails', () => {
    const [mem, speed, acc] = checkClaims(sample());
    expect(mem!.measured).toContain('Phi-3.5 scale: qins8 file 3.73× smaller than FP32');
    expect(mem!.verdict).toMatch(/^nearly/);
    expect(speed!.measured).toContain('Phi-3.5 scale: decode 2.80×, prefill 1.50×');
    expect(speed!.verdict).toMatch(/^holds/);
    expect(acc!.measured).toContain('qins8 +0.25 %');
    expect(acc!.measured).toContain('(qins-seed) +9.50 %');
    expect(acc!.verdict).toBe('holds for qins8, not for the seed code as written');
  });
});

describe('report', () => {
  it('renders machine, both scales, failures, targets, claims and the reproduce commands', () => {
    const md = renderReport(sample(), { decodeSvg: 'd.svg', qualitySvg: 'q.svg', json: 'b.json' });
    expect(md).toContain('| CPU | Test CPU |');
    expect(md).toContain('20.0 GB/s (best of 3, 2 threads)');
    expect(md).toMatch(/## tiny-phi3-chat.*\n/);
    expect(md).toMatch(/## synthetic Phi-3\.5-mini-shaped checkpoint/);
    expect(md).toContain('| qins8 | 8.50 | 27.7 MB | 0.50 s | 900 | 250 | 2.50× |');
    expect(md).toContain('| 120.30 | +0.25 % |');
    expect(md).toContain('failed: qins convert failed (exit 2): disk full');
    expect(md).toContain('![decode speed](d.svg)');
    expect(md).toContain('| Phi-3.5 scale: qins8 decode ≥ 3× ORT FP32 | 2.80× (1.40 vs 0.50 tok/s) | not met |');
    expect(md).toContain('npm run bench');
    // every table row has as many cells as its header
    for (const block of md.split('\n\n').filter((b) => b.startsWith('|'))) {
      const rows = block.split('\n');
      const cells = (r: string) => r.split('|').length;
      for (const r of rows) expect(cells(r), r).toBe(cells(rows[0]!));
    }
  });

  it('replaces only the README block between the markers', () => {
    const readme = 'intro\n<!-- bench:claims -->\nold table\n<!-- /bench:claims -->\noutro\n';
    const out = updateClaimsBlock(readme, sample())!;
    expect(out.startsWith('intro\n<!-- bench:claims -->\n| the seed claims |')).toBe(true);
    expect(out).not.toContain('old table');
    expect(out.endsWith('<!-- /bench:claims -->\noutro\n')).toBe(true);
    expect(updateClaimsBlock('no markers here', sample())).toBeNull();
  });
});

describe('charts', () => {
  const parse = (svg: string) => {
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
    return doc;
  };

  it('decode chart: one bar per measured configuration, bars proportional to tok/s', () => {
    const doc = parse(decodeChart(sample().entries, ['tiny', 'phi35']));
    const bars = Array.from(doc.getElementsByTagName('rect')).slice(1);
    expect(bars).toHaveLength(5); // the failed q4 run has no bar
    const widths = bars.map((b) => Number(b.getAttribute('width')));
    expect(widths[0]! / widths[1]!).toBeCloseTo(100 / 250, 2); // ORT FP32 vs qins8 at tiny
    expect(doc.documentElement.textContent).toContain('2.50× FP32');
  });

  it('quality chart: a point per tiny configuration with a perplexity', () => {
    const doc = parse(qualityChart(sample().entries));
    expect(doc.getElementsByTagName('circle')).toHaveLength(3);
    expect(doc.documentElement.textContent).toContain('qins-seed +9.50 %');
  });
});
