// Models: add one (drop or path, codec, progress; from Hugging Face; from the local HF cache), and the library.
import { Menu as MenuIcon } from 'lucide-react';
import { IconButton } from '../components/ui/Button';
import { HubCachePanel } from '../components/models/HubCachePanel';
import { HubPanel } from '../components/models/HubPanel';
import { ImportPanel } from '../components/models/ImportPanel';
import { ModelCard } from '../components/models/ModelCard';
import { formatBytes } from '../lib/format';
import { useApp } from '../state/app';
import { useModels } from '../state/models';

export function ModelsRoute({ showSidebarToggle }: { showSidebarToggle: boolean }) {
  const models = useModels((s) => s.models);
  const listed = useModels((s) => s.listed);
  const total = models.reduce((n, m) => n + m.fileBytes, 0);
  const sorted = [...models].sort((a, b) => Number(b.builtin) - Number(a.builtin) || a.addedAt - b.addedAt);
  return (
    <main className="flex min-w-0 flex-1 flex-col" aria-label="Models">
      <header className="flex h-14 shrink-0 items-center gap-2 border-b border-zinc-200 px-4 dark:border-zinc-800">
        {showSidebarToggle ? (
          <IconButton label="Show conversations" onClick={() => useApp.getState().setSidebarOpen(true)}>
            <MenuIcon size={18} aria-hidden />
          </IconButton>
        ) : null}
        <h1 className="text-sm font-semibold">Models</h1>
        <span className="text-xs text-zinc-600 dark:text-zinc-400">
          {models.length} in the library · {formatBytes(total)}
        </span>
      </header>
      <div className="min-h-0 flex-1 overflow-y-auto">
        <div className="mx-auto max-w-5xl space-y-6 p-4 sm:p-6">
          <ImportPanel />
          <HubPanel />
          <HubCachePanel />
          <section aria-labelledby="library-heading">
            <h2 id="library-heading" className="mb-3 text-base font-semibold">
              Library
            </h2>
            {listed && models.length === 0 ? (
              <p className="rounded-xl border border-dashed border-zinc-300 p-6 text-center text-sm text-zinc-600 dark:border-zinc-700 dark:text-zinc-400">No models yet. Add one above.</p>
            ) : (
              <ul className="space-y-3" aria-label="Library">
                {sorted.map((m) => (
                  <ModelCard key={m.id} model={m} />
                ))}
              </ul>
            )}
          </section>
        </div>
      </div>
    </main>
  );
}
