// @vitest-environment jsdom
// The benchmark report from synthetic suite results: the lead table against llama.cpp (ratios,
// > 1 = we are better), medians with their min–max, the red flag when an engine streams more than
// the probe, verdicts derived from the numbers, "llama.cpp not measured" in the first lines, the
// README blocks, and well-formed SVG charts.
import { describe, expect, it } from 'vitest';
import { decodeChart, qualityChart } from '../../../src-main/bench/chart.js';
import { raceNote } from '../../../src-main/bench/report-tables.js';
import {
  checkClaims,
  checkKernelTargets,
  checkTargets,
  combineVerdicts,
  peerRatio,
  peerRows,
  renderReport,
  updateClaimsBlock,
  updateReadme,
  verdict,
  withRange,
} from '../../../src-main/bench/report.js';
import { checkBound, type ConversionMeasure, summarize, type RoundSample, type Scale, type SuiteEntry, type SuiteResult } from '../../../src-main/bench/suite.js';

type Speeds = { decode: number; depth0?: number; prefill?: number; load?: number; peak?: number; weights?: number };

/** Rounds around the given medians: ×0.9, ×1, ×1.1 (so min / median / max are known). */
function rounds(s: Speeds, n = 3): RoundSample[] {
  const f = n === 1 ? [1] : [0.9, 1, 1.1];
  return f.map((k, i) => ({
    round: i + 1,
    load_ms: (s.load ?? 500) * k,
    prefill_tok_s: (s.prefill ?? 100) * k,
    decode_tok_s: s.decode * k,
    decode_depth0_tok_s: (s.depth0 ?? s.decode * 1.2) * k,
    rss_after_load_bytes: 2e6,
    peak_rss_bytes: (s.peak ?? 3e6) * k,
    load_avg_1m: 0.5,
    load_avg_1m_end: 0.6,
    cpu_seconds: 1,
    wall_seconds: 2,
    weights_read_gbs: s.weights ?? null,
  }));
}

function entry(scale: Scale, id: string, label: string, s: Speeds | null, o: Partial<SuiteEntry> = {}): SuiteEntry {
  return {
    scale,
    id,
    label,
    engine: id.startsWith('ort') ? 'ort' : id.startsWith('llama') ? 'llama.cpp' : 'qins',
    kernels: id.startsWith('llama') ? (id.endsWith('avx2') ? 'libggml-cpu-haswell.so' : 'libggml-cpu-zen4.so') : id.startsWith('ort') ? null : id.endsWith('avx2') ? 'avx2' : 'avx512',
    model: `/m/${scale}/${id}`,
    file_bytes: 1e6,
    bits_per_weight: 8.5,
    convert_seconds: 1,
    snr_db: null,
    load_ms: null,
    prefill_tokens: 512,
    prefill_tok_s: null,
    decode_tokens: 128,
    decode_tok_s: null,
    decode_depth0_tok_s: null,
    rss_after_load_bytes: null,
    peak_rss_bytes: null,
    stats: {},
    weight_bytes: 1e6,
    kv_bytes: 1e5,
    kv_type: 'f32',
    kv_bytes_per_position: 100,
    embedding_row_bytes: 10,
    stream_bytes_per_token: 1e6,
    stream_bytes_per_token_depth0: 1e6,
    bandwidth_fraction: null,
    implied_gbs: null,
    exceeds_bound: false,
    weights_read_gbs: null,
    weights_read_fraction: null,
    samples: s ? rounds(s, scale === 'phi35' ? 3 : 3) : [],
    load_avg_1m: null,
    ppl: null,
    ppl_tokens: null,
    error: null,
    ...o,
  };
}

