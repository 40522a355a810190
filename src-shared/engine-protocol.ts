// The message channel between the main process and the engine host (a child process), as zod
// schemas. Requests carry an id and are answered exactly once; events flow from the host unprompted
// (streams are keyed by the job id the main process chose). Both ends validate what they receive:
// the host every request (envelope and params), the supervisor every message (envelope and event data).
import { z } from 'zod';
import { Codec } from './codecs.js';
import { ConvertProgress, EngineMemory, QinsErrorShape } from './contract.js';
import { ContextPolicy, SamplingSettings } from './records.js';

const JobId = z.string().min(1);
const Count = z.number().int().nonnegative();
const None = z.object({});

export const HostChatMessage = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() });
export type HostChatMessage = z.infer<typeof HostChatMessage>;

/** What the host reports about a model it loaded. */
export const HostModelInfo = z.object({
  path: z.string(),
  engine: z.enum(['qins', 'ort']),
  codec: z.string().nullable(),
  architecture: z.string(),
  params: Count,
  contextLength: z.number().int().positive(),
  weightBytes: Count,
  fileBytes: Count,
  loadMs: z.number().nonnegative(),
  /** The model ships a chat template. */
  chat: z.boolean(),
  /** generation_config.json sampling defaults mapped onto our settings. */
  defaults: SamplingSettings,
});
export type HostModelInfo = z.infer<typeof HostModelInfo>;

export const HostContext = z.object({
  contextLength: z.number().int(),
  promptTokens: Count,
  droppedMessages: Count,
  maxReplyTokens: Count,
  note: z.string().nullable(),
});
export type HostContext = z.infer<typeof HostContext>;

export const HostGenerateResult = z.object({
  text: z.string(),
  promptTokens: Count,
  reusedTokens: Count,
  tokens: Count,
  ttftMs: z.number(),
  tokensPerSecond: z.number(),
  totalMs: z.number(),
  stopReason: z.enum(['eos', 'length', 'stopped', 'context']),
  seed: z.number(),
  context: HostContext,
});
export type HostGenerateResult = z.infer<typeof HostGenerateResult>;

/** Conversion progress: the contract's ConvertProgress, one shape from the converter to the UI. */
export const HostConvertProgress = ConvertProgress;
export type HostConvertProgress = ConvertProgress;

export const HostConvertResult = z.object({
  path: z.string(),
  fileBytes: Count,
  architecture: z.string(),
  codec: z.string(),
  params: Count,
  bitsPerWeight: z.number(),
  snrDb: z.number().nullable(),
  contextLength: z.number().int(),
  sourceName: z.string(),
  sourceBytes: Count,
  seconds: z.number(),
});
export type HostConvertResult = z.infer<typeof HostConvertResult>;

/**
 * Sampling settings as the engine takes them: the shape of SamplingSettings; the ranges are the
 * engine sampler's to check (the API and the UI each bound them before they get here).
 */
const HostSampling = z.object({
  temperature: z.number(),
  top_p: z.number(),
  top_k: z.number(),
  min_p: z.number(),
  repetition_penalty: z.number(),
  max_tokens: z.number().nullable(),
  seed: z.number().nullable(),
  stop: z.array(z.string()),
}) satisfies z.ZodType<SamplingSettings>;

const Cancelled = z.object({ cancelled: z.boolean() });

