// The actions that start or stop a reply in the open conversation: send, regenerate, reply,
// continue, edit, stop. Each saves pending settings first and shows the reply as it starts.
import type { StoreApi } from 'zustand';
import type { ChatStarted } from '../../../src-shared/contract';
import { qins } from '../lib/qins';
import { useApp } from './app';
import { flushSave } from './chat-save';
import { activeReply } from './chat-stream';
import type { ChatState, LiveReply } from './chat-types';

type Set = StoreApi<ChatState>['setState'];
type Get = StoreApi<ChatState>['getState'];
type ReplyActions = Pick<ChatState, 'send' | 'regenerate' | 'reply' | 'continueReply' | 'edit' | 'stop'>;

export const fail = (e: unknown, title: string) => {
  useApp.getState().notifyError(e, title);
};

export function replyActions(set: Set, get: Get): ReplyActions {
  const started = (r: ChatStarted, base = '') => {
    set((s) => {
      if (s.conversationId !== r.conversationId) return {};
      const existing = s.live[r.assistantMessageId];
      const live: LiveReply = existing ?? {
        jobId: r.jobId,
        conversationId: r.conversationId,
        messageId: r.assistantMessageId,
        base,
        text: '',
        tokens: 0,
        queued: null,
        startedAt: performance.now(),
        firstTokenAt: null,
      };
      return { thread: r.thread, live: { ...s.live, [r.assistantMessageId]: { ...live, base, jobId: r.jobId } } };
    });
  };

  return {
    async send(content) {
      const text = content.trim();
      if (!text || get().starting) return false;
      set({ starting: true });
      try {
        let id = get().conversationId;
        if (!id) {
          const { draft } = get();
          const v = await qins.invoke('conversations.create', { systemPrompt: draft.systemPrompt, sampling: draft.sampling });
          id = v.conversation.id;
          set({ conversationId: id, conversation: v.conversation, thread: v.thread, status: 'ready' });
          useApp.getState().navigate({ view: 'chat', conversationId: id }, { replace: true });
        }
        await flushSave();
        started(await qins.invoke('chat.send', { conversationId: id, content: text }));
        return true;
      } catch (e) {
        fail(e, 'Could not send the message');
        return false;
      } finally {
        set({ starting: false });
      }
    },

    async regenerate(messageId) {
      const id = get().conversationId;
      if (!id || get().starting) return;
      set({ starting: true });
      try {
        await flushSave();
        started(await qins.invoke('chat.regenerate', { conversationId: id, messageId }));
      } catch (e) {
        fail(e, 'Could not regenerate the reply');
      } finally {
        set({ starting: false });
      }
    },

    async reply(messageId) {
      const id = get().conversationId;
      if (!id || get().starting) return;
      set({ starting: true });
      try {
        await flushSave();
        started(await qins.invoke('chat.reply', { conversationId: id, messageId }));
      } catch (e) {
        fail(e, 'Could not start a reply');
      } finally {
        set({ starting: false });
      }
    },

    async continueReply(messageId) {
      const id = get().conversationId;
      if (!id || get().starting) return;
      const base = get().thread.find((t) => t.message.id === messageId)?.message.content ?? '';
      set({ starting: true });
      try {
        await flushSave();
        const r = await qins.invoke('chat.continue', { conversationId: id, messageId });
        started(r, r.thread.find((t) => t.message.id === messageId)?.message.content ?? base);
      } catch (e) {
        fail(e, 'Could not continue the reply');
      } finally {
        set({ starting: false });
      }
    },

    async edit(messageId, content) {
      const id = get().conversationId;
      const text = content.trim();
      if (!id || !text || get().starting) return false;
      set({ starting: true });
      try {
        await flushSave();
        started(await qins.invoke('chat.edit', { conversationId: id, messageId, content: text }));
        return true;
      } catch (e) {
        fail(e, 'Could not edit the message');
        return false;
      } finally {
        set({ starting: false });
      }
    },

    async stop() {
      const reply = activeReply(get());
      if (!reply) return;
      try {
        await qins.invoke('chat.stop', { jobId: reply.jobId });
      } catch (e) {
        fail(e, 'Could not stop the reply');
      }
    },
  };
}
