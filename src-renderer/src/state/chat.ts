// The open conversation: its branch of messages, the replies streaming into it, and the actions a
// person takes on it. Token deltas are batched and applied once per animation frame, so a fast
// model costs one render per frame, not one per token.
import { create } from 'zustand';
import type {
  ChatEvent,
  ChatStarted,
  ContextUsage,
  Conversation,
  ConversationView,
  Preset,
  SamplingSettings,
  ThreadEntry,
} from '../../../src-shared/contract';
import { readable } from '../lib/errors';
import { qins } from '../lib/qins';
import { useApp } from './app';

/** A reply being generated. Its text is `base` (what it had before, when continuing) + `text`. */
export interface LiveReply {
  jobId: string;
  conversationId: string;
  messageId: string;
  base: string;
  text: string;
  tokens: number;
  /** Position in the generation queue while waiting, else null. */
  queued: number | null;
  startedAt: number;
  firstTokenAt: number | null;
}

export interface Draft {
  systemPrompt: string;
  sampling: SamplingSettings;
}

interface ChatState {
  conversationId: string | null;
  conversation: Conversation | null;
  thread: ThreadEntry[];
  status: 'idle' | 'loading' | 'ready' | 'missing';
  live: Record<string, LiveReply>;
  /** System prompt and sampling for the conversation that the first message will create. */
  draft: Draft;
  usage: ContextUsage | null;
  /** A request that starts a reply is in flight. */
  starting: boolean;
  /** A search hit to scroll to once it is shown. */
  focusMessageId: string | null;

  open(id: string | null, options?: { focusMessageId?: string | null }): Promise<void>;
  resetDraft(draft: Draft): void;
  send(content: string): Promise<boolean>;
  regenerate(messageId: string): Promise<void>;
  continueReply(messageId: string): Promise<void>;
  /** A reply to a user message left without one (its reply was deleted). */
  reply(messageId: string): Promise<void>;
  edit(messageId: string, content: string): Promise<boolean>;
  stop(): Promise<void>;
  switchBranch(messageId: string): Promise<void>;
  deleteMessage(messageId: string): Promise<void>;
  updateSampling(patch: Partial<SamplingSettings>): void;
  replaceSampling(sampling: SamplingSettings): void;
  updateSystemPrompt(text: string): void;
  applyPreset(preset: Preset): void;
  refreshUsage(draft?: string): Promise<void>;
  reloadView(): Promise<void>;
  onEvent(e: ChatEvent): void;
  clearFocus(): void;
}

// ─── Delta batching ──────────────────────────────────────────────────────────────────────────

type DeltaEvent = Extract<ChatEvent, { type: 'delta' }>;
const pending = new Map<string, { first: DeltaEvent; text: string; tokens: number }>();
let scheduled = false;

function scheduleFlush(): void {
  if (scheduled) return;
  scheduled = true;
  const run = () => {
    if (!scheduled) return;
    scheduled = false;
    flushDeltas();
  };
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(run);
  // Background windows get no animation frames: keep the text moving anyway.
  setTimeout(run, 120);
}

/** Applies the deltas received since the last frame in one state update. */
export function flushDeltas(): void {
  if (pending.size === 0) return;
  const batch = [...pending.values()];
  pending.clear();
  useChat.setState((s) => {
    const live = { ...s.live };
    const now = performance.now();
    for (const { first, text, tokens } of batch) {
      const cur = live[first.messageId] ?? adopt(s, first, now);
      live[first.messageId] = { ...cur, text: cur.text + text, tokens, queued: null, firstTokenAt: cur.firstTokenAt ?? now };
    }
    return { live };
  });
}

/** A reply we did not start here (another window, or a reload while it streamed). */
function adopt(s: ChatState, e: ChatEvent, now: number): LiveReply {
  const shown = s.thread.find((t) => t.message.id === e.messageId)?.message.content ?? '';
  return { jobId: e.jobId, conversationId: e.conversationId, messageId: e.messageId, base: shown, text: '', tokens: 0, queued: null, startedAt: now, firstTokenAt: null };
}

// ─── Saving per-conversation settings ────────────────────────────────────────────────────────

type SettingsPatch = { sampling?: SamplingSettings; systemPrompt?: string };
let saveTimer: ReturnType<typeof setTimeout> | undefined;
let savePatch: { id: string; patch: SettingsPatch } | null = null;
/** Patches sent but not yet confirmed: a view fetched meanwhile may predate them. */
const inflight: Array<{ id: string; patch: SettingsPatch }> = [];

/** The conversation as fetched, with the changes not yet saved (or not yet confirmed) on top. */
function withUnsaved(c: Conversation): Conversation {
  let out = c;
  for (const p of [...inflight, ...(savePatch ? [savePatch] : [])]) if (p.id === c.id) out = { ...out, ...p.patch };
  return out;
}

function scheduleSave(id: string, patch: { sampling?: SamplingSettings; systemPrompt?: string }, delayMs = 350): void {
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

// ─── Store ────────────────────────────────────────────────────────────────────────────────────

export const activeReply = (s: Pick<ChatState, 'live' | 'conversationId'>): LiveReply | null =>
  Object.values(s.live).find((l) => l.conversationId === s.conversationId) ?? null;

export const useChat = create<ChatState>((set, get) => {
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
  const fail = (e: unknown, title: string) => {
    useApp.getState().notifyError(e, title);
  };
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
        const p = pending.get(e.messageId);
        if (p) {
          p.text += e.text;
          p.tokens = e.tokens;
        } else pending.set(e.messageId, { first: e, text: e.text, tokens: e.tokens });
        scheduleFlush();
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
      set((s) => {
        const live = { ...s.live };
        delete live[e.messageId];
        const message = e.message;
        const thread = message && s.conversationId === e.conversationId ? s.thread.map((t) => (t.message.id === message.id ? { ...t, message } : t)) : s.thread;
        return { live, thread };
      });
      if (e.type === 'error' && e.error.code !== 'CANCELLED' && get().conversationId === e.conversationId) fail(e.error, 'The reply failed');
      if (get().conversationId === e.conversationId) void get().refreshUsage();
    },

    clearFocus() {
      set({ focusMessageId: null });
    },
  };
});
