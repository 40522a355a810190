// The shape of the open-conversation store (./chat.ts): its state, the replies streaming into it,
// and its actions.
import type {
  ChatEvent,
  ContextUsage,
  Conversation,
  Preset,
  SamplingSettings,
  ThreadEntry,
} from '../../../src-shared/contract';

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

export interface ChatState {
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
