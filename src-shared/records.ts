// The persisted domain of the conversation store: zod schemas and their inferred types.
// This module imports nothing from Node so the typed contract (and the renderer) can reuse it.
// Times are epoch milliseconds everywhere except in the export document (ISO 8601 strings).
import { z } from 'zod';
import { MAX_STOP_LENGTH, MAX_STOP_STRINGS, SAMPLING_BOUNDS as B, SAMPLING_DEFAULTS as D } from './sampling.js';

const Id = z.string().min(1).max(200);
const EpochMs = z.number().int().nonnegative();
const Count = z.number().int().nonnegative();

// ─── Sampling ──────────────────────────────────────────────────────────────────────────────────

export const SamplingSettings = z
  .object({
    temperature: z.number().min(B.temperature.min).max(B.temperature.max).default(D.temperature),
    top_p: z.number().gt(B.top_p.min).max(B.top_p.max).default(D.top_p),
    /** 0 disables top-k. */
    top_k: z.number().int().min(B.top_k.min).max(B.top_k.max).default(D.top_k),
    /** 0 disables min-p. */
    min_p: z.number().min(B.min_p.min).max(B.min_p.max).default(D.min_p),
    /** 1 disables the penalty. */
    repetition_penalty: z.number().gt(B.repetition_penalty.min).max(B.repetition_penalty.max).default(D.repetition_penalty),
    /** Null: generate until a stop condition or the context is full. */
    max_tokens: z.number().int().min(B.max_tokens.min).max(B.max_tokens.max).nullable().default(D.max_tokens),
    /** Null: a fresh random seed for every generation. */
    seed: z.number().int().min(B.seed.min).max(B.seed.max).nullable().default(D.seed),
    /** Extra stop strings (the model's own stop tokens always apply). */
    stop: z.array(z.string().min(1).max(MAX_STOP_LENGTH)).max(MAX_STOP_STRINGS).default([]),
  })
  .strict();
export type SamplingSettings = z.infer<typeof SamplingSettings>;
export type SamplingSettingsInput = z.input<typeof SamplingSettings>;

export const defaultSampling = (): SamplingSettings => SamplingSettings.parse({});

// ─── Messages ──────────────────────────────────────────────────────────────────────────────────

export const Role = z.enum(['user', 'assistant']);
export type Role = z.infer<typeof Role>;

/** complete: finished normally; incomplete: being streamed, or cut off by a crash; error: generation failed. */
export const MessageStatus = z.enum(['complete', 'incomplete', 'error']);
export type MessageStatus = z.infer<typeof MessageStatus>;

export const StopReason = z.enum(['eos', 'length', 'stopped', 'context', 'error']);
export type StopReason = z.infer<typeof StopReason>;

/**
 * What the chat service does when the history no longer fits the context window: leave out the
 * oldest turns after the system prompt, or stop and tell the user.
 */
export const ContextPolicy = z.enum(['drop-oldest', 'stop']);
export type ContextPolicy = z.infer<typeof ContextPolicy>;

/** How the prompt was fitted into the context (the engine's ChatResult.context, plus the policy). */
export const ContextInfo = z
  .object({
    policy: ContextPolicy.default('drop-oldest'),
    /** Context window of the model, in tokens. */
    contextLength: z.number().int().positive(),
    /** Tokens of the prompt actually sent (after any dropping). */
    promptTokens: Count,
    /** Earlier messages left out of the prompt to make room. */
    droppedMessages: Count,
    /** The most tokens the reply could use. */
    maxReplyTokens: Count,
    /** A sentence for the UI when something was dropped or limited. */
    note: z.string().max(2000).nullable().default(null),
  })
  .strict();
export type ContextInfo = z.infer<typeof ContextInfo>;
export type ContextInfoInput = z.input<typeof ContextInfo>;

/**
 * Generation statistics of an assistant message. `model` and `codec` are known when generation
 * starts; the rest are filled in when the message is finished (null while it is incomplete).
 */
export const MessageStats = z
  .object({
    /** Generated tokens. */
    tokens: Count,
    prompt_tokens: Count.nullable(),
    tok_s: z.number().nonnegative().nullable(),
    ttft_ms: z.number().nonnegative().nullable(),
    codec: z.string().max(100).nullable(),
    model: z.string().max(500).nullable(),
    stop_reason: StopReason.nullable(),
    context: ContextInfo.nullable(),
  })
  .strict();
export type MessageStats = z.infer<typeof MessageStats>;
export type MessageStatsInput = z.input<typeof MessageStats>;

export const Message = z
  .object({
    id: Id,
    conversationId: Id,
    /** Null for the first message of a branch at the root; siblings share a parent. */
    parentId: Id.nullable(),
    role: Role,
    content: z.string(),
    status: MessageStatus,
    /** Why generation failed (status 'error'). */
    error: z.string().nullable(),
    /** Null for user messages. */
    stats: MessageStats.nullable(),
    createdAt: EpochMs,
    updatedAt: EpochMs,
  })
  .strict();