function result(entries: SuiteEntry[], o: { bandwidth?: number; peer?: boolean } = {}): SuiteResult {
  const best = o.bandwidth ?? 30;
  for (const e of entries) summarize(e, best);
  const scales: Scale[] = ['tiny', 'phi35'];
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
      bandwidth_gbs: best,
      bandwidth_threads: 2,
      commit: 'abc1234',
      load_avg_1m_start: 0.1,
      load_avg_1m_end: 0.2,
    },
    settings: {
      scales,
      configs: [...new Set(entries.map((e) => e.id))],
      prefill_tokens: 512,
      decode_tokens: 128,
      warmup_steps: 1,
      rounds: { tiny: 3, phi35: 3 },
      repeats: { tiny: 3, phi35: 3 },
      threads: 2,
      work_dir: '/w',
      phi35_checkpoint: '/w/phi35-synthetic',
      eval_text: '/e.txt',
    },
    entries,
    conversions: [
      {
        scale: 'phi35',
        codec: 'qins8',
        label: 'qins8',
        wall_seconds: 20,
        user_seconds: 14.5,
        sys_seconds: 10,
        peak_rss_bytes: 190 * 2 ** 20,
        source_bytes: 7.6e9,
        file_bytes: 4.06e9,
        bits_per_weight: 8.5,
        snr_db: 32.13,
        load_avg_1m: 1.2,
        peer: false,
      },
      {
        scale: 'phi35',
        codec: 'llama-quantize Q8_0',
        label: 'llama-quantize Q8_0 (avx512, from a BF16 GGUF)',
        wall_seconds: 25,
        user_seconds: 40,
        sys_seconds: 5,
        peak_rss_bytes: 300 * 2 ** 20,
        source_bytes: 7.6e9,
        file_bytes: 4.06e9,
        bits_per_weight: null,
        snr_db: null,
        load_avg_1m: 1.1,
        peer: true,
      },
    ],
    quantize: { binary: '/w/llama-quantize/avx512/llama-quantize', variant: 'avx512', reason: null, error: null },
    peer:
      o.peer === false
        ? { available: false, reason: 'llama.cpp peer not installed (npm run peer:install)', version: null, llama_cpp_release: null, cpu_library: null, avx2_dir: null, avx2_cpu_library: null, avx2_reason: null, system_info: null }
        : {
            available: true,
            reason: null,
            version: '3.21.1',
            llama_cpp_release: 'ggml-org/llama.cpp v0.4.0',
            cpu_library: 'libggml-cpu-zen4.so',
            avx2_dir: '/w/peer-haswell',
            avx2_cpu_library: 'libggml-cpu-haswell.so',
            avx2_reason: null,
            system_info: 'AVX512 = 1',
          },
    bandwidth: {
      probes: [
        { gbs: best, worst_gbs: best * 0.9, bytes: 2 ** 30, threads: 2, repeats: 5, passes: 3, huge_pages_requested: true, huge_page_bytes: 2 ** 30, pinned_threads: 2, kernels: 'avx512', load_avg_1m: 0.3, when: 'start' },
      ],
      bound: checkBound(entries, scales, best),
    },
    seconds: 600,
  };
}

