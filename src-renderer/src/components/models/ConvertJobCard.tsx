// A conversion job: progress bar with bytes, current tensor and ETA, Cancel; or its readable error.
import { AlertCircle, X } from 'lucide-react';
import { cn } from '../../lib/cn';
import { formatBytes, formatEta } from '../../lib/format';
import { type JobView, useModels } from '../../state/models';
import { Button, IconButton } from '../ui/Button';
import { Progress } from '../ui/Progress';

export function sourceName(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).at(-1) ?? path;
}

export function jobFraction(job: JobView): number | null {
  const p = job.progress;
  if (!p) return null;
  if (p.bytesTotal > 0) return p.bytesDone / p.bytesTotal;
  if (p.tensorsTotal > 0) return p.tensorsDone / p.tensorsTotal;
  return null;
}

export function ConvertJobCard({ job, className }: { job: JobView; className?: string }) {
  const cancel = useModels((s) => s.cancel);
  const dismiss = useModels((s) => s.dismissJob);
  const p = job.progress;
  const name = job.name ?? sourceName(job.source);
  const fraction = jobFraction(job);

  if (job.state === 'failed' && job.error) {
    return (
      <div role="alert" className={cn('flex items-start gap-3 rounded-xl border border-red-200 bg-red-50 p-3 text-sm dark:border-red-500/30 dark:bg-red-500/10', className)} data-testid="convert-error">
        <AlertCircle size={18} className="mt-0.5 shrink-0 text-red-600 dark:text-red-400" aria-hidden />
        <div className="min-w-0 flex-1">
          <p className="font-medium text-red-900 dark:text-red-200">
            {job.error.title} — {name}
          </p>
          <p className="mt-0.5 break-words text-red-800 dark:text-red-300">{job.error.message}</p>
          <p className="mt-1 text-xs text-red-700/80 dark:text-red-300/80">Nothing was added to the library and no partial file was left behind.</p>
        </div>
        <IconButton label="Dismiss" size="sm" onClick={() => dismiss(job.jobId)}>
          <X size={14} aria-hidden />
        </IconButton>
      </div>
    );
  }

  return (
    <div className={cn('rounded-xl border border-zinc-200 bg-white p-3 text-sm dark:border-zinc-800 dark:bg-zinc-900', className)} data-testid="convert-job">
      <div className="flex items-center justify-between gap-3">
        <div className="min-w-0">
          <p className="truncate font-medium">
            {job.kind === 'unpack' ? (
              <>Unpacking {name}</>
            ) : job.kind === 'export' ? (
              <>
                Exporting {name} <span className="font-normal text-zinc-600 dark:text-zinc-400">for ONNX Runtime (FP32)</span>
              </>
            ) : (
              <>
                Converting {name} <span className="font-normal text-zinc-600 dark:text-zinc-400">to {job.codec}</span>
              </>
            )}
          </p>
          <p className="text-xs text-zinc-600 capitalize dark:text-zinc-400">{job.state === 'cancelling' ? 'cancelling…' : (p?.phase ?? 'starting…')}</p>
        </div>
        <Button size="sm" onClick={() => void cancel(job.jobId)} disabled={job.state === 'cancelling'}>
          Cancel
        </Button>
      </div>
      <Progress className="mt-2.5" value={fraction} label={`${job.kind === 'unpack' ? 'Unpacking' : job.kind === 'export' ? 'Exporting' : 'Converting'} ${name}`} />
      <div className="mt-2 flex flex-wrap justify-between gap-x-4 gap-y-0.5 text-xs text-zinc-600 tabular-nums dark:text-zinc-400" data-testid="convert-progress">
        <span>
          {p && p.bytesTotal > 0 ? `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}` : 'reading the checkpoint…'}
          {fraction !== null ? ` · ${Math.round(fraction * 100)} %` : ''}
        </span>
        <span>{p ? formatEta(p.etaMs) : ''}</span>
      </div>
      {p?.tensor ? (
        <p className="mt-1 truncate font-mono text-[11px] text-zinc-500 dark:text-zinc-400" title={p.tensor}>
          {p.tensorsTotal > 0 ? `${p.tensorsDone}/${p.tensorsTotal} · ` : ''}
          {p.tensor}
        </p>
      ) : null}
    </div>
  );
}
