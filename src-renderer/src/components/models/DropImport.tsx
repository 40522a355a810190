// Drag and drop onto the window: an overlay while dragging, then a dialog to choose the codec and
// start the conversion of the dropped checkpoint folder.
import { FolderDown } from 'lucide-react';
import { useEffect, useId, useState } from 'react';
import { acceptsDrag, dropTarget } from '../../lib/drop';
import type { ReadableError } from '../../lib/errors';
import { qins } from '../../lib/qins';
import { useApp } from '../../state/app';
import { useModels } from '../../state/models';
import { Button } from '../ui/Button';
import { Dialog } from '../ui/Dialog';
import { CodecChoice, type ImportChoice } from './CodecChoice';
import { sourceName } from './ConvertJobCard';

export function DropImport() {
  const [dragging, setDragging] = useState(false);
  const [path, setPath] = useState<string | null>(null);
  const [codec, setCodec] = useState<ImportChoice>('qins8');
  const [error, setError] = useState<ReadableError | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  useEffect(() => {
    let depth = 0;
    const types = (e: DragEvent) => [...(e.dataTransfer?.types ?? [])];
    const onEnter = (e: DragEvent) => {
      if (!acceptsDrag(types(e))) return;
      e.preventDefault();
      depth += 1;
      setDragging(true);
    };
    const onOver = (e: DragEvent) => {
      if (!acceptsDrag(types(e))) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const onLeave = () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const onDrop = (e: DragEvent) => {
      depth = 0;
      setDragging(false);
      if (!e.dataTransfer) return;
      // Text dropped into a text box is ordinary editing.
      const target = e.target as HTMLElement | null;
      if (target?.closest('textarea, input') && ![...e.dataTransfer.types].includes('Files')) return;
      e.preventDefault();
      const t = dropTarget(e.dataTransfer, qins);
      if (t.kind === 'path') {
        setPath(t.path);
        setError(null);
      } else if (t.kind === 'no-path') {
        useApp.getState().navigate({ view: 'models' });
        useApp.getState().notify({
          kind: 'info',
          title: `The browser does not reveal where “${t.name}” is`,
          message: 'Enter the folder path under Add a model (the desktop app takes drops directly).',
        });
      }
    };
    window.addEventListener('dragenter', onEnter);
    window.addEventListener('dragover', onOver);
    window.addEventListener('dragleave', onLeave);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragenter', onEnter);
      window.removeEventListener('dragover', onOver);
      window.removeEventListener('dragleave', onLeave);
      window.removeEventListener('drop', onDrop);
    };
  }, []);

  const convert = async () => {
    if (!path) return;
    setBusy(true);
    const r = await useModels.getState().importModel(path, codec);
    setBusy(false);
    if (!('jobId' in r)) {
      setError(r);
      return;
    }
    setPath(null);
    useApp.getState().navigate({ view: 'models' });
  };

  return (
    <>
      {dragging ? (
        <div className="pointer-events-none fixed inset-0 z-50 grid place-items-center bg-indigo-600/10 p-6 backdrop-blur-[1px]" aria-hidden>
          <div className="grid place-items-center gap-3 rounded-3xl border-2 border-dashed border-indigo-500 bg-white/90 px-16 py-12 text-center shadow-2xl dark:bg-zinc-900/90">
            <FolderDown size={36} className="text-indigo-600 dark:text-indigo-400" />
            <p className="text-lg font-semibold">Drop a checkpoint folder</p>
            <p className="text-sm text-zinc-600 dark:text-zinc-400">It will be converted into a compressed .qins model.</p>
          </div>
        </div>
      ) : null}
      <Dialog
        open={path !== null}
        onClose={() => {
          setPath(null);
          setError(null);
        }}
        title={path ? `Convert ${sourceName(path)}` : 'Convert'}
        description={<span className="font-mono text-xs break-all">{path}</span>}
        className="w-[min(40rem,calc(100vw-2rem))]"
        footer={
          <>
            <Button onClick={() => setPath(null)}>Cancel</Button>
            <Button variant="primary" onClick={() => void convert()} disabled={busy} data-autofocus>
              Convert
            </Button>
          </>
        }
      >
        <CodecChoice value={codec} onChange={setCodec} name={`${id}-codec`} columns={2} />
        {error ? (
          <p role="alert" className="mt-3 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-500/10 dark:text-red-300" data-testid="drop-error">
            <span className="font-medium">{error.title}:</span> {error.message}
          </p>
        ) : null}
      </Dialog>
    </>
  );
}