const GB = 1e9;
const sample = (o: { bandwidth?: number; peer?: boolean } = {}): SuiteResult =>
  result(
    [
      entry('tiny', 'ort-fp32', 'ORT FP32', { decode: 100, prefill: 400 }, { ppl: 120, file_bytes: 98e6, bits_per_weight: 32, stream_bytes_per_token: 64e6 }),
      entry('tiny', 'qins8', 'qins8', { decode: 250, prefill: 900 }, { ppl: 120.3, file_bytes: 27.7e6, snr_db: 33.7 }),
      entry('tiny', 'qins4', 'qins4', { decode: 300 }, { ppl: 123.4, snr_db: 24.07, bits_per_weight: 4.5 }),
      entry('tiny', 'qins-seed', 'qins-seed', { decode: 150 }, { ppl: 131.4, file_bytes: 30e6, bits_per_weight: 9 }),
      entry('tiny', 'q4', 'q4', null, { error: 'qins convert failed (exit 2): disk full' }),
      entry('tiny', 'qins4-iq4nl', 'qins4, IQ4_NL table', null, { ppl: 122.9, snr_db: 23.41, bits_per_weight: 4.5 }),
      entry('phi35', 'ort-fp32', 'ORT FP32', { decode: 0.5, prefill: 20, peak: 14.5 * GB }, { file_bytes: 15.3 * GB, bits_per_weight: 32, stream_bytes_per_token: 15 * GB }),
      entry('phi35', 'qins8', 'qins8', { decode: 5, prefill: 30, load: 300, peak: 4.3 * GB }, { file_bytes: 4.1 * GB, kv_bytes: 0.3 * GB, stream_bytes_per_token: 4 * GB }),
      entry('phi35', 'q8', 'q8', { decode: 5.5, prefill: 40, load: 250, peak: 4.3 * GB }, { file_bytes: 4.1 * GB, stream_bytes_per_token: 4 * GB }),
      entry('phi35', 'llama-q8_0', 'llama.cpp Q8_0', { decode: 4, prefill: 60, load: 600, peak: 4.4 * GB }, { file_bytes: 4.06 * GB, stream_bytes_per_token: 4 * GB }),
      entry('phi35', 'qins8-avx2', 'qins8 (AVX2)', { decode: 4, prefill: 20, load: 300, peak: 4.3 * GB }, { stream_bytes_per_token: 4 * GB }),
      entry('phi35', 'llama-q8_0-avx2', 'llama.cpp Q8_0 (AVX2)', { decode: 5, prefill: 40, load: 600, peak: 4.4 * GB }, { stream_bytes_per_token: 4 * GB }),
    ],
    o,
  );

describe('ratios against llama.cpp', () => {
  it('orients every ratio so that > 1 means we are better, with the least and most favourable pairing of rounds', () => {
    const fast = { min: 9, median: 10, max: 11, n: 3 };
    const slow = { min: 4, median: 5, max: 6, n: 3 };
    expect(peerRatio(fast, slow, true)).toEqual({ value: 2, min: 9 / 6, max: 11 / 4 });
    // time and memory: theirs over ours
    expect(peerRatio(slow, fast, false)).toEqual({ value: 2, min: 9 / 6, max: 11 / 4 });
    expect(peerRatio(fast, undefined, true)).toBeNull();
  });

  it('pairs qins8 and q8 with Q8_0 per kernel set', () => {
    const rows = peerRows(sample(), 'phi35');
    expect(rows.map((r) => `${r.ours.id}/${r.peer.id}/${r.kernels}`)).toEqual(['qins8/llama-q8_0/AVX-512', 'q8/llama-q8_0/AVX-512', 'qins8-avx2/llama-q8_0-avx2/AVX2']);
    const [decode, depth0, prefill, load, peak] = rows[0]!.ratios;
    expect(decode!.value).toBeCloseTo(5 / 4, 12);
    expect(depth0!.value).toBeCloseTo(6 / 4.8, 12);
    expect(prefill!.value).toBeCloseTo(30 / 60, 12);
    expect(load!.value).toBeCloseTo(600 / 300, 12);
    expect(peak!.value).toBeCloseTo(4.4 / 4.3, 12);
    expect(rows[2]!.ratios[0]!.value).toBeCloseTo(4 / 5, 12);
  });

  it('leads the report with the ratio table, its header saying which way is better', () => {
    const md = renderReport(sample(), { decodeSvg: 'd.svg', qualitySvg: 'q.svg', json: 'b.json' });
    const lead = md.indexOf('## Against llama.cpp');
    expect(lead).toBeGreaterThan(0);
    expect(lead).toBeLessThan(md.indexOf('## Machine'));
    expect(md).toContain('**a ratio > 1 means we are better**');
    expect(md).toContain('| Phi-3.5 | AVX-512 | qins8 | llama.cpp Q8_0 (libggml-cpu-zen4.so) | 1.25× (1.02–1.53) |');
    expect(md).toContain('| Phi-3.5 | AVX2 | qins8 (AVX2) | llama.cpp Q8_0 (AVX2) (libggml-cpu-haswell.so) | 0.80× (0.65–0.98) |');
    expect(md).toContain('llama.cpp ggml-org/llama.cpp v0.4.0 through node-llama-cpp 3.21.1');
    expect(md).toContain('AVX2 rows: libggml-cpu-haswell.so only');
  });

  it('says in its first lines when llama.cpp was not measured, and leaves the ratio table out', () => {
    const md = renderReport(sample({ peer: false }), { decodeSvg: 'd.svg', qualitySvg: 'q.svg', json: 'b.json' });
    const first = md.split('\n').slice(0, 4).join('\n');
    expect(first).toContain('**llama.cpp was not measured in this run: llama.cpp peer not installed (npm run peer:install).**');
    expect(md).not.toContain('## Against llama.cpp');
    // every llama.cpp entry failing to load says so too
    const r = sample();
    for (const e of r.entries) if (e.engine === 'llama.cpp') e.error = 'qins bench-peer failed (exit 2): cannot load libllama.so';
    const md2 = renderReport(r, { decodeSvg: 'd.svg', qualitySvg: 'q.svg', json: 'b.json' });
    expect(md2.split('\n')[2]).toContain('it could not be loaded or run: qins bench-peer failed (exit 2): cannot load libllama.so');
  });
});

