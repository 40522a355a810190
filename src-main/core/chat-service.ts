// The chat service: turns UI actions (send, regenerate, edit, continue, stop) into engine
// generations, streams the reply to the UI as chat.event, and persists it as it grows (the
// assistant row exists from the first moment, its text is flushed at least every 500 ms, and it is
// finalised at the end — after a crash of either process the partial reply is still there).
import { randomUUID } from 'node:crypto';
import {
  type ChatEvent,
  type ChatStarted,
  type ContextUsage,
  type ConversationView,
  type GenerationSample,
  QinsError,
} from '../../src-shared/contract.js';
import type { HostChatMessage, HostEventArgs, HostGenerateResult } from '../../src-shared/engine-protocol.js';
import type { EngineSupervisor } from './engine-supervisor.js';
import type { GenerationQueue } from './generation-queue.js';
import type { Broadcast, ModelLibrary } from './library.js';
import { type ChatStore, type Conversation, type Message, StoreError, type ThreadEntry } from './store/index.js';

const TITLE_MAX = 60;

/** A conversation title from its first message: the first line, shortened at a word boundary. */
export function titleFrom(text: string): string {
  const line = text.trim().split('\n')[0]?.replace(/\s+/g, ' ') ?? '';
  if (line.length <= TITLE_MAX) return line || 'New chat';
  const cut = line.slice(0, TITLE_MAX);
  const space = cut.lastIndexOf(' ');
  return `${(space > 20 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** Store errors as contract errors. */
export function fromStoreError(e: unknown): unknown {
  if (!(e instanceof StoreError)) return e;
  const code = e.code === 'CONFLICT' ? 'BUSY' : e.code === 'SCHEMA_TOO_NEW' ? 'UNSUPPORTED' : e.code === 'IO' ? 'IO' : e.code === 'NOT_FOUND' ? 'NOT_FOUND' : 'BAD_INPUT';
  return new QinsError(code, e.message);
}

interface ActiveReply {
  jobId: string;
  conversationId: string;
  messageId: string;
  startedAt: number;
  tokens: number;
  firstTokenAt: number | null;
}

export class ChatService {
  private readonly active = new Map<string, ActiveReply>();

  constructor(
    private readonly store: ChatStore,
    private readonly engine: EngineSupervisor,
    private readonly library: ModelLibrary,
    private readonly queue: GenerationQueue,
    private readonly broadcast: Broadcast,
  ) {}

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw fromStoreError(e);
    }
  }

  view(conversationId: string, leafId?: string | null): ConversationView {
    return this.guard(() => {
      const conversation = this.store.getConversation(conversationId);
      if (!conversation) throw new QinsError('NOT_FOUND', `no conversation ${conversationId}`);
      return { conversation, thread: this.store.getThread(conversationId, leafId) };
    });
  }

  /** The reply being generated right now (for telemetry). */
  generationSample(): GenerationSample | null {
    for (const a of this.active.values()) {
      if (a.firstTokenAt === null) return { jobId: a.jobId, tokens: a.tokens, tokensPerSecond: 0 };
      const seconds = (performance.now() - a.firstTokenAt) / 1000;
      return { jobId: a.jobId, tokens: a.tokens, tokensPerSecond: seconds > 0 && a.tokens > 1 ? (a.tokens - 1) / seconds : 0 };
    }
    return null;
  }

  isStreaming(conversationId: string): boolean {
    return [...this.active.values()].some((a) => a.conversationId === conversationId);
  }

  // ─── Actions ──────────────────────────────────────────────────────────────────────────────────

  send(conversationId: string, content: string, parentId?: string | null): Promise<ChatStarted> {
    const conversation = this.view(conversationId).conversation;
    const parent = parentId === undefined ? conversation.currentLeafId : parentId;
    const user = this.guard(() => this.store.addUserMessage(conversationId, parent, content));
    if (parent === null && conversation.title === 'New chat') {
      this.guard(() => this.store.updateConversation(conversationId, { title: titleFrom(content) }));
      this.broadcast('conversations.changed', { conversationId });
    }
    return this.startReply(conversationId, user.id);
  }

  regenerate(conversationId: string, assistantMessageId: string): Promise<ChatStarted> {
    const m = this.message(conversationId, assistantMessageId);
    if (m.role !== 'assistant' || !m.parentId) throw new QinsError('BAD_INPUT', 'only a reply to a user message can be regenerated');
    return this.startReply(conversationId, m.parentId);
  }

  /** A (new) reply to a user message: a sibling of its existing replies, or its first one. */
  reply(conversationId: string, userMessageId: string): Promise<ChatStarted> {
    const m = this.message(conversationId, userMessageId);
    if (m.role !== 'user') throw new QinsError('BAD_INPUT', 'only a user message can be replied to');
    return this.startReply(conversationId, userMessageId);
  }

  edit(conversationId: string, userMessageId: string, content: string): Promise<ChatStarted> {
    const m = this.message(conversationId, userMessageId);
    if (m.role !== 'user') throw new QinsError('BAD_INPUT', 'only user messages can be edited');
    const edited = this.guard(() => this.store.editUserMessage(userMessageId, content));
    return this.startReply(conversationId, edited.id);
  }

  continue(conversationId: string, assistantMessageId: string): Promise<ChatStarted> {
    const m = this.message(conversationId, assistantMessageId);
    if (m.role !== 'assistant' || !m.parentId) throw new QinsError('BAD_INPUT', 'only a reply can be continued');
    if ([...this.active.values()].some((a) => a.messageId === m.id)) throw new QinsError('BUSY', 'that reply is being generated');
    return this.startReply(conversationId, m.parentId, m);
  }

  async stop(jobId: string): Promise<boolean> {
    if (!this.queue.cancel(jobId)) return false;
    await this.engine.call('generate.cancel', { jobId }, { timeoutMs: 5000 }).catch(() => undefined);
    return true;
  }

  switchBranch(conversationId: string, messageId: string): ConversationView {
    this.message(conversationId, messageId);
    this.guard(() => this.store.switchBranch(conversationId, messageId));
    return this.view(conversationId);
  }

  async deleteMessage(conversationId: string, messageId: string): Promise<ConversationView> {
    this.message(conversationId, messageId);
    // Stop a reply that is streaming into the part being deleted.
    const doomed = new Set(this.subtree(conversationId, messageId));
    for (const a of [...this.active.values()]) if (doomed.has(a.messageId)) await this.stop(a.jobId);
    this.guard(() => this.store.deleteMessage(messageId));
    this.broadcast('conversations.changed', { conversationId });
    return this.view(conversationId);
  }

  async deleteConversation(conversationId: string): Promise<boolean> {
    for (const a of [...this.active.values()]) if (a.conversationId === conversationId) await this.stop(a.jobId);
    const r = this.guard(() => this.store.deleteConversation(conversationId));
    this.broadcast('conversations.changed', { conversationId: null });
    return r.deleted;
  }

  async contextUsage(conversationId: string, draft?: string): Promise<ContextUsage> {
    const { conversation, thread } = this.view(conversationId);
    const model = await this.library.ensureLoaded(conversation.modelId);
    const messages = this.promptMessages(conversation, thread.map((t) => t.message));
    if (draft) messages.push({ role: 'user', content: draft });
    const policy = this.store.getSettings().contextPolicy;
    if (messages.length === 0 || !model.chat) return { tokens: 0, contextLength: model.contextLength, reserved: 0, policy };
    const { tokens, contextLength } = await this.engine.call('model.countTokens', { messages });
    const maxTokens = conversation.sampling.max_tokens ?? contextLength;
    return { tokens, contextLength, reserved: Math.max(0, Math.min(maxTokens, contextLength - tokens)), policy };
  }

  // ─── Generation ───────────────────────────────────────────────────────────────────────────────

  private message(conversationId: string, messageId: string): Message {
    const m = this.guard(() => this.store.getMessage(messageId));
    if (!m || m.conversationId !== conversationId) throw new QinsError('NOT_FOUND', `no message ${messageId} in conversation ${conversationId}`);
    return m;
  }

  private subtree(conversationId: string, rootId: string): string[] {
    const all = this.guard(() => this.store.exportDocument([conversationId])).conversations[0]?.messages ?? [];
    const ids = [rootId];
    for (let i = 0; i < ids.length; i++) for (const m of all) if (m.parentId === ids[i]) ids.push(m.id);
    return ids;
  }

  /** System prompt + the path of messages, as the engine takes them. */
  private promptMessages(conversation: Conversation, path: Message[]): HostChatMessage[] {
    const out: HostChatMessage[] = [];
    if (conversation.systemPrompt.trim()) out.push({ role: 'system', content: conversation.systemPrompt });
    for (const m of path) if (m.content || m.role === 'user') out.push({ role: m.role, content: m.content });
    return out;
  }

  /**
   * Creates (or reopens, to continue) the assistant message answering `userMessageId`, answers the
   * UI at once, and generates in the background through the queue.
   */
  private async startReply(conversationId: string, userMessageId: string, continuing?: Message): Promise<ChatStarted> {
    const { conversation } = this.view(conversationId);
    const model = await this.library.ensureLoaded(conversation.modelId);
    if (!model.chat) throw new QinsError('UNSUPPORTED', `${model.name} has no chat template, so it cannot chat`);
    if (conversation.modelId !== model.modelId) {
      this.guard(() => this.store.updateConversation(conversationId, { modelId: model.modelId, modelName: model.name }));
    }
    const path = this.guard(() => this.store.getThread(conversationId, userMessageId)).map((t) => t.message);
    const messages = this.promptMessages(conversation, path);
    const messageId = continuing
      ? this.guard(() => this.store.continueMessage(continuing.id)).id
      : this.guard(() => this.store.beginAssistantMessage(conversationId, userMessageId, { model: model.name, codec: model.codec ?? model.engine }));
    const prefix = continuing?.content ?? '';
    const jobId = randomUUID();
    const reply: ActiveReply = { jobId, conversationId, messageId, startedAt: performance.now(), tokens: 0, firstTokenAt: null };
    this.active.set(jobId, reply);
    const thread: ThreadEntry[] = this.guard(() => this.store.getThread(conversationId, messageId));
    void this.generate(reply, messages, prefix, conversation).finally(() => this.active.delete(jobId));
    this.broadcast('conversations.changed', { conversationId });
    return { jobId, conversationId, userMessageId: continuing ? null : userMessageId, assistantMessageId: messageId, thread };
  }

  private emit(e: ChatEvent): void {
    this.broadcast('chat.event', e);
  }

  private async generate(reply: ActiveReply, messages: HostChatMessage[], prefix: string, conversation: Conversation): Promise<void> {
    const { jobId, conversationId, messageId } = reply;
    const base = { jobId, conversationId, messageId };
    const onEvent = (...[event, d]: HostEventArgs) => {
      if (event !== 'generate.delta' || d.jobId !== jobId) return;
      reply.tokens = d.tokens;
      reply.firstTokenAt ??= performance.now();
      if (!d.text) return;
      try {
        this.store.appendContent(messageId, d.text);
      } catch {
        // the message was deleted while streaming; the generation is being stopped
      }
      this.emit({ ...base, type: 'delta', text: d.text, tokens: d.tokens });
    };
    this.engine.on('event', onEvent);
    try {
      const result = await this.queue.submit<HostGenerateResult>({
        jobId,
        onQueued: (position) => this.emit({ ...base, type: 'queued', position }),
        run: async (signal) => {
          if (signal.aborted) throw new QinsError('CANCELLED', 'stopped');
          return this.engine.call('generate', {
            jobId,
            messages,
            ...(prefix ? { assistantPrefix: prefix } : {}),
            sampling: conversation.sampling,
            contextPolicy: this.store.getSettings().contextPolicy,
          });
        },
      });
      const message = this.guard(() =>
        this.store.finishMessage(messageId, {
          status: 'complete',
          stats: {
            tokens: result.tokens,
            prompt_tokens: result.promptTokens,
            tok_s: result.tokensPerSecond,
            ttft_ms: result.ttftMs,
            stop_reason: result.stopReason,
            context: { ...result.context, policy: this.store.getSettings().contextPolicy },
          },
        }),
      );
      this.emit({ ...base, type: 'done', message });
    } catch (e) {
      const error = e instanceof QinsError ? e.toJSON() : { code: 'INTERNAL' as const, message: e instanceof Error ? e.message : String(e) };
      let message: Message | null = null;
      try {
        if (error.code === 'CANCELLED') {
          // stopped while waiting: an empty reply, finished as stopped
          message = this.store.finishMessage(messageId, { status: 'complete', stats: { stop_reason: 'stopped' } });
          this.emit({ ...base, type: 'done', message });
          return;
        }
        // The engine died mid-reply: keep what was streamed, marked incomplete (it can be continued).
        const status = error.code === 'ENGINE_CRASHED' || error.code === 'ENGINE_UNAVAILABLE' ? 'incomplete' : 'error';
        message = this.store.finishMessage(messageId, { status, error: error.message, stats: { stop_reason: 'error' } });
      } catch {
        message = null; // the message was deleted meanwhile
      }
      this.emit({ ...base, type: 'error', error, message });
    } finally {
      this.engine.off('event', onEvent);
      this.broadcast('conversations.changed', { conversationId });
    }
  }
}
