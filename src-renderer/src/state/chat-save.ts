// Saving a conversation's own settings (sampling, system prompt): debounced, and laid over views
// fetched before the save is confirmed.
import type { Conversation, SamplingSettings } from '../../../src-shared/contract';
import { qins } from '../lib/qins';
import { useApp } from './app';

type SettingsPatch = { sampling?: SamplingSettings; systemPrompt?: string };
let saveTimer: ReturnType<typeof setTimeout> | undefined;
let savePatch: { id: string; patch: SettingsPatch } | null = null;
/** Patches sent but not yet confirmed: a view fetched meanwhile may predate them. */
const inflight: Array<{ id: string; patch: SettingsPatch }> = [];

/** The conversation as fetched, with the changes not yet saved (or not yet confirmed) on top. */
export function withUnsaved(c: Conversation): Conversation {
  let out = c;
  for (const p of [...inflight, ...(savePatch ? [savePatch] : [])]) if (p.id === c.id) out = { ...out, ...p.patch };
  return out;
}

export function scheduleSave(id: string, patch: { sampling?: SamplingSettings; systemPrompt?: string }, delayMs = 350): void {
  if (savePatch && savePatch.id !== id) void flushSave();
  savePatch = { id, patch: { ...(savePatch?.id === id ? savePatch.patch : {}), ...patch } };
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => void flushSave(), delayMs);
}

/** Writes the pending settings change now (before leaving a conversation, or on a timer). */
export async function flushSave(): Promise<void> {
  clearTimeout(saveTimer);
  const job = savePatch;
  savePatch = null;
  if (!job) return;
  inflight.push(job);
  try {
    await qins.invoke('conversations.update', { id: job.id, patch: job.patch });
  } catch (e) {
    useApp.getState().notifyError(e, 'Could not save the conversation settings');
  } finally {
    inflight.splice(inflight.indexOf(job), 1);
  }
}