describe('tables', () => {
  it('shows medians with the min–max of the rounds', () => {
    expect(withRange({ min: 90, median: 100, max: 110, n: 3 }, (v) => v.toFixed(0))).toBe('100 (90–110)');
    expect(withRange({ min: 100, median: 100, max: 100, n: 1 }, (v) => v.toFixed(0))).toBe('100');
    expect(withRange(undefined, (v) => v.toFixed(0))).toBe('–');
    const md = renderReport(sample(), { decodeSvg: 'd.svg', qualitySvg: 'q.svg', json: 'b.json' });
    expect(md).toContain('| qins8 | avx512 | 8.50 | 27.7 MB | 0.50 s (0.45–0.55) | 900 (810–990) | 250 (225–275) | 300 (270–330) | 2.50× |');
    expect(md).toContain('| 120.30 | +0.25 % |');
    expect(md).toContain('failed: qins convert failed (exit 2): disk full');
    // quality-only rows keep their perplexity
    expect(md).toMatch(/\| qins4, IQ4_NL table \|.*\| 122\.90 \| \+2\.42 % \|/);
    // every table row has as many cells as its header
    for (const block of md.split('\n\n').filter((b) => b.startsWith('|'))) {
      const rows = block.split('\n');
      const cells = (r: string) => r.split('|').length;
      for (const r of rows) expect(cells(r), r).toBe(cells(rows[0]!));
    }
  });

  it('flags in red an engine that streams more than the probe, says the bound is unknown and never prints more than 100 %', () => {
    // 64 MB × 110 tok/s = 7 GB/s for tiny ORT FP32; qins8 at Phi-3.5 scale 4 GB × 5.5 = 22 GB/s
    const r = sample({ bandwidth: 15 });
    expect(r.bandwidth.bound.known).toEqual({ tiny: true, phi35: false });
    expect(r.bandwidth.bound.exceeded.map((x) => x.id)).toEqual(['qins8', 'q8', 'llama-q8_0', 'qins8-avx2', 'llama-q8_0-avx2']);
    const md = renderReport(r, { decodeSvg: 'd.svg', qualitySvg: 'q.svg', json: 'b.json' });
    expect(md).toContain('🔴 **Bandwidth bound unknown at Phi-3.5 scale**');
    expect(md).toContain('🔴 **synthetic Phi-3.5-mini-shaped checkpoint (3.8 B parameters, random weights): the bound is unknown.**');
    expect(md).toContain('🔴 streams 24.2 GB/s, above the probe');
    for (const m of md.matchAll(/(\d+(?:\.\d+)?) %/g)) if (!/[+-]\d/.test(m.input.slice(m.index - 1, m.index + 1))) expect(Number(m[1])).toBeLessThanOrEqual(100);
    // the target that needs the bound is not judged
    const t = checkTargets(r).find((x) => x.target.includes('bandwidth bound'))!;
    expect(t.status).toBe('not measured');
    expect(t.measured).toMatch(/bound unknown/);
  });
});

