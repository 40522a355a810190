// The model of the chat header: what is loaded (or loading), and a menu to switch.
import { Check, ChevronDown, Cpu, Loader2, Settings2 } from 'lucide-react';
import { cn } from '../../lib/cn';
import { formatBytes } from '../../lib/format';
import { useApp } from '../../state/app';
import { useChat } from '../../state/chat';
import { useModels } from '../../state/models';
import { Menu, type MenuItem } from '../ui/Menu';
import { qins } from '../../lib/qins';
import { ortLabel } from './ModelCard';

/** Loads a model and makes it the open conversation's model (its next reply uses it). */
export async function switchModel(id: string): Promise<void> {
  const ok = await useModels.getState().load(id);
  const status = useModels.getState().status;
  if (!ok) {
    useApp.getState().notify({ kind: 'error', title: 'Could not load the model', message: status.error ?? undefined });
    return;
  }
  const c = useChat.getState().conversation;
  const loaded = status.loaded;
  if (c && loaded && c.modelId !== loaded.modelId) {
    await qins.invoke('conversations.update', { id: c.id, patch: { modelId: loaded.modelId, modelName: loaded.name } }).catch(() => undefined);
  }
}

export function ModelPicker() {
  const models = useModels((s) => s.models);
  const status = useModels((s) => s.status);
  const navigate = useApp((s) => s.navigate);
  const loaded = status.state === 'ready' ? status.loaded : null;
  const loading = status.state === 'loading' ? models.find((m) => m.id === status.loadingId) : undefined;

  const items: MenuItem[] = models
    .filter((m) => !m.missing)
    .map((m) => ({
      id: m.id,
      label: m.name + (m.codec !== loaded?.codec || models.filter((o) => o.name === m.name).length > 1 ? ` (${m.engine === 'ort' ? ortLabel(m.codec) : m.codec})` : ''),
      hint: formatBytes(m.fileBytes),
      icon: m.id === loaded?.modelId ? <Check size={14} aria-hidden /> : <span className="w-3.5" aria-hidden />,
      onSelect: () => void switchModel(m.id),
    }));
  items.push({ label: 'Manage models…', icon: <Settings2 size={14} aria-hidden />, onSelect: () => navigate({ view: 'models' }) });

  const text = loading ? `Loading ${loading.name}…` : loaded ? loaded.name : status.state === 'error' ? 'Model failed to load' : models.length ? 'Choose a model' : 'No model yet';

  return (
    <Menu
      label="Models"
      align="start"
      items={items}
      trigger={(props) => (
        <button
          {...props}
          type="button"
          title={status.error ?? undefined}
          className={cn(
            'inline-flex h-8 max-w-[22rem] items-center gap-2 rounded-lg border px-2.5 text-sm transition-colors',
            status.state === 'error'
              ? 'border-red-300 text-red-700 dark:border-red-500/40 dark:text-red-300'
              : 'border-zinc-200 text-zinc-800 hover:bg-zinc-50 dark:border-zinc-800 dark:text-zinc-200 dark:hover:bg-zinc-900',
          )}
          data-testid="model-picker"
        >
          {loading ? <Loader2 size={14} className="animate-spin" aria-hidden /> : <Cpu size={14} className="text-zinc-500" aria-hidden />}
          <span className="truncate font-medium">
            <span className="sr-only">Model: </span>
            {text}
          </span>
          {loaded?.engine === 'ort' ? (
            <span className="rounded bg-amber-50 px-1.5 py-px text-[11px] text-amber-800 dark:bg-amber-500/15 dark:text-amber-300">ORT</span>
          ) : loaded?.codec ? (
            <span className="rounded bg-indigo-50 px-1.5 py-px font-mono text-[11px] text-indigo-700 dark:bg-indigo-500/15 dark:text-indigo-300">{loaded.codec}</span>
          ) : null}
          <ChevronDown size={14} className="text-zinc-500" aria-hidden />
        </button>
      )}
    />
  );
}
