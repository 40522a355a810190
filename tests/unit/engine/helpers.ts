// Shared test helpers for the generation layer: fixture paths, the fixture tokenizer, and fake
// backends that implement InferenceBackend deterministically and count what they evaluate.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FIXTURES } from '../helpers/fixtures.js';
import type { BackendMemory, ForwardOptions, InferenceBackend } from '../../../src-main/engine/backend.js';
import type { ModelSpec } from '../../../src-main/engine/format/qins-format.js';
import { TextTokenizer } from '../../../src-main/engine/tokenizer.js';
import { ChatTemplate } from '../../../src-main/engine/template.js';

export { FIXTURES, GOLDEN } from '../helpers/fixtures.js';

export function fixtureFiles(model = 'tiny-phi3-chat'): Record<string, string> {
  const dir = resolve(FIXTURES, model);
  const out: Record<string, string> = {};
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json'])
    out[f] = readFileSync(resolve(dir, f), 'utf8');
  return out;
}

let cached: { tokenizer: TextTokenizer; template: ChatTemplate } | null = null;
export function phi3Text(): { tokenizer: TextTokenizer; template: ChatTemplate } {
  if (!cached) {
    const files = fixtureFiles();
    cached = { tokenizer: TextTokenizer.fromFiles(files), template: ChatTemplate.fromFiles(files) };
  }
  return cached;
}

export const PHI3_EOS = [32007, 32001, 32000];

export function fakeSpec(vocab: number): ModelSpec {
  return {
    architecture: 'phi3',
    vocab_size: vocab,
    hidden_size: 8,
    intermediate_size: 16,
    num_layers: 1,
    num_heads: 1,
    num_kv_heads: 1,
    head_dim: 8,
    rms_norm_eps: 1e-5,
    rope: { type: 'default', theta: 10000, dim: 8 },
    max_position_embeddings: 4096,
    tie_word_embeddings: false,
    qkv_bias: false,
    bos_token_id: 1,
    eos_token_ids: PHI3_EOS,
  };
}

export interface ForwardCall {
  pos: number;
  tokens: number[];
}

/**
 * A backend whose logits at each position are a function of the whole sequence up to it, so any
 * mistake in the caller's KV bookkeeping (claiming a prefix the backend does not hold) changes the
 * output or throws. `next(seq)` names the token to favour; logits are -10 everywhere and +10 there.
 */
export class FakeBackend implements InferenceBackend {
  readonly kind = 'qins' as const;
  readonly spec: ModelSpec;
  readonly calls: ForwardCall[] = [];
  /** Token at each cached position. */
  kv: number[] = [];
  /** Positions memory() counts as in use: kv.length after a forward, 0 after resetCache() (kv keeps its tokens for inspection). */
  held = 0;
  delayMs = 0;
  onForward: ((call: ForwardCall) => void) | null = null;

  constructor(
    readonly next: (seq: readonly number[]) => number,
    readonly contextLength = 4096,
    vocab = 32064,
  ) {
    this.spec = fakeSpec(vocab);
  }

  get evaluated(): number {
    return this.calls.reduce((s, c) => s + c.tokens.length, 0);
  }

  async forward(tokens: Int32Array, pos: number, options?: ForwardOptions): Promise<Float32Array> {
    if (pos > this.kv.length) throw new Error(`forward at ${pos} but only ${this.kv.length} positions are cached`);
    if (pos + tokens.length > this.contextLength) throw new Error('context overflow in the backend');
    const call = { pos, tokens: Array.from(tokens) };
    this.calls.push(call);
    this.onForward?.(call);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    this.kv.length = pos;
    const V = this.spec.vocab_size;
    const n = options?.allLogits ? tokens.length : 1;
    const out = new Float32Array(V * n).fill(-10);
    for (let i = 0; i < tokens.length; i++) {
      this.kv.push(tokens[i]!);
      const row = options?.allLogits ? i : i === tokens.length - 1 ? 0 : -1;
      if (row >= 0) out[row * V + this.next(this.kv)] = 10;
    }
    this.held = this.kv.length;
    return out;
  }

  memory(): BackendMemory {
    return { weightBytes: 0, kvBytes: this.contextLength * 16, kvBytesUsed: this.held * 16, mappedBytes: 0 };
  }

  async residentWeightBytes(): Promise<number | null> {
    return null;
  }

  resetCache(): void {
    this.held = 0;
  }

  async dispose(): Promise<void> {}
}

/** next(): after the last <|assistant|> (32001), emit `reply` token by token, then `end`. */
export function scriptedReply(reply: readonly number[], end = 32007): (seq: readonly number[]) => number {
  return (seq) => {
    const a = seq.lastIndexOf(32001);
    if (a < 0) return end;
    return reply[seq.length - a - 1] ?? end;
  };
}
