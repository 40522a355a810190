// Live telemetry from the processes (~1 Hz): a chart, the current numbers, and what QINS saves
// against FP32 for the loaded model.
import { useTelemetry } from '../../hooks/useTelemetry';
import { useIsDark } from '../../hooks/useIsDark';
import { formatBytes, formatRatio, formatRate } from '../../lib/format';
import { useModels } from '../../state/models';
import { useTelemetryStore } from '../../state/telemetry';
import { MemoryChart, SERIES } from './MemoryChart';

function Reading({ label, value, detail, color, testId, hint }: { label: string; value: string; detail?: string; color?: string; testId?: string; hint?: string }) {
  return (
    <div className="rounded-lg border border-zinc-200 px-2.5 py-2 dark:border-zinc-800" title={hint}>
      <dt className="flex items-center gap-1.5 text-[11px] font-medium text-zinc-600 dark:text-zinc-400">
        {color ? <span className="h-2 w-2 rounded-full" style={{ backgroundColor: color }} aria-hidden /> : null}
        {label}
      </dt>
      <dd className="mt-0.5 font-mono text-sm text-zinc-900 tabular-nums dark:text-zinc-100" data-testid={testId}>
        {value}
        {detail ? (
          <>
            {' '}
            <span className="block font-sans text-[11px] text-zinc-600 dark:text-zinc-400">{detail}</span>
          </>
        ) : null}
      </dd>
    </div>
  );
}

/**
 * The loaded model's weights against the same parameters in FP32. The QINS side is the size of the
 * weight file the engine has loaded (the mapped .qins file, or the ONNX decoder and its data), or
 * the library's file size before the engine reports it. The per-token figure is shown separately:
 * it leaves out the embedding table, whose rows are looked up one at a time, so it is not
 * comparable with parameters × 4.
 */
export function QinsVsFp32() {
  const loaded = useModels((s) => (s.status.state === 'ready' ? s.status.loaded : null));
  const record = useModels((s) => s.models.find((m) => m.id === loaded?.modelId) ?? null);
  const engineFile = useTelemetryStore((s) => s.samples.at(-1)?.engine?.weightsFileBytes ?? 0);
  if (!loaded) {
    return <p className="text-xs text-zinc-600 dark:text-zinc-400">Load a model to compare its size with FP32.</p>;
  }
  const measured = engineFile > 0 ? engineFile : (record?.fileBytes ?? 0);
  const source = engineFile > 0 && loaded.engine === 'qins' ? 'file mapped by the engine' : 'file on disk';
  const share = loaded.fp32Bytes > 0 ? Math.min(1, measured / loaded.fp32Bytes) : 0;
  const saved = Math.max(0, loaded.fp32Bytes - measured);
  const label = `${loaded.engine === 'qins' ? 'QINS' : 'ONNX'}${loaded.codec ? ` ${loaded.codec}` : ''}`;
  return (
    <div className="space-y-2.5" data-testid="qins-vs-fp32">
      <div>
        <div className="mb-1 flex justify-between text-xs">
          <span className="font-medium">FP32 (parameters × 4)</span>
          <span className="font-mono tabular-nums">{formatBytes(loaded.fp32Bytes)}</span>
        </div>
        <div className="h-2.5 rounded-full bg-zinc-300 dark:bg-zinc-600" />
      </div>
      <div>
        <div className="mb-1 flex justify-between text-xs">
          <span className="font-medium">
            {label} <span className="font-normal text-zinc-600 dark:text-zinc-400">({source})</span>
          </span>
          <span className="font-mono tabular-nums" data-testid="qins-bytes">
            {measured > 0 ? formatBytes(measured) : '—'}
          </span>
        </div>
        <div className="h-2.5 overflow-hidden rounded-full bg-zinc-100 dark:bg-zinc-800">
          <div className="h-full rounded-full bg-indigo-600 dark:bg-indigo-500" style={{ width: `${Math.max(1, share * 100)}%` }} />
        </div>
      </div>
      <p className="text-sm">
        <span className="text-lg font-semibold text-indigo-700 tabular-nums dark:text-indigo-300" data-testid="fp32-ratio">
          {formatRatio(loaded.fp32Bytes, measured)}
        </span>{' '}
        <span className="text-zinc-700 dark:text-zinc-300">smaller · saves {formatBytes(saved)}</span>
      </p>
      <p className="text-[11px] leading-4 text-zinc-600 dark:text-zinc-400">
        {loaded.name}: {loaded.params.toLocaleString('en-US')} parameters. Read per generated token: {formatBytes(loaded.weightBytes)} (every layer and the output matrix; embedding rows
        are looked up one at a time).
      </p>
    </div>
  );
}

