import { useTelemetry } from '../../hooks/useTelemetry';
import { formatBytes } from '../../lib/format';
import { Stat } from '../ui/Stat';

/** Live memory numbers, straight from the processes (~1 Hz). */
export function TelemetryPanel() {
  const samples = useTelemetry();
  const last = samples.at(-1);
  return (
    <section aria-labelledby="telemetry-heading" className="space-y-2">
      <div className="flex items-center justify-between">
        <h2 id="telemetry-heading" className="text-sm font-semibold">
          Memory
        </h2>
        <span className="flex items-center gap-1.5 text-xs text-zinc-600 dark:text-zinc-400" aria-live="off">
          <span className={`h-2 w-2 rounded-full ${last ? 'bg-emerald-500' : 'bg-zinc-400'}`} aria-hidden />
          {last ? `live · ${samples.length} samples` : 'waiting…'}
        </span>
      </div>
      <dl className="grid grid-cols-2 gap-2">
        <Stat label="Engine RSS" value={last?.engine ? formatBytes(last.engine.rss) : '—'} testId="telemetry-engine-rss" />
        <Stat label="Weights mapped" value={last?.engine ? formatBytes(last.engine.weightsMapped) : '—'} />
        <Stat label="KV cache" value={last?.engine ? formatBytes(last.engine.kvBytes) : '—'} />
        <Stat label="Main RSS" value={last ? formatBytes(last.main.rss) : '—'} testId="telemetry-main-rss" />
        <Stat label="Main heap" value={last ? formatBytes(last.main.heapUsed) : '—'} />
        <Stat label="Free memory" value={last ? formatBytes(last.system.freeMemory) : '—'} hint={last ? `of ${formatBytes(last.system.totalMemory)}` : undefined} />
      </dl>
      <p className="text-[11px] text-zinc-600 dark:text-zinc-400" data-testid="telemetry-updated">
        {last ? `Updated ${new Date(last.time).toLocaleTimeString()}` : 'No sample yet'}
      </p>
    </section>
  );
}