/** Methods the engine host answers: params in, result out. */
export const hostMethods = {
  ping: { params: None, result: z.object({ pid: z.number().int(), uptimeMs: z.number() }) },
  memory: { params: None, result: EngineMemory },
  /** Loads a model (replacing the loaded one). */
  'model.load': {
    params: z.object({ path: z.string().min(1), threads: z.number().int().positive().nullable().optional(), contextLength: z.number().int().positive().nullable().optional() }),
    result: HostModelInfo,
  },
  'model.unload': { params: None, result: z.object({ unloaded: z.boolean() }) },
  /** Prompt tokens of a chat (system prompt and template included) on the loaded model. */
  'model.countTokens': { params: z.object({ messages: z.array(HostChatMessage) }), result: z.object({ tokens: Count, contextLength: z.number().int() }) },
  /** Generates a reply on the loaded model; streams 'generate.delta' events. */
  generate: {
    params: z.object({
      jobId: JobId,
      messages: z.array(HostChatMessage),
      /** Continue this partial assistant reply instead of starting a new one. */
      assistantPrefix: z.string().optional(),
      sampling: HostSampling,
      contextPolicy: ContextPolicy,
    }),
    result: HostGenerateResult,
  },
  'generate.cancel': { params: z.object({ jobId: JobId }), result: Cancelled },
  /**
   * Streams 'convert.progress'. kind 'convert' (default): checkpoint folder → .qins with `codec`;
   * 'export': checkpoint folder → FP32 ONNX folder at `destination`; 'unpack': .qinz → the .qins it
   * was packed from.
   */
  convert: {
    params: z.object({ jobId: JobId, source: z.string().min(1), destination: z.string().min(1), codec: Codec, kind: z.enum(['convert', 'export', 'unpack']).optional() }),
    result: HostConvertResult,
  },
  'convert.cancel': { params: z.object({ jobId: JobId }), result: Cancelled },
  /** Perplexity of the model at `path` on a text file; streams 'eval.progress'. */
  'eval.perplexity': {
    params: z.object({ jobId: JobId, path: z.string().min(1), textPath: z.string().min(1), window: z.number().int().positive().optional() }),
    result: z.object({ ppl: z.number(), tokens: Count, nllSum: z.number() }),
  },
  'eval.cancel': { params: z.object({ jobId: JobId }), result: Cancelled },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;

export type HostMethod = keyof typeof hostMethods;
export type HostMethods = { [M in HostMethod]: { params: z.input<(typeof hostMethods)[M]['params']>; result: z.output<(typeof hostMethods)[M]['result']> } };

export const isHostMethod = (m: unknown): m is HostMethod => typeof m === 'string' && Object.prototype.hasOwnProperty.call(hostMethods, m);

/** Events the host emits, by name. */
export const hostEvents = {
  'generate.delta': z.object({ jobId: JobId, text: z.string(), tokens: Count }),
  'convert.progress': z.object({ jobId: JobId, progress: HostConvertProgress }),
  'eval.progress': z.object({ jobId: JobId, done: Count, total: Count }),
} as const satisfies Record<string, z.ZodType>;

export type HostEventName = keyof typeof hostEvents;
export type HostEvents = { [E in HostEventName]: z.output<(typeof hostEvents)[E]> };

/** A host event as the listener's arguments: the name, then its data (narrowed by the name). */
export type HostEventArgs = { [E in HostEventName]: [event: E, data: HostEvents[E]] }[HostEventName];

// ─── Envelopes ─────────────────────────────────────────────────────────────────────────────────

export const HostRequest = z.object({ kind: z.literal('request'), id: z.number().int().nonnegative(), method: z.string(), params: z.unknown() });
export type HostRequest<M extends HostMethod = HostMethod> = { kind: 'request'; id: number; method: M; params: HostMethods[M]['params'] };

export const HostReply = z.discriminatedUnion('ok', [
  z.object({ kind: z.literal('reply'), id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  z.object({ kind: z.literal('reply'), id: z.number().int(), ok: z.literal(false), error: QinsErrorShape }),
]);
export type HostReply = z.infer<typeof HostReply>;

const HostEventEnvelope = z.object({ kind: z.literal('event'), event: z.enum(Object.keys(hostEvents) as [HostEventName, ...HostEventName[]]), data: z.unknown() });
export type HostEvent<E extends HostEventName = HostEventName> = { [K in E]: { kind: 'event'; event: K; data: HostEvents[K] } }[E];

/** Sent once by the host when it is ready to take requests. */
export const HostReady = z.object({ kind: z.literal('ready'), pid: z.number().int() });
export type HostReady = z.infer<typeof HostReady>;

export type ToHost = HostRequest;
export type FromHost = HostReply | HostEvent | HostReady;

/**
 * A message from the host, validated: its envelope and, for an event, the event's data. Null for
 * anything else (the supervisor ignores it).
 */
export function parseFromHost(m: unknown): FromHost | null {
  const kind = typeof m === 'object' && m !== null ? (m as { kind?: unknown }).kind : undefined;
  if (kind === 'ready') return HostReady.safeParse(m).data ?? null;
  if (kind === 'reply') return (HostReply.safeParse(m).data as HostReply | undefined) ?? null;
  if (kind !== 'event') return null;
  const envelope = HostEventEnvelope.safeParse(m);
  if (!envelope.success) return null;
  const data = hostEvents[envelope.data.event].safeParse(envelope.data.data);
  return data.success ? ({ kind: 'event', event: envelope.data.event, data: data.data } as HostEvent) : null;
}

export type ParsedRequest = { ok: true; request: HostRequest } | { ok: false; id: number | null; error: QinsErrorShape };

/** A request as the host receives it, validated: envelope, method and params. */
export function parseToHost(m: unknown): ParsedRequest {
  const envelope = HostRequest.safeParse(m);
  if (!envelope.success) return { ok: false, id: null, error: { code: 'INVALID_PAYLOAD', message: 'engine host: malformed request' } };
  const { id, method, params } = envelope.data;
  if (!isHostMethod(method)) return { ok: false, id, error: { code: 'UNKNOWN_CHANNEL', message: `engine host: unknown method ${method}` } };
  const parsed = hostMethods[method].params.safeParse(params ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, id, error: { code: 'INVALID_PAYLOAD', message: `engine host: ${method}: ${issue ? `${issue.path.map(String).join('.') || 'params'}: ${issue.message}` : 'invalid params'}` } };
  }
  return { ok: true, request: { kind: 'request', id, method, params: parsed.data } as HostRequest };
}
