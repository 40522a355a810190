// The typed contract between the UI (renderer or browser) and the main process (DESIGN §3).
// Every request, response and event is a zod schema here; the main-side router validates every
// payload against it, the preload bridge and the WebSocket shim expose `window.qins` from it, and
// the tests fuzz it. Nothing in this file may import Node or Electron: it is bundled into the renderer.
import { z } from 'zod';

// ─── Errors ────────────────────────────────────────────────────────────────────────────────────

/** Codes a UI can act on. */
export const ErrorCode = z.enum([
  'INVALID_PAYLOAD', // the request did not match its schema
  'UNKNOWN_CHANNEL', // no such request channel
  'NOT_FOUND', // the referenced conversation / model / job does not exist
  'BUSY', // a conflicting operation is running
  'CANCELLED', // the operation was cancelled
  'ENGINE_UNAVAILABLE', // the engine host is not running (starting or restarting)
  'ENGINE_CRASHED', // the engine host died during the operation
  'UNSUPPORTED', // e.g. an unsupported model architecture
  'BAD_INPUT', // a corrupt or malformed file or folder
  'NO_SPACE', // the disk is full
  'IO', // another file-system error
  'INTERNAL', // a bug: the message says what happened
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const QinsErrorShape = z.object({ code: ErrorCode, message: z.string() });
export type QinsErrorShape = z.infer<typeof QinsErrorShape>;

/** An error that crosses the process boundary as `{code, message}`. */
export class QinsError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'QinsError';
  }
  toJSON(): QinsErrorShape {
    return { code: this.code, message: this.message };
  }
}

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
  /** Bytes of model files mapped by the native engine. */
  weightsMapped: Bytes,
  /** Bytes held by the KV cache. */
  kvBytes: Bytes,
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

export const TelemetrySample = z.object({
  subscriptionId: z.string(),
  /** Epoch milliseconds when the sample was taken. */
  time: z.number(),
  main: ProcessMemory,
  /** Null while the engine host is (re)starting. */
  engine: EngineMemory.nullable(),
  system: z.object({ freeMemory: Bytes, totalMemory: Bytes }),
});
export type TelemetrySample = z.infer<typeof TelemetrySample>;

// ─── Channels ──────────────────────────────────────────────────────────────────────────────────

/** Request channels: the payload the UI sends and the response it gets. */
export const requests = {
  'app.info': { request: Empty, response: AppInfo },
  'engine.ping': { request: Empty, response: EnginePing },
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
} as const satisfies Record<string, { request: z.ZodType; response: z.ZodType }>;

/** Events the main process pushes to the UI. */
export const events = {
  'telemetry.sample': TelemetrySample,
  'engine.status': EngineStatus,
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
export const eventChannels = Object.keys(events) as EventChannel[];

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
}
