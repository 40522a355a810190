// The open conversation: its branch of messages, the replies streaming into it, and the actions a
// person takes on it. The store is composed here; its parts are in ./chat-types.ts (shape),
// ./chat-stream.ts (delta batching, one render per frame), ./chat-replies.ts (starting and
// stopping replies) and ./chat-save.ts (saving per-conversation settings).
import { create } from 'zustand';
import type { ConversationView } from '../../../src-shared/contract';
import { readable } from '../lib/errors';
import { qins } from '../lib/qins';
import { fail, replyActions } from './chat-replies';
import { flushSave, scheduleSave, withUnsaved } from './chat-save';
import { adopt, applyDeltas, endReply, queueDelta, takeDeltas } from './chat-stream';
import type { ChatState } from './chat-types';

export { flushSave } from './chat-save';
export { activeReply } from './chat-stream';
export type { ChatState, Draft, LiveReply } from './chat-types';

/** Applies the deltas received since the last frame in one state update. */
export function flushDeltas(): void {
  const batch = takeDeltas();
  if (batch.length === 0) return;
  useChat.setState((s) => applyDeltas(s, batch, performance.now()));
}

export const useChat = create<ChatState>((set, get) => {
  const setView = (v: ConversationView) => {
    set((s) => (s.conversationId === v.conversation.id ? { conversation: withUnsaved(v.conversation), thread: v.thread, status: 'ready' } : {}));
  };

  return {
    conversationId: null,
    conversation: null,
    thread: [],
    status: 'idle',
    live: {},
    draft: { systemPrompt: '', sampling: { temperature: 0.7, top_p: 0.95, top_k: 40, min_p: 0.05, repetition_penalty: 1.1, max_tokens: 1024, seed: null, stop: [] } },
    usage: null,
    starting: false,
    focusMessageId: null,

    async open(id, options) {
      await flushSave();
      if (id === null) {
        set({ conversationId: null, conversation: null, thread: [], status: 'idle', usage: null, focusMessageId: null });
        return;
      }
      const same = get().conversationId === id && get().status === 'ready';
      set({ conversationId: id, status: same ? 'ready' : 'loading', focusMessageId: options?.focusMessageId ?? null, ...(same ? {} : { conversation: null, thread: [], usage: null }) });
      try {
        let v = await qins.invoke('conversations.get', { id });
        const focus = options?.focusMessageId;
        if (focus && !v.thread.some((t) => t.message.id === focus)) v = await qins.invoke('chat.switchBranch', { conversationId: id, messageId: focus });
        setView(v);
        void get().refreshUsage();
      } catch (e) {
        if (get().conversationId !== id) return;
        if (readable(e).code === 'NOT_FOUND') set({ status: 'missing', conversation: null, thread: [] });
        else {
          set({ status: 'missing' });
          fail(e, 'Could not open the conversation');
        }
      }
    },

    resetDraft(draft) {
      set({ draft });
    },

    ...replyActions(set, get),

    async switchBranch(messageId) {
      const id = get().conversationId;
      if (!id) return;
      try {
        setView(await qins.invoke('chat.switchBranch', { conversationId: id, messageId }));
        void get().refreshUsage();
      } catch (e) {
        fail(e, 'Could not switch branches');
      }
    },

    async deleteMessage(messageId) {
      const id = get().conversationId;
      if (!id) return;
      try {
        setView(await qins.invoke('chat.deleteMessage', { conversationId: id, messageId }));
        void get().refreshUsage();
      } catch (e) {
        fail(e, 'Could not delete the message');
      }
    },

    updateSampling(patch) {
      const c = get().conversation;
      if (c) {
        const sampling = { ...c.sampling, ...patch };
        set({ conversation: { ...c, sampling } });
        scheduleSave(c.id, { sampling });
      } else set((s) => ({ draft: { ...s.draft, sampling: { ...s.draft.sampling, ...patch } } }));
    },
    replaceSampling(sampling) {
      get().updateSampling(sampling);
    },
    updateSystemPrompt(systemPrompt) {
      const c = get().conversation;
      if (c) {
        set({ conversation: { ...c, systemPrompt } });
        scheduleSave(c.id, { systemPrompt }, 600);
      } else set((s) => ({ draft: { ...s.draft, systemPrompt } }));
    },
    applyPreset(preset) {
      const c = get().conversation;
      if (c) {
        set({ conversation: { ...c, systemPrompt: preset.systemPrompt, sampling: preset.sampling } });
        scheduleSave(c.id, { systemPrompt: preset.systemPrompt, sampling: preset.sampling }, 0);
      } else set({ draft: { systemPrompt: preset.systemPrompt, sampling: preset.sampling } });
    },

    async refreshUsage(draft) {
      const id = get().conversationId;
      if (!id) return set({ usage: null });
      try {
        const usage = await qins.invoke('chat.contextUsage', { conversationId: id, ...(draft ? { draft } : {}) });
        if (get().conversationId === id) set({ usage });
      } catch {
        // no model yet: the meter stays empty
      }
    },

    async reloadView() {
      const id = get().conversationId;
      if (!id || get().status !== 'ready') return;
      try {
        setView(await qins.invoke('conversations.get', { id }));
      } catch (e) {
        if (readable(e).code === 'NOT_FOUND' && get().conversationId === id) set({ status: 'missing', conversation: null, thread: [] });
      }
    },

    onEvent(e) {
      if (e.type === 'delta') {
        queueDelta(e, flushDeltas);
        return;
      }
      if (e.type === 'queued') {
        set((s) => {
          const cur = s.live[e.messageId] ?? adopt(s, e, performance.now());
          return { live: { ...s.live, [e.messageId]: { ...cur, queued: e.position } } };
        });
        return;
      }
      // done / error: the stored message replaces the streamed text.
      flushDeltas();
      set((s) => endReply(s, e));
      if (e.type === 'error' && e.error.code !== 'CANCELLED' && get().conversationId === e.conversationId) fail(e.error, 'The reply failed');
      if (get().conversationId === e.conversationId) void get().refreshUsage();
    },

    clearFocus() {
      set({ focusMessageId: null });
    },
  };
});
