// Adding a model: drop a checkpoint folder (desktop) or type its path, choose the codec, convert.
// Jobs show their progress here; errors say what is wrong with the folder.
import { AlertCircle, FolderDown } from 'lucide-react';
import { useId, useRef, useState } from 'react';
import { type ReadableError, readable } from '../../lib/errors';
import { cn } from '../../lib/cn';
import { qins } from '../../lib/qins';
import { useModels } from '../../state/models';
import { Button } from '../ui/Button';
import { PanelHeader } from '../ui/PanelHeader';
import { CodecChoice, type ImportChoice } from './CodecChoice';
import { ConvertJobCard } from './ConvertJobCard';

export function ImportPanel() {
  const jobs = useModels((s) => s.jobs);
  const importModel = useModels((s) => s.importModel);
  const [path, setPath] = useState('');
  const [codec, setCodec] = useState<ImportChoice>('qins8');
  const [error, setError] = useState<ReadableError | null>(null);
  const [busy, setBusy] = useState(false);
  const pathId = useId();
  const input = useRef<HTMLInputElement>(null);

  // The desktop app has native folder and file pickers; a browser only takes a typed path.
  const browse = async (what: 'folder' | 'file') => {
    try {
      const { path: picked } = await qins.invoke(what === 'folder' ? 'models.pickFolder' : 'models.pickFile', {});
      if (picked) {
        setPath(picked);
        setError(null);
      }
    } catch (e) {
      setError(readable(e));
    }
  };

  const submit = async () => {
    const source = path.trim();
    if (!source) return;
    setBusy(true);
    setError(null);
    const r = await importModel(source, codec);
    setBusy(false);
    if (!('jobId' in r)) setError(r);
    else setPath('');
  };

  return (
    <section aria-labelledby="import-heading" className="rounded-2xl border border-zinc-200 bg-white p-5 shadow-xs dark:border-zinc-800 dark:bg-zinc-900/60">
      <PanelHeader icon={FolderDown} tone="indigo" headingId="import-heading" title="Add a model">
        Drop a HuggingFace checkpoint folder (config.json, *.safetensors, tokenizer files) anywhere on the window, or enter its path. It is converted into one compressed .qins file. A .qinz download is unpacked; an existing .qins file is added where it is.
      </PanelHeader>
      <form
        className="mt-4 space-y-4"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <div>
          <label htmlFor={pathId} className="text-sm font-medium">
            Checkpoint folder
          </label>
          <input
            ref={input}
            id={pathId}
            value={path}
            onChange={(e) => {
              setPath(e.target.value);
              setError(null);
            }}
            placeholder="/Users/me/models/Phi-3.5-mini-instruct"
            spellCheck={false}
            autoComplete="off"
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${pathId}-error` : undefined}
            className={cn(
              'mt-1 block h-10 w-full rounded-lg border bg-white px-3 font-mono text-sm dark:bg-zinc-950',
              error ? 'border-red-400 dark:border-red-500/60' : 'border-zinc-300 dark:border-zinc-700',
            )}
          />
          {qins.transport === 'electron' ? (
            <div className="mt-2 flex gap-2">
              <Button onClick={() => void browse('folder')}>Browse…</Button>
              <Button onClick={() => void browse('file')}>Choose a .qins or .qinz file…</Button>
            </div>
          ) : null}
          {error ? (
            <p id={`${pathId}-error`} role="alert" className="mt-1.5 flex items-start gap-1.5 text-sm text-red-700 dark:text-red-400" data-testid="import-error">
              <AlertCircle size={15} className="mt-0.5 shrink-0" aria-hidden />
              <span>
                <span className="font-medium">{error.title}:</span> {error.message}
              </span>
            </p>
          ) : null}
        </div>
        <CodecChoice value={codec} onChange={setCodec} name={`${pathId}-codec`} />
        <div className="flex justify-end">
          <Button type="submit" variant="primary" disabled={!path.trim() || busy}>
            Convert
          </Button>
        </div>
      </form>
      {jobs.length > 0 ? (
        <div className="mt-4 space-y-2" aria-label="Conversions" role="region">
          {jobs.map((j) => (
            <ConvertJobCard key={j.jobId} job={j} />
          ))}
        </div>
      ) : null}
    </section>
  );
}
