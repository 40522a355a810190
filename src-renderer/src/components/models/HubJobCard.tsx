// A download from the Hugging Face Hub: bytes, speed, time left and the current file, with Pause /
// Resume / Cancel; then "converting" (the conversion card below shows its progress); its outcome.
import { AlertCircle, CheckCircle2, X } from 'lucide-react';
import type { HubJob } from '../../../../src-shared/contract';
import { readable } from '../../lib/errors';
import { formatBytes, formatEta } from '../../lib/format';
import { useHub } from '../../state/hub';
import { Button, IconButton } from '../ui/Button';
import { Progress } from '../ui/Progress';

const STATE_TEXT: Record<HubJob['state'], string> = {
  queued: 'starting…',
  downloading: 'downloading',
  paused: 'paused — resume continues where it stopped',
  converting: 'downloaded; converting',
  done: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};

export function HubJobCard({ job }: { job: HubJob }) {
  const { pause, resume, cancel, dismiss } = useHub.getState();
  const p = job.progress;
  const fraction = p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : null;
  const title = `${job.repo}${job.revision === 'main' ? '' : `@${job.revision}`}`;

  if (job.state === 'failed' || job.state === 'cancelled') {
    const error = job.error ? readable(job.error) : null;
    return (
      <div role="alert" className="flex items-start gap-3 rounded-xl border border-red-200 bg-red-50 p-3 text-sm dark:border-red-500/30 dark:bg-red-500/10" data-testid="hub-error">
        <AlertCircle size={18} className="mt-0.5 shrink-0 text-red-600 dark:text-red-400" aria-hidden />
        <div className="min-w-0 flex-1">
          <p className="font-medium text-red-900 dark:text-red-200">
            {job.state === 'cancelled' ? 'Download cancelled' : (error?.title ?? 'Download failed')} — {title}
          </p>
          {error && job.state === 'failed' ? <p className="mt-0.5 break-words text-red-800 dark:text-red-300">{error.message}</p> : null}
          <p className="mt-1 text-xs text-red-700/80 dark:text-red-300/80">
            {job.state === 'cancelled' ? 'Its partial files were removed.' : 'Nothing half-written was added to the library; files already complete stay in the Hugging Face cache.'}
          </p>
        </div>
        {job.state === 'failed' ? (
          <Button size="sm" onClick={() => void resume(job.jobId)}>
            Retry
          </Button>
        ) : null}
        <IconButton label="Dismiss" size="sm" onClick={() => void dismiss(job.jobId)}>
          <X size={14} aria-hidden />
        </IconButton>
      </div>
    );
  }

  if (job.state === 'done') {
    return (
      <div role="status" className="flex items-center gap-3 rounded-xl border border-emerald-200 bg-emerald-50 p-3 text-sm dark:border-emerald-500/30 dark:bg-emerald-500/10" data-testid="hub-done">
        <CheckCircle2 size={18} className="shrink-0 text-emerald-600 dark:text-emerald-400" aria-hidden />
        <p className="min-w-0 flex-1">
          <span className="font-medium">{title}</span> is in the library ({job.codec}){job.keepCheckpoint ? '; the checkpoint stays in the Hugging Face cache.' : '; the downloaded checkpoint was deleted.'}
        </p>
        <IconButton label="Dismiss" size="sm" onClick={() => void dismiss(job.jobId)}>
          <X size={14} aria-hidden />
        </IconButton>
      </div>
    );
  }

  return (
    <div className="rounded-xl border border-zinc-200 bg-white p-3 text-sm dark:border-zinc-800 dark:bg-zinc-900" data-testid="hub-job">
      <div className="flex items-center justify-between gap-3">
        <div className="min-w-0">
          <p className="truncate font-medium">
            Downloading {title} <span className="font-normal text-zinc-600 dark:text-zinc-400">then converting to {job.codec}</span>
          </p>
          <p className="text-xs text-zinc-600 dark:text-zinc-400" data-testid="hub-state">
            {STATE_TEXT[job.state]}
          </p>
        </div>
        <div className="flex gap-2">
          {job.state === 'paused' ? (
            <Button size="sm" onClick={() => void resume(job.jobId)}>
              Resume
            </Button>
          ) : job.state === 'downloading' || job.state === 'queued' ? (
            <Button size="sm" onClick={() => void pause(job.jobId)}>
              Pause
            </Button>
          ) : null}
          {job.state !== 'converting' ? (
            <Button size="sm" onClick={() => void cancel(job.jobId)}>
              Cancel
            </Button>
          ) : null}
        </div>
      </div>
      <Progress className="mt-2.5" value={fraction} label={`Downloading ${job.repo}`} />
      <div className="mt-2 flex flex-wrap justify-between gap-x-4 gap-y-0.5 text-xs text-zinc-600 tabular-nums dark:text-zinc-400" data-testid="hub-progress">
        <span>
          {formatBytes(p.bytesDone)} of {formatBytes(p.bytesTotal)}
          {fraction !== null ? ` · ${Math.round(fraction * 100)} %` : ''}
          {job.state === 'downloading' && p.bytesPerSecond > 0 ? ` · ${formatBytes(p.bytesPerSecond)}/s` : ''}
        </span>
        <span>{job.state === 'downloading' ? formatEta(p.etaMs) : ''}</span>
      </div>
      {p.file && job.state === 'downloading' ? (
        <p className="mt-1 truncate font-mono text-[11px] text-zinc-500 dark:text-zinc-400" title={p.file}>
          {p.filesDone + 1}/{p.filesTotal} · {p.file}
        </p>
      ) : null}
    </div>
  );
}
