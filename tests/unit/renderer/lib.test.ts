// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { dropTarget, pathFromUri } from '../../../src-renderer/src/lib/drop';
import { formatBytes, formatChange, formatEta, formatParams, formatRatio, dayGroup } from '../../../src-renderer/src/lib/format';
import { formatRoute, parseRoute } from '../../../src-renderer/src/lib/route';
import { SAMPLING_CONTROLS, clampValue, samplingEqual } from '../../../src-renderer/src/lib/sampling';
import { sampling } from './data';

describe('format', () => {
  it('formats sizes, parameter counts, ratios and changes', () => {
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(27_728_192)).toBe('26.4 MB');
    expect(formatBytes(-1)).toBe('—');
    expect(formatParams(24_286_464)).toBe('24.3 M');
    expect(formatParams(3_821_079_552)).toBe('3.8 B');
    expect(formatRatio(24_286_464 * 4, 27_728_192)).toBe('3.50×');
    expect(formatRatio(0, 5)).toBe('—');
    expect(formatChange(120.53, 120.24)).toBe('+0.24 %');
    expect(formatChange(110, 120)).toBe('−8.33 %');
    expect(formatEta(null)).toBe('estimating…');
    expect(formatEta(3700)).toBe('about 3.7 s left');
  });
  it('groups conversations by day', () => {
    const now = new Date(2026, 10, 20, 15).getTime();
    expect(dayGroup(now - 60_000, now)).toBe('Today');
    expect(dayGroup(new Date(2026, 10, 19, 23).getTime(), now)).toBe('Yesterday');
    expect(dayGroup(new Date(2026, 10, 15).getTime(), now)).toBe('Previous 7 days');
    expect(dayGroup(new Date(2026, 9, 1).getTime(), now)).toBe('Older');
  });
});

describe('sampling controls', () => {
  const byKey = (k: string) => SAMPLING_CONTROLS.find((c) => c.key === k)!;
  it('name the sliders as the issue requires', () => {
    expect(SAMPLING_CONTROLS.map((c) => c.label)).toEqual(['Temperature', 'Top-p', 'Top-k', 'Min-p', 'Repetition penalty', 'Max tokens', 'Seed']);
  });
  it('clamp typed values into the valid range of the setting', () => {
    expect(clampValue(byKey('temperature'), 7)).toBe(5);
    expect(clampValue(byKey('temperature'), -1)).toBe(0);
    expect(clampValue(byKey('top_p'), 0)).toBe(0.01);
    expect(clampValue(byKey('top_k'), 12.6)).toBe(13);
    expect(clampValue(byKey('max_tokens'), 0)).toBe(1);
    expect(clampValue(byKey('seed'), Number.NaN)).toBeNull();
  });
  it('compare settings including stop strings', () => {
    expect(samplingEqual(sampling(), sampling())).toBe(true);
    expect(samplingEqual(sampling(), sampling({ seed: 1 }))).toBe(false);
    expect(samplingEqual(sampling({ stop: ['a'] }), sampling({ stop: ['b'] }))).toBe(false);
  });
});

describe('routes', () => {
  it('round-trip through the location hash', () => {
    for (const r of [{ view: 'chat', conversationId: null }, { view: 'chat', conversationId: 'a b/c' }, { view: 'models' }, { view: 'settings' }] as const) {
      expect(parseRoute(formatRoute(r))).toEqual(r);
    }
    expect(parseRoute('#/nonsense')).toEqual({ view: 'chat', conversationId: null });
  });
});

describe('drop targets', () => {
  const dt = (data: Record<string, string>, files: File[] = []) =>
    ({ files: Object.assign(files, { item: (i: number) => files[i] ?? null }), getData: (t: string) => data[t] ?? '', types: Object.keys(data) }) as unknown as DataTransfer;

  it('uses the path Electron gives for a dropped folder', () => {
    const file = new File([], 'Phi-3.5-mini');
    expect(dropTarget(dt({}, [file]), { pathForFile: () => '/models/Phi-3.5-mini' })).toEqual({ kind: 'path', path: '/models/Phi-3.5-mini' });
  });
  it('takes a dragged path or file URL in a browser, and says when it cannot know the path', () => {
    expect(dropTarget(dt({ 'text/plain': '/tmp/ckpt' }), {})).toEqual({ kind: 'path', path: '/tmp/ckpt' });
    expect(dropTarget(dt({ 'text/uri-list': 'file:///tmp/my%20ckpt' }), {})).toEqual({ kind: 'path', path: '/tmp/my ckpt' });
    expect(dropTarget(dt({ 'text/plain': 'hello world' }), {})).toEqual({ kind: 'none' });
    expect(dropTarget(dt({}, [new File([], 'folder')]), {})).toEqual({ kind: 'no-path', name: 'folder' });
    expect(pathFromUri('https://example.com/x')).toBeNull();
  });
});
