// The Hugging Face token (gated and private repos): where the one in use comes from, and in the
// desktop app a field to save one, encrypted by the system keychain. It is never shown again.
import { useEffect, useState } from 'react';
import type { ReadableError } from '../../lib/errors';
import { useHub } from '../../state/hub';
import { Button } from '../ui/Button';

const SOURCE = { env: 'from HF_TOKEN', saved: 'saved in the app (encrypted)', 'huggingface-cli': 'from huggingface-cli login' } as const;

export function HubToken() {
  const token = useHub((s) => s.token);
  const [value, setValue] = useState('');
  const [error, setError] = useState<ReadableError | null>(null);
  useEffect(() => {
    void useHub.getState().refreshToken().catch(() => undefined);
  }, []);
  if (!token) return null;
  const save = async (t: string | null) => {
    const r = await useHub.getState().setToken(t);
    setError(r);
    if (!r) setValue('');
  };
  return (
    <details className="mt-3 text-sm" data-testid="hub-token">
      <summary className="cursor-pointer text-zinc-600 dark:text-zinc-400">Hugging Face token: {token.source ? SOURCE[token.source] : 'none (public models only)'}</summary>
      <div className="mt-2 space-y-2">
        <p className="text-xs text-zinc-600 dark:text-zinc-400">Gated models (Llama, Gemma, …) need you to accept the license on the model page and a read token from huggingface.co/settings/tokens.</p>
        {token.canSave ? (
          <form
            className="flex gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              if (value.trim()) void save(value.trim());
            }}
          >
            <input type="password" aria-label="Hugging Face token" value={value} onChange={(e) => setValue(e.target.value)} placeholder="hf_…" autoComplete="off" className="h-8 min-w-0 flex-1 rounded-md border border-zinc-300 bg-white px-2 font-mono text-sm dark:border-zinc-700 dark:bg-zinc-950" />
            <Button size="sm" type="submit" disabled={!value.trim()}>
              Save
            </Button>
            {token.source === 'saved' ? (
              <Button size="sm" onClick={() => void save(null)}>
                Forget
              </Button>
            ) : null}
          </form>
        ) : (
          <p className="text-xs text-zinc-600 dark:text-zinc-400">Set HF_TOKEN before starting the app, or run huggingface-cli login (the desktop app can also keep one in the system keychain).</p>
        )}
        {error ? (
          <p role="alert" className="text-xs text-red-700 dark:text-red-400">
            {error.message}
          </p>
        ) : null}
      </div>
    </details>
  );
}
