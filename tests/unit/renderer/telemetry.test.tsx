// @vitest-environment jsdom
// The telemetry panel shows what the engine measured: resident weight bytes of the file, "not
// measured" when the engine cannot tell, and the KV cache in use against what is reserved.
import './setup';
import { render, screen } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineMemory, TelemetrySample } from '../../../src-shared/contract';
import { loaded, model } from './data';

vi.mock('../../../src-renderer/src/lib/qins', () => import('./mock-qins'));
// uPlot draws on a canvas, which jsdom lacks; the chart's columns are checked through chartData.
vi.mock('../../../src-renderer/src/components/layout/MemoryChart', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../src-renderer/src/components/layout/MemoryChart')>()),
  MemoryChart: () => null,
}));
const { TelemetryPanel } = await import('../../../src-renderer/src/components/layout/TelemetryPanel');
const { chartData } = await import('../../../src-renderer/src/components/layout/MemoryChart');
const { useTelemetryStore } = await import('../../../src-renderer/src/state/telemetry');
const { useModels } = await import('../../../src-renderer/src/state/models');

const MB = 1024 * 1024;

function sample(engine: Partial<EngineMemory> | null): TelemetrySample {
  return {
    subscriptionId: 's1',
    time: Date.now(),
    main: { pid: 1, rss: 120 * MB, heapUsed: 1, heapTotal: 2, external: 3 },
    engine:
      engine === null
        ? null
        : { pid: 2, rss: 900 * MB, heapUsed: 1, heapTotal: 2, external: 3, weightsMapped: 0, weightsFileBytes: 0, kvBytesUsed: 0, kvBytesReserved: 0, ...engine },
    system: { freeMemory: 4096 * MB, totalMemory: 16384 * MB },
    generation: null,
  };
}

function show(...samples: TelemetrySample[]): void {
  useTelemetryStore.setState({ samples });
  render(<TelemetryPanel />);
}

beforeEach(() => {
  useTelemetryStore.setState({ samples: [] });
  useModels.setState({ models: [model()], jobs: [], evals: {}, status: { state: 'ready', loaded: loaded(), loadingId: null, error: null } });
});

describe('telemetry panel', () => {
  it('shows the KV cache in use against what is reserved, and the resident part of the weight file', () => {
    show(sample({ weightsMapped: Math.round(1.5 * MB), weightsFileBytes: 26 * MB, kvBytesUsed: Math.round(12.3 * MB), kvBytesReserved: 503 * MB }));
    expect(screen.getByText('KV cache')).toBeTruthy();
    expect(screen.getByTestId('telemetry-kv').textContent).toBe('12.3 MB of 503.0 MB reserved');
    expect(screen.getByText('Weights resident')).toBeTruthy();
    expect(screen.getByTestId('telemetry-weights').textContent).toBe('1.5 MB of 26.0 MB file');
    // QINS vs FP32 compares the file, not the part of it that happens to be resident.
    expect(screen.getByTestId('qins-bytes').textContent).toBe('26.0 MB');
  });

  it('says "not measured" when the engine cannot measure its weights (ONNX Runtime)', () => {
    show(sample({ weightsMapped: null, weightsFileBytes: 90 * MB, kvBytesUsed: 2 * MB, kvBytesReserved: 2 * MB }));
    expect(screen.getByTestId('telemetry-weights').textContent).toBe('not measured');
    expect(screen.getByTestId('telemetry-kv').textContent).toBe('2.0 MB of 2.0 MB reserved');
  });

  it('says "no model" when the engine has none loaded', () => {
    show(sample({}));
    expect(screen.getByTestId('telemetry-weights').textContent).toBe('no model');
    expect(screen.getByTestId('telemetry-kv').textContent).toBe('no model');
  });

  it('dashes while the engine host is away', () => {
    show(sample(null));
    expect(screen.getByTestId('telemetry-weights').textContent).toBe('—');
    expect(screen.getByTestId('telemetry-kv').textContent).toBe('—');
  });

  it('charts the resident weights and the KV bytes in use (a gap where weights are not measured)', () => {
    const a = sample({ weightsMapped: 8 * MB, weightsFileBytes: 26 * MB, kvBytesUsed: 1 * MB, kvBytesReserved: 503 * MB });
    const b = sample({ weightsMapped: null, weightsFileBytes: 26 * MB, kvBytesUsed: 3 * MB, kvBytesReserved: 503 * MB });
    const [, , weights, kv] = chartData([a, b]);
    expect(weights).toEqual([8, null]);
    expect(kv).toEqual([1, 3]);
  });
});
