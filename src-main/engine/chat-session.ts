// A ChatSession over a Generator: renders messages with the chat template and applies the context
// policy (drop the oldest turns after the system prompt, and say so). Plain Node, like ./generate.ts.
import type { InferenceBackend } from './backend.js';
import { ContextOverflowError, type GenerationStats, Generator, now, SessionBusyError, type StopInfo, type StreamDelta } from './generate.js';
import { resolveSampling, type SamplingParams } from './sampler.js';
import type { ChatMessage, ChatTemplate } from './template.js';
import type { TextTokenizer } from './tokenizer.js';

/** What the context policy did to fit a request. */
export interface ContextInfo {
  contextLength: number;
  /** Tokens of the prompt actually sent (after any dropping). */
  promptTokens: number;
  /** Messages left out (oldest turns after the system prompt), 0 when everything fit. */
  droppedMessages: number;
  /** Index in the request's messages of the first message left out (they are contiguous). */
  droppedFrom: number;
  /** The reply may use at most this many tokens (max tokens, or less when the context is nearly full). */
  maxReplyTokens: number;
  /** A sentence for the UI when something was dropped or limited; null when nothing was. */
  note: string | null;
}

export interface ChatRequest {
  messages: readonly ChatMessage[];
  /**
   * Continue a partial assistant reply: the prompt ends with this text after the assistant opener,
   * and the result holds only the new text.
   */
  assistantPrefix?: string;
  sampling?: Partial<SamplingParams>;
  signal?: AbortSignal;
  onToken?: (delta: StreamDelta) => void;
}

export interface ChatResult extends GenerationStats {
  /** The reply (stop string excluded), ready to append as the assistant message. */
  text: string;
  context: ContextInfo;
}

export interface ContextPlan {
  messages: ChatMessage[];
  promptText: string;
  promptIds: number[];
  context: ContextInfo;
}

export interface ChatModelParts {
  backend: InferenceBackend;
  tokenizer: TextTokenizer;
  template: ChatTemplate;
  eosTokenIds: readonly number[];
}

export interface ChatSessionOptions {
  contextLength?: number;
  prefillChunk?: number;
}

/**
 * A multi-turn chat over one model. The caller owns the history and passes the whole message list
 * each turn (the reply text goes back in as an assistant message); the session reuses the KV
 * cache of whatever prefix of the new prompt the backend already holds. The session must be the
 * only user of its backend's KV cache: after anything else runs forward() on it, call reset().
 */
export class ChatSession {
  readonly generator: Generator;
  private readonly tokenizer: TextTokenizer;
  private readonly template: ChatTemplate;
  /**
   * The last reply as the model produced it: the rendered prompt plus the reply text, and the
   * tokens that were actually evaluated for them. Re-tokenizing a reply often splits it differently
   * from how it was sampled, which would end the reusable KV prefix inside the reply; when the next
   * prompt extends this text at an added-token boundary, its ids are spliced from here instead.
   */
  private lastTurn: { text: string; ids: number[] } | null = null;

  constructor(parts: ChatModelParts, options: ChatSessionOptions = {}) {
    this.tokenizer = parts.tokenizer;
    this.template = parts.template;
    this.generator = new Generator(parts.backend, parts.tokenizer, {
      eosTokenIds: parts.eosTokenIds,
      contextLength: options.contextLength,
      prefillChunk: options.prefillChunk,
    });
  }

  get contextLength(): number {
    return this.generator.contextLength;
  }

  get busy(): boolean {
    return this.generator.busy;
  }

  /** Forget the cached conversation (the next reply evaluates its whole prompt). */
  reset(): void {
    this.generator.reset();
    this.lastTurn = null;
  }

  /** Token ids of the rendered conversation (with the assistant opener by default). */
  tokenize(messages: readonly ChatMessage[], addGenerationPrompt = true): number[] {
    return this.encodePrompt(this.template.render(messages, { addGenerationPrompt }));
  }

  private encodePrompt(text: string): number[] {
    const last = this.lastTurn;
    if (last && text.length > last.text.length && text.startsWith(last.text)) {
      const rest = text.slice(last.text.length);
      if (this.tokenizer.startsWithAddedToken(rest)) return [...last.ids, ...this.tokenizer.encode(rest, { addSpecialTokens: false })];
    }
    return this.tokenizer.encode(text, { addSpecialTokens: false });
  }

  /** Prompt size for a context meter. */
  countTokens(messages: readonly ChatMessage[], addGenerationPrompt = true): number {
    return this.tokenize(messages, addGenerationPrompt).length;
  }

