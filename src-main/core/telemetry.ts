// Memory telemetry: real numbers from the processes, sampled on demand and streamed ~1 Hz.
import { randomUUID } from 'node:crypto';
import { freemem, totalmem } from 'node:os';
import type { EngineMemory, GenerationSample, ProcessMemory, TelemetrySample } from '../../src-shared/contract.js';

export function processMemory(): ProcessMemory {
  const m = process.memoryUsage();
  return { pid: process.pid, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
}

export interface TelemetrySource {
  /** The engine host's memory, or null while it is unavailable. */
  engineMemory(): Promise<EngineMemory | null>;
}

export class Telemetry {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly source: TelemetrySource,
    /** The reply being generated, if any (tok/s while generating). */
    private readonly generation: () => GenerationSample | null = () => null,
  ) {}

  async sample(subscriptionId: string): Promise<TelemetrySample> {
    return {
      subscriptionId,
      time: Date.now(),
      main: processMemory(),
      engine: await this.source.engineMemory(),
      system: { freeMemory: freemem(), totalMemory: totalmem() },
      generation: this.generation(),
    };
  }

  /** Calls `deliver` with a sample now and then every intervalMs until unsubscribed. */
  subscribe(intervalMs: number, deliver: (sample: TelemetrySample) => void): string {
    const id = randomUUID();
    let busy = false;
    const tick = async () => {
      if (busy) return; // a slow engine answer must not pile up samples
      busy = true;
      try {
        const s = await this.sample(id);
        if (this.timers.has(id)) deliver(s);
      } finally {
        busy = false;
      }
    };
    this.timers.set(id, setInterval(() => void tick(), intervalMs));
    void tick();
    return id;
  }

  unsubscribe(id: string): boolean {
    const t = this.timers.get(id);
    if (!t) return false;
    clearInterval(t);
    this.timers.delete(id);
    return true;
  }

  stopAll(): void {
    for (const id of [...this.timers.keys()]) this.unsubscribe(id);
  }
}
