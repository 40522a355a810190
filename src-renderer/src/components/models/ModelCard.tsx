// One model of the library: what it is, how small it is against FP32, its measured quality, and
// the actions (load, measure quality, rename, delete).
import { Check, Gauge, Loader2, MoreHorizontal, Pencil, Trash2 } from 'lucide-react';
import { useState } from 'react';
import type { ModelInfo } from '../../../../src-shared/contract';
import { cn } from '../../lib/cn';
import { formatBytes, formatChange, formatParams, formatRatio } from '../../lib/format';
import { useApp } from '../../state/app';
import { confirm } from '../../state/confirm';
import { qins } from '../../lib/qins';
import { useModels } from '../../state/models';
import { Badge } from '../ui/Badge';
import { Button } from '../ui/Button';
import { Menu } from '../ui/Menu';
import { Progress } from '../ui/Progress';
import { ContextLength } from './ContextLength';
import { switchModel } from './ModelPicker';

function Fact({ label, value, hint }: { label: string; value: React.ReactNode; hint?: string }) {
  return (
    <div title={hint}>
      <dt className="text-[11px] font-medium text-zinc-600 dark:text-zinc-400">{label}</dt>
      <dd className="mt-0.5 text-sm text-zinc-900 tabular-nums dark:text-zinc-100">{value}</dd>
    </div>
  );
}

/** How the model list names a model ONNX Runtime runs. */
export const ortLabel = (codec: string): string => `ORT ${codec === 'f32' ? 'FP32' : codec === 'q4' ? 'int4' : codec}`;

export function compressionVsFp32(m: Pick<ModelInfo, 'params' | 'fileBytes'>): string {
  return formatRatio(m.params * 4, m.fileBytes);
}

