// Generation over an InferenceBackend: a token-level Generator that keeps track of what the
// backend's KV cache holds (so a new prompt only evaluates the tokens after the longest common
// prefix), samples, streams UTF-8-safe text, honours eos ids, stop strings, max tokens, the
// context size and cancellation. The ChatSession on top (chat template, context policy) is in
// ./chat-session.ts.
// Plain Node: no Electron, so the engine host, the CLI and tests drive the same code.
import type { InferenceBackend } from './backend.js';
import { randomSeed, resolveSampling, Sampler, type SamplingParams } from './sampler.js';
import { StopStringFilter } from './stop-strings.js';
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

export const now = (): number => performance.now();

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