describe('targets and verdicts', () => {
  it('derives verdicts from the numbers', () => {
    expect(verdict(4.2, (v) => v >= 4, (v) => `${v.toFixed(2)}×`)).toBe('holds');
    expect(verdict(3.76, (v) => v >= 4, (v) => `${v.toFixed(2)}×`)).toBe('does not hold (3.76× measured)');
    expect(verdict(null, () => true, String)).toBe('not measured');
    expect(combineVerdicts([{ what: 'a', verdict: 'holds' }, { what: 'b', verdict: 'not measured' }])).toBe('holds');
    expect(combineVerdicts([{ what: 'a', verdict: 'holds' }, { what: 'b', verdict: 'does not hold (1.2× measured)' }])).toBe('a: holds; b: does not hold (1.2× measured)');
  });

  it('states the claims with verdicts computed from the run, never fixed texts', () => {
    const [mem, speed, acc] = checkClaims(sample());
    expect(mem!.measured).toContain('Phi-3.5 scale: qins8 file 3.73× smaller than FP32');
    expect(mem!.verdict).toBe('qins8 file: does not hold (3.73× measured); peak RSS: does not hold (3.37× measured)');
    expect(speed!.measured).toContain('Phi-3.5 scale: decode 10.00×, prefill 1.50×');
    expect(speed!.verdict).toBe('decode (Phi-3.5 scale): holds; prefill (Phi-3.5 scale): does not hold (1.50× measured)');
    expect(acc!.measured).toContain('qins8 +0.25 %');
    expect(acc!.measured).toContain('(qins-seed) +9.50 %');
    expect(acc!.verdict).toBe("qins8: holds; qins-seed (the seed's code as written): does not hold (+9.50 % measured)");
  });

  it('evaluates each target, a missing measurement being "not measured", never "met"', () => {
    const t = checkTargets(sample());
    const by = (s: string) => t.find((x) => x.target.startsWith(s))!;
    expect(by('Phi-3.5 scale: qins8 decode ≥ 3×').status).toBe('met');
    expect(by('Phi-3.5 scale: qins8 decode ≥ 3×').measured).toBe('10.00× (5.00 vs 0.50 tok/s)');
    expect(by('Phi-3.5 scale: qins8 decode ≥ 10.7').status).toBe('not met');
    expect(by("Phi-3.5 scale: qins8 decode time within 1.25× of q8's").measured).toBe('5.00 vs 5.50 tok/s: 1.10×');
    expect(by('Phi-3.5 scale: qins4 decode ≥ 20').status).toBe('not measured');
    expect(by('tiny: qins4 perplexity within IQ4_NL').status).toBe('not met');
    const r = sample();
    r.entries = r.entries.filter((e) => e.scale === 'tiny');
    expect(checkTargets(r).filter((x) => x.target.startsWith('Phi-3.5')).every((x) => x.status === 'not measured')).toBe(true);
  });
});