  /**
   * Applies the context policy: when prompt + maxTokens would overflow the context, the oldest
   * turns after the leading system message(s) are left out, whole turns at a time (the kept part
   * starts with a user message), never the last message. If even the shortest prompt leaves less
   * room than maxTokens, the reply is limited to what fits; if the prompt alone does not fit,
   * ContextOverflowError.
   */
  plan(messages: readonly ChatMessage[], maxTokens: number, assistantPrefix = ''): ContextPlan {
    if (messages.length === 0) throw new ContextOverflowError('there are no messages to answer');
    const ctx = this.contextLength;
    let head = 0;
    while (head < messages.length - 1 && messages[head]!.role === 'system') head++;
    // Start indices of droppable groups: the kept tail begins at a user message (or the last message).
    const starts: number[] = [head];
    for (let i = head + 1; i < messages.length; i++) if (messages[i]!.role === 'user' || i === messages.length - 1) starts.push(i);
    const build = (k: number): { msgs: ChatMessage[]; text: string; ids: number[] } => {
      const msgs = [...messages.slice(0, head), ...messages.slice(starts[k]!)];
      const text = this.template.render(msgs, { addGenerationPrompt: true }) + assistantPrefix;
      return { msgs, text, ids: this.encodePrompt(text) };
    };
    const fits = (n: number): boolean => n + maxTokens <= ctx;
    let best = build(0);
    let k = 0;
    if (!fits(best.ids.length)) {
      // Fewest dropped groups that fit (prompt size shrinks as groups are dropped): binary search.
      let lo = 1;
      let hi = starts.length - 1;
      let found: { k: number; b: ReturnType<typeof build> } | null = null;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const b = build(mid);
        if (fits(b.ids.length)) {
          found = { k: mid, b };
          hi = mid - 1;
        } else lo = mid + 1;
      }
      if (found) {
        k = found.k;
        best = found.b;
      } else {
        k = starts.length - 1;
        best = k === 0 ? best : build(k);
      }
    }
    const promptTokens = best.ids.length;
    if (promptTokens >= ctx)
      throw new ContextOverflowError(
        `the last message does not fit: the prompt needs ${promptTokens} tokens but the context holds ${ctx}`,
      );
    const dropped = messages.length - best.msgs.length;
    const maxReplyTokens = Math.min(maxTokens, ctx - promptTokens);
    const notes: string[] = [];
    if (dropped > 0)
      notes.push(`${dropped} earlier message${dropped === 1 ? ' was' : 's were'} left out to fit the ${ctx}-token context`);
    if (maxReplyTokens < maxTokens) notes.push(`the reply is limited to ${maxReplyTokens} tokens by the context`);
    return {
      messages: best.msgs,
      promptText: best.text,
      promptIds: best.ids,
      context: {
        contextLength: ctx,
        promptTokens,
        droppedMessages: dropped,
        droppedFrom: head,
        maxReplyTokens,
        note: notes.length ? `${notes.join('; ')}.` : null,
      },
    };
  }

  /** Generates the assistant's reply to `messages`. Cancellation resolves with stop.reason 'stopped'. */
  async generate(req: ChatRequest): Promise<ChatResult> {
    if (this.busy) throw new SessionBusyError('a generation is already running on this model');
    const sampling = resolveSampling(req.sampling);
    const t0 = now();
    const plan = this.plan(req.messages, sampling.maxTokens, req.assistantPrefix);
    const tPlan = now() - t0;
    this.lastTurn = null;
    const res = await this.generator.generate({
      prompt: plan.promptIds,
      continuesText: Boolean(req.assistantPrefix),
      sampling: { ...sampling, maxTokens: plan.context.maxReplyTokens },
      signal: req.signal,
      onToken: req.onToken,
    });
    // Remember the reply's own tokens when they spell exactly the reply text (not so after a stop
    // string, or when the reply holds special tokens that the text leaves out).
    if (
      res.ids.every((id) => !this.tokenizer.specialIds.has(id)) &&
      this.tokenizer.decode(res.ids, { skipSpecialTokens: true }) === res.text
    )
      this.lastTurn = { text: plan.promptText + res.text, ids: [...plan.promptIds, ...res.ids] };
    // Hitting a reply limit that the context imposed (not the caller's max tokens) is a context stop.
    let stop: StopInfo =
      res.stop.reason === 'length' && plan.context.maxReplyTokens < sampling.maxTokens ? { reason: 'context' } : res.stop;
    if (plan.context.note !== null) stop = { ...stop, droppedMessages: plan.context.droppedMessages, contextNote: plan.context.note };
    return {
      text: res.text,
      promptTokens: res.promptTokens,
      reusedTokens: res.reusedTokens,
      evaluatedTokens: res.evaluatedTokens,
      tokens: res.tokens,
      ttftMs: res.ttftMs + tPlan,
      prefillTokensPerSecond: res.prefillTokensPerSecond,
      tokensPerSecond: res.tokensPerSecond,
      totalMs: res.totalMs + tPlan,
      stop,
      seed: res.seed,
      context: plan.context,
    };
  }
}