export type Message = z.infer<typeof Message>;

/** One step of a root → leaf path, with what the UI needs to show ‹ 2/3 › between siblings. */
export const ThreadEntry = z.object({
  message: Message,
  /** 0-based position among the siblings (ordered by creation). */
  siblingIndex: Count,
  siblingCount: z.number().int().positive(),
  siblingIds: z.array(Id),
});
export type ThreadEntry = z.infer<typeof ThreadEntry>;

// ─── Conversations ─────────────────────────────────────────────────────────────────────────────

export const Conversation = z
  .object({
    id: Id,
    title: z.string().max(500),
    createdAt: EpochMs,
    updatedAt: EpochMs,
    /** Registry id of the model last used (it may since have been removed from the library). */
    modelId: z.string().max(500).nullable(),
    /** Display name of that model, kept for when it is gone. */
    modelName: z.string().max(500).nullable(),
    systemPrompt: z.string(),
    sampling: SamplingSettings,
    /** The leaf of the branch the user is looking at (null while empty). */
    currentLeafId: Id.nullable(),
  })
  .strict();
export type Conversation = z.infer<typeof Conversation>;

/** A row of the conversation list. */
export const ConversationSummary = z.object({
  id: Id,
  title: z.string(),
  createdAt: EpochMs,
  updatedAt: EpochMs,
  modelName: z.string().nullable(),
  messageCount: Count,
});
export type ConversationSummary = z.infer<typeof ConversationSummary>;

export const NewConversation = z
  .object({
    title: z.string().max(500).default('New chat'),
    modelId: z.string().max(500).nullable().default(null),
    modelName: z.string().max(500).nullable().default(null),
    systemPrompt: z.string().max(100_000).default(''),
    sampling: SamplingSettings.default(() => defaultSampling()),
  })
  .strict();
export type NewConversation = z.input<typeof NewConversation>;

export const ConversationPatch = z
  .object({
    title: z.string().max(500),
    modelId: z.string().max(500).nullable(),
    modelName: z.string().max(500).nullable(),
    systemPrompt: z.string().max(100_000),
    sampling: SamplingSettings,
  })
  .partial()
  .strict();
export type ConversationPatch = z.input<typeof ConversationPatch>;

// ─── Search ────────────────────────────────────────────────────────────────────────────────────

/** Highlighted spans in SearchHit.snippet are wrapped in these two control characters. */
export const SNIPPET_MARK_OPEN = '\u0002';
export const SNIPPET_MARK_CLOSE = '\u0003';
/** Marks text left out at either end of a snippet. */
export const SNIPPET_ELLIPSIS = '…';

export const SearchHit = z.object({
  conversationId: Id,
  title: z.string(),
  /** Matching text with highlights between SNIPPET_MARK_OPEN and SNIPPET_MARK_CLOSE. */
  snippet: z.string(),
  /** The best-matching message, or null when only the title matched. */
  messageId: Id.nullable(),
  /** Messages of the conversation that match (counted among the best 20 000 matches of the query). */
  matches: Count,
  updatedAt: EpochMs,
});
export type SearchHit = z.infer<typeof SearchHit>;

/** Splits a snippet into plain and highlighted parts (for rendering without HTML). */
export function splitSnippet(snippet: string): Array<{ text: string; highlight: boolean }> {
  const parts: Array<{ text: string; highlight: boolean }> = [];
  let highlight = false;
  let text = '';
  for (const ch of snippet) {
    if (ch === SNIPPET_MARK_OPEN || ch === SNIPPET_MARK_CLOSE) {
      if (text) parts.push({ text, highlight });
      text = '';
      highlight = ch === SNIPPET_MARK_OPEN;
    } else text += ch;
  }
  if (text) parts.push({ text, highlight });
  return parts;
}

// ─── Models, settings, presets ─────────────────────────────────────────────────────────────────

/** A converted model in the library (a .qins file on disk). */
export const ModelRecord = z
  .object({
    id: Id,
    name: z.string().min(1).max(500),
    /** Absolute path of the .qins file. */
    path: z.string().min(1),
    /** Codec of the weights (see CODECS in codecs.ts; stored as text so old rows stay readable). */
    codec: z.string().min(1).max(100),
    architecture: z.string().min(1).max(100),
    params: Count,
    fileBytes: Count,
    contextLength: z.number().int().positive().nullable(),
    bitsPerWeight: z.number().nonnegative().nullable(),
    snrDb: z.number().nullable(),
    /** The HF checkpoint folder it was converted from. */
    sourceName: z.string().max(500).nullable(),
    /** Absolute path of that folder at conversion time (null when unknown). */
    sourcePath: z.string().max(4096).nullable().default(null),
    sourceBytes: Count.nullable(),
    /** Shipped with the app (cannot be deleted from disk by the user). */
    builtin: z.boolean(),
    addedAt: EpochMs,
    lastUsedAt: EpochMs.nullable(),
  })
  .strict();