describe('the AVX-VNNI rows', () => {
  it('pair with the alderlake llama.cpp rows and get their own targets', () => {
    const r = sample();
    r.entries.push(
      entry('phi35', 'qins4-avxvnni', 'qins4 (AVX-VNNI)', { decode: 18, depth0: 22, prefill: 69 }, { kernels: 'avxvnni', stream_bytes_per_token: 2 * GB }),
      entry('phi35', 'llama-q4_0-avxvnni', 'llama.cpp Q4_0 (AVX-VNNI)', { decode: 15, depth0: 20, prefill: 46 }, { kernels: 'libggml-cpu-alderlake.so', stream_bytes_per_token: 2 * GB }),
    );
    for (const e of r.entries.slice(-2)) summarize(e, 30);
    const rows = peerRows(r, 'phi35').filter((x) => x.ours.id.endsWith('-avxvnni'));
    expect(rows.map((x) => `${x.ours.id}/${x.peer.id}/${x.kernels}`)).toEqual(['qins4-avxvnni/llama-q4_0-avxvnni/AVX-VNNI']);
    const t = checkKernelTargets(r).filter((x) => x.target.startsWith('Phi-3.5 scale, AVX-VNNI: qins4'));
    expect(t.find((x) => x.target.includes('decode after'))).toMatchObject({ measured: '1.20× (18.0 vs 15.0 tok/s)', status: 'met' });
    expect(t.find((x) => x.target.includes('decode at depth 0 ≥ 1.1×'))).toMatchObject({ measured: '1.10× (22.0 vs 20.0 tok/s)', status: 'met' });
    expect(t.find((x) => x.target.includes('prefill'))).toMatchObject({ measured: '1.50× (69.0 vs 46.0 tok/s)', status: 'met' });
  });
});

describe('kernel targets against llama.cpp', () => {
  it('judges each kernel set, the depth-0 bandwidth share, the conversion race and the KV cache from the numbers', () => {
    const r = sample();
    const q8 = r.entries.find((e) => e.scale === 'phi35' && e.id === 'qins8')!;
    q8.stream_bytes_per_token_depth0 = 4e9; // 4 GB × 6 tok/s (median at depth 0) = 24 of the 30 GB/s probe
    // its own weight pages read at 25 GB/s after every round: shares 21.6, 24 and 26.4 of 25
    for (const s of q8.samples) s.weights_read_gbs = 25;
    summarize(q8, 30);
    r.entries.push(entry('tiny', 'qins8-kv-f32', 'qins8, f32 KV cache', null, { ppl: 120.25 }));
    const t = checkKernelTargets(r);
    const by = (s: string) => t.filter((x) => x.target.startsWith(s));
    const [after, depth0] = by('Phi-3.5 scale, AVX-512: qins8 decode');
    expect(after).toEqual({ target: 'Phi-3.5 scale, AVX-512: qins8 decode after 512 ≥ 1.0× llama.cpp Q8_0', measured: '1.25× (5.00 vs 4.00 tok/s)', status: 'met' });
    expect(depth0!.measured).toBe('1.25× (6.00 vs 4.80 tok/s)');
    expect(by('Phi-3.5 scale, AVX-512: qins8 prefill')[0]!.status).toBe('not met');
    expect(by('Phi-3.5 scale, AVX2: qins8 decode after')[0]).toMatchObject({ measured: '0.80× (4.00 vs 5.00 tok/s)', status: 'not met' });
    // qins4 was not measured: never "met"
    expect(by('Phi-3.5 scale, AVX-512: qins4').every((x) => x.status === 'not measured')).toBe(true);
    const [own, best] = by('Phi-3.5 scale, AVX-512: qins8 decode at depth 0 ≥ 85 %');
    expect(own).toEqual({
      target: 'Phi-3.5 scale, AVX-512: qins8 decode at depth 0 ≥ 85 % of the read bandwidth of its weight pages (probed after each round; every round)',
      measured: '86.4 % of 25.0 GB/s, 96.0 % of 25.0 GB/s, 105.6 % of 25.0 GB/s',
      status: 'met',
    });
    expect(q8.weights_read_fraction).toBeCloseTo(0.96, 12); // the median share
    // one round below the limit (its pages read faster): not met
    q8.samples[1]!.weights_read_gbs = 40;
    summarize(q8, 30);
    expect(checkKernelTargets(r).find((x) => x.target.startsWith('Phi-3.5 scale, AVX-512: qins8 decode at depth 0 ≥ 85 % of the read bandwidth of its weight pages'))).toMatchObject({
      measured: '86.4 % of 25.0 GB/s, 60.0 % of 40.0 GB/s, 105.6 % of 25.0 GB/s',
      status: 'not met',
    });
    expect(best).toMatchObject({ target: 'Phi-3.5 scale, AVX-512: qins8 decode at depth 0 ≥ 85 % of the best read-bandwidth probe of the run', measured: '80.0 %', status: 'not met' });
    // a run that probed before and after each depth-0 decode says so, in the target and the bandwidth section
    r.settings.weights_probe = 'around';
    expect(checkKernelTargets(r).some((x) => x.target.endsWith("its weight pages (probed before and after each round's depth-0 decode, the faster; every round)"))).toBe(true);
    const md = renderReport(r, { json: 'b.json', decodeSvg: 'd.svg', qualitySvg: 'q.svg' });
    expect(md).toContain("**the model's own weight pages**: right before and right after each round's depth-0 decode (the faster of the two counts");
    delete r.settings.weights_probe;
    expect(renderReport(r, { json: 'b.json', decodeSvg: 'd.svg', qualitySvg: 'q.svg' })).toContain("**the model's own weight pages**: right after each round's decode, in the same process");
    // no probe of its pages (the AVX2 row here): never "met"
    expect(by('Phi-3.5 scale, AVX2: qins8 decode at depth 0 ≥ 85 %')[0]).toMatchObject({ measured: '–', status: 'not measured' });
    expect(by('Phi-3.5 scale: convert to qins8')[0]).toMatchObject({ measured: '20.0 s vs 25.0 s (1.25×)', status: 'met' });
    expect(by('Phi-3.5 scale: convert to qins4')[0]!.status).toBe('not measured');
    expect(by('Phi-3.5 scale: conversion peak RSS')[0]).toMatchObject({ measured: '199.2 MB', status: 'met' });
    expect(by('tiny: qins8 perplexity with the f16 KV')[0]).toMatchObject({ measured: '+0.042 % (120.300 vs 120.250)', status: 'met' });
  });
});

