// Generation over an InferenceBackend: a token-level Generator that keeps track of what the
// backend's KV cache holds (so a new prompt only evaluates the tokens after the longest common
// prefix), samples, streams UTF-8-safe text, honours eos ids, stop strings, max tokens, the
// context size and cancellation; and a ChatSession on top that renders messages with the chat
// template and applies the context policy (drop the oldest turns after the system prompt, and say so).
// Plain Node: no Electron, so the engine host, the CLI and tests drive the same code.
import type { InferenceBackend } from './backend.js';
import { randomSeed, resolveSampling, Sampler, type SamplingParams } from './sampler.js';
import { StopStringFilter } from './stop-strings.js';
import type { ChatMessage, ChatTemplate } from './template.js';
import { IncrementalDecoder, type TextTokenizer } from './tokenizer.js';

export type StopReason = 'eos' | 'length' | 'stopped' | 'context';

/**
 * Why generation ended:
 * - `eos`: the model produced an end-of-sequence id (`stopTokenId`) or a stop string (`stopSequence`);
 * - `length`: the max-tokens limit;
 * - `stopped`: the caller's AbortSignal fired;
 * - `context`: the context window is full.
 */
export interface StopInfo {
  reason: StopReason;
  stopTokenId?: number;
  stopSequence?: string;
  /** Chat only: earlier messages the context policy left out for this reply (also in ChatResult.context). */
  droppedMessages?: number;
  /** Chat only: what the context policy did, when it did anything (also in ChatResult.context.note). */
  contextNote?: string;
}

export interface StreamDelta {
  /** New reply text (never part of a UTF-8 character, never part of a stop string). */
  text: string;
  /** Reply tokens generated so far. */
  tokens: number;
}

export interface GenerationStats {
  /** Tokens in the prompt. */
  promptTokens: number;
  /** Prompt tokens whose KV cache was reused from the previous call (not evaluated again). */
  reusedTokens: number;
  /** Prompt tokens actually evaluated (promptTokens − reusedTokens, fewer when cancelled during the prompt). */
  evaluatedTokens: number;
  /** Reply tokens generated (the eos token, when one ended the reply, is not counted). */
  tokens: number;
  /** From the call to the first sampled token (template, tokenization and prefill included). */
  ttftMs: number;
  /** Prompt evaluation speed (evaluatedTokens over the prefill time). */
  prefillTokensPerSecond: number;
  /** Decode speed: tokens sampled after the first, over the time since the first. */
  tokensPerSecond: number;
  totalMs: number;
  stop: StopInfo;
  /** The PRNG seed used (reuse it with the same settings to get the same reply). */
  seed: number;
}

export interface TokenGenerationResult extends GenerationStats {
  text: string;
  /** Reply token ids (without the eos id that ended it). */
  ids: number[];
}

export class ContextOverflowError extends Error {
  override name = 'ContextOverflowError';
}

export class SessionBusyError extends Error {
  override name = 'SessionBusyError';
}

export interface GeneratorOptions {
  /** Ids that end a reply (generation_config eos). */
  eosTokenIds: readonly number[];
  /** Context size to use (at most the backend's). */
  contextLength?: number;
  /** Longest slice of prompt evaluated per backend call (cancellation is checked between slices). */
  prefillChunk?: number;
}

export interface TokenGenerationRequest {
  prompt: readonly number[];
  /** Decode the reply as a continuation of the prompt's last ids (continuing a partial reply). */
  continuesText?: boolean;
  sampling?: Partial<SamplingParams>;
  signal?: AbortSignal;
  onToken?: (delta: StreamDelta) => void;
}

