import { useEffect } from 'react';
import type { TelemetrySample } from '../../../src-shared/contract';
import { qins } from '../lib/qins';
import { useTelemetryStore } from '../state/telemetry';

/**
 * Streams telemetry samples (~1 Hz) into the telemetry store for as long as the app is mounted.
 * Resubscribes when samples stop arriving (e.g. after the browser's socket reconnected).
 */
export function useTelemetryFeed(): void {
  useEffect(() => {
    let subscriptionId: string | undefined;
    let lastSampleAt = Date.now();
    let disposed = false;
    const off = qins.on('telemetry.sample', (s) => {
      if (s.subscriptionId !== subscriptionId) return;
      lastSampleAt = Date.now();
      useTelemetryStore.getState().push(s);
    });
    const subscribe = async () => {
      try {
        const { subscriptionId: id } = await qins.invoke('telemetry.subscribe', { intervalMs: 1000 });
        if (disposed) void qins.invoke('telemetry.unsubscribe', { subscriptionId: id }).catch(() => undefined);
        else subscriptionId = id;
        lastSampleAt = Date.now();
      } catch {
        // retried by the watchdog below
      }
    };
    void subscribe();
    const watchdog = setInterval(() => {
      if (Date.now() - lastSampleAt > 4000) {
        lastSampleAt = Date.now();
        void subscribe();
      }
    }, 1000);
    return () => {
      disposed = true;
      off();
      clearInterval(watchdog);
      if (subscriptionId) void qins.invoke('telemetry.unsubscribe', { subscriptionId }).catch(() => undefined);
    };
  }, []);
}

/** The samples of the last two minutes. */
export function useTelemetry(): TelemetrySample[] {
  return useTelemetryStore((s) => s.samples);
}