describe('README blocks', () => {
  it('replaces only the claims block, which leads with the ratios against llama.cpp', () => {
    const readme = 'intro\n<!-- bench:claims -->\nold table\n<!-- /bench:claims -->\noutro\n';
    const out = updateClaimsBlock(readme, sample())!;
    expect(out.startsWith('intro\n<!-- bench:claims -->\nAgainst llama.cpp (Phi-3.5 scale):')).toBe(true);
    expect(out.indexOf('| scale | kernels | ours | llama.cpp |')).toBeLessThan(out.indexOf('| the seed claims |'));
    expect(out).not.toContain('old table');
    expect(out.endsWith('<!-- /bench:claims -->\noutro\n')).toBe(true);
    expect(updateClaimsBlock('no markers here', sample())).toBeNull();
    const missing = updateClaimsBlock(readme, sample({ peer: false }))!;
    expect(missing).toContain('**llama.cpp was not measured in this run: llama.cpp peer not installed (npm run peer:install).**');
  });

  it('conversion race rows: the median round against the median round, every round in the table', () => {
    const r = sample();
    const [ours, peer] = r.conversions as [ConversionMeasure, ConversionMeasure];
    ours.wall_rounds = [21, 20, 26];
    peer.wall_rounds = [25, 31, 24];
    const t = checkKernelTargets(r).find((x) => x.target.startsWith('Phi-3.5 scale: convert to qins8'));
    expect(t).toMatchObject({ measured: '20.0 s vs 25.0 s (1.25×, medians of 3 alternating rounds)', status: 'met' });
    const text = renderReport(r, { json: 'b.json', decodeSvg: 'd.svg', qualitySvg: 'q.svg' });
    expect(text).toContain('| qins8 | 20.0 s (21.0, 20.0, 26.0) | 380 MB/s |');
    expect(text).toContain('| llama-quantize Q8_0 (avx512, from a BF16 GGUF) | 25.0 s (25.0, 31.0, 24.0) |');
    expect(text).toContain('conversion race: qins8 alternated with llama-quantize Q8_0 in 3 rounds');
    expect(updateReadme('<!-- convert:phi35 -->\n<!-- /convert:phi35 -->\n', r).text).toContain('in 3 rounds');
    // a run without the race says nothing about it
    expect(renderReport(sample(), { json: 'b.json', decodeSvg: 'd.svg', qualitySvg: 'q.svg' })).not.toContain('conversion race');
    // no AVX2 race: no AVX2 conversion target; with it, one per pair
    const avx2Target = (x: SuiteResult) => checkKernelTargets(x).filter((t) => t.target.startsWith('Phi-3.5 scale, AVX2: convert to'));
    expect(avx2Target(r)).toEqual([]);
    r.conversions.push({ ...ours, codec: 'qins8 (avx2)', label: 'qins8 (AVX2 encoders)', wall_seconds: 30, wall_rounds: [30, 31, 29] });
    r.conversions.push({ ...peer, codec: 'llama-quantize Q8_0 (avx2)', wall_seconds: 27, wall_rounds: [27, 26, 28] });
    expect(avx2Target(r)).toEqual([
      {
        target: 'Phi-3.5 scale, AVX2: convert to qins8 with the AVX2 encoders no slower than llama-quantize Q8_0 (avx2 build)',
        measured: '30.0 s vs 27.0 s (0.90×, medians of 3 alternating rounds)',
        status: 'not met',
      },
    ]); // qins4 was not raced on AVX2 here: no line for it
    expect(raceNote(r)).toContain('qins8 and qins8 (avx2) alternated with llama-quantize Q8_0 and Q8_0 (avx2) in 3 rounds');
  });

  it('writes the targets, conversion and IQ4_NL blocks from the run', () => {
    const readme = ['a', '<!-- bench:targets -->', 'x', '<!-- /bench:targets -->', '<!-- convert:phi35 -->', 'hand run', '<!-- /convert:phi35 -->', '<!-- bench:iq4nl -->', 'y', '<!-- /bench:iq4nl -->', ''].join('\n');
    const { text, blocks } = updateReadme(readme, sample());
    expect(blocks).toEqual(['bench:targets', 'convert:phi35', 'bench:iq4nl']);
    expect(text).not.toContain('hand run');
    expect(text).toContain('| qins8 | 20.0 s | 380 MB/s | 14.5 + 10.0 s | 190 MiB | 32.13 dB | 0.534× | 1.20 |');
    expect(text).toContain('| llama-quantize Q8_0 (avx512, from a BF16 GGUF) | 25.0 s | 304 MB/s | 40.0 + 5.0 s | 300 MiB | – | 0.534× | 1.10 |');
    expect(text).toContain('allows at most 7.50 tok/s; qins8 decoded at 5.00 tok/s (66.7 % of it).');
    expect(text).toContain('qins4\'s per-tensor tables fit the weights better than llama.cpp\'s fixed IQ4_NL table (SNR 24.07 vs 23.41 dB) yet measure worse: perplexity +2.83 % with the tuned tables, +2.42 % with the IQ4_NL table');
    // a tiny-only run leaves the Phi-3.5 blocks alone
    const r = sample();
    r.settings.scales = ['tiny'];
    r.conversions = [];
    expect(updateReadme(readme, r).blocks).toEqual(['bench:iq4nl']);
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
    expect(bars).toHaveLength(10); // failed and quality-only configurations have no bar
    const widths = bars.map((b) => Number(b.getAttribute('width')));
    expect(widths[0]! / widths[1]!).toBeCloseTo(100 / 250, 2); // ORT FP32 vs qins8 at tiny
    expect(doc.documentElement.textContent).toContain('2.50× FP32');
  });

  it('quality chart: a point per tiny configuration with a perplexity', () => {
    const doc = parse(qualityChart(sample().entries));
    expect(doc.getElementsByTagName('circle')).toHaveLength(5);
    expect(doc.documentElement.textContent).toContain('qins-seed +9.50 %');
  });
});
