// The right-hand panel of a chat: preset, system prompt, sampling and the context policy, all for
// the open conversation (or the one the first message will create).
import { useId } from 'react';
import { useApp } from '../../state/app';
import { useChat } from '../../state/chat';
import { useModels } from '../../state/models';
import { Segmented } from '../ui/Segmented';
import { PresetPicker } from './PresetPicker';
import { SamplingPanel } from './SamplingPanel';

export function ChatSettings() {
  const conversation = useChat((s) => s.conversation);
  const draft = useChat((s) => s.draft);
  const defaults = useModels((s) => (s.status.state === 'ready' ? (s.status.loaded?.defaults ?? null) : null));
  const policy = useApp((s) => s.settings?.contextPolicy ?? 'drop-oldest');
  const promptId = useId();
  const systemPrompt = conversation?.systemPrompt ?? draft.systemPrompt;
  const sampling = conversation?.sampling ?? draft.sampling;
  const chat = useChat.getState;

  return (
    <div className="space-y-6">
      <PresetPicker systemPrompt={systemPrompt} sampling={sampling} onApply={(p) => chat().applyPreset(p)} />
      <section className="space-y-1.5">
        <label htmlFor={promptId} className="text-xs font-semibold tracking-wide text-zinc-600 uppercase dark:text-zinc-400">
          System prompt
        </label>
        <textarea
          id={promptId}
          value={systemPrompt}
          onChange={(e) => chat().updateSystemPrompt(e.target.value)}
          rows={4}
          placeholder="How the assistant should behave in this conversation, e.g. “Answer briefly.”"
          className="block w-full resize-y rounded-lg border border-zinc-300 bg-white px-3 py-2 text-sm leading-relaxed placeholder:text-zinc-500 dark:border-zinc-700 dark:bg-zinc-900"
        />
        <p className="text-[11px] text-zinc-600 dark:text-zinc-400">{conversation ? 'Saved with this conversation.' : 'Used by the conversation your next message starts.'}</p>
      </section>
      <SamplingPanel sampling={sampling} defaults={defaults} onChange={(patch) => chat().updateSampling(patch)} />
      <section className="space-y-1.5">
        <h3 className="text-xs font-semibold tracking-wide text-zinc-600 uppercase dark:text-zinc-400">When the context is full</h3>
        <Segmented
          label="Context policy"
          value={policy}
          onChange={(v) => void useApp.getState().updateSettings({ contextPolicy: v })}
          options={[
            { value: 'drop-oldest', label: 'Drop oldest' },
            { value: 'stop', label: 'Stop' },
          ]}
        />
        <p className="text-[11px] text-zinc-600 dark:text-zinc-400">
          {policy === 'stop' ? 'Generation stops and tells you when the conversation no longer fits.' : 'The oldest turns after the system prompt are left out to make room.'} Applies to every chat.
        </p>
      </section>
    </div>
  );
}
