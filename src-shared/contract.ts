// The typed contract between the UI (renderer or browser) and the main process (README
// "Architecture"). Every request, response and event is a zod schema here; the main-side router
// validates every payload against it, the preload bridge and the WebSocket shim expose `window.qins`
// from it, and the tests fuzz it. Like all of src-shared/, it imports no Node or Electron (lint
// enforces it): it is bundled into the renderer.
import { z } from 'zod';
import { Codec } from './codecs.js';
import { QinsErrorShape } from './errors.js';
import { HubCacheList, HubJob, HubPreflight, HubTokenStatus } from './hub.js';
import {
  Conversation,
  ConversationPatch,
  ConversationSummary,
  ExportFormat,
  ImportResult,
  Message,
  ModelRecord,
  Preset,
  SamplingSettings,
  SearchHit,
  Settings,
  SettingsPatch,
  ThreadEntry,
} from './records.js';

export {
  Codec,
  Conversation,
  ConversationSummary,
  ExportFormat,
  ImportResult,
  Message,
  ModelRecord,
  Preset,
  SamplingSettings,
  SearchHit,
  Settings,
  ThreadEntry,
};

export { HubCacheList, HubJob, HubPreflight, HubTokenStatus };

// ─── Errors (src-shared/errors.ts) ─────────────────────────────────────────────────────────────

export { ErrorCode, QinsError, QinsErrorShape, toErrorShape } from './errors.js';

// ─── Shared shapes ─────────────────────────────────────────────────────────────────────────────

const Empty = z.object({}).strict();
const Bytes = z.number().int().nonnegative();

export const ProcessMemory = z.object({
  pid: z.number().int(),
  rss: Bytes,
  heapUsed: Bytes,
  heapTotal: Bytes,
  external: Bytes,
});
export type ProcessMemory = z.infer<typeof ProcessMemory>;

export const EngineMemory = ProcessMemory.extend({
  /**
   * Bytes of the loaded model's weight file resident in the engine's memory, measured each sample
   * (Linux: the mapping's pages in the process's page tables; macOS: the file's pages in memory).
   * Null when not measured (the ONNX Runtime engine loads the weights itself). 0 with no model.
   */
  weightsMapped: Bytes.nullable(),
  /** Size of the loaded model's weights on disk (the mapped .qins file, or the ONNX decoder + data). */
  weightsFileBytes: Bytes,
  /** Bytes of the KV cache holding positions now: positions held × bytes per position. */
  kvBytesUsed: Bytes,
  /** Bytes allocated for the KV cache (QINS: every position of the context; ONNX Runtime: what it holds). */
  kvBytesReserved: Bytes,
});
export type EngineMemory = z.infer<typeof EngineMemory>;

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  /** 'electron' in the desktop app, 'web' when served to a browser by `qins serve`. */
  mode: z.enum(['electron', 'web']),
  platform: z.string(),
  arch: z.string(),
  versions: z.object({
    node: z.string(),
    v8: z.string(),
    electron: z.string().nullable(),
    chrome: z.string().nullable(),
  }),
  cpu: z.object({ model: z.string(), cores: z.number().int().positive() }),
  totalMemory: Bytes,
  paths: z.object({ data: z.string(), database: z.string(), models: z.string(), assets: z.string() }),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const EngineState = z.enum(['starting', 'ready', 'crashed', 'stopped']);
export type EngineState = z.infer<typeof EngineState>;

export const EngineStatus = z.object({
  state: EngineState,
  pid: z.number().int().nullable(),
  /** How many times the engine host has been restarted after dying. */
  restarts: z.number().int().nonnegative(),
  /** Why it last died, for the UI to show. */
  lastError: z.string().nullable(),
});
export type EngineStatus = z.infer<typeof EngineStatus>;

export const EnginePing = z.object({
  pid: z.number().int(),
  uptimeMs: z.number().nonnegative(),
  /** Round trip main → engine host → main. */
  roundTripMs: z.number().nonnegative(),
  restarts: z.number().int().nonnegative(),
});
export type EnginePing = z.infer<typeof EnginePing>;