const now = (): number => performance.now();

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export class Generator {
  readonly contextLength: number;
  private readonly eos: ReadonlySet<number>;
  private readonly prefillChunk: number;
  /** Token at each position the backend's KV cache holds, positions 0 .. cached.length − 1. */
  private cached: number[] = [];
  private running = false;

  constructor(
    readonly backend: InferenceBackend,
    readonly tokenizer: TextTokenizer,
    options: GeneratorOptions,
  ) {
    this.contextLength = Math.min(options.contextLength ?? backend.contextLength, backend.contextLength);
    if (!(this.contextLength >= 2)) throw new ContextOverflowError(`context length ${this.contextLength} is too small`);
    this.eos = new Set(options.eosTokenIds);
    this.prefillChunk = Math.max(1, options.prefillChunk ?? 512);
  }

  /** Tokens whose KV cache the backend holds (a copy). */
  get cachedTokens(): number[] {
    return [...this.cached];
  }

  get busy(): boolean {
    return this.running;
  }

  /** Forgets the KV cache: the next prompt is evaluated from position 0 (the backend stops counting the positions as used). */
  reset(): void {
    this.cached = [];
    this.backend.resetCache();
  }

  private async forward(tokens: readonly number[], pos: number): Promise<Float32Array> {
    // Whatever was cached at >= pos is overwritten by this call (or lost if it fails).
    this.cached.length = pos;
    const logits = await this.backend.forward(Int32Array.from(tokens), pos);
    this.cached.push(...tokens);
    return logits;
  }

  /**
   * Evaluates `prompt`, reusing the cached prefix. Resolves to the last position's logits, or null
   * when `signal` fired between slices.
   */
  private async prefill(
    prompt: readonly number[],
    signal?: AbortSignal,
  ): Promise<{ logits: Float32Array | null; reused: number; evaluated: number }> {
    let start = commonPrefix(this.cached, prompt);
    // The last prompt token must be evaluated to get its logits.
    if (start >= prompt.length) start = prompt.length - 1;
    const reused = start;
    let logits: Float32Array | null = null;
    for (let pos = start; pos < prompt.length; pos += this.prefillChunk) {
      if (signal?.aborted) return { logits: null, reused, evaluated: pos - start };
      logits = await this.forward(prompt.slice(pos, Math.min(prompt.length, pos + this.prefillChunk)), pos);
    }
    return { logits, reused, evaluated: prompt.length - start };
  }

  /** Generates a reply to `prompt` (token ids). Never throws for cancellation: it returns with stop.reason 'stopped'. */
  async generate(req: TokenGenerationRequest): Promise<TokenGenerationResult> {
    if (this.running) throw new SessionBusyError('a generation is already running on this model');
    this.running = true;
    try {
      return await this.run(req);
    } finally {
      this.running = false;
    }
  }

  private async run(req: TokenGenerationRequest): Promise<TokenGenerationResult> {
    const t0 = now();
    const sampling = resolveSampling(req.sampling);
    const seed = sampling.seed ?? randomSeed();
    const prompt = req.prompt;
    if (prompt.length === 0) throw new ContextOverflowError('the prompt is empty');
    if (prompt.length >= this.contextLength)
      throw new ContextOverflowError(`the prompt needs ${prompt.length} tokens but the context holds ${this.contextLength}`);
    const vocab = this.backend.spec.vocab_size;
    for (const id of prompt)
      if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new RangeError(`token id ${id} is outside the vocabulary (0..${vocab - 1})`);

    const sampler = new Sampler(sampling, seed);
    const decoder = new IncrementalDecoder(this.tokenizer, { skipSpecialTokens: true }, req.continuesText ? prompt.slice(-4) : []);
    const stops = new StopStringFilter(sampling.stop);
    const ids: number[] = [];
    const history = [...prompt];
    let text = '';
    const emit = (t: string): void => {
      if (!t) return;
      text += t;
      req.onToken?.({ text: t, tokens: ids.length });
    };

    const { logits: first, reused, evaluated } = await this.prefill(prompt, req.signal);
    const tPrefill = now();
    let stop: StopInfo = { reason: 'stopped' };
    let ttft = 0;
    let tFirst = 0;
    let tLast = 0;
    let sampled = 0;
    let logits = first;
    while (logits) {
      const tok = sampler.sample(logits, history);
      tLast = now();
      if (sampled++ === 0) {
        tFirst = tLast;
        ttft = tLast - t0;
      }
      if (this.eos.has(tok)) {
        stop = { reason: 'eos', stopTokenId: tok };
        break;
      }
      ids.push(tok);
      history.push(tok);
      const r = stops.push(decoder.push(tok));
      emit(r.text);
      if (r.stop !== null) {
        stop = { reason: 'eos', stopSequence: r.stop };
        break;
      }
      if (ids.length >= sampling.maxTokens) {
        stop = { reason: 'length' };
        break;
      }
      if (history.length >= this.contextLength) {
        stop = { reason: 'context' };
        break;
      }
      if (req.signal?.aborted) break;
      logits = await this.forward([tok], history.length - 1);
      if (req.signal?.aborted) break;
    }
    if (stop.stopSequence === undefined) {
      emit(stops.push(decoder.flush()).text);
      emit(stops.flush());
    }
    const tEnd = now();
    const prefillMs = tPrefill - t0;
    return {
      text,
      ids,
      promptTokens: prompt.length,
      reusedTokens: reused,
      evaluatedTokens: evaluated,
      tokens: ids.length,
      ttftMs: ttft,
      prefillTokensPerSecond: prefillMs > 0 ? (evaluated * 1000) / prefillMs : 0,
      tokensPerSecond: sampled > 1 && tLast > tFirst ? ((sampled - 1) * 1000) / (tLast - tFirst) : 0,
      totalMs: tEnd - t0,
      stop,
      seed,
    };
  }
}

// ─── Chat ──────────────────────────────────────────────────────────────────────────────────────

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