export function TelemetryPanel() {
  const samples = useTelemetry();
  const dark = useIsDark();
  const last = samples.at(-1);
  const color = (i: number) => (dark ? SERIES[i]!.dark : SERIES[i]!.color);
  const gen = last?.generation ?? null;
  const engine = last?.engine ?? null;
  const noModel = engine !== null && engine.weightsFileBytes === 0 && engine.kvBytesReserved === 0;
  // Resident weight pages of the file, and KV positions in use against the cache's allocation.
  const weights: { value: string; detail?: string } = !engine
    ? { value: '—' }
    : noModel
      ? { value: 'no model' }
      : engine.weightsMapped === null
        ? { value: 'not measured' }
        : { value: formatBytes(engine.weightsMapped), detail: `of ${formatBytes(engine.weightsFileBytes)} file` };
  const kv: { value: string; detail?: string } = !engine
    ? { value: '—' }
    : noModel
      ? { value: 'no model' }
      : { value: formatBytes(engine.kvBytesUsed), detail: `of ${formatBytes(engine.kvBytesReserved)} reserved` };
  return (
    <div className="space-y-6">
      <section aria-labelledby="telemetry-heading" className="space-y-3">
        <div className="flex items-center justify-between">
          <h3 id="telemetry-heading" className="text-xs font-semibold tracking-wide text-zinc-600 uppercase dark:text-zinc-400">
            Memory
          </h3>
          <span className="flex items-center gap-1.5 text-[11px] text-zinc-600 dark:text-zinc-400" aria-live="off">
            <span className={`h-1.5 w-1.5 rounded-full ${last ? 'animate-pulse bg-emerald-500' : 'bg-zinc-400'}`} aria-hidden />
            {last ? 'live' : 'waiting…'}
          </span>
        </div>
        <MemoryChart samples={samples} />
        <dl className="grid grid-cols-2 gap-2">
          <Reading label="Engine RSS" color={color(0)} value={last?.engine ? formatBytes(last.engine.rss) : '—'} testId="telemetry-engine-rss" hint="Resident memory of the engine host process" />
          <Reading
            label="Weights resident"
            color={color(1)}
            {...weights}
            testId="telemetry-weights"
            hint={
              engine?.weightsMapped === null
                ? 'ONNX Runtime loads the weights itself; how much of them is in memory is not measured'
                : "Bytes of the model's weight file in the engine's memory, measured each sample (pages not resident are read from disk when a token needs them)"
            }
          />
          <Reading label="KV cache" color={color(2)} {...kv} testId="telemetry-kv" hint="Positions the conversation holds × bytes per position, of the bytes allocated for the KV cache" />
          <Reading label="Main RSS" color={color(3)} value={last ? formatBytes(last.main.rss) : '—'} testId="telemetry-main-rss" hint="Resident memory of the main process" />
          <Reading label="Generating" color={color(4)} value={gen ? formatRate(gen.tokensPerSecond) : 'idle'} testId="telemetry-toks" />
          <Reading label="Free memory" value={last ? formatBytes(last.system.freeMemory) : '—'} hint={last ? `of ${formatBytes(last.system.totalMemory)}` : undefined} />
        </dl>
        <p className="text-[11px] text-zinc-600 dark:text-zinc-400" data-testid="telemetry-updated">
          {last ? `Updated ${new Date(last.time).toLocaleTimeString()}` : 'No sample yet'}
        </p>
      </section>
      <section aria-labelledby="fp32-heading" className="space-y-3">
        <h3 id="fp32-heading" className="text-xs font-semibold tracking-wide text-zinc-600 uppercase dark:text-zinc-400">
          QINS vs FP32
        </h3>
        <QinsVsFp32 />
      </section>
    </div>
  );
}