export function ModelCard({ model }: { model: ModelInfo }) {
  const status = useModels((s) => s.status);
  const evaluation = useModels((s) => s.evals[model.id]);
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(model.name);
  const loaded = status.state === 'ready' && status.loaded?.modelId === model.id;
  const loading = status.state === 'loading' && status.loadingId === model.id;
  const q = model.quality;

  const measure = async () => {
    const err = await useModels.getState().evaluate(model.id);
    if (err) useApp.getState().notifyError(err, 'Could not measure quality');
  };
  const remove = async () => {
    const ok = await confirm({
      title: `Delete ${model.name}?`,
      description: model.path.startsWith(useApp.getState().info?.paths.models ?? '\0')
        ? `Its .qins file (${formatBytes(model.fileBytes)}) is deleted from the disk.`
        : `It leaves the library; the file stays where it is (${model.path}).`,
      confirmLabel: 'Delete model',
    });
    if (!ok) return;
    try {
      await useModels.getState().remove(model.id);
    } catch (e) {
      useApp.getState().notifyError(e, 'Could not delete the model');
    }
  };
  const saveName = async () => {
    setRenaming(false);
    const n = name.trim();
    if (!n || n === model.name) return setName(model.name);
    try {
      await useModels.getState().rename(model.id, n);
    } catch (e) {
      setName(model.name);
      useApp.getState().notifyError(e, 'Could not rename the model');
    }
  };

  return (
    <li
      aria-label={model.name}
      className={cn(
        'rounded-2xl border bg-white p-4 shadow-xs dark:bg-zinc-900/60',
        loaded ? 'border-indigo-300 ring-1 ring-indigo-200 dark:border-indigo-500/50 dark:ring-indigo-500/20' : 'border-zinc-200 dark:border-zinc-800',
      )}
    >
      <div className="flex flex-wrap items-start gap-3">
        <div className="min-w-0 flex-1">
          {renaming ? (
            <input
              aria-label="Model name"
              autoFocus
              value={name}
              onChange={(e) => setName(e.target.value)}
              onBlur={() => void saveName()}
              onKeyDown={(e) => {
                if (e.key === 'Enter') void saveName();
                if (e.key === 'Escape') {
                  e.stopPropagation();
                  setName(model.name);
                  setRenaming(false);
                }
              }}
              className="h-8 w-full max-w-sm rounded-md border border-indigo-400 bg-white px-2 text-sm dark:bg-zinc-950"
            />
          ) : (
            <h3 className="flex flex-wrap items-center gap-2 text-[15px] font-semibold">
              <span className="truncate">{model.name}</span>
              {model.engine === 'ort' ? (
                <Badge tone="amber" title="Run by ONNX Runtime: the reference the QINS engine is measured against">
                  {ortLabel(model.codec)}
                </Badge>
              ) : (
                <Badge tone="indigo" className="font-mono">
                  {model.codec}
                </Badge>
              )}
              {model.builtin ? <Badge>built-in</Badge> : null}
              {loaded ? (
                <Badge tone="emerald">
                  <Check size={11} aria-hidden /> loaded
                </Badge>
              ) : null}
              {model.missing ? <Badge tone="red">file missing</Badge> : null}
            </h3>
          )}
          <p className="mt-0.5 truncate font-mono text-[11px] text-zinc-500 dark:text-zinc-400" title={model.path}>
            {model.path}
          </p>
        </div>
        <div className="flex items-center gap-1.5">
          {loaded ? null : (
            <Button size="sm" variant={loading ? 'subtle' : 'primary'} disabled={loading || model.missing} onClick={() => void switchModel(model.id)}>
              {loading ? <Loader2 size={13} className="animate-spin" aria-hidden /> : null}
              {loading ? 'Loading…' : 'Load'}
            </Button>
          )}
          <Button size="sm" onClick={() => void measure()} disabled={Boolean(evaluation && !evaluation.error) || model.missing}>
            <Gauge size={13} aria-hidden />
            Measure quality
          </Button>
          <Menu
            label={`${model.name} actions`}
            items={[
              { label: 'Rename', icon: <Pencil size={14} aria-hidden />, onSelect: () => setRenaming(true) },
              { label: 'Delete', icon: <Trash2 size={14} aria-hidden />, danger: true, onSelect: () => void remove() },
            ]}
            trigger={(props) => (
              <button
                {...props}
                type="button"
                aria-label="Model options"
                className="grid h-7 w-7 place-items-center rounded-md text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800"
              >
                <MoreHorizontal size={16} aria-hidden />
              </button>
            )}
          />
        </div>
      </div>
      <dl className="mt-3 grid grid-cols-2 gap-x-4 gap-y-2.5 sm:grid-cols-4 xl:grid-cols-7">
        <Fact label="Architecture" value={model.architecture} />
        <Fact label="Parameters" value={formatParams(model.params)} hint={model.params.toLocaleString('en-US')} />
        <Fact label={model.engine === 'ort' ? 'Engine' : 'Codec'} value={model.engine === 'ort' ? ortLabel(model.codec) : <span className="font-mono">{model.codec}</span>} />
        <Fact label="Bits/weight" value={model.bitsPerWeight !== null ? model.bitsPerWeight.toFixed(2) : '—'} />
        <Fact label="File size" value={formatBytes(model.fileBytes)} hint={`${model.fileBytes.toLocaleString('en-US')} bytes`} />
        <Fact
          label="vs FP32"
          value={<span data-testid="model-compression">{compressionVsFp32(model)} smaller</span>}
          hint={`FP32 would take ${formatBytes(model.params * 4)} (parameters × 4)`}
        />
        <Fact
          label="Perplexity"
          value={
            q ? (
              <span data-testid="model-quality">
                {q.ppl.toFixed(2)}
                {q.referencePpl ? (
                  <span className={cn('ml-1.5 text-xs', q.ppl - q.referencePpl > q.referencePpl * 0.05 ? 'text-amber-700 dark:text-amber-400' : 'text-emerald-700 dark:text-emerald-400')}>
                    {formatChange(q.ppl, q.referencePpl)}
                  </span>
                ) : null}
              </span>
            ) : (
              <span className="text-zinc-500 dark:text-zinc-400">not measured</span>
            )
          }
          hint={q ? `${q.tokens.toLocaleString('en-US')} tokens of the bundled eval text${q.referencePpl ? `; unquantized weights: ${q.referencePpl.toFixed(2)}` : ''}` : 'Measure quality runs perplexity on the bundled eval text'}
        />
      </dl>
      <ContextLength model={model} />
      {evaluation ? (
        evaluation.error ? (
          <p role="alert" className="mt-3 text-sm text-red-700 dark:text-red-400">
            {evaluation.error.title}: {evaluation.error.message}
          </p>
        ) : (
          <div className="mt-3" data-testid="eval-progress">
            <div className="mb-1 flex justify-between text-xs text-zinc-600 dark:text-zinc-400">
              <span>Measuring perplexity{evaluation.stage === 'reference' ? ' of the unquantized weights' : evaluation.stage === 'preparing reference' ? ': preparing the unquantized reference' : ''}…</span>
              <span className="tabular-nums">{evaluation.total > 0 ? `${evaluation.done}/${evaluation.total} windows` : ''}</span>
            </div>
            <div className="flex items-center gap-2">
              <div className="min-w-0 flex-1">
                <Progress value={evaluation.total > 0 ? evaluation.done / evaluation.total : null} label={`Measuring ${model.name}`} tone="emerald" />
              </div>
              <Button size="sm" variant="ghost" onClick={() => void qins.invoke('models.cancelEvaluate', { jobId: evaluation.jobId }).catch(() => undefined)}>
                Cancel
              </Button>
            </div>
          </div>
        )
      ) : null}
    </li>
  );
}
