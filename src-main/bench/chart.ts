// SVG charts drawn from suite results (plain SVG text, no dependencies): decode speed per engine
// and codec at each scale, and quality (perplexity increase) against bits per weight.
import type { Scale, SuiteEntry } from './suite.js';
import { SCALE_NAMES } from './suite.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
const COLORS: Record<string, string> = {
  'ort-fp32': '#6b7280',
  'ort-int4': '#9ca3af',
  qins8: '#2563eb',
  qins4: '#7c3aed',
  'qins-seed': '#db2777',
  q8: '#059669',
  q4: '#d97706',
  'llama-q8_0': '#0f766e',
  'llama-q4_0': '#b45309',
};
const color = (id: string): string => COLORS[id] ?? COLORS[id.replace(/-avx2$|-avxvnni$|-iq4nl$/, '')] ?? '#374151';

/** Horizontal bars of decode tok/s, one panel per scale, with the factor over ORT FP32. */
export function decodeChart(entries: SuiteEntry[], scales: Scale[]): string {
  const W = 760;
  const left = 110;
  const right = 150;
  const barH = 22;
  const gap = 8;
  const panels: string[] = [];
  let y = 40;
  for (const scale of scales) {
    const rows = entries.filter((e) => e.scale === scale && e.decode_tok_s !== null);
    if (rows.length === 0) continue;
    const ref = rows.find((e) => e.id === 'ort-fp32')?.decode_tok_s ?? null;
    const max = Math.max(...rows.map((e) => e.decode_tok_s as number));
    panels.push(`<text x="10" y="${y}" font-size="14" font-weight="600" ${FONT}>${esc(SCALE_NAMES[scale])}: decode tok/s</text>`);
    y += 12;
    for (const e of rows) {
      const v = e.decode_tok_s as number;
      const w = Math.max(1, ((W - left - right) * v) / max);
      const factor = ref ? ` (${(v / ref).toFixed(2)}× FP32)` : '';
      panels.push(
        `<text x="${left - 8}" y="${y + barH * 0.7}" font-size="12" text-anchor="end" ${FONT}>${esc(e.label)}</text>`,
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color(e.id)}" rx="2"/>`,
        `<text x="${(left + w + 6).toFixed(1)}" y="${y + barH * 0.7}" font-size="12" ${FONT}>${fmt(v)}${esc(factor)}</text>`,
      );
      y += barH + gap;
    }
    if (ref) {
      const x = left + ((W - left - right) * ref) / max;
      panels.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${y - rows.length * (barH + gap) - 4}" y2="${y - gap + 4}" stroke="#111827" stroke-dasharray="4 3"/>`);
    }
    y += 28;
  }
  const H = y;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="12" fill="#4b5563" ${FONT}>dashed line: ORT FP32 (the reference); longer is faster</text>`,
    ...panels,
    '</svg>',
    '',
  ].join('\n');
}

/** Scatter of perplexity increase over ORT FP32 (%) against bits per weight, tiny scale. */
export function qualityChart(entries: SuiteEntry[]): string {
  const pts = entries.filter((e) => e.scale === 'tiny' && e.ppl !== null && e.bits_per_weight !== null);
  const ref = pts.find((e) => e.id === 'ort-fp32')?.ppl ?? null;
  const W = 760;
  const H = 360;
  const m = { l: 70, r: 30, t: 40, b: 50 };
  if (!ref || pts.length === 0)
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="60"><text x="10" y="30" ${FONT}>no perplexity measurements</text></svg>\n`;
  const xs = pts.map((e) => e.bits_per_weight as number);
  const ys = pts.map((e) => 100 * ((e.ppl as number) / ref - 1));
  const x0 = 0;
  const x1 = Math.max(...xs) * 1.08;
  const y0 = Math.min(0, ...ys);
  const y1 = Math.max(1, ...ys) * 1.15;
  const X = (v: number) => m.l + ((W - m.l - m.r) * (v - x0)) / (x1 - x0);
  const Y = (v: number) => H - m.b - ((H - m.t - m.b) * (v - y0)) / (y1 - y0);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="14" font-weight="600" ${FONT}>tiny-phi3-chat: perplexity increase over ORT FP32 vs bits per weight</text>`,
    `<line x1="${m.l}" x2="${W - m.r}" y1="${Y(0)}" y2="${Y(0)}" stroke="#9ca3af"/>`,
    `<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" stroke="#9ca3af"/>`,
    `<line x1="${m.l}" x2="${W - m.r}" y1="${Y(1)}" y2="${Y(1)}" stroke="#dc2626" stroke-dasharray="4 3"/>`,
    `<text x="${W - m.r}" y="${Y(1) - 4}" font-size="11" text-anchor="end" fill="#dc2626" ${FONT}>1 % (the seed's accuracy claim)</text>`,
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" font-size="12" text-anchor="middle" ${FONT}>bits per weight</text>`,
    `<text x="16" y="${(m.t + H - m.b) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${(m.t + H - m.b) / 2})" ${FONT}>perplexity increase (%)</text>`,
  ];
  for (let b = 0; b <= x1; b += 4) {
    out.push(`<text x="${X(b)}" y="${H - m.b + 16}" font-size="11" text-anchor="middle" ${FONT}>${b}</text>`);
  }
  const step = y1 - y0 > 20 ? 5 : y1 - y0 > 8 ? 2 : 1;
  for (let v = Math.ceil(y0 / step) * step; v <= y1; v += step)
    out.push(`<text x="${m.l - 6}" y="${Y(v) + 4}" font-size="11" text-anchor="end" ${FONT}>${v}</text>`);
  // Labels right of their point (left of it near the right edge), moved a line down or up until
  // they clear the labels already placed and the axis: codecs of equal size and quality sit close.
  const placed: Array<{ x0: number; x1: number; y: number }> = [];
  pts.forEach((e, i) => {
    const x = X(xs[i] as number);
    const y = Y(ys[i] as number);
    const text = `${esc(e.label)} ${(ys[i] as number) >= 0 ? '+' : ''}${(ys[i] as number).toFixed(2)} %`;
    const width = 6.2 * text.length;
    const right = x + 8 + width > W - 4;
    const lx0 = right ? x - 8 - width : x + 8;
    const free = (ly: number) => ly <= H - m.b - 3 && ly >= m.t && !placed.some((p) => Math.abs(p.y - ly) < 13 && lx0 < p.x1 && lx0 + width > p.x0);
    let ly = y - 6;
    for (let k = 1; !free(ly) && k < 20; k++) ly = y - 6 + (k % 2 === 1 ? 14 : -14) * Math.ceil(k / 2);
    placed.push({ x0: lx0, x1: lx0 + width, y: ly });
    out.push(
      `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="5" fill="${color(e.id)}"/>`,
      `<text x="${(right ? x - 8 : x + 8).toFixed(1)}" y="${ly.toFixed(1)}" font-size="11"${right ? ' text-anchor="end"' : ''} ${FONT}>${text}</text>`,
    );
  });
  out.push('</svg>', '');
  return out.join('\n');
}