/** Live generation numbers for the telemetry panel. */
export const GenerationSample = z.object({ jobId: z.string(), tokens: z.number().int().nonnegative(), tokensPerSecond: z.number().nonnegative() });
export type GenerationSample = z.infer<typeof GenerationSample>;

export const TelemetrySample = z.object({
  subscriptionId: z.string(),
  /** Epoch milliseconds when the sample was taken. */
  time: z.number(),
  main: ProcessMemory,
  /** Null while the engine host is (re)starting. */
  engine: EngineMemory.nullable(),
  system: z.object({ freeMemory: Bytes, totalMemory: Bytes }),
  /** The reply being generated, if any. */
  generation: GenerationSample.nullable(),
});
export type TelemetrySample = z.infer<typeof TelemetrySample>;

// ─── Models ────────────────────────────────────────────────────────────────────────────────────

const Id = z.string().min(1).max(200);
const JobId = z.string().min(1).max(100);
/** Absolute or relative file-system path typed or dropped by the user. */
const UserPath = z.string().min(1).max(4096);
/** A Hugging Face repo id (`org/name[@revision]`) or model page URL, parsed by hub.ts parseRepoRef. */
const HubRef = z.string().min(1).max(500);

/** Quality measured by "Measure quality" (perplexity on the bundled eval text). */
export const ModelQuality = z.object({
  ppl: z.number().positive(),
  tokens: z.number().int().positive(),
  /** Perplexity of the unquantized (bf16/f32) weights of the same checkpoint, when known. */
  referencePpl: z.number().positive().nullable(),
  measuredAt: z.number().int().nonnegative(),
});
export type ModelQuality = z.infer<typeof ModelQuality>;

