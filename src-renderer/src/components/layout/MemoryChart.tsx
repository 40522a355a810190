// The live memory chart (uPlot): engine RSS, resident weights, KV cache in use and main RSS in MB on
// the left axis, tok/s while generating on the right.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { TelemetrySample } from '../../../../src-shared/contract';
import { useIsDark } from '../../hooks/useIsDark';

export const SERIES = [
  { key: 'engineRss', label: 'Engine RSS', color: '#6366f1', dark: '#818cf8' },
  { key: 'weights', label: 'Weights resident', color: '#0891b2', dark: '#22d3ee' },
  { key: 'kv', label: 'KV cache in use', color: '#d97706', dark: '#fbbf24' },
  { key: 'mainRss', label: 'Main RSS', color: '#71717a', dark: '#a1a1aa' },
  { key: 'toks', label: 'tok/s', color: '#059669', dark: '#34d399' },
] as const;

const MB = 1024 * 1024;

/** Columns for uPlot: time in seconds, then one array per series (null where unknown). */
export function chartData(samples: TelemetrySample[]): uPlot.AlignedData {
  const t: number[] = [];
  const cols: Array<Array<number | null>> = [[], [], [], [], []];
  for (const s of samples) {
    t.push(s.time / 1000);
    cols[0]!.push(s.engine ? s.engine.rss / MB : null);
    cols[1]!.push(s.engine && s.engine.weightsMapped !== null ? s.engine.weightsMapped / MB : null);
    cols[2]!.push(s.engine ? s.engine.kvBytesUsed / MB : null);
    cols[3]!.push(s.main.rss / MB);
    cols[4]!.push(s.generation ? s.generation.tokensPerSecond : 0);
  }
  return [t, ...cols] as uPlot.AlignedData;
}

export function MemoryChart({ samples }: { samples: TelemetrySample[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const dark = useIsDark();
  const latest = useRef(samples);
  latest.current = samples;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axis = dark ? '#a1a1aa' : '#52525b';
    const grid = dark ? 'rgba(255,255,255,0.07)' : 'rgba(0,0,0,0.07)';
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 150,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 5 } },
      scales: { x: { time: true }, mb: { range: (_u, _min, max) => [0, Math.max(8, max * 1.15)] }, toks: { range: (_u, _min, max) => [0, Math.max(10, max * 1.15)] } },
      axes: [
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { show: false }, font: '10px system-ui', space: 80, incrs: [10, 15, 30, 60, 120, 300], values: (_u, v) => v.map((x) => new Date(x * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })) },
        { scale: 'mb', stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { show: false }, font: '10px system-ui', size: 44, values: (_u, v) => v.map((x) => `${Math.round(x)} MB`) },
        { scale: 'toks', side: 1, stroke: axis, grid: { show: false }, ticks: { show: false }, font: '10px system-ui', size: 36, values: (_u, v) => v.map((x) => `${Math.round(x)}`) },
      ],
      series: [
        {},
        ...SERIES.map((s) => ({
          label: s.label,
          scale: s.key === 'toks' ? 'toks' : 'mb',
          stroke: dark ? s.dark : s.color,
          width: s.key === 'toks' ? 1.5 : 2,
          ...(s.key === 'toks' ? { fill: dark ? 'rgba(52,211,153,0.12)' : 'rgba(5,150,105,0.08)' } : {}),
          points: { show: false },
          spanGaps: false,
        })),
      ],
    };
    const u = new uPlot(opts, chartData(latest.current), el);
    plot.current = u;
    const ro = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: 150 }));
    ro?.observe(el);
    return () => {
      ro?.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [dark]);

  useEffect(() => {
    plot.current?.setData(chartData(samples));
  }, [samples]);

  return <div ref={box} className="w-full" role="img" aria-label="Memory and speed over the last two minutes" data-testid="memory-chart" />;
}
