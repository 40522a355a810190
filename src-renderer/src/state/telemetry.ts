// The last two minutes of telemetry samples, kept while the panel is closed.
import { create } from 'zustand';
import type { TelemetrySample } from '../../../src-shared/contract';

export const HISTORY = 120;

interface TelemetryState {
  samples: TelemetrySample[];
  push(s: TelemetrySample): void;
}

export const useTelemetryStore = create<TelemetryState>((set) => ({
  samples: [],
  push: (s) => set((st) => ({ samples: [...st.samples.slice(-(HISTORY - 1)), s] })),
}));
