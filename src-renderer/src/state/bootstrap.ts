// Connects the stores to the main process: initial data, then the event streams.
import { qins } from '../lib/qins';
import { useApp } from './app';
import { activeReply, useChat } from './chat';
import { scheduleListRefresh, useConversations } from './conversations';
import { useHub } from './hub';
import { useModels } from './models';

let viewTimer: ReturnType<typeof setTimeout> | undefined;

/** Subscribes to every event the UI reacts to; returns the unsubscribe function. */
export function connectEvents(): () => void {
  const offs = [
    qins.on('chat.event', (e) => useChat.getState().onEvent(e)),
    qins.on('convert.event', (e) => useModels.getState().onConvert(e)),
    qins.on('eval.event', (e) => useModels.getState().onEval(e)),
    qins.on('hub.event', (j) => useHub.getState().onEvent(j)),
    qins.on('model.status', (s) => {
      useModels.getState().setStatus(s);
      if (s.state === 'ready') void useChat.getState().refreshUsage();
    }),
    // A restarted engine host starts empty: load the model again so the chat stays ready.
    qins.on('engine.status', (e) => {
      const m = useModels.getState();
      if (e.state === 'ready' && e.restarts > 0 && m.status.state === 'none' && m.autoLoaded) {
        useModels.setState({ autoLoaded: false });
        void autoLoad();
      }
    }),
    qins.on('models.changed', () => void useModels.getState().refresh().then(autoLoad, () => undefined)),
    qins.on('conversations.changed', ({ conversationId }) => {
      scheduleListRefresh();
      const chat = useChat.getState();
      if (conversationId !== null && conversationId !== chat.conversationId) return;
      // Another window (or the reply that just finished) changed the open conversation.
      clearTimeout(viewTimer);
      viewTimer = setTimeout(() => {
        const c = useChat.getState();
        if (!activeReply(c) && !c.starting) void c.reloadView();
      }, 250);
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}

function autoLoad(): Promise<void> {
  return useModels.getState().autoLoad(useApp.getState().settings?.defaultModelId ?? null);
}

/** Loads what the first screen needs. Failures become notices; the UI stays usable. */
export async function loadInitialData(): Promise<void> {
  const app = useApp.getState();
  const models = useModels.getState();
  const results = await Promise.allSettled([
    app.loadSettings(),
    app.loadPresets(),
    app.loadApi(),
    models.refresh(),
    models.refreshStatus(),
    models.refreshJobs(),
    useHub.getState().refreshJobs(),
    useConversations.getState().refresh(),
  ]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) app.notifyError(failed.reason, 'Could not load everything');
  const settings = useApp.getState().settings;
  if (settings) useChat.getState().resetDraft({ systemPrompt: settings.defaultSystemPrompt, sampling: settings.defaultSampling });
  await autoLoad();
}