export type ModelRecord = z.infer<typeof ModelRecord>;

/** Perplexity measured on the bundled eval text ("Measure quality"). */
export const ModelQualityRecord = z
  .object({
    ppl: z.number().positive(),
    tokens: z.number().int().positive(),
    /** Perplexity of the unquantized weights of the same checkpoint, when measured. */
    referencePpl: z.number().positive().nullable(),
    measuredAt: EpochMs,
  })
  .strict();
export type ModelQualityRecord = z.infer<typeof ModelQualityRecord>;

/** App settings, persisted key by key; a missing or unreadable key falls back to its default. */
export const Settings = z
  .object({
    theme: z.enum(['system', 'light', 'dark']).default('system'),
    defaultModelId: z.string().max(500).nullable().default(null),
    defaultSystemPrompt: z.string().max(100_000).default(''),
    defaultSampling: SamplingSettings.default(() => defaultSampling()),
    contextPolicy: ContextPolicy.default('drop-oldest'),
    /** Context length for models without their own; null: the engine's default (at most 4096). */
    defaultContextLength: z.number().int().min(256).max(10_000_000).nullable().default(null),
    /** Context length per model id (Models page); capped at each model's maximum. */
    modelContextLengths: z.record(z.string().max(500), z.number().int().min(256).max(10_000_000)).default(() => ({})),
    /** Engine threads; null lets the engine choose. */
    threads: z.number().int().positive().max(1024).nullable().default(null),
    sendOnEnter: z.boolean().default(true),
    /** The OpenAI-compatible API of the desktop app (always on in `qins serve`). */
    apiEnabled: z.boolean().default(false),
    /** The port the desktop app's API asks for (when busy it takes a free one and says so). */
    apiPort: z.number().int().min(1).max(65535).default(7860),
  })
  .strict();
export type Settings = z.infer<typeof Settings>;
export const SETTINGS_KEYS = Object.keys(Settings.shape) as Array<keyof Settings>;
type PatchShape<S extends z.ZodRawShape> = { [K in keyof S]: z.ZodOptional<S[K] extends z.ZodDefault<infer I> ? I : S[K]> };
/**
 * Some settings: the fields without their defaults (`Settings.partial()` would fill every missing
 * key with its default, and saving such a patch would reset every setting it does not name).
 */
export const SettingsPatch = z
  .object(
    Object.fromEntries(Object.entries(Settings.shape).map(([k, f]) => [k, (f instanceof z.ZodDefault ? f.unwrap() : f).optional()])) as PatchShape<
      typeof Settings.shape
    >,
  )
  .strict();
export type SettingsPatch = z.input<typeof SettingsPatch>;

/** A named system prompt + sampling combination. */
export const Preset = z
  .object({
    id: Id,
    name: z.string().min(1).max(200),
    systemPrompt: z.string().max(100_000),
    sampling: SamplingSettings,
    createdAt: EpochMs,
    updatedAt: EpochMs,
  })
  .strict();
export type Preset = z.infer<typeof Preset>;

// ─── Export document (version 1) ───────────────────────────────────────────────────────────────

export const EXPORT_FORMAT = 'qins-chat-export';
export const EXPORT_VERSION = 1;
export const EXPORT_FORMATS = ['md', 'json', 'html'] as const;
export const ExportFormat = z.enum(EXPORT_FORMATS);
export type ExportFormat = z.infer<typeof ExportFormat>;

const IsoTime = z.iso.datetime({ offset: false, precision: 3 });

export const ExportMessage = z
  .object({
    id: Id,
    parentId: Id.nullable(),
    role: Role,
    content: z.string(),
    status: MessageStatus,
    error: z.string().nullable(),
    stats: MessageStats.nullable(),
    createdAt: IsoTime,
    updatedAt: IsoTime,
  })
  .strict();
export type ExportMessage = z.infer<typeof ExportMessage>;

export const ExportConversation = z
  .object({
    id: Id,
    title: z.string().max(500),
    createdAt: IsoTime,
    updatedAt: IsoTime,
    modelId: z.string().max(500).nullable(),
    modelName: z.string().max(500).nullable(),
    systemPrompt: z.string(),
    sampling: SamplingSettings,
    currentLeafId: Id.nullable(),
    /** Every message of every branch, parents before children. */
    messages: z.array(ExportMessage),
  })
  .strict();
export type ExportConversation = z.infer<typeof ExportConversation>;

export const ExportDocument = z
  .object({
    format: z.literal(EXPORT_FORMAT),
    version: z.literal(EXPORT_VERSION),
    exportedAt: IsoTime,
    conversations: z.array(ExportConversation),
  })
  .strict();
export type ExportDocument = z.infer<typeof ExportDocument>;

/** What an import did. Conversations whose id already exists are skipped, not merged. */
export const ImportResult = z.object({
  imported: z.array(Id),
  duplicates: z.array(Id),
  messages: Count,
});
export type ImportResult = z.infer<typeof ImportResult>;
