export function Stat({ label, value, hint, testId }: { label: string; value: string; hint?: string; testId?: string }) {
  return (
    <div className="rounded-lg border border-zinc-200 px-3 py-2 dark:border-zinc-800">
      <dt className="text-[11px] font-medium uppercase tracking-wide text-zinc-600 dark:text-zinc-400">{label}</dt>
      <dd className="mt-0.5 font-mono text-sm tabular-nums text-zinc-900 dark:text-zinc-100" data-testid={testId} title={hint}>
        {value}
      </dd>
    </div>
  );
}
