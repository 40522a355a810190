// Presets: named system prompt + sampling combinations, applied to the open conversation.
import { Save, Trash2 } from 'lucide-react';
import { useId, useState } from 'react';
import type { Preset, SamplingSettings } from '../../../../src-shared/contract';
import { qins } from '../../lib/qins';
import { samplingEqual } from '../../lib/sampling';
import { useApp } from '../../state/app';
import { confirm } from '../../state/confirm';
import { Button, IconButton } from '../ui/Button';
import { Dialog } from '../ui/Dialog';

export function matchingPreset(presets: Preset[], systemPrompt: string, sampling: SamplingSettings): Preset | null {
  return presets.find((p) => p.systemPrompt === systemPrompt && samplingEqual(p.sampling, sampling)) ?? null;
}

export function PresetPicker({ systemPrompt, sampling, onApply }: { systemPrompt: string; sampling: SamplingSettings; onApply: (p: Preset) => void }) {
  const presets = useApp((s) => s.presets);
  const current = matchingPreset(presets, systemPrompt, sampling);
  const [saving, setSaving] = useState(false);
  const [name, setName] = useState('');
  const selectId = useId();

  const save = async () => {
    const trimmed = name.trim();
    if (!trimmed) return;
    const existing = presets.find((p) => p.name === trimmed);
    try {
      await qins.invoke('presets.save', { ...(existing ? { id: existing.id } : {}), name: trimmed, systemPrompt, sampling });
      await useApp.getState().loadPresets();
      setSaving(false);
      useApp.getState().notify({ kind: 'success', title: existing ? `Preset “${trimmed}” updated` : `Preset “${trimmed}” saved` });
    } catch (e) {
      useApp.getState().notifyError(e, 'Could not save the preset');
    }
  };

  const remove = async (p: Preset) => {
    if (!(await confirm({ title: `Delete the preset “${p.name}”?`, description: 'Conversations that use its settings keep them.', confirmLabel: 'Delete' }))) return;
    try {
      await qins.invoke('presets.delete', { id: p.id });
      await useApp.getState().loadPresets();
    } catch (e) {
      useApp.getState().notifyError(e, 'Could not delete the preset');
    }
  };

  return (
    <section className="space-y-1.5">
      <label htmlFor={selectId} className="text-xs font-semibold tracking-wide text-zinc-600 uppercase dark:text-zinc-400">
        Preset
      </label>
      <div className="flex items-center gap-1.5">
        <select
          id={selectId}
          value={current?.id ?? ''}
          onChange={(e) => {
            const p = presets.find((x) => x.id === e.target.value);
            if (p) onApply(p);
          }}
          className="h-8 min-w-0 flex-1 rounded-md border border-zinc-300 bg-white px-2 text-sm dark:border-zinc-700 dark:bg-zinc-900"
        >
          <option value="">{presets.length ? 'Custom' : 'No presets yet'}</option>
          {presets.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
        <IconButton
          label="Save as preset"
          size="sm"
          onClick={() => {
            setName(current?.name ?? '');
            setSaving(true);
          }}
        >
          <Save size={15} aria-hidden />
        </IconButton>
        {current ? (
          <IconButton label={`Delete preset ${current.name}`} size="sm" onClick={() => void remove(current)}>
            <Trash2 size={15} aria-hidden />
          </IconButton>
        ) : null}
      </div>
      <Dialog
        open={saving}
        onClose={() => setSaving(false)}
        title="Save as preset"
        description="Keeps this system prompt and these sampling settings under a name. Using an existing name updates that preset."
        footer={
          <>
            <Button onClick={() => setSaving(false)}>Cancel</Button>
            <Button variant="primary" disabled={!name.trim()} onClick={() => void save()}>
              Save preset
            </Button>
          </>
        }
      >
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <label className="block text-sm font-medium">
            Name
            <input
              data-autofocus
              value={name}
              maxLength={200}
              onChange={(e) => setName(e.target.value)}
              className="mt-1 block h-9 w-full rounded-lg border border-zinc-300 bg-white px-3 text-sm dark:border-zinc-700 dark:bg-zinc-950"
              placeholder="e.g. Precise, Creative writing"
            />
          </label>
        </form>
      </Dialog>
    </section>
  );
}
