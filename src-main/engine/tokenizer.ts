// Text ⇄ token ids from a HuggingFace tokenizer.json (+ tokenizer_config.json), through
// @huggingface/tokenizers, plus an incremental decoder that turns a growing list of generated ids
// into text deltas that never split a UTF-8 character.
import { Tokenizer } from '@huggingface/tokenizers';

export class TokenizerError extends Error {
  override name = 'TokenizerError';
}

/** The text of a special token in tokenizer_config.json: a string or `{content: string}`. */
function tokenText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return null;
}

function parseJson(text: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new TokenizerError(`${what} is not valid JSON (${(e as Error).message})`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new TokenizerError(`${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

export interface EncodeOptions {
  /** Let the tokenizer's post-processor add BOS/EOS (HF `add_special_tokens`); default false. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Leave out special tokens (HF `skip_special_tokens`); default false. */
  skipSpecialTokens?: boolean;
}

interface SplitToken {
  id: number;
  lstrip: boolean;
  rstrip: boolean;
}

/** Sections longer than this are worth remembering (shorter ones encode in microseconds). */
const CACHE_MIN_CHARS = 32;
const CACHE_ENTRIES = 1024;

export class TextTokenizer {
  private readonly tok: Tokenizer;
  /**
   * Added tokens matched on the raw text, for section-wise encoding (null when not equivalent).
   * Without a pre-tokenizer, BPE runs over whole sections between added tokens and the cost grows
   * faster than linearly (a 16 kB chat message takes ~150 ms), so every turn of a long chat would
   * re-encode the whole history. Encoding section by section, exactly as the library splits the
   * text, lets finished messages come from a cache.
   */
  private readonly splitTokens: Map<string, SplitToken> | null = null;
  private readonly splitRe: RegExp | null = null;
  private readonly sectionCache = new Map<string, number[]>();
  /** Contents of the added tokens the library splits on before normalizing. */
  private readonly rawSplit: string[] = [];
  /** Ids of the special added tokens (`special: true` in tokenizer.json). */
  readonly specialIds: ReadonlySet<number>;
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  readonly unkToken: string | null;
  readonly padToken: string | null;
  /** Number of ids the tokenizer knows (base vocabulary + added tokens). */
  readonly size: number;

  constructor(tokenizerJson: string, tokenizerConfigJson?: string) {
    const tj = parseJson(tokenizerJson, 'tokenizer.json');
    const tc = tokenizerConfigJson === undefined ? {} : parseJson(tokenizerConfigJson, 'tokenizer_config.json');
    if (!tj.model || typeof tj.model !== 'object') throw new TokenizerError('tokenizer.json has no "model" section');
    try {
      this.tok = new Tokenizer(tj, tc);
    } catch (e) {
      throw new TokenizerError(`cannot build the tokenizer from tokenizer.json (${(e as Error).message})`);
    }
    const special = new Set<number>();
    for (const [id, t] of this.tok.get_added_tokens_decoder()) if (t.special) special.add(id);
    this.specialIds = special;
    this.bosToken = tokenText(tc.bos_token);
    this.eosToken = tokenText(tc.eos_token);
    this.unkToken = tokenText(tc.unk_token);
    this.padToken = tokenText(tc.pad_token);
    this.size = this.tok.get_vocab(true).size;
    // The library matches these added tokens on the raw text (leftmost-longest) before normalizing.
    const hasNormalizer = tj.normalizer !== null && tj.normalizer !== undefined;
    const all = new Map<string, SplitToken>();
    const raw: string[] = [];
    for (const t of this.tok.get_added_tokens_decoder().values()) {
      all.set(t.content, { id: t.id, lstrip: t.lstrip, rstrip: t.rstrip });
      if (!(t.normalized && hasNormalizer) && t.content.length > 0) raw.push(t.content);
    }
    this.rawSplit = raw;
    if (tj.pre_tokenizer === null || tj.pre_tokenizer === undefined) {
      if (raw.length > 0) {
        const alts = raw.sort((a, b) => b.length - a.length).map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
        this.splitTokens = all;
        this.splitRe = new RegExp(alts.join('|'), 'g');
      }
    }
  }

  /** Builds the tokenizer from the verbatim source files (a .qins header's `files`, or a checkpoint folder's). */
  static fromFiles(files: Readonly<Record<string, string>>): TextTokenizer {
    const tj = files['tokenizer.json'];
    if (tj === undefined) throw new TokenizerError('the model has no tokenizer.json');
    return new TextTokenizer(tj, files['tokenizer_config.json']);
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const addSpecial = options.addSpecialTokens ?? false;
    if (addSpecial || !this.splitRe || text.length < 2 * CACHE_MIN_CHARS) return this.tok.encode(text, { add_special_tokens: addSpecial }).ids;
    return this.encodeBySection(text);
  }

  /** The library's first stage (split on added tokens, strip around them), then each section cached. */
  private encodeBySection(text: string): number[] {
    const re = this.splitRe!;
    const sections: string[] = [];
    re.lastIndex = 0;
    let start = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (m.index > start) sections.push(text.slice(start, m.index));
      sections.push(m[0]);
      start = m.index + m[0].length;
    }
    if (start < text.length) sections.push(text.slice(start));
    const added = this.splitTokens!;
    // As the library does: visit in order (a section may already be stripped by its left neighbour).
    sections.forEach((sec, i) => {
      const t = added.get(sec);
      if (!t) return;
      if (t.lstrip && i > 0) sections[i - 1] = sections[i - 1]!.trimEnd();
      if (t.rstrip && i < sections.length - 1) sections[i + 1] = sections[i + 1]!.trimStart();
    });
    const ids: number[] = [];
    for (const sec of sections) {
      if (sec.length === 0) continue;
      const t = added.get(sec);
      if (t) ids.push(t.id);
      else for (const id of this.encodeSection(sec)) ids.push(id);
    }
    return ids;
  }

  private encodeSection(sec: string): number[] {
    if (sec.length < CACHE_MIN_CHARS) return this.tok.encode(sec, { add_special_tokens: false }).ids;
    const hit = this.sectionCache.get(sec);
    if (hit) {
      this.sectionCache.delete(sec);
      this.sectionCache.set(sec, hit);
      return hit;
    }
    const ids = this.tok.encode(sec, { add_special_tokens: false }).ids;
    this.sectionCache.set(sec, ids);
    if (this.sectionCache.size > CACHE_ENTRIES) this.sectionCache.delete(this.sectionCache.keys().next().value!);
    return ids;
  }

  /**
   * True when `text` starts with an added token the tokenizer splits on before anything else, so
   * encode(a + text) = encode(a) + encode(text) for any a.
   */
  startsWithAddedToken(text: string): boolean {
    return this.rawSplit.some((c) => text.startsWith(c));
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    if (ids.length === 0) return '';
    return this.tok.decode(Array.from(ids), { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  tokenToId(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.tok.id_to_token(id);
  }
}

/**
 * Turns generated ids into text deltas as they arrive. It decodes a short window of recent ids
 * (never the whole reply) and holds text back while it ends in an incomplete UTF-8 sequence
 * (byte-fallback tokens such as <0xF0> decode to U+FFFD until the character is complete), so a
 * delta never carries half a character. Concatenated deltas plus `flush()` equal
 * `decode(allIds)`.
 */
export class IncrementalDecoder {
  private readonly ids: number[] = [];
  /** ids[prefix..read) were already turned into text; they give the decoder its context. */
  private prefix = 0;
  private read = 0;
  private emitted = '';
  /** Text of the context ids (not part of the output). */
  private readonly base: string = '';

  /**
   * `context`: ids that precede the generated ones (e.g. the end of a partial reply being continued),
   * so the first new token decodes as it would mid-text (a leading space is kept, not stripped).
   */
  constructor(
    private readonly tokenizer: Pick<TextTokenizer, 'decode'>,
    private readonly options: DecodeOptions = {},
    context: readonly number[] = [],
  ) {
    if (context.length) {
      this.ids.push(...context);
      this.read = context.length;
      this.base = tokenizer.decode(this.ids, options);
    }
  }

  /** Adds one id; returns the text it completes ('' while a character is still incomplete). */
  push(id: number): string {
    this.ids.push(id);
    const before = this.tokenizer.decode(this.ids.slice(this.prefix, this.read), this.options);
    const after = this.tokenizer.decode(this.ids.slice(this.prefix), this.options);
    if (after.length > before.length && !after.endsWith('\uFFFD') && after.startsWith(before)) {
      const delta = after.slice(before.length);
      this.prefix = this.read;
      this.read = this.ids.length;
      this.emitted += delta;
      return delta;
    }
    return '';
  }

  /** Text not yet returned (an incomplete sequence at the end decodes as U+FFFD, as HF does). */
  flush(): string {
    const full = this.tokenizer.decode(this.ids, this.options);
    const done = this.base + this.emitted;
    const rest = full.startsWith(done) ? full.slice(done.length) : '';
    this.emitted += rest;
    this.prefix = this.read = this.ids.length;
    return rest;
  }

  /** All text returned so far. */
  get text(): string {
    return this.emitted;
  }
}
