// A new conversation: the first-run setup of the built-in model while it converts, then the model
// and a few example prompts (a click sends one).
import { BookOpen, Cpu, Feather, Hand, Loader2, Sparkles } from 'lucide-react';
import { useApp } from '../../state/app';
import { useChat } from '../../state/chat';
import { useModels } from '../../state/models';
import { formatBytes, formatParams, formatRatio } from '../../lib/format';
import { ConvertJobCard } from '../models/ConvertJobCard';
import { Button } from '../ui/Button';

export const EXAMPLE_PROMPTS = [
  { icon: BookOpen, title: 'Define a word', prompt: 'What does "harbor" mean?' },
  { icon: Hand, title: 'Say hello', prompt: 'Hello! Who are you?' },
  { icon: Feather, title: 'Tell a story', prompt: 'Tell me a short story about a lighthouse keeper.' },
  { icon: Sparkles, title: 'Explain an idea', prompt: 'Explain in simple words why smaller numbers make a model faster.' },
] as const;

/** Converts the model that ships with the app (what the first run does), e.g. after it failed. */
async function setUpBuiltin(assets: string): Promise<void> {
  const sep = assets.includes('\\') && !assets.includes('/') ? '\\' : '/';
  const r = await useModels.getState().importModel([assets, 'models', 'tiny-phi3-chat'].join(sep), 'qins8');
  if (!('jobId' in r)) useApp.getState().notifyError(r, 'Could not set up the built-in model');
}

export function EmptyChat() {
  const jobs = useModels((s) => s.jobs);
  const models = useModels((s) => s.models);
  const listed = useModels((s) => s.listed);
  const status = useModels((s) => s.status);
  const starting = useChat((s) => s.starting);
  const navigate = useApp((s) => s.navigate);
  const assets = useApp((s) => s.info?.paths.assets ?? null);

  const firstRun = jobs.find((j) => j.builtin || models.length === 0);
  const loaded = status.state === 'ready' ? status.loaded : null;
  const loadedRecord = models.find((m) => m.id === loaded?.modelId) ?? null;
  const loadingName = status.state === 'loading' ? (models.find((m) => m.id === status.loadingId)?.name ?? 'the model') : null;
  const ready = models.some((m) => !m.missing) || loaded !== null;

  return (
    <div className="flex min-h-0 flex-1 overflow-y-auto">
      <div className="m-auto w-full max-w-2xl px-6 py-10">
        <div className="mb-8 text-center">
          <div className="mx-auto mb-4 grid h-12 w-12 place-items-center rounded-2xl bg-gradient-to-br from-indigo-500 to-violet-600 text-lg font-bold text-white shadow-lg shadow-indigo-500/20" aria-hidden>
            Q
          </div>
          <h2 className="text-2xl font-semibold tracking-tight">{firstRun ? 'Setting up your first model' : 'What shall we talk about?'}</h2>
          <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">
            {firstRun
              ? 'The built-in model is being converted into a compressed .qins file. This happens once, on this machine.'
              : 'Everything runs on this computer: the model, your conversations and your settings never leave it.'}
          </p>
        </div>

        {firstRun ? <ConvertJobCard job={firstRun} className="mb-6 shadow-sm" /> : null}

        {loadingName ? (
          <div className="mb-6 flex items-center justify-center gap-2 text-sm text-zinc-600 dark:text-zinc-400" role="status">
            <Loader2 size={16} className="animate-spin" aria-hidden />
            Loading {loadingName}…
          </div>
        ) : null}

        {loaded ? (
          <div className="mb-6 flex flex-wrap items-center justify-center gap-x-2 gap-y-1 text-xs text-zinc-600 dark:text-zinc-400" data-testid="empty-model">
            <Cpu size={14} aria-hidden />
            <span className="font-medium text-zinc-800 dark:text-zinc-200">{loaded.name}</span>
            <span>· {loaded.codec ?? loaded.engine}</span>
            <span>· {formatParams(loaded.params)} parameters</span>
            {loadedRecord ? (
              <span>
                · {formatBytes(loadedRecord.fileBytes)} ({formatRatio(loaded.fp32Bytes, loadedRecord.fileBytes)} smaller than FP32)
              </span>
            ) : null}
          </div>
        ) : null}

        {!firstRun && listed && !ready ? (
          <div className="rounded-xl border border-dashed border-zinc-300 p-6 text-center dark:border-zinc-700">
            <p className="text-sm text-zinc-700 dark:text-zinc-300">No model in the library yet. Convert a HuggingFace checkpoint to start chatting.</p>
            <div className="mt-3 flex flex-wrap justify-center gap-2">
              {assets ? (
                <Button variant="primary" onClick={() => void setUpBuiltin(assets)}>
                  Set up the built-in model
                </Button>
              ) : null}
              <Button onClick={() => navigate({ view: 'models' })}>Add a model</Button>
            </div>
          </div>
        ) : (
          <ul className="grid gap-3 sm:grid-cols-2" aria-label="Example prompts">
            {EXAMPLE_PROMPTS.map(({ icon: Icon, title, prompt }) => (
              <li key={prompt} className="flex">
              <button
                type="button"
                disabled={!ready || starting}
                onClick={() => void useChat.getState().send(prompt)}
                className="group flex w-full items-start gap-3 rounded-xl border border-zinc-200 bg-white p-3.5 text-left shadow-xs transition hover:border-indigo-300 hover:shadow-sm disabled:cursor-not-allowed disabled:opacity-50 dark:border-zinc-800 dark:bg-zinc-900 dark:hover:border-indigo-500/50"
              >
                <Icon size={18} className="mt-0.5 shrink-0 text-indigo-600 dark:text-indigo-400" aria-hidden />
                <span>
                  <span className="block text-sm font-medium">{title}</span>
                  <span className="mt-0.5 block text-sm text-zinc-600 dark:text-zinc-400">{prompt}</span>
                </span>
              </button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