/** A model in the library, as the UI shows it. */
export const ModelInfo = ModelRecord.extend({
  /** Which engine runs it: the native QINS engine (.qins) or ONNX Runtime FP32 (ONNX folder). */
  engine: z.enum(['qins', 'ort']),
  quality: ModelQuality.nullable(),
  /** True when the file is missing on disk (moved or deleted outside the app). */
  missing: z.boolean(),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

/** What the engine host has loaded. */
export const LoadedModel = z.object({
  modelId: z.string(),
  name: z.string(),
  engine: z.enum(['qins', 'ort']),
  codec: z.string().nullable(),
  architecture: z.string(),
  params: z.number().int().nonnegative(),
  contextLength: z.number().int().positive(),
  /** Bytes of weights read per token (the mapped file for QINS). */
  weightBytes: z.number().int().nonnegative(),
  /** params × 4: what the same weights take in FP32. */
  fp32Bytes: z.number().int().nonnegative(),
  loadMs: z.number().nonnegative(),
  /** The model has a chat template (otherwise it can be evaluated but not chatted with). */
  chat: z.boolean(),
  /** generation_config sampling defaults, mapped onto our settings (for "Reset to model defaults"). */
  defaults: SamplingSettings,
});
export type LoadedModel = z.infer<typeof LoadedModel>;

/** The memory a model needs at a context length, before it is loaded (models.contextPlan). */
export const ContextPlan = z.object({
  contextLength: z.number().int().positive(),
  /** The model's own maximum (max_position_embeddings). */
  maxContextLength: z.number().int().positive(),
  kvBytesPerToken: z.number().nonnegative(),
  weightBytes: z.number().nonnegative(),
  kvBytes: z.number().nonnegative(),
  totalBytes: z.number().nonnegative(),
  /** Free memory, plus what the loaded model would give back. */
  availableBytes: z.number().nonnegative(),
  fits: z.boolean(),
  /** Why it does not fit, in words (null when it fits). */
  message: z.string().nullable(),
});
export type ContextPlan = z.infer<typeof ContextPlan>;

export const ModelStatus = z.object({
  state: z.enum(['none', 'loading', 'ready', 'error']),
  loaded: LoadedModel.nullable(),
  /** The model being loaded (state 'loading'). */
  loadingId: z.string().nullable(),
  error: z.string().nullable(),
});
export type ModelStatus = z.infer<typeof ModelStatus>;

export const ConvertProgress = z.object({
  phase: z.string(),
  bytesDone: z.number().nonnegative(),
  bytesTotal: z.number().nonnegative(),
  tensor: z.string().nullable(),
  tensorsDone: z.number().int().nonnegative(),
  tensorsTotal: z.number().int().nonnegative(),
  etaMs: z.number().nonnegative().nullable(),
});
export type ConvertProgress = z.infer<typeof ConvertProgress>;

/**
 * What a job does. convert: a checkpoint folder to .qins; export: a checkpoint folder to an FP32 ONNX
 * folder (ORT); unpack: a .qinz; register: an existing .qins file or ONNX folder added in place.
 */
export const ConvertKind = z.enum(['convert', 'export', 'unpack', 'register']);
export type ConvertKind = z.infer<typeof ConvertKind>;

/** Stream of a conversion job: progress events, then exactly one done or error. */
export const ConvertEvent = z.discriminatedUnion('type', [
  z.object({ jobId: JobId, type: z.literal('progress'), source: z.string(), kind: ConvertKind, codec: Codec, progress: ConvertProgress, name: z.string().optional() }),
  z.object({ jobId: JobId, type: z.literal('done'), model: ModelInfo }),
  z.object({ jobId: JobId, type: z.literal('error'), error: QinsErrorShape }),
]);
export type ConvertEvent = z.infer<typeof ConvertEvent>;

export const ConvertJob = z.object({
  jobId: JobId,
  source: z.string(),
  kind: ConvertKind,
  /** The codec asked for (an unpacked or registered file keeps its own). */
  codec: Codec,
  progress: ConvertProgress.nullable(),
  builtin: z.boolean(),
  /** The model's name when it is not the source folder's (a Hugging Face cache snapshot is named by its commit). */
  name: z.string().optional(),
});
export type ConvertJob = z.infer<typeof ConvertJob>;

/** Stream of a quality measurement. */
export const EvalEvent = z.discriminatedUnion('type', [
  z.object({ jobId: JobId, type: z.literal('progress'), modelId: z.string(), done: z.number().int().nonnegative(), total: z.number().int().nonnegative(), stage: z.string() }),
  z.object({ jobId: JobId, type: z.literal('done'), modelId: z.string(), quality: ModelQuality }),
  z.object({ jobId: JobId, type: z.literal('error'), modelId: z.string(), error: QinsErrorShape }),
]);
export type EvalEvent = z.infer<typeof EvalEvent>;

// ─── Chat ──────────────────────────────────────────────────────────────────────────────────────

/** The conversation as the chat view needs it: the row plus the branch being looked at. */
export const ConversationView = z.object({ conversation: Conversation, thread: z.array(ThreadEntry) });
export type ConversationView = z.infer<typeof ConversationView>;

export const ChatStarted = z.object({
  jobId: JobId,
  conversationId: Id,
  /** The user message the reply answers (new for send/edit). */
  userMessageId: Id.nullable(),
  assistantMessageId: Id,
  /** The branch after the new messages were added (the assistant message is empty, incomplete). */
  thread: z.array(ThreadEntry),
});
export type ChatStarted = z.infer<typeof ChatStarted>;

/** Stream of one reply: deltas, then exactly one done or error. */
export const ChatEvent = z.discriminatedUnion('type', [
  z.object({ jobId: JobId, conversationId: Id, messageId: Id, type: z.literal('queued'), position: z.number().int().nonnegative() }),
  z.object({ jobId: JobId, conversationId: Id, messageId: Id, type: z.literal('delta'), text: z.string(), tokens: z.number().int().nonnegative() }),
  z.object({ jobId: JobId, conversationId: Id, messageId: Id, type: z.literal('done'), message: Message }),
  z.object({ jobId: JobId, conversationId: Id, messageId: Id, type: z.literal('error'), error: QinsErrorShape, message: Message.nullable() }),
]);
export type ChatEvent = z.infer<typeof ChatEvent>;

export const ContextUsage = z.object({
  /** Tokens the conversation's prompt (system prompt + branch + draft) takes. */
  tokens: z.number().int().nonnegative(),
  contextLength: z.number().int().positive(),
  /** Tokens reserved for the reply (max tokens setting, bounded by the context). */
  reserved: z.number().int().nonnegative(),
  policy: z.enum(['drop-oldest', 'stop']),
});
export type ContextUsage = z.infer<typeof ContextUsage>;

export const ExportFile = z.object({ filename: z.string(), mime: z.string(), content: z.string() });
export type ExportFile = z.infer<typeof ExportFile>;

/** The OpenAI-compatible API of the desktop app (off by default there; always on in `qins serve`). */
export const ApiStatus = z.object({
  enabled: z.boolean(),
  url: z.string().nullable(),
  token: z.string().nullable(),
  port: z.number().int().nullable(),
  /** Why the API is not where the settings ask (the port was busy), for the UI to show. */
  notice: z.string().nullable(),
});
export type ApiStatus = z.infer<typeof ApiStatus>;

// ─── Channels ──────────────────────────────────────────────────────────────────────────────────

/** Request channels: the payload the UI sends and the response it gets. */
export const requests = {
  'app.info': { request: Empty, response: AppInfo },
  'engine.ping': { request: Empty, response: EnginePing },
  /** An error in the UI, for the app's log file. */
  'app.reportError': {
    request: z.object({ message: z.string().max(10_000), stack: z.string().max(50_000).optional() }).strict(),
    response: z.object({ logged: z.boolean() }),
  },
  'engine.status': { request: Empty, response: EngineStatus },
  /** Starts a `telemetry.sample` stream to this client (~1 Hz). */
  'telemetry.subscribe': {
    request: z.object({ intervalMs: z.number().int().min(250).max(10_000).optional() }).strict(),
    response: z.object({ subscriptionId: z.string() }),
  },
  'telemetry.unsubscribe': {
    request: z.object({ subscriptionId: z.string().min(1).max(100) }).strict(),
    response: z.object({ stopped: z.boolean() }),
  },

  // Settings and presets
  'settings.get': { request: Empty, response: Settings },
  'settings.update': { request: SettingsPatch, response: Settings },
  'presets.list': { request: Empty, response: z.array(Preset) },
  'presets.save': {
    request: z.object({ id: Id.optional(), name: z.string().min(1).max(200), systemPrompt: z.string().max(100_000), sampling: SamplingSettings }).strict(),
    response: Preset,
  },
  'presets.delete': { request: z.object({ id: Id }).strict(), response: z.object({ deleted: z.boolean() }) },
  'api.status': { request: Empty, response: ApiStatus },
  'api.setEnabled': { request: z.object({ enabled: z.boolean() }).strict(), response: ApiStatus },
  /** Desktop app: replaces the stored API token (clients must use the new one). */
  'api.regenerateToken': { request: Empty, response: ApiStatus },

  // Models
  'models.list': { request: Empty, response: z.array(ModelInfo) },
  'models.status': { request: Empty, response: ModelStatus },
  /** Loads a model into the engine host (progress through model.status events). */
  'models.load': { request: z.object({ id: Id }).strict(), response: ModelStatus },
  'models.delete': { request: z.object({ id: Id }).strict(), response: z.object({ deleted: z.boolean() }) },
  'models.rename': { request: z.object({ id: Id, name: z.string().min(1).max(500) }).strict(), response: ModelInfo },
  /** Converts a checkpoint folder (or unpacks a .qinz) into the library; streams convert.event. */
  'models.import': {
    /** engine 'ort': export the checkpoint as an FP32 ONNX folder run by ONNX Runtime (the reference), instead of a .qins. */
    request: z.object({ source: UserPath, codec: Codec.default('qins8'), engine: z.enum(['qins', 'ort']).default('qins'), name: z.string().min(1).max(200).optional() }).strict(),
    response: ConvertJob,
  },
  'models.cancelImport': { request: z.object({ jobId: JobId }).strict(), response: z.object({ cancelled: z.boolean() }) },
  'models.jobs': { request: Empty, response: z.array(ConvertJob) },
  /** Desktop app: the native folder picker (UNSUPPORTED in a browser, where the UI asks for a typed path). */
  'models.pickFolder': { request: Empty, response: z.object({ path: z.string().nullable() }) },
  /** The memory a load at a context length needs (default: the model's setting), against free memory. */
  'models.contextPlan': {
    request: z.object({ id: Id, contextLength: z.number().int().positive().max(10_000_000).nullable().optional() }).strict(),
    response: ContextPlan,
  },
  /** Sets (or, with null, clears) a model's context length; the loaded model reloads with it. */
  'models.setContextLength': {
    request: z.object({ id: Id, contextLength: z.number().int().positive().max(10_000_000).nullable() }).strict(),
    response: ContextPlan,
  },
  /** Desktop app: the native file picker for a model file (.qins, .qinz); null when cancelled. */
  'models.pickFile': { request: Empty, response: z.object({ path: z.string().nullable() }) },
  /** Measures perplexity on the bundled eval text; streams eval.event. */
  'models.evaluate': { request: z.object({ id: Id }).strict(), response: z.object({ jobId: JobId }) },
  'models.cancelEvaluate': { request: z.object({ jobId: JobId }).strict(), response: z.object({ cancelled: z.boolean() }) },

  // Hugging Face Hub and cache (src-shared/hub.ts); downloads stream hub.event
  'hub.preflight': { request: z.object({ ref: HubRef, codec: Codec.default('qins8') }).strict(), response: HubPreflight },
  'hub.download': { request: z.object({ ref: HubRef, codec: Codec.default('qins8'), keepCheckpoint: z.boolean().default(true) }).strict(), response: HubJob },
  'hub.pause': { request: z.object({ jobId: JobId }).strict(), response: HubJob },
  'hub.resume': { request: z.object({ jobId: JobId }).strict(), response: HubJob },
  'hub.cancel': { request: z.object({ jobId: JobId }).strict(), response: z.object({ cancelled: z.boolean() }) },
  /** Forgets a finished, failed or cancelled job. */
  'hub.dismiss': { request: z.object({ jobId: JobId }).strict(), response: z.object({ dismissed: z.boolean() }) },
  'hub.jobs': { request: Empty, response: z.array(HubJob) },
  /** Checkpoints already in the local Hugging Face cache. */
  'hub.cache': { request: Empty, response: HubCacheList },
  /** Converts a snapshot of the Hugging Face cache in place (nothing copied); streams convert.event. */
  'hub.convertCached': { request: z.object({ path: UserPath, codec: Codec.default('qins8') }).strict(), response: ConvertJob },
  'hub.token': { request: Empty, response: HubTokenStatus },
  /** Saves (or with null forgets) the app's token; desktop app only (encrypted by the system keychain). */
  'hub.setToken': { request: z.object({ token: z.string().min(1).max(500).nullable() }).strict(), response: HubTokenStatus },

  // Conversations
  'conversations.list': { request: z.object({ limit: z.number().int().min(1).max(10_000).optional(), offset: z.number().int().min(0).optional() }).strict(), response: z.array(ConversationSummary) },
  'conversations.create': {
    request: z.object({ title: z.string().max(500).optional(), systemPrompt: z.string().max(100_000).optional(), sampling: SamplingSettings.optional(), modelId: Id.nullable().optional() }).strict(),
    response: ConversationView,
  },
  'conversations.get': { request: z.object({ id: Id }).strict(), response: ConversationView },
  'conversations.update': { request: z.object({ id: Id, patch: ConversationPatch }).strict(), response: Conversation },
  'conversations.delete': { request: z.object({ id: Id }).strict(), response: z.object({ deleted: z.boolean() }) },
  'conversations.search': { request: z.object({ query: z.string().max(1000), limit: z.number().int().min(1).max(200).optional() }).strict(), response: z.array(SearchHit) },
  'conversations.export': { request: z.object({ ids: z.array(Id).max(100_000).optional(), format: ExportFormat }).strict(), response: ExportFile },
  /** Imports a JSON export document (the file's text). */
  'conversations.import': { request: z.object({ content: z.string().max(512 * 1024 * 1024) }).strict(), response: ImportResult },

  // Chat (replies stream as chat.event)
  'chat.send': { request: z.object({ conversationId: Id, content: z.string().min(1).max(1_000_000), parentId: Id.nullable().optional() }).strict(), response: ChatStarted },
  /** A new reply to the user message before `messageId` (an assistant message): a new branch. */
  'chat.regenerate': { request: z.object({ conversationId: Id, messageId: Id }).strict(), response: ChatStarted },
  /** A reply to a user message that has none (e.g. after its reply was deleted). */
  'chat.reply': { request: z.object({ conversationId: Id, messageId: Id }).strict(), response: ChatStarted },
  /** Continues an incomplete assistant message (e.g. after a crash or Stop). */
  'chat.continue': { request: z.object({ conversationId: Id, messageId: Id }).strict(), response: ChatStarted },
  /** Edits a user message: a sibling with the new text, and a new reply to it. */
  'chat.edit': { request: z.object({ conversationId: Id, messageId: Id, content: z.string().min(1).max(1_000_000) }).strict(), response: ChatStarted },
  'chat.stop': { request: z.object({ jobId: JobId }).strict(), response: z.object({ stopped: z.boolean() }) },
  'chat.switchBranch': { request: z.object({ conversationId: Id, messageId: Id }).strict(), response: ConversationView },
  'chat.deleteMessage': { request: z.object({ conversationId: Id, messageId: Id }).strict(), response: ConversationView },
  /** How much of the context the conversation (plus an optional draft) takes. */
  'chat.contextUsage': { request: z.object({ conversationId: Id, draft: z.string().max(1_000_000).optional() }).strict(), response: ContextUsage },
} as const satisfies Record<string, { request: z.ZodType; response: z.ZodType }>;

/** Events the main process pushes to the UI. */
export const events = {
  'telemetry.sample': TelemetrySample,
  'engine.status': EngineStatus,
  'model.status': ModelStatus,
  'models.changed': z.object({ reason: z.string() }),
  'convert.event': ConvertEvent,
  'eval.event': EvalEvent,
  'hub.event': HubJob,
  'chat.event': ChatEvent,
  'conversations.changed': z.object({ conversationId: z.string().nullable() }),
} as const satisfies Record<string, z.ZodType>;

export type RequestChannel = keyof typeof requests;
export type EventChannel = keyof typeof events;
/** What a caller passes (optional fields may be omitted). */
export type RequestOf<C extends RequestChannel> = z.input<(typeof requests)[C]['request']>;
/** What a handler receives after validation (defaults applied). */
export type ParsedRequestOf<C extends RequestChannel> = z.output<(typeof requests)[C]['request']>;
export type ResponseOf<C extends RequestChannel> = z.output<(typeof requests)[C]['response']>;
export type EventOf<E extends EventChannel> = z.output<(typeof events)[E]>;

export const requestChannels = Object.keys(requests) as RequestChannel[];

export const isRequestChannel = (c: unknown): c is RequestChannel =>
  typeof c === 'string' && Object.prototype.hasOwnProperty.call(requests, c);
export const isEventChannel = (c: unknown): c is EventChannel =>
  typeof c === 'string' && Object.prototype.hasOwnProperty.call(events, c);

// ─── Wire messages (Electron IPC and the WebSocket use the same envelopes) ───────────────────

/** UI → main. */
export const InvokeMessage = z.object({
  id: z.number().int().nonnegative(),
  channel: z.string().max(100),
  payload: z.unknown(),
});
export type InvokeMessage = z.infer<typeof InvokeMessage>;

/** main → UI, answering an InvokeMessage with the same id. */
export type ReplyMessage =
  | { id: number; ok: true; result: unknown }
  | { id: number | null; ok: false; error: QinsErrorShape };

/** main → UI, unsolicited. */
export interface EventMessage {
  event: EventChannel;
  payload: unknown;
}

/** Electron IPC channel names used by the preload bridge. */
export const IPC_INVOKE = 'qins:invoke';
export const IPC_EVENT = 'qins:event';

/** What `window.qins` offers, in Electron (preload bridge) and in a browser (WebSocket shim). */
export interface QinsApi {
  /** Resolves with the validated response or rejects with a QinsError. */
  invoke<C extends RequestChannel>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void): () => void;
  /** 'electron' or 'web'. */
  readonly transport: 'electron' | 'web';
  /**
   * Electron only: the file-system path of a File dropped on the window (webUtils.getPathForFile).
   * Browsers do not reveal paths; there the UI asks the user to type the folder path.
   */
  pathForFile?(file: File): string;
}
