// The Hugging Face conventions the app shares with Python's huggingface_hub / transformers, so both
// use one cache and one login: HF_ENDPOINT (a mirror, or the tests' mock hub), HF_HOME / HF_HUB_CACHE
// (the cache), HF_TOKEN or the token `huggingface-cli login` saved in $HF_HOME/token.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** The hub's base URL: $HF_ENDPOINT, else huggingface.co (no trailing slash). */
export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const e = env.HF_ENDPOINT?.trim();
  return (e || DEFAULT_ENDPOINT).replace(/\/+$/, '');
}

/** $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface. */
export function hfHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface');
}

/**
 * The hub cache: $HF_HUB_CACHE, else $HF_HOME/hub — huggingface_hub's rule, which @huggingface/hub's
 * getHFHubCachePath also follows (it would take an empty HF_HUB_CACHE as the current folder; an
 * empty variable counts as unset here, as in Python).
 */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE || join(hfHome(env), 'hub');
}

/** The token `huggingface-cli login` (or `hf auth login`) saved, if any. Read only; never written. */
export function cliToken(env: NodeJS.ProcessEnv = process.env): string | null {
  try {
    const t = readFileSync(env.HF_TOKEN_PATH || join(hfHome(env), 'token'), 'utf8').trim();
    return t || null;
  } catch {
    return null;
  }
}

/** A token saved by the app (desktop: encrypted with the system keychain through Electron's safeStorage). */
export interface TokenStore {
  readonly canSave: boolean;
  get(): string | null;
  set(token: string | null): void;
}

export type TokenSource = 'env' | 'saved' | 'huggingface-cli';

/** The token sent to the hub: HF_TOKEN, else the app's saved one, else the Hugging Face CLI's. */
export function resolveToken(store: TokenStore | null, env: NodeJS.ProcessEnv = process.env): { token: string; source: TokenSource } | null {
  const fromEnv = env.HF_TOKEN?.trim() || env.HUGGING_FACE_HUB_TOKEN?.trim();
  if (fromEnv) return { token: fromEnv, source: 'env' };
  const saved = store?.get();
  if (saved) return { token: saved, source: 'saved' };
  const cli = cliToken(env);
  return cli ? { token: cli, source: 'huggingface-cli' } : null;
}
