// Models → On this computer: checkpoints already in the Hugging Face cache (left by Python
// transformers / huggingface_hub, or by a download here), converted in place with one click.
import { HardDrive, RefreshCw } from 'lucide-react';
import { useEffect, useId, useState } from 'react';
import { APP_CODECS } from '../../../../src-shared/codecs';
import type { HubCacheEntry } from '../../../../src-shared/hub';
import type { ReadableError } from '../../lib/errors';
import { formatBytes } from '../../lib/format';
import { type HubCodec, useHub } from '../../state/hub';
import { Button, IconButton } from '../ui/Button';
import { PanelHeader } from '../ui/PanelHeader';

function CacheRow({ entry }: { entry: HubCacheEntry }) {
  const [codec, setCodec] = useState<HubCodec>('qins8');
  const [error, setError] = useState<ReadableError | null>(null);
  const [started, setStarted] = useState(false);
  const label = `${entry.repo}${entry.refs.length ? ` (${entry.refs.join(', ')})` : ` @ ${entry.commit.slice(0, 10)}`}`;
  const convert = async () => {
    const r = await useHub.getState().convertCached(entry.path, codec);
    setError(r);
    setStarted(r === null);
  };
  return (
    <li className="flex flex-wrap items-center gap-x-4 gap-y-1 rounded-lg border border-zinc-200 p-3 text-sm dark:border-zinc-800" aria-label={label}>
      <div className="min-w-0 flex-1">
        <p className="truncate font-medium" title={entry.path}>
          {label}
        </p>
        <p className="text-xs text-zinc-600 dark:text-zinc-400">
          {entry.architecture ?? 'unknown architecture'} · {formatBytes(entry.weightBytes)} of weights
          {entry.reason ? <span className="text-amber-700 dark:text-amber-400"> · {entry.reason}</span> : null}
        </p>
        {error ? (
          <p role="alert" className="text-xs text-red-700 dark:text-red-400">
            {error.title}: {error.message}
          </p>
        ) : null}
      </div>
      {entry.supported ? (
        <div className="flex items-center gap-2">
          <select aria-label={`Codec for ${entry.repo}`} value={codec} onChange={(e) => setCodec(e.target.value as HubCodec)} className="h-7 rounded-md border border-zinc-300 bg-white px-1.5 font-mono text-xs dark:border-zinc-700 dark:bg-zinc-950">
            {APP_CODECS.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
          <Button size="sm" onClick={() => void convert()} disabled={started}>
            {started ? 'Converting…' : 'Convert'}
          </Button>
        </div>
      ) : null}
    </li>
  );
}

export function HubCachePanel() {
  const cache = useHub((s) => s.cache);
  const error = useHub((s) => s.cacheError);
  const id = useId();
  useEffect(() => {
    void useHub.getState().refreshCache();
  }, []);
  return (
    <section aria-labelledby={`${id}-h`} className="rounded-2xl border border-zinc-200 bg-white p-5 shadow-xs dark:border-zinc-800 dark:bg-zinc-900/60">
      <PanelHeader
        icon={HardDrive}
        tone="emerald"
        headingId={`${id}-h`}
        title="On this computer"
        aside={
          <IconButton label="Look again" size="sm" onClick={() => void useHub.getState().refreshCache()}>
            <RefreshCw size={14} aria-hidden />
          </IconButton>
        }
      >
        Checkpoints already in your Hugging Face cache{cache ? ` (${cache.cacheDir})` : ''}, from Python transformers or an earlier download. Converting reads them where they are: nothing is copied or downloaded.
      </PanelHeader>
      {error ? <p className="mt-3 text-sm text-red-700 dark:text-red-400">{error.message}</p> : null}
      {cache && cache.entries.length === 0 ? <p className="mt-3 text-sm text-zinc-600 dark:text-zinc-400">No checkpoints in the cache.</p> : null}
      {cache && cache.entries.length > 0 ? (
        <ul className="mt-3 space-y-2" aria-label="Hugging Face cache">
          {cache.entries.map((e) => (
            <CacheRow key={e.path} entry={e} />
          ))}
        </ul>
      ) : null}
    </section>
  );
}
