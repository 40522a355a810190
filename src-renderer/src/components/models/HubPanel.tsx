// Models → Download from Hugging Face: paste a repo id or URL, see what it is before anything
// downloads (architecture, size, license, gating, disk space), then download and convert, following
// the job here. The token: where it comes from, and (desktop app) saving one.
import { AlertCircle, Download } from 'lucide-react';
import { useEffect, useId, useState } from 'react';
import { APP_CODECS, CODEC_TABLE } from '../../../../src-shared/codecs';
import type { HubPreflight } from '../../../../src-shared/contract';
import { parseRepoRef } from '../../../../src-shared/hub';
import { cn } from '../../lib/cn';
import type { ReadableError } from '../../lib/errors';
import { formatBytes } from '../../lib/format';
import { type HubCodec, isHubError, useHub } from '../../state/hub';
import { Button } from '../ui/Button';
import { PanelHeader } from '../ui/PanelHeader';
import { Switch } from '../ui/Switch';
import { HubJobCard } from './HubJobCard';
import { HubToken } from './HubToken';

const GATED = { no: 'public', auto: 'gated (access granted automatically once you accept the license)', manual: 'gated (the authors approve access requests)' } as const;

function PreflightView({ p }: { p: HubPreflight }) {
  const cached = p.totalBytes - p.downloadBytes;
  const rows: Array<[string, React.ReactNode]> = [
    ['Architecture', p.supported ? `${p.architecture} — supported` : <span className="text-red-700 dark:text-red-400">{p.architecture ?? 'unknown'} — not supported: {p.reason}</span>],
    ['License', p.license ?? 'not stated'],
    ['Access', `${GATED[p.gated]}${p.gated !== 'no' || p.private ? (p.hasToken ? ' · a token will be sent' : ' · no token set') : ''}`],
    ['Files', `${p.files.length} files, ${formatBytes(p.totalBytes)}${cached > 0 ? ` (${formatBytes(cached)} already in the cache)` : ''}${p.skipped ? ` · ${p.skipped} other files not needed` : ''}`],
    [
      'Disk',
      <span className={p.enoughSpace ? undefined : 'text-red-700 dark:text-red-400'}>
        needs {formatBytes(p.downloadBytes)} to download + about {formatBytes(p.convertedBytes)} for the converted file · {p.cacheFreeBytes === null ? 'free space unknown' : `${formatBytes(p.cacheFreeBytes)} free`}
        {p.enoughSpace ? '' : ' — not enough'}
      </span>,
    ],
    ['Revision', `${p.revision} (${p.commit.slice(0, 10)})`],
  ];
  return (
    <dl className="mt-3 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 rounded-lg bg-zinc-50 p-3 text-sm dark:bg-zinc-800/50" data-testid="hub-preflight" aria-label={`About ${p.repo}`}>
      {rows.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="text-zinc-600 dark:text-zinc-400">{k}</dt>
          <dd className="min-w-0 break-words">{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export function HubPanel() {
  const jobs = useHub((s) => s.jobs);
  const [ref, setRef] = useState('');
  const [codec, setCodec] = useState<HubCodec>('qins8');
  const [keep, setKeep] = useState(true);
  const [checked, setChecked] = useState<HubPreflight | null>(null);
  const [error, setError] = useState<ReadableError | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  const check = async (text = ref, c = codec) => {
    setError(null);
    try {
      parseRepoRef(text);
    } catch (e) {
      setChecked(null);
      return setError({ code: 'BAD_INPUT', title: 'Not a repository', message: (e as Error).message });
    }
    setBusy(true);
    const r = await useHub.getState().preflight(text.trim(), c);
    setBusy(false);
    if (isHubError(r)) {
      setChecked(null);
      setError(r);
    } else setChecked(r);
  };

  // the converted size depends on the codec
  useEffect(() => {
    if (checked) void check(ref, codec);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [codec]);

  const start = async () => {
    setBusy(true);
    const r = await useHub.getState().download(ref.trim(), codec, keep);
    setBusy(false);
    if (r) setError(r);
    else {
      setChecked(null);
      setRef('');
    }
  };

  return (
    <section aria-labelledby={`${id}-h`} className="rounded-2xl border border-zinc-200 bg-white p-5 shadow-xs dark:border-zinc-800 dark:bg-zinc-900/60">
      <PanelHeader icon={Download} tone="amber" headingId={`${id}-h`} title="Download from Hugging Face">
        Paste a model repository (org/name, optionally @revision) or its huggingface.co URL. Only the files conversion needs are downloaded, into the Hugging Face cache shared with Python tools; the network is used only for this.
      </PanelHeader>
      <form
        className="mt-4 space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          void check();
        }}
      >
        <label htmlFor={`${id}-ref`} className="text-sm font-medium">
          Hugging Face repository
        </label>
        <div className="flex gap-2">
          <input
            id={`${id}-ref`}
            value={ref}
            onChange={(e) => {
              setRef(e.target.value);
              setChecked(null);
              setError(null);
            }}
            placeholder="microsoft/Phi-3.5-mini-instruct"
            spellCheck={false}
            autoComplete="off"
            aria-invalid={error ? true : undefined}
            className={cn('block h-10 min-w-0 flex-1 rounded-lg border bg-white px-3 font-mono text-sm dark:bg-zinc-950', error ? 'border-red-400 dark:border-red-500/60' : 'border-zinc-300 dark:border-zinc-700')}
          />
          <Button type="submit" disabled={!ref.trim() || busy}>
            Check
          </Button>
        </div>
        {error ? (
          <p role="alert" className="flex items-start gap-1.5 text-sm text-red-700 dark:text-red-400" data-testid="hub-check-error">
            <AlertCircle size={15} className="mt-0.5 shrink-0" aria-hidden />
            <span>
              <span className="font-medium">{error.title}:</span> {error.message}
            </span>
          </p>
        ) : null}
        {checked ? <PreflightView p={checked} /> : null}
        <div className="flex flex-wrap items-center gap-x-6 gap-y-3">
          <label className="flex items-center gap-2 text-sm">
            Codec
            <select aria-label="Codec for the download" value={codec} onChange={(e) => setCodec(e.target.value as HubCodec)} className="h-8 rounded-md border border-zinc-300 bg-white px-2 font-mono text-sm dark:border-zinc-700 dark:bg-zinc-950">
              {APP_CODECS.map((c) => (
                <option key={c} value={c}>
                  {c} ({CODEC_TABLE[c].bits} bits/weight)
                </option>
              ))}
            </select>
          </label>
          <span className="flex items-center gap-2 text-sm">
            <Switch checked={keep} onChange={setKeep} label="Keep the downloaded checkpoint" /> Keep the downloaded checkpoint after converting
          </span>
          <Button variant="primary" className="ml-auto" disabled={!checked || !checked.supported || !checked.enoughSpace || busy} onClick={() => void start()}>
            Download and convert
          </Button>
        </div>
      </form>
      <HubToken />
      {jobs.length > 0 ? (
        <div className="mt-4 space-y-2" aria-label="Downloads" role="region">
          {jobs.map((j) => (
            <HubJobCard key={j.jobId} job={j} />
          ))}
        </div>
      ) : null}
    </section>
  );
}
